#!/usr/bin/env python3
"""Runs a Fusion program twice, by the JIT (`fusion run`) and as a built executable
(`fusion build`), and fails unless both give the same stdout, stderr and exit code.
Then prints that stdout and stderr (to its own stdout and stderr) and exits with that code, so
FileCheck and `not` can check it.

usage: run_both.py FUSION FILE.fu [--expect-exit N] [--stderr-until PREFIX] [-L DIR]... [-I DIR]...
                   [-O0|-O1|-O2|-O3] [-- ARGS...]
(-L and -I directories and -O levels go to both `fusion run` and `fusion build`.)
--stderr-until PREFIX compares and prints stderr only up to the first line that starts with
PREFIX (that line included): crash reports end with a backtrace whose frames differ between the
JIT and the executable.
"""
import os
import subprocess
import sys
import tempfile


def cut(text, prefix):
    """`text` up to the end of its first line that starts with `prefix` (all of it if none does)."""
    lines = text.splitlines(keepends=True)
    for i, line in enumerate(lines):
        if line.startswith(prefix):
            return b"".join(lines[:i + 1])
    return text


def main():
    fusion, source = sys.argv[1], sys.argv[2]
    rest = sys.argv[3:]
    expect = None
    until = None
    flags = []
    while rest[:1] in (["--expect-exit"], ["--stderr-until"], ["-L"], ["-I"]) or rest[:1] in (
            ["-O0"], ["-O1"], ["-O2"], ["-O3"]):
        if rest[0].startswith("-O"):
            flags.append(rest[0])
            rest = rest[1:]
            continue
        if rest[0] == "--expect-exit":
            expect = int(rest[1])
        elif rest[0] == "--stderr-until":
            until = rest[1].encode()
        else:
            flags += rest[:2]
        rest = rest[2:]
    if rest[:1] == ["--"]:
        rest = rest[1:]
    jit = subprocess.run([fusion, "run"] + flags + [source] + rest, capture_output=True)
    with tempfile.TemporaryDirectory() as tmp:
        exe = os.path.join(tmp, "prog")
        build = subprocess.run([fusion, "build"] + flags + [source, "-o", exe], capture_output=True)
        if build.returncode != 0:
            sys.stderr.write("run_both: `fusion build` failed (%d):\n%s" % (build.returncode, build.stderr.decode(errors="replace")))
            return 99
        # The built program sees its own path as argv[0]; give it the source path like `fusion run`.
        aot = subprocess.run([exe] + rest, capture_output=True, executable=exe)
    if until is not None:
        jit.stderr, aot.stderr = cut(jit.stderr, until), cut(aot.stderr, until)
    differ = []
    for what, a, b in [("stdout", jit.stdout, aot.stdout), ("stderr", jit.stderr, aot.stderr),
                       ("exit code", jit.returncode, aot.returncode)]:
        if a != b:
            differ.append("%s differs:\n--- fusion run:\n%r\n--- built executable:\n%r" % (what, a, b))
    if differ:
        sys.stderr.write("run_both: JIT and executable disagree\n" + "\n".join(differ) + "\n")
        return 98
    sys.stdout.write(jit.stdout.decode(errors="replace"))
    sys.stdout.flush()
    sys.stderr.write(jit.stderr.decode(errors="replace"))
    sys.stderr.flush()
    if expect is not None:
        if jit.returncode != expect:
            sys.stderr.write("run_both: exit code %d, expected %d\n" % (jit.returncode, expect))
            return 97
        return 0
    return jit.returncode


if __name__ == "__main__":
    sys.exit(main())
