#!/usr/bin/env bash
# Installs what Roadbook's build, app and tests need on Debian 12, and only what is missing.
# Root runs apt-get directly; other users go through sudo.
set -euo pipefail

packages=(
  build-essential pkg-config   # C compiler for the bundled SQLite
  python3                      # scripts/bench-summary.py
  poppler-utils qpdf           # the document tests read PDFs as a person's viewer would
)

# Only for `make bench-documents`: the engines Roadbook's documents are compared with.
if [ -n "${BENCH_TOOLS:-}" ]; then
  packages+=(chromium wkhtmltopdf hyperfine)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "setup: installing ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! command -v cargo >/dev/null; then
  echo "setup: cargo is missing: install Rust 1.89 or newer with rustup, then run make again" >&2
  exit 1
fi
for component in rustfmt clippy; do
  rustup component list --installed 2>/dev/null | grep -q "^$component" || rustup component add "$component"
done
