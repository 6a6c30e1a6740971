#!/usr/bin/env python3
"""Runs the differential ABI fuzzer: generates random C signatures (gen.py), builds each
program's C library with clang, runs each Fusion program by the JIT (`fusion run`) and as a built
executable (`fusion build`), and reports every failure with the seed and signature to reproduce it.

    run.py --fusion build/bin/fusion --seed 1 --count 300
    run.py --fusion build/bin/fusion --seed 1 --only 17 --keep     # one signature, files kept
    run.py --fusion build/bin/fusion --seed 1 --only 17 --minimize # its smallest failing form
    run.py --fusion build/bin/fusion --self-test                   # a planted fault is caught

Exit code 0 when every call agreed, 1 otherwise. See README.md.
"""
from __future__ import annotations

import argparse
import concurrent.futures
import dataclasses
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import gen  # noqa: E402

CC = os.environ.get("ABI_FUZZ_CC", "clang-19")
CFLAGS = ["-O1", "-shared", "-fPIC", "-Wall", "-Werror"]
MODES = ("jit", "exe")
FAIL_LINE = re.compile(r"^abi_fuzz: FAIL sig (\d+) \[(\w+)\]")
SUMMARY_LINE = re.compile(r"^abi_fuzz: (\d+) signatures, (-?\d+) failures$", re.MULTILINE)
MAX_ISOLATED = 3  # programs whose crash or compile error is narrowed down to signatures


@dataclasses.dataclass
class Failure:
    """One FAIL line of a program."""
    sig: int
    phase: str
    line: str


@dataclasses.dataclass
class Outcome:
    """What one program did in one mode ("jit" or "exe"; "cc" when its C side did not build)."""
    chunk: gen.Chunk
    mode: str
    failures: list[Failure]
    problem: str = ""  # anything else wrong: a compile error, a crash, a missing summary

    @property
    def ok(self) -> bool:
        return not self.failures and not self.problem


def describe_exit(code: int) -> str:
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit code {code}"


def indented_tail(text: str, lines: int = 25) -> str:
    if not text.strip():
        return "    (no output)"
    return "\n".join("    " + line for line in text.rstrip("\n").split("\n")[-lines:])


