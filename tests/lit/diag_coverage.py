#!/usr/bin/env python3
"""Fails unless every diagnostic kind in diag_kinds.def was produced: LOG holds one kind name a
line, as the compiler appends them to the file named by $FUSION_DIAG_LOG. Lists the kinds that
no test produced.

usage: diag_coverage.py DIAG_KINDS_DEF LOG
"""
import os
import re
import sys


def main():
    def_path, log_path = sys.argv[1], sys.argv[2]
    with open(def_path) as f:
        kinds = re.findall(r"^DIAG\((\w+),", f.read(), re.M)
    seen = set()
    if os.path.exists(log_path):
        with open(log_path) as f:
            seen = set(f.read().split())
    missing = [k for k in kinds if k not in seen]
    if missing:
        print("diag_coverage: %d of %d diagnostic kinds are produced by no test:" % (len(missing), len(kinds)))
        for k in missing:
            print("  " + k)
        return 1
    print("diag_coverage: all %d diagnostic kinds are produced by some test" % len(kinds))
    return 0


if __name__ == "__main__":
    sys.exit(main())
