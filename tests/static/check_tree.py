#!/usr/bin/env python3
"""The shape of the tree (issue 15, docs/architecture.md), checked on every run:

1. an include goes only to the same layer or a lower one (DESIGN section 4);
2. nothing outside src/store/ names the store's backend tables;
3. no function in src/ is longer than 80 lines (data tables excepted).

Reads the sources as text; prints each violation with file and line, exits 1 if any.
usage: check_tree.py SOURCE_ROOT
"""
import os
import re
import sys

# Rank of each folder of src/: a file may include headers of its own folder or of a
# folder with a lower rank. Folders of one rank do not include each other.
RANK = {
    "util": 0,
    "crypto": 1, "common": 1,
    "stix": 2,
    "store": 3,
    "ledger": 4, "policy": 4,
    "wire": 5,
    "exchange": 6, "hotline": 6,
    "http": 7,
    "daemon": 8, "cli": 8,
}
# Same-rank folders that may use each other in one direction only.
ALLOWED_SIDEWAYS = set()
MAX_LINES = 80
INCLUDE = re.compile(r'^\s*#\s*include\s+"([a-z_]+)/')
BACKEND = re.compile(r'->be->|store_backend\b|store_[a-z]+_ops\b')


def sources(root):
    for dirpath, _, files in os.walk(os.path.join(root, "src")):
        for f in sorted(files):
            if f.endswith((".c", ".h")):
                yield os.path.join(dirpath, f)


def folder_of(root, path):
    return os.path.relpath(path, os.path.join(root, "src")).split(os.sep)[0]


def check_includes(root, path, lines, out):
    me = folder_of(root, path)
    for i, line in enumerate(lines, 1):
        m = INCLUDE.match(line)
        if not m or m.group(1) == me or m.group(1) == "liaison":
            continue
        to = m.group(1)
        if to not in RANK:
            out.append(f"{path}:{i}: includes {to}/, a folder with no layer")
        elif RANK[to] > RANK[me] or (RANK[to] == RANK[me] and (me, to) not in ALLOWED_SIDEWAYS):
            out.append(f"{path}:{i}: {me}/ (layer {RANK[me]}) includes {to}/ (layer {RANK[to]})")


def check_backend(root, path, lines, out):
    if folder_of(root, path) == "store":
        return
    for i, line in enumerate(lines, 1):
        if BACKEND.search(line):
            out.append(f"{path}:{i}: names the store's backend table outside src/store/")


def check_lengths(path, lines, out):
    start = None
    for i, line in enumerate(lines):
        if line == "{" and start is None and i > 0 and "=" not in lines[i - 1]:
            start = i
        elif line == "}" and start is not None:
            if i - start + 1 > MAX_LINES:
                out.append(f"{path}:{start}: a function of {i - start + 1} lines (at most {MAX_LINES})")
            start = None


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else "."
    out = []
    for path in sources(root):
        with open(path, encoding="utf-8") as f:
            lines = f.read().split("\n")
        check_includes(root, path, lines, out)
        check_backend(root, path, lines, out)
        if path.endswith(".c"):
            check_lengths(path, lines, out)
    for line in out:
        print(line)
    print(f"{len(out)} problem(s) in the shape of the tree")
    return 1 if out else 0


if __name__ == "__main__":
    sys.exit(main())