class Fuzzer:
    """Writes, builds and runs programs in one work directory."""

    def __init__(self, args: argparse.Namespace, workdir: Path):
        self.fusion: Path = args.fusion
        self.seed: int = args.seed
        self.workdir = workdir
        self.jobs: int = args.jobs
        self.modes: list[str] = args.modes
        self.timeout: float = args.timeout
        # By default the JIT compiles at -O0 and the executable at -O2, so that both of LLVM's
        # instruction selectors (FastISel, SelectionDAG) see every call, and the JIT starts fast.
        self.opt = {"jit": args.jit_opt, "exe": args.exe_opt}

    def run(self, sigs: list[gen.Signature], chunk_size: int, subdir: str = "",
            modes: list[str] | None = None) -> list[Outcome]:
        """Runs `sigs` in programs of `chunk_size` signatures, in each of `modes`."""
        chunks = gen.write_chunks(sigs, self.workdir / subdir, self.seed, chunk_size)
        with concurrent.futures.ThreadPoolExecutor(self.jobs) as pool:
            errors = list(pool.map(self.build_library, chunks))
            tasks = [(chunk, mode) for chunk, error in zip(chunks, errors) if not error
                     for mode in modes or self.modes]
            outcomes = list(pool.map(lambda task: self.run_program(*task), tasks))
        return outcomes + [Outcome(chunk, "cc", [], error)
                           for chunk, error in zip(chunks, errors) if error]

    def build_library(self, chunk: gen.Chunk) -> str:
        """Compiles the program's C side; returns the error ("" on success)."""
        cmd = [CC, *CFLAGS, "-o", str(chunk.so_path), str(chunk.c_path)]
        code, out, err = self.command(cmd)
        if code == 0:
            return ""
        return f"{' '.join(cmd)} failed (a bug of gen.py):\n{indented_tail(err + out)}"

    def command(self, cmd: list[str]) -> tuple[int, str, str]:
        """Runs `cmd`; returns its exit code, stdout and stderr."""
        try:
            result = subprocess.run(cmd, capture_output=True, text=True, errors="replace",
                                    timeout=self.timeout, cwd=self.workdir)
            return result.returncode, result.stdout, result.stderr
        except subprocess.TimeoutExpired as e:
            out = e.stdout.decode(errors="replace") if isinstance(e.stdout, bytes) else ""
            return -signal.SIGKILL, out, f"timed out after {self.timeout:.0f} s"
        except OSError as e:  # e.g. the compiler being replaced by a rebuild
            return 127, "", f"cannot run {cmd[0]}: {e}"

    def run_program(self, chunk: gen.Chunk, mode: str) -> Outcome:
        source, opt = str(chunk.fu_path), f"-{self.opt[mode]}"
        if mode == "jit":
            code, out, err = self.command([str(self.fusion), "run", opt, source])
        else:
            exe = str(chunk.fu_path.with_suffix(""))
            code, out, err = self.command([str(self.fusion), "build", opt, source, "-o", exe])
            if code != 0:
                return Outcome(chunk, mode, [], f"`fusion build` failed ({describe_exit(code)}):\n"
                               + indented_tail(err + out))
            code, out, err = self.command([exe])
        return judge(chunk, mode, code, out, err)

    def failing_alone(self, sig: gen.Signature, subdir: str, modes: list[str]) -> list[Outcome]:
        """Runs `sig` alone in `modes`; returns the outcomes that went wrong."""
        return [o for o in self.run([sig], 1, subdir, modes) if not o.ok]

    def minimize(self, sig: gen.Signature) -> tuple[gen.Signature, list[Outcome]]:
        """Greedily drops the result, parameters and variadic arguments of `sig` while it still
        goes wrong alone; returns the smallest signature found and what went wrong with it."""
        base = f"minimize_{sig.index}"
        wrong = self.failing_alone(sig, f"{base}/0", self.modes)
        step = 0
        while wrong:
            for candidate in sig.reductions():
                step += 1
                found = self.failing_alone(candidate, f"{base}/{step}", self.modes)
                if found:
                    sig, wrong = candidate, found
                    break
            else:
                break  # no smaller form fails
        return sig, wrong

    def isolate(self, outcome: Outcome) -> list[int]:
        """Runs each signature of a program that crashed or did not build on its own; returns
        the signatures that go wrong alone."""
        modes = self.modes if outcome.mode == "cc" else [outcome.mode]
        subdir = f"isolate_{outcome.chunk.number}_{outcome.mode}"
        outcomes = self.run(outcome.chunk.sigs, 1, subdir, modes)
        return sorted({o.chunk.sigs[0].index for o in outcomes if not o.ok})


def judge(chunk: gen.Chunk, mode: str, code: int, out: str, err: str) -> Outcome:
    """The failures and problems in a program's exit code and output."""
    failures = [Failure(int(m.group(1)), m.group(2), line)
                for line in out.splitlines() if (m := FAIL_LINE.match(line))]
    summary = SUMMARY_LINE.search(out)
    problem = ""
    if summary is None:
        what = "did not compile" if code == 1 and "error:" in err else describe_exit(code)
        problem = f"no summary line ({what}):\n{indented_tail(err + out)}"
    elif int(summary.group(1)) != len(chunk.sigs):
        problem = f"the summary names {summary.group(1)} signatures, not {len(chunk.sigs)}"
    elif (code == 0) != (not failures and summary.group(2) == "0"):
        problem = f"{describe_exit(code)} does not agree with `{summary.group(0)}`"
    return Outcome(chunk, mode, failures, problem)


