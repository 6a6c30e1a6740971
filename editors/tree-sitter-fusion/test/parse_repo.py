#!/usr/bin/env python3
"""Parses every .fu file of the repository (`git ls-files '*.fu'`) with the tree-sitter grammar
(tests/lit/editors/tree_sitter_parse.test): builds test/ts_check.c with the generated parser and
the system's tree-sitter runtime (Debian's libtree-sitter-dev), compiles queries/highlights.scm
against the grammar, and fails on any syntax error. The files of test/malformed.txt are left out,
and each must still be rejected by the compiler's parser (`fusion emit --ast` fails) and by the
grammar, so that the list holds only files that are malformed on purpose.

usage: parse_repo.py --root SRC --fusion FUSION --tmp DIR
"""
import argparse
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
TS_DIR = os.path.dirname(HERE)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", required=True)
    ap.add_argument("--fusion", required=True)
    ap.add_argument("--tmp", required=True)
    ap.add_argument("--cc", default=os.environ.get("CC", "cc"))
    args = ap.parse_args()
    os.makedirs(args.tmp, exist_ok=True)
    checker = os.path.join(args.tmp, "ts_check")
    src = os.path.join(TS_DIR, "src")
    subprocess.run([args.cc, "-O1", "-I", src, "-o", checker, os.path.join(HERE, "ts_check.c"),
                    os.path.join(src, "parser.c"), os.path.join(src, "scanner.c"), "-ltree-sitter"],
                   check=True)
    problems = []
    query = os.path.join(TS_DIR, "queries", "highlights.scm")
    result = subprocess.run([checker, "--query", query], capture_output=True, text=True)
    if result.returncode != 0:
        problems.append(result.stdout.strip())

    listed = {}
    with open(os.path.join(HERE, "malformed.txt"), encoding="utf-8") as f:
        for line in f:
            path = line.split("#")[0].strip()
            if path:
                listed[path] = True
    files = subprocess.run(["git", "-C", args.root, "ls-files", "*.fu"], capture_output=True,
                           text=True, check=True).stdout.split()
    if not files:
        sys.exit("parse_repo.py: git ls-files found no .fu file under %s" % args.root)
    for path in sorted(set(listed) - set(files)):
        problems.append("%s is in test/malformed.txt but not in the repository" % path)

    wanted = [f for f in files if f not in listed]
    result = subprocess.run([checker] + wanted, cwd=args.root, capture_output=True, text=True)
    errors = [l for l in result.stdout.splitlines() if ": error: " in l]
    problems += errors

    for path in sorted(set(listed) & set(files)):
        full = os.path.join(args.root, path)
        ts = subprocess.run([checker, full], capture_output=True, text=True)
        if ts.returncode == 0:
            problems.append("%s parses without errors now: take it out of test/malformed.txt" % path)
        ast = subprocess.run([args.fusion, "emit", "--ast", full], capture_output=True, text=True)
        if ast.returncode == 0:
            problems.append("%s is in test/malformed.txt, but the compiler parses it" % path)

    for p in problems:
        print(p)
    print("tree-sitter: %d .fu files parsed, %d with errors; %d malformed on purpose left out; "
          "%d problem(s)" % (len(wanted), len({e.split(":")[0] for e in errors}), len(listed),
                             len(problems)))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
