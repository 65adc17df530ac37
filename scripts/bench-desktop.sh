#!/usr/bin/env bash
# Launch to first meaningful paint and memory of the desktop app (release build, Xvfb), on the
# sample program. Goal: first paint within 1 s; the app process at most 150 MB; WebKit's
# processes reported beside it. Usage: make bench-desktop (RUNS=5 by default).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked -q -p roadbook-cli -p roadbook-desktop
work=$(mktemp -d)
display=":$((150 + RANDOM % 50))"
Xvfb "$display" -screen 0 1280x800x24 -nolisten tcp >/dev/null 2>&1 &
xvfb=$!
trap 'kill $xvfb 2>/dev/null; rm -rf "$work"' EXIT
sleep 0.5
ROADBOOK_DB="$work/bench.db" target/release/roadbook init --sample >/dev/null

# Launch and memory with the rendering Roadbook chooses on this machine (empty
# ROADBOOK_RENDERING: the CPU renderer where there is no GPU, as under Xvfb), then with GPU
# compositing forced, for comparison.
for rendering in "" gpu; do
echo "== rendering: ${rendering:-chosen by the machine} (ROADBOOK_RENDERING=$rendering)"
DISPLAY=$display ROADBOOK_DB="$work/bench.db" RUNS=${RUNS:-5} ROADBOOK_RENDERING=$rendering python3 - <<'PY'
import os, statistics, subprocess, time

def rss_mb(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0

def rollup(pid):
    """Pss and private (clean + dirty) memory in MB, from /proc/PID/smaps_rollup."""
    fields = {}
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                parts = line.split()
                if len(parts) >= 2 and parts[0].endswith(":") and parts[1].isdigit():
                    fields[parts[0][:-1]] = int(parts[1]) / 1024
    except OSError:
        pass
    return fields.get("Pss", 0.0), fields.get("Private_Clean", 0.0) + fields.get("Private_Dirty", 0.0)

def breakdown(pid):
    """RSS in MB per mapped file (or [heap], [anon]...), largest first."""
    sizes, current = {}, "[anon]"
    try:
        with open(f"/proc/{pid}/smaps") as f:
            for line in f:
                parts = line.split()
                if parts and "-" in parts[0] and not parts[0].endswith(":"):
                    current = parts[5] if len(parts) >= 6 else "[anon]"
                elif parts and parts[0] == "Rss:":
                    sizes[current] = sizes.get(current, 0) + int(parts[1]) / 1024
    except OSError:
        pass
    return sorted(sizes.items(), key=lambda kv: -kv[1])

def children(pid):
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
    found = []
    for child in out:
        found.append(int(child))
        found.extend(children(int(child)))
    return found

def name(pid):
    try:
        with open(f"/proc/{pid}/comm") as f:
            return f.read().strip()
    except OSError:
        return "?"

paints, app_mem, app_pss, app_private, webkit = [], [], [], [], {}
env = dict(os.environ, ROADBOOK_STARTUP_TRACE="1", ROADBOOK_AUTHOR="Bench")
for run in range(int(os.environ["RUNS"])):
    start = time.monotonic()
    proc = subprocess.Popen(["target/release/roadbook-desktop"], env=env, stderr=subprocess.PIPE, text=True)
    painted = None
    for line in proc.stderr:
        if "first meaningful paint" in line:
            painted = (time.monotonic() - start) * 1000
            break
    time.sleep(1.5)  # let the sample load settle before reading memory
    paints.append(painted or float("nan"))
    app_mem.append(rss_mb(proc.pid))
    pss, private = rollup(proc.pid)
    app_pss.append(pss)
    app_private.append(private)
    for child in children(proc.pid):
        webkit.setdefault(name(child), []).append(rss_mb(child))
    largest = breakdown(proc.pid)[:6]
    proc.terminate()
    proc.wait(timeout=10)

print(f"launch to first meaningful paint: median {statistics.median(paints):.0f} ms over {len(paints)} runs "
      f"(min {min(paints):.0f}, max {max(paints):.0f}); goal at most 1000 ms")
print(f"app process (roadbook-desktop) after the sample loads: RSS median {statistics.median(app_mem):.0f} MB, "
      f"PSS {statistics.median(app_pss):.0f} MB, private {statistics.median(app_private):.0f} MB; goal at most 150 MB")
print("  (RSS counts every shared library page the process touched, GTK's and WebKit's included;")
print("   PSS shares those among the processes that map them; private is the app's alone)")
print("  largest parts of the app process RSS (last run): " +
      ", ".join(f"{os.path.basename(path)} {mb:.0f} MB" for path, mb in largest))
for proc_name, values in sorted(webkit.items()):
    print(f"  {proc_name}: median {statistics.median(values):.0f} MB")
PY
done

# Scrolling and searching 5,000 decisions in the same release build: the rendering chosen by
# the machine, then GPU compositing forced (software GL under Xvfb).
for rendering in "" gpu; do
    ROADBOOK_RENDERING=$rendering ROADBOOK_DESKTOP_BIN="$PWD/target/release/roadbook-desktop" \
        cargo bench --locked -q -p roadbook-e2e --bench long_list
done

# Team sync in the same release build, against a release roadbook-server on a fsynced
# PostgreSQL: a teammate's change to paint (50 changes), and frames during a 1,000-change pull.
cargo build --release --locked -q -p roadbook-server
ROADBOOK_DESKTOP_BIN="$PWD/target/release/roadbook-desktop" \
    ROADBOOK_CLI_BIN="$PWD/target/release/roadbook" ROADBOOK_BIN_DIR="$PWD/target/release" \
    cargo bench --locked -q -p roadbook-e2e --bench team_sync
