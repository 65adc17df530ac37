#!/usr/bin/env python3
"""Adds the other platforms' optional packages to ui/package-lock.json, so `npm ci` accepts it.

Packages such as rollup and @tauri-apps/cli ship one optional package per platform
(@rollup/rollup-darwin-arm64, ...). The npm registry these machines reach serves those of other
platforms without their version details, so `npm install` here leaves them out of the lock, and
`npm ci` then refuses the lock as out of sync with package.json. This script reads each locked
package's optional dependencies from the registry and adds the missing ones with the version
the parent pins and the platform their name says (os, cpu, libc), which is all `npm ci` needs to
skip them on other platforms and to fetch them on theirs. Run it after `npm install` changed the
lock: `scripts/complete-lock.py` (or `--check` to fail when something is missing).
"""
import concurrent.futures
import json
import pathlib
import subprocess
import sys
import urllib.parse
import urllib.request

LOCK = pathlib.Path(__file__).resolve().parent.parent / "ui" / "package-lock.json"
OS = ["darwin", "linux", "win32", "android", "freebsd", "openbsd", "openharmony", "netbsd", "sunos", "aix"]
CPU = {
    "arm64": "arm64", "x64": "x64", "ia32": "ia32", "arm": "arm", "loong64": "loong64",
    "ppc64": "ppc64", "riscv64": "riscv64", "s390x": "s390x", "mips64el": "mips64el",
}


def registry():
    out = subprocess.run(["npm", "config", "get", "registry"], capture_output=True, text=True)
    url = out.stdout.strip() or "https://registry.npmjs.org/"
    return url if url.endswith("/") else url + "/"


def optional_dependencies(base, name, version):
    url = base + urllib.parse.quote(name, safe="@")
    request = urllib.request.Request(url, headers={"Accept": "application/vnd.npm.install-v1+json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        packument = json.load(response)
    return packument.get("versions", {}).get(version, {}).get("optionalDependencies", {})


def platform(name):
    """os, cpu and libc from a platform package's name (rollup-linux-x64-musl, cli-win32-ia32-msvc)."""
    words = name.rsplit("/", 1)[-1].split("-")
    found = {}
    for n, word in enumerate(words):
        if word in OS and "os" not in found:
            found["os"] = [word]
            rest = words[n + 1:]
            if rest and rest[0] in CPU:
                found["cpu"] = [CPU[rest[0]]]
            if word == "linux" and "musl" in rest or any(w.startswith("musl") for w in rest):
                found["libc"] = ["musl"]
            elif word == "linux" and any(w.startswith("gnu") for w in rest):
                found["libc"] = ["glibc"]
            break
    return found


def main():
    check = "--check" in sys.argv[1:]
    lock = json.loads(LOCK.read_text())
    packages = lock["packages"]
    base = registry()
    locked = {
        path: entry for path, entry in packages.items()
        if path.startswith("node_modules/") and "version" in entry
    }

    def fetch(item):
        path, entry = item
        name = path.rsplit("node_modules/", 1)[-1]
        return path, optional_dependencies(base, name, entry["version"])

    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        optional = dict(pool.map(fetch, locked.items()))

    added = []
    for parent, deps in sorted(optional.items()):
        if not deps:
            continue
        entry = packages[parent]
        for dep, wanted in sorted(deps.items()):
            nested = f"{parent}/node_modules/{dep}"
            if nested in packages or f"node_modules/{dep}" in packages:
                continue
            where = platform(dep)
            if not where or not wanted[:1].isdigit():
                # Not a platform package of a pinned version (fsevents ~2.3 and the like):
                # npm resolves those itself.
                continue
            packages[f"node_modules/{dep}"] = {
                "version": wanted,
                **({"dev": True} if entry.get("dev") else {}),
                "optional": True,
                **where,
            }
            entry.setdefault("optionalDependencies", {})[dep] = wanted
            added.append(f"{dep}@{wanted}")
    if check:
        if added:
            print("ui/package-lock.json lacks other platforms' packages: run scripts/complete-lock.py")
            print("  " + "\n  ".join(added))
            return 1
        return 0
    lock["packages"] = dict(sorted(packages.items(), key=lambda kv: (kv[0] != "", kv[0])))
    LOCK.write_text(json.dumps(lock, indent=2) + "\n")
    print(f"added {len(added)} packages of other platforms to {LOCK.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
