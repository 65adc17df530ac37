#!/usr/bin/env bash
# Writes every document kind and the deck from the sample with the CLI just built, and reads them
# with pikepdf (scripts/check-pdfs.py): a second, independent reader of the tagged PDFs. pikepdf
# comes from PyPI into target/pdf-check-venv; where it cannot be installed (no network to PyPI)
# the check says so and is skipped: the Rust tagging test (lopdf) still runs in make test.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=target/pdf-check-venv
if [[ ! -x $venv/bin/python ]] || ! "$venv/bin/python" -c 'import pikepdf' 2>/dev/null; then
  python3 -m venv "$venv"
  if ! "$venv/bin/pip" install -q -r scripts/pdf-check-requirements.txt >/dev/null 2>&1; then
    echo "check-pdfs: pikepdf could not be installed from PyPI here; skipped (the Rust tagging test still runs)"
    exit 0
  fi
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
roadbook=target/debug/roadbook
export ROADBOOK_DB="$work/check.db" ROADBOOK_AUTHOR="PDF Check"
"$roadbook" init --sample >/dev/null
# Documents speak for a moment that has come: one second after the sample was made.
sleep 1
for kind in readout memo packet dashboard register plan phases rfc readiness one-pager handbook; do
  "$roadbook" report "$kind" --out "$work/$kind.pdf" >/dev/null
done
"$roadbook" report readout --format deck --out "$work/deck.pdf" >/dev/null
# The portfolio of the sample and a second program, and its slides.
"$roadbook" init --name "Second program" >/dev/null
sleep 1
"$roadbook" report portfolio --out "$work/portfolio.pdf" >/dev/null
"$roadbook" report portfolio --format deck --out "$work/portfolio-deck.pdf" >/dev/null
"$venv/bin/python" scripts/check-pdfs.py "$work"
