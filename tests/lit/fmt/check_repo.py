#!/usr/bin/env python3
"""Runs `fusion fmt --check` over every .fu file of the source tree (repo.test) and prints, for
FileCheck, how many are not formatted (each named) and which do not parse (tests of syntax errors,
which fmt leaves alone), relative to the tree.
usage: check_repo.py FUSION SRC_ROOT"""
import os
import subprocess
import sys

fusion, root = sys.argv[1], os.path.abspath(sys.argv[2])
skip = {".git", "node_modules", "out"}
files = []
for dirpath, dirnames, filenames in os.walk(root):
    rel = os.path.relpath(dirpath, root)
    dirnames[:] = sorted(d for d in dirnames if d not in skip and not (rel == "." and d.startswith("build")))
    files += [os.path.join(dirpath, f) for f in sorted(filenames) if f.endswith(".fu")]
r = subprocess.run([fusion, "fmt", "--check"] + files, capture_output=True, text=True)
unformatted = [os.path.relpath(l, root) for l in r.stdout.splitlines() if l]
not_parsed = sorted(os.path.relpath(l.split("`")[1], root) for l in r.stderr.splitlines() if "does not parse" in l)
print("files: %d" % len(files))
print("unformatted: %d" % len(unformatted))
for f in unformatted:
    print("  " + f)
print("not parsed: %d" % len(not_parsed))
for f in not_parsed:
    print("  " + f)
