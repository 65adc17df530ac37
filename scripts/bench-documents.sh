#!/usr/bin/env bash
# Times a whole `roadbook report` process per document kind against rendering the same content
# (the same blocks, as HTML) with headless Chromium and wkhtmltopdf, and prints the ratios.
# Goal: Roadbook at least 20x faster than Chromium and 10x faster than wkhtmltopdf.
# Usage: scripts/bench-documents.sh   (make bench-documents installs what it needs)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${RUNS:-10}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cargo build --release --locked -q -p roadbook-cli
roadbook=$PWD/target/release/roadbook
export ROADBOOK_DB="$work/bench.db" ROADBOOK_AUTHOR="Bench"
"$roadbook" init --sample >/dev/null
# A moment after the sample was made (documents show the program as it was then; one that has
# not come yet is refused): a second later, whole seconds.
sleep 1
as_of=$(date -u +%Y-%m-%dT%H:%M:%SZ)

chromium_cmd() {
  echo "chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking --disable-component-update --disable-sync --user-data-dir=$work/chromium --no-pdf-header-footer --print-to-pdf=$work/$1-chromium.pdf file://$work/$1.html"
}

mean_ms() { python3 -c "import json,sys; print(round(json.load(open(sys.argv[1]))['results'][0]['mean']*1000, 1))" "$1"; }

printf '%-10s %8s %6s %10s %10s %10s %12s\n' kind pages KB roadbook chromium wkhtml "ratios"
for kind in readout memo packet dashboard register plan phases rfc readiness one-pager handbook; do
  "$roadbook" report "$kind" --as-of "$as_of" --out "$work/$kind.pdf" >/dev/null
  "$roadbook" report "$kind" --as-of "$as_of" --out "$work/$kind.html" >/dev/null
  hyperfine -N -w 2 -r "$runs" --export-json "$work/r.json" \
    "$roadbook report $kind --as-of $as_of --out $work/$kind.pdf" >/dev/null 2>&1
  hyperfine -N -w 1 -r "$(( runs < 5 ? runs : 5 ))" --export-json "$work/c.json" "$(chromium_cmd "$kind")" >/dev/null 2>&1
  QT_QPA_PLATFORM=offscreen hyperfine -N -w 1 -r "$runs" --export-json "$work/w.json" \
    "wkhtmltopdf -q --enable-local-file-access $work/$kind.html $work/$kind-wk.pdf" >/dev/null 2>&1
  r=$(mean_ms "$work/r.json"); c=$(mean_ms "$work/c.json"); w=$(mean_ms "$work/w.json")
  pages=$(pdfinfo "$work/$kind.pdf" | awk '/^Pages:/ {print $2}')
  kb=$(( $(stat -c %s "$work/$kind.pdf") / 1024 ))
  ratios=$(python3 -c "print(f'{$c/$r:.0f}x / {$w/$r:.0f}x')")
  printf '%-10s %8s %6s %8s ms %8s ms %8s ms %12s\n' "$kind" "$pages" "$kb" "$r" "$c" "$w" "$ratios"
done
echo "ratios: Chromium / Roadbook and wkhtmltopdf / Roadbook, mean of whole processes (goal: 20x and 10x)"
