#!/usr/bin/env python3
"""docs/architecture.md against the code: the crate diagram against what Cargo.toml files say,
and the store's and the server's table lists against their migrations.

Every dependency between the product's crates must follow the diagram's arrows (directly or
through crates between), and every arrow must be a dependency Cargo knows (directly or through
crates between): a diagram that drifts from the code fails `make lint`. Test crates are left
out. Every table the migrations leave (created, renamed, not dropped) must be named in its
section, and the section's range of migrations must end at the last one. Run by `make deps`.
"""
import glob
import os
import json
import re
import subprocess
import sys

DOC = "docs/architecture.md"
TEST_CRATES = {"roadbook-harness", "roadbook-e2e", "roadbook-sync-tests"}


def diagram_edges(text):
    section = text.split("## Crates and who may depend on whom", 1)[1]
    block = section.split("```", 2)[1]
    edges = set()
    previous = None  # (line, [(column of '←', left group)])
    for line in block.strip("\n").split("\n"):
        arrows = [m.start() for m in re.finditer("←", line)]
        pieces = line.split("←")
        groups = [re.findall(r"roadbook-[a-z-]+|src-tauri", p) for p in pieces]
        groups = [["roadbook-desktop" if g == "src-tauri" else g for g in group] for group in groups]
        lefts = []
        if not groups[0] and previous is not None and arrows:
            # A line that starts with an arrow goes on from the crate above it.
            column = arrows[0]
            above = [group for (at, group) in previous if abs(at - column) <= 2]
            if not above:
                sys.exit(f"{DOC}: an arrow at column {column} has nothing above it: {line!r}")
            groups[0] = above[0]
        for i in range(1, len(groups)):
            for user in groups[i]:
                for used in groups[i - 1]:
                    edges.add((user, used))
            lefts.append((arrows[i - 1], groups[i - 1]))
        previous = lefts
    return edges


def cargo_edges():
    meta = json.loads(
        subprocess.run(
            ["cargo", "metadata", "--format-version", "1", "--no-deps", "--locked"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    )
    edges = set()
    crates = set()
    for package in meta["packages"]:
        name = package["name"]
        if not name.startswith("roadbook") or name in TEST_CRATES:
            continue
        crates.add(name)
        for dep in package["dependencies"]:
            if dep["kind"] is None and dep["name"].startswith("roadbook") and dep["name"] not in TEST_CRATES:
                edges.add((name, dep["name"]))
    return crates, edges


def reach(edges, start):
    seen, todo = set(), [start]
    while todo:
        crate = todo.pop()
        for (a, b) in edges:
            if a == crate and b not in seen:
                seen.add(b)
                todo.append(b)
    return seen


def tables_left(folder, hooks=()):
    """The tables the migrations in `folder` leave, in file order: created, renamed, dropped;
    then what the Rust `hooks` of those migrations do (the store moves rows in code)."""
    tables = set()
    files = sorted(glob.glob(os.path.join(folder, "*.sql")))
    for path in files + list(hooks):
        sql = re.sub(r"--[^\n]*", "", open(path, encoding="utf-8").read())
        for m in re.finditer(
            r"CREATE TABLE (?:IF NOT EXISTS )?(\w+)|ALTER TABLE (\w+) RENAME TO (\w+)|DROP TABLE (?:IF EXISTS )?(\w+)",
            sql,
            re.I,
        ):
            created, old, new, dropped = m.groups()
            if created:
                tables.add(created)
            elif old:
                tables.discard(old)
                tables.add(new)
            else:
                tables.discard(dropped)
    last = os.path.basename(files[-1]).split("_", 1)[0]
    return tables, last


def check_tables(text, heading, stop, folder, problems, hooks=()):
    """The table list in `text` from the line naming `folder` to `stop`, against its migrations."""
    section = text.split(heading, 1)[1].split(stop, 1)[0]
    start = section.index(f"Tables (`{folder}")
    listing = section[start:]
    listing = listing[: listing.index("\n\n")]
    tables, last = tables_left(folder, hooks)
    named = set(re.findall(r"`(\w+)`", listing))
    for table in sorted(tables - named):
        problems.append(f"{folder}: table {table} is not in the list")
    span = re.search(r"(\d+) to (\d+)", listing)
    if not span or span.group(2) != last:
        problems.append(f"{folder}: the list says migrations up to {span.group(2) if span else '?'}, the last is {last}")
    return len(tables)


def main():
    drawn = diagram_edges(open(DOC, encoding="utf-8").read())
    crates, real = cargo_edges()
    problems = []
    for crate in sorted(crates):
        if not any(crate in edge for edge in drawn):
            problems.append(f"{crate} is not in the diagram")
    for (user, used) in sorted(real):
        if used not in reach(drawn, user):
            problems.append(f"{user} depends on {used}, which the diagram does not allow")
    for (user, used) in sorted(drawn):
        if used not in reach(real, user):
            problems.append(f"the diagram says {user} depends on {used}; Cargo says it does not")
    text = open(DOC, encoding="utf-8").read()
    store = check_tables(text, "## The store", "\n## ", "crates/roadbook-store/src/migrations/", problems,
                         hooks=["crates/roadbook-store/src/open.rs"])
    server = check_tables(text, "## The sync", "\n## ", "crates/roadbook-server/migrations/", problems)
    if problems:
        print(f"{DOC} and the code disagree:\n  " + "\n  ".join(problems))
        sys.exit(1)
    print(
        f"{DOC}: the crate diagram matches Cargo ({len(real)} dependencies, {len(drawn)} arrows); "
        f"the table lists match the migrations ({store} store tables, {server} server tables)"
    )


main()
