#!/usr/bin/env python3
"""Runs a Fusion program twice, by the JIT (`fusion run`) and as a built executable
(`fusion build`), and fails unless both give the same stdout, stderr and exit code.
Then prints that stdout and stderr (to its own stdout and stderr) and exits with that code, so
FileCheck and `not` can check it.

usage: run_both.py FUSION [--double LIB] FILE.fu [--expect-exit N] [--stderr-until PREFIX] [--stdin FILE]
                   [-L DIR]... [-I DIR]... [-O0..-O3] [-g] [--gpu-arch SM] [-- ARGS...]
(-L and -I directories, -O levels, -g and --gpu-arch go to both `fusion run` and `fusion build`.)
--stderr-until PREFIX compares and prints stderr only up to the first line that starts with
PREFIX (that line included), for crash reports whose later lines may differ between the JIT and
the executable.
--stdin FILE gives each run FILE's bytes as its standard input (else it reads nothing).
--double LIB runs the built executable a third time on the CUDA device, with LIB (the CUDA
driver's test double, tests/cuda_double) as the driver, and fails unless that run gives the same
output and exit code too (%run_gpu in lit).
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
    fusion = sys.argv[1]
    double = None
    if sys.argv[2:3] == ["--double"]:
        double = sys.argv[3]
        del sys.argv[2:4]
    source = sys.argv[2]
    rest = sys.argv[3:]
    expect = None
    until = None
    flags = []
    stdin = b""
    while rest[:1] in (["--expect-exit"], ["--stderr-until"], ["--stdin"], ["-L"], ["-I"], ["--gpu-arch"], ["-O0"], ["-O1"],
                       ["-O2"], ["-O3"], ["-g"]):
        if rest[0] == "--expect-exit":
            expect = int(rest[1])
        elif rest[0] == "--stderr-until":
            until = rest[1].encode()
        elif rest[0] == "--stdin":
            with open(rest[1], "rb") as f:
                stdin = f.read()
        elif rest[0] in ("-L", "-I", "--gpu-arch"):
            flags += rest[:2]
        else:
            flags += rest[:1]
            rest = rest[1:]
            continue
        rest = rest[2:]
    if rest[:1] == ["--"]:
        rest = rest[1:]
    jit = subprocess.run([fusion, "run"] + flags + [source] + rest, capture_output=True, input=stdin)
    with tempfile.TemporaryDirectory() as tmp:
        exe = os.path.join(tmp, "prog")
        build = subprocess.run([fusion, "build"] + flags + [source, "-o", exe], capture_output=True)
        if build.returncode != 0:
            sys.stderr.write("run_both: `fusion build` failed (%d):\n%s" % (build.returncode, build.stderr.decode(errors="replace")))
            return 99
        # The built program sees its own path as argv[0]; give it the source path like `fusion run`.
        aot = subprocess.run([exe] + rest, capture_output=True, executable=exe, input=stdin)
        on_double = None
        if double is not None:
            if not os.path.exists(double):
                sys.stderr.write("run_both: the CUDA driver's test double %s is not built\n" % double)
                return 99
            env = dict(os.environ, FUSION_DEVICE="cuda", FUSION_CUDA_DRIVER=double)
            on_double = subprocess.run([exe] + rest, capture_output=True, executable=exe, env=env, input=stdin)
    if until is not None:
        jit.stderr, aot.stderr = cut(jit.stderr, until), cut(aot.stderr, until)
        if on_double is not None:
            on_double.stderr = cut(on_double.stderr, until)
    pairs = [("fusion run", jit, "built executable", aot)]
    if on_double is not None:
        pairs.append(("built executable", aot, "built executable on the CUDA test double", on_double))
    for name_a, run_a, name_b, run_b in pairs:
        differ = []
        for what, a, b in [("stdout", run_a.stdout, run_b.stdout), ("stderr", run_a.stderr, run_b.stderr),
                           ("exit code", run_a.returncode, run_b.returncode)]:
            if a != b:
                differ.append("%s differs:\n--- %s:\n%r\n--- %s:\n%r" % (what, name_a, a, name_b, b))
        if differ:
            sys.stderr.write("run_both: %s and %s disagree\n" % (name_a, name_b) + "\n".join(differ) + "\n")
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