class Reporter:
    """Prints failures and how to reproduce them."""

    def __init__(self, args: argparse.Namespace, fuzzer: Fuzzer, sigs: list[gen.Signature]):
        self.args = args
        self.fuzzer = fuzzer
        self.sigs = {s.index: s for s in sigs}

    def reproduce_command(self, sig: gen.Signature) -> str:
        command = [str(Path(__file__).resolve()), "--fusion", str(self.args.fusion),
                   "--seed", str(self.args.seed)]
        if self.args.signature:
            command += ["--signature", f"'{sig.text()}'"]
        else:
            command += ["--only", str(sig.index)]
        if self.args.inject_fault == sig.index:
            command += ["--inject-fault", str(sig.index)]
        return " ".join(command + ["--keep"])

    def report(self, outcomes: list[Outcome]) -> tuple[int, list[gen.Signature]]:
        """Prints every failure and problem, then each failing signature with the command that
        reproduces it; returns the number of failures and the failing signatures."""
        bad: set[int] = set()
        count = isolated = 0
        for o in sorted(outcomes, key=lambda o: (o.chunk.number, o.mode)):
            for f in o.failures:
                print(f"{f.line}   [{o.mode}]")
                bad.add(f.sig)
            count += len(o.failures)
            if o.problem:
                count += 1
                print(f"abi_fuzz: {o.chunk.description} [{o.mode}]: {o.problem}")
                if len(o.chunk.sigs) == 1:
                    bad.add(o.chunk.sigs[0].index)
                elif isolated < MAX_ISOLATED:
                    isolated += 1
                    alone = self.fuzzer.isolate(o)
                    print("abi_fuzz:   signatures that go wrong on their own: "
                          + (", ".join(map(str, alone)) or "none (only together)"))
                    bad.update(alone)
        for k in sorted(bad):
            sig = self.sigs[k]
            print(f"\nabi_fuzz: signature {k} (seed {self.args.seed}): {sig.text()}")
            print(gen.c_declaration(sig))
            print(f"reproduce: {self.reproduce_command(sig)}")
        return count, [self.sigs[k] for k in sorted(bad)]

    def minimize(self, sigs: list[gen.Signature]) -> None:
        """Narrows each of `sigs` down to a smallest failing form, and prints it."""
        for sig in sigs:
            print(f"\nabi_fuzz: minimizing signature {sig.index}: {sig.text()}")
            small, wrong = self.fuzzer.minimize(sig)
            if not wrong:
                print("abi_fuzz:   it does not go wrong on its own (only together with others)")
                continue
            print(f"abi_fuzz:   smallest failing form: {small.text()}")
            print(gen.c_declaration(small))
            for o in wrong:
                for f in o.failures:
                    print(f"    {f.line}   [{o.mode}]")
                if o.problem:
                    print(f"    [{o.mode}] {o.problem}")
            print(f"abi_fuzz:   its program and library: {wrong[0].chunk.fu_path.parent}")
            print("abi_fuzz:   the same types with other values: "
                  f"{Path(__file__).resolve()} --fusion {self.args.fusion} --seed {self.args.seed} "
                  f"--signature '{small.text()}'")


def prepare_workdir(workdir: Path | None) -> tuple[Path, bool]:
    """The directory to work in (emptied of an earlier run's files), and whether it is a
    temporary one of ours."""
    if workdir is None:
        return Path(tempfile.mkdtemp(prefix="abi_fuzz.")), True
    workdir = workdir.resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    for old in workdir.glob("chunk_*"):
        old.unlink()
    for pattern in ("isolate_*", "minimize_*", "clean_*", "fault"):
        for old in workdir.glob(pattern):
            shutil.rmtree(old)
    return workdir, False


def fuzz(args: argparse.Namespace) -> int:
    start = time.monotonic()
    if args.signature:
        sigs = [gen.signature_from_text(text, args.seed, k)
                for k, text in enumerate(args.signature)]
    else:
        sigs = gen.generate(args.seed, args.only or range(args.count))
    if args.inject_fault is not None:
        sigs = [s.with_fault() if s.index == args.inject_fault else s for s in sigs]
    workdir, temporary = prepare_workdir(args.workdir)
    fuzzer = Fuzzer(args, workdir)
    outcomes = fuzzer.run(sigs, args.chunk_size)
    reporter = Reporter(args, fuzzer, sigs)
    failures, bad = reporter.report(outcomes)
    if bad and args.minimize:
        reporter.minimize(bad[:args.minimize])
    programs = len({o.chunk.number for o in outcomes})
    print(f"abi_fuzz: seed {args.seed}, {len(sigs)} signatures in {programs} programs "
          f"({'+'.join(args.modes)}): {failures} failures, {time.monotonic() - start:.1f} s")
    if failures or args.keep:
        print(f"abi_fuzz: files kept in {workdir}")
    elif temporary:
        shutil.rmtree(workdir)
    return 1 if failures else 0


