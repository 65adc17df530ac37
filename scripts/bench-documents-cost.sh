#!/usr/bin/env bash
# What a change to the documents costs, per kind, in instructions (callgrind), against a base
# revision: deterministic where wall-clock time on a shared machine is not. Each kind's cost is
# the instructions of rendering it after the memo (fonts loaded, caches warm) minus those of the
# memo alone, with the sample program, in the criterion bench binary run once in test mode.
# Usage: scripts/bench-documents-cost.sh BASE_REV   (needs valgrind: apt-get install valgrind)
set -euo pipefail
cd "$(dirname "$0")/.."
base=${1:?usage: $0 BASE_REV}
work=$(mktemp -d)
trap 'git worktree remove --force "$work/base" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT

command -v valgrind >/dev/null || { echo "valgrind is missing: apt-get install valgrind" >&2; exit 1; }

# The bench binary of the tree in $1, built into this checkout's target directory (the
# dependencies are built once for both), copied to $2.
bench_binary() {
  local path
  path=$(cd "$1" && CARGO_TARGET_DIR="$OLDPWD/target" cargo bench --locked -p roadbook-report \
    --bench documents --no-run 2>&1 | sed -n 's/.*Executable .*(\(.*\))/\1/p' | tail -1)
  [[ $path = /* ]] || path="$1/$path"
  cp "$path" "$2"
}
git worktree add -q --detach "$work/base" "$base"
bench_binary "$work/base" "$work/base-bench"
bench_binary "$PWD" "$work/now-bench"

instructions() {
  valgrind --tool=callgrind --callgrind-out-file=/dev/null "$@" 2>&1 >/dev/null |
    awk '/Collected/ {print $4}' | sort -n | tail -1
}
printf '%-10s %14s %14s %8s\n' kind "base (k instr)" "now (k instr)" change
for kind in readout packet dashboard register plan phases rfc readiness one-pager handbook; do
  row=()
  for binary in "$work/base-bench" "$work/now-bench"; do
    alone=$(instructions "$binary" 'document memo$')
    with=$(instructions "$binary" "document (memo|$kind)\$")
    row+=($(( (with - alone) / 1000 )))
  done
  change=$(python3 -c "print(f'{(${row[1]} - ${row[0]}) / ${row[0]} * 100:+.1f}%')")
  printf '%-10s %14s %14s %8s\n' "$kind" "${row[0]}" "${row[1]}" "$change"
done
