#!/usr/bin/env bash
# Builds the previous release's roadbook-server (the commit in deploy/previous-release) into
# target/previous-release/COMMIT/roadbook-server, for the test that runs it against this
# release's schema (rollback posture: migrations are additive, so release N-1 keeps working
# after release N migrated the database). A release updates deploy/previous-release to the
# commit it replaces. Built once per commit, in a target directory of its own.
set -euo pipefail
cd "$(dirname "$0")/.."
commit=$(grep -Eo '^[0-9a-f]{40}$' deploy/previous-release | head -1)
[ -n "$commit" ] || { echo "previous-release: deploy/previous-release holds no commit id" >&2; exit 1; }
out="target/previous-release/$commit"
[ -x "$out/roadbook-server" ] && exit 0
git cat-file -e "$commit^{commit}" 2>/dev/null \
  || { echo "previous-release: commit $commit is not in this clone (fetch its history)" >&2; exit 1; }
echo "previous-release: building roadbook-server at ${commit:0:7} (about 2 minutes, once)"
rm -rf "$out/src" target/previous-release/target
mkdir -p "$out/src"
git archive "$commit" | tar -x -C "$out/src"
CARGO_TARGET_DIR="$PWD/target/previous-release/target" \
  cargo build --quiet --locked -p roadbook-server --manifest-path "$out/src/Cargo.toml"
cp target/previous-release/target/debug/roadbook-server "$out/roadbook-server"
rm -rf "$out/src" target/previous-release/target
