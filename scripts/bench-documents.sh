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

# One row: `roadbook report KIND` (its PDF, and the same content as HTML for the browsers) timed
# against Chromium and wkhtmltopdf printing that HTML.
measure() {
  local kind=$1
  "$roadbook" report "$kind" --as-of "$as_of" --out "$work/$kind.pdf" >/dev/null
  "$roadbook" report "$kind" --as-of "$as_of" --out "$work/$kind.html" >/dev/null
  hyperfine -N -w 2 -r "$runs" --export-json "$work/r.json" \
    "$roadbook report $kind --as-of $as_of --out $work/$kind.pdf" >/dev/null 2>&1
  hyperfine -N -w 1 -r "$(( runs < 5 ? runs : 5 ))" --export-json "$work/c.json" "$(chromium_cmd "$kind")" >/dev/null 2>&1
  QT_QPA_PLATFORM=offscreen hyperfine -N -w 1 -r "$runs" --export-json "$work/w.json" \
    "wkhtmltopdf -q --enable-local-file-access $work/$kind.html $work/$kind-wk.pdf" >/dev/null 2>&1
  local r c w pages kb ratios
  r=$(mean_ms "$work/r.json"); c=$(mean_ms "$work/c.json"); w=$(mean_ms "$work/w.json")
  pages=$(pdfinfo "$work/$kind.pdf" | awk '/^Pages:/ {print $2}')
  kb=$(( $(stat -c %s "$work/$kind.pdf") / 1024 ))
  ratios=$(python3 -c "print(f'{$c/$r:.0f}x / {$w/$r:.0f}x')")
  printf '%-10s %8s %6s %8s ms %8s ms %8s ms %12s\n' "$kind" "$pages" "$kb" "$r" "$c" "$w" "$ratios"
}

printf '%-10s %8s %6s %10s %10s %10s %12s\n' kind pages KB roadbook chromium wkhtml "ratios"
for kind in readout memo packet dashboard register plan phases rfc readiness one-pager handbook; do
  measure "$kind"
done

# The portfolio of ten programs: the sample ten times over, each copy with its own ids and name.
export ROADBOOK_DB="$work/portfolio.db"
"$roadbook" --db "$work/bench.db" export --out "$work/sample.json"
python3 - "$work" <<'PY'
import json, os, re, sys, time
work = sys.argv[1]
text = open(os.path.join(work, "sample.json")).read()
uuid = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")
def fresh():
    # A UUID v7, as Roadbook makes them: the time in milliseconds, then random bits.
    ms = int(time.time() * 1000).to_bytes(6, "big").hex()
    r = os.urandom(10).hex()
    return f"{ms[:8]}-{ms[8:]}-7{r[:3]}-{'89ab'[int(r[3], 16) % 4]}{r[4:7]}-{r[7:19]}"
for n in range(1, 11):
    ids = {}
    copy = uuid.sub(lambda m: ids.setdefault(m.group(0), fresh()), text)
    data = json.loads(copy)
    data["program"]["name"] = f"Program {n}"
    json.dump(data, open(os.path.join(work, f"program-{n}.json"), "w"))
PY
for n in $(seq 1 10); do "$roadbook" import "$work/program-$n.json" >/dev/null; done
sleep 1
as_of=$(date -u +%Y-%m-%dT%H:%M:%SZ)
measure portfolio
echo "(portfolio: 10 programs, each the sample)"
echo "ratios: Chromium / Roadbook and wkhtmltopdf / Roadbook, mean of whole processes (goal: 20x and 10x)"