def self_test(args: argparse.Namespace) -> int:
    """Plants a wrong expected value in one signature's C side and checks that the fuzzer reports
    exactly that: one failure in each phase that passes the argument, in every mode, and no other.
    The signature is one that passes without the fault, so that a real ABI bug elsewhere (which
    the main run reports) does not make this test fail too."""
    workdir, temporary = prepare_workdir(args.workdir)
    fuzzer = Fuzzer(args, workdir)
    candidates = sorted((s for s in gen.generate(args.seed, range(40)) if s.params),
                        key=lambda s: (s.variadic, s.index))  # callbacks too, where possible
    target = None
    for sig in candidates[:5]:
        if not fuzzer.failing_alone(sig, f"clean_{sig.index}", args.modes):
            target = sig
            break
        print(f"abi_fuzz self-test: signature {sig.index} fails even without a fault "
              "(a real failure, which the main run reports); trying another")
    if target is None:
        print("abi_fuzz self-test: FAILED: no signature passes cleanly to plant a fault in")
        print(f"abi_fuzz self-test: files kept in {workdir}")
        return 1

    outcomes = fuzzer.run([target.with_fault()], 1, "fault")
    phases = [p for p in gen.PHASES if not (target.variadic and p in gen.NOT_VARIADIC_PHASES)]
    expected = sorted((mode, target.index, phase) for mode in args.modes for phase in phases)
    found = sorted((o.mode, f.sig, f.phase) for o in outcomes for f in o.failures)
    problems = [f"[{o.mode}] {o.problem}" for o in outcomes if o.problem]
    ok = found == expected and not problems
    print(f"abi_fuzz self-test: fault planted in signature {target.index}: {target.text()}")
    for o in outcomes:
        for f in o.failures:
            print(f"  {f.line}   [{o.mode}]")
    for p in problems:
        print(f"  {p}")
    if ok:
        print(f"abi_fuzz self-test: ok, exactly the {len(expected)} expected failures reported")
    else:
        print(f"abi_fuzz self-test: FAILED: expected (mode, signature, phase) {expected}, "
              f"got {found}" + (" and the problems above" if problems else ""))
    if ok and temporary and not args.keep:
        shutil.rmtree(workdir)
    elif not ok or args.keep:
        print(f"abi_fuzz self-test: files kept in {workdir}")
    return 0 if ok else 1


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split("\n\n", 1)[1])
    parser.add_argument("--fusion", type=Path, required=True, help="the fusion compiler")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--count", type=int, default=300, help="run signatures 0..count-1")
    parser.add_argument("--only", type=gen.parse_indices, metavar="K,...",
                        help="run just these signatures (3,7,10-12) instead")
    parser.add_argument("--signature", action="append", metavar="TEXT",
                        help="run this signature instead, written as failure lines print it: "
                             "'(u32, union{[f32; 3], i8}, ... [i8]) -> {f64}' (repeatable)")
    parser.add_argument("--minimize", type=int, nargs="?", const=3, default=0, metavar="N",
                        help="narrow each of the first N (3) failing signatures down to a "
                             "smallest failing form")
    parser.add_argument("--workdir", type=Path,
                        help="where to write (default: a temporary directory)")
    parser.add_argument("--keep", action="store_true", help="keep the files of a passing run")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--chunk-size", type=int, default=gen.DEFAULT_CHUNK_SIZE,
                        help="signatures per program (default %(default)s)")
    parser.add_argument("--modes", type=lambda s: s.split(","), default=list(MODES),
                        help="jit, exe or jit,exe (default)")
    parser.add_argument("--jit-opt", default="O0", choices=["O0", "O1", "O2", "O3"],
                        help="optimization level of `fusion run` (default %(default)s)")
    parser.add_argument("--exe-opt", default="O2", choices=["O0", "O1", "O2", "O3"],
                        help="optimization level of `fusion build` (default %(default)s)")
    parser.add_argument("--timeout", type=float, default=300, help="seconds per command")
    parser.add_argument("--inject-fault", type=int, metavar="K",
                        help="plant a wrong expected value in signature K's C side")
    parser.add_argument("--self-test", action="store_true",
                        help="check that a planted fault is reported, and nothing else")
    args = parser.parse_args(argv)
    args.fusion = args.fusion.resolve()
    if not args.fusion.exists():
        parser.error(f"no compiler at {args.fusion}")
    if not args.modes or any(m not in MODES for m in args.modes):
        parser.error("--modes takes jit, exe or jit,exe")
    for text in args.signature or []:
        try:
            gen.signature_from_text(text, args.seed)
        except (ValueError, IndexError) as e:
            parser.error(f"--signature: {e}")
    return args


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    return self_test(args) if args.self_test else fuzz(args)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
