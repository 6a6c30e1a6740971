#!/usr/bin/env python3
"""Builds every GPU program in a directory and runs it three times: on the CPU device, with
FUSION_DEVICE=check, and with FUSION_DEVICE=check on the CUDA driver's test double. Prints one
line per program: `NAME: ok` when the three runs give the same stdout and exit code and each
checked run's summary says that nothing differed, else `NAME: FAILED` and why.

usage: check_all.py FUSION DOUBLE WORKDIR DIR
"""
import concurrent.futures
import os
import re
import subprocess
import sys

SUMMARY = re.compile(r"^check: \d+ launch(es)? compared, (\d+) differed", re.M)


def check(fusion, double, workdir, path):
    name = os.path.basename(path)
    exe = os.path.join(workdir, name + ".exe")
    build = subprocess.run([fusion, "build", path, "-o", exe], capture_output=True)
    if build.returncode != 0:
        return "%s: FAILED to build: %s" % (name, build.stderr.decode(errors="replace"))
    runs = []
    for label, env in [("cpu", {"FUSION_DEVICE": "cpu"}), ("check", {"FUSION_DEVICE": "check"}),
                       ("check on the double", {"FUSION_DEVICE": "check", "FUSION_CUDA_DRIVER": double})]:
        r = subprocess.run([exe], capture_output=True, env=dict(os.environ, **env), timeout=120)
        runs.append((label, r))
    _, base = runs[0]
    for label, r in runs[1:]:
        if (r.stdout, r.returncode) != (base.stdout, base.returncode):
            return "%s: FAILED: %s gives exit %d and stdout %r, the CPU device exit %d and %r" % (
                name, label, r.returncode, r.stdout[-300:], base.returncode, base.stdout[-300:])
        m = SUMMARY.search(r.stderr.decode(errors="replace"))
        # A program that ends by a panic or an error (exit 101 on every device) prints no summary.
        if base.returncode != 101 and not m:
            return "%s: FAILED: %s printed no summary:\n%s" % (name, label, r.stderr.decode(errors="replace"))
        if m and m.group(2) != "0":
            return "%s: FAILED: %s:\n%s" % (name, label, r.stderr.decode(errors="replace"))
    return "%s: ok" % name


def main():
    fusion, double, workdir, directory = sys.argv[1:5]
    os.makedirs(workdir, exist_ok=True)
    paths = sorted(os.path.join(directory, f) for f in os.listdir(directory) if f.endswith(".fu"))
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        lines = list(pool.map(lambda p: check(fusion, double, workdir, p), paths))
    for line in lines:
        print(line)
    print("%d programs" % len(lines))


if __name__ == "__main__":
    main()
