#!/usr/bin/env python3
"""Prints the median of each criterion benchmark beside its target, with the ratio.

Run after `cargo bench` (make bench does both). Reads target/criterion/*/new/estimates.json.
"""
import json
import pathlib
import sys

# Benchmark name (criterion's folder name) -> target in seconds.
TARGETS = {
    "open + load 10k items": 50e-3,
    "one field edit with history and outbox": 1e-3,
    "move an item to the top of a 10k-item program": 1e-3,
}
# Figure -> (the limit it is measured against in the same run, the goal for figure ÷ limit).
RATIOS = {
    "open + load 10k items": ("limit: parse the same 10k bodies with serde_json", 1.5),
    "one field edit with history and outbox": ("limit: a bare fsync'd one-row SQLite commit", 1.3),
    "move an item to the top of a 10k-item program": ("limit: a bare fsync'd one-row SQLite commit", 1.5),
}
# Reported without a target of their own: the goals for documents are whole-process ratios
# against Chromium and wkhtmltopdf (scripts/bench-documents.sh).
REPORTED = [f"document {kind}" for kind in ("readout", "memo", "packet", "dashboard", "register")]


def folder(name):
    """Criterion's folder for a benchmark: these characters become underscores."""
    return "".join("_" if c in '?"/\\*<>:|^' else c for c in name)


def human(seconds):
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds * 1e6:.0f} µs"


def main():
    root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "target/criterion")
    failed = False
    for name, target in TARGETS.items():
        estimates = root / name / "new" / "estimates.json"
        if not estimates.exists():
            print(f"{name}: no result at {estimates} (run cargo bench first)")
            failed = True
            continue
        median = json.loads(estimates.read_text())["median"]["point_estimate"] / 1e9
        verdict = "meets" if median <= target else "MISSES"
        print(f"{name}: median {human(median)}, target {human(target)}, "
              f"{target / median:.1f}x under target ({verdict})")
        failed |= median > target
    for name, (limit, goal) in RATIOS.items():
        figure = root / folder(name) / "new" / "estimates.json"
        under = root / folder(limit) / "new" / "estimates.json"
        if not (figure.exists() and under.exists()):
            continue
        value = json.loads(figure.read_text())["median"]["point_estimate"] / 1e9
        bound = json.loads(under.read_text())["median"]["point_estimate"] / 1e9
        times = value / bound
        verdict = "meets" if times <= goal else "MISSES"
        print(f"{name} ÷ {limit.removeprefix('limit: ')}: {human(value)} ÷ {human(bound)} "
              f"= {times:.2f}x, goal ≤ {goal}x ({verdict})")
    for name in REPORTED:
        estimates = root / name / "new" / "estimates.json"
        if estimates.exists():
            median = json.loads(estimates.read_text())["median"]["point_estimate"] / 1e9
            print(f"{name}: median {human(median)} in process")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
