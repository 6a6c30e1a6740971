#!/usr/bin/env python3
"""Checks every fenced code block of README.md and docs/*.md (tests/lit/docs/examples.test), so
that the documentation cannot drift from the compiler.

Every block's info string (the word after the opening fence) says what it is; a block without one,
or with a word not listed here, fails the test with its file:line, so a new page cannot add an
unchecked example by accident:

  fusion           a complete program. It is run by the JIT and as a built executable (run_both.py:
                   the same stdout, stderr and exit code), and must exit with 0. Its output claims
                   are checked: on a line that calls `print(`, a trailing `// TEXT` comment claims
                   that this print writes the line TEXT. TEXT ends at the first `;` or at a run of
                   two spaces, after which a remark may follow (`// 49; squares[8] is a compile
                   error`). The claims, in source order, must be lines of stdout in that order
                   (output lines without a claim, from prints without one or from C's printf, may
                   come between them). So a comment after a print is always a claim: put remarks
                   on a line of their own.
  output           the exact stdout of the `fusion` block just before it.
  fusion-norun     a complete program that is only compiled (`fusion check`), because running it
                   needs what a test machine lacks: a GPU, the CUDA runtime, a library the reader
                   builds. Its claims are not checked.
  fusion-fragment  a part of a program (statements without their declarations, a launch); listed
                   only.
  sh               shell commands, not run, except a line that is one `fusion ...` (or
                   `build/bin/fusion ...`) command whose arguments that name files all exist and
                   that writes no file (no `-o` other than `-o -`): it is run in a scratch
                   directory and must exit with 0.
  text             program output, diagnostics, listings: not checked.
  c                C declarations: not checked.

usage: doc_examples.py --fusion FUSION --tmp DIR [--root SRC] [--jobs N] [--list] [FILE.md...]
Without files: README.md and docs/*.md under --root. Prints one line per problem
(`FILE:LINE: error: ...`) and a summary; exits with 1 if there was a problem.
"""
import argparse
import concurrent.futures
import glob
import os
import re
import shlex
import subprocess
import sys

KINDS = ["fusion", "output", "fusion-norun", "fusion-fragment", "sh", "text", "c"]
RUN_BOTH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "run_both.py")


class Block:
    def __init__(self, path, line, kind, lines):
        self.path = path  # as given (relative to the root for the docs)
        self.line = line  # 1-based line of the opening fence
        self.kind = kind
        self.lines = lines
        self.output = None  # a following `output` block, for a `fusion` block

    def where(self):
        return "%s:%d" % (self.path, self.line)


def parse_blocks(path, text):
    """The fenced blocks of a Markdown file (``` or ~~~, indented or not), with their bodies
    unindented by the fence's indentation. An unclosed fence runs to the end of the file."""
    blocks = []
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        m = re.match(r"^( *)(`{3,}|~{3,})(.*)$", lines[i])
        if not m:
            i += 1
            continue
        indent, fence, info = len(m.group(1)), m.group(2), m.group(3).strip()
        body = []
        j = i + 1
        while j < len(lines) and not re.match(r"^ *%s%s*\s*$" % (re.escape(fence), re.escape(fence[0])), lines[j]):
            line = lines[j]
            body.append(line[indent:] if line[:indent].strip() == "" else line.lstrip())
            j += 1
        kind = info.split()[0] if info else ""
        blocks.append(Block(path, i + 1, kind, body))
        i = j + 1
    return blocks


def comment_start(line):
    """Where a `//` comment starts in `line` (outside string and character literals), or -1."""
    quote = None
    k = 0
    while k < len(line):
        c = line[k]
        if quote:
            if c == "\\":
                k += 1
            elif c == quote:
                quote = None
        elif c in "\"'":
            quote = c
        elif line.startswith("//", k):
            return k
        k += 1
    return -1


def claims(block):
    """(line number, text) of each output claim in a `fusion` block: the `// TEXT` ending a line
    that calls `print(`, up to a `;` or two spaces."""
    found = []
    for n, line in enumerate(block.lines):
        k = comment_start(line)
        if k < 0 or not re.search(r"(?<![\w.])print\(", line[:k]):
            continue
        text = re.split(r";|  ", line[k + 2:].strip(), maxsplit=1)[0].strip()
        if text:
            found.append((block.line + 1 + n, text))
    return found


def source_name(block):
    base = re.sub(r"[^A-Za-z0-9]", "_", os.path.splitext(block.path)[0])
    return "%s_%d.fu" % (base, block.line)


def in_docs(text, block):
    """`text` with each place in the block's source file (`NAME.fu:LINE:COL`) turned into the place
    in the Markdown file, so that diagnostics and panics point at the docs."""
    name = re.escape(source_name(block))
    return re.sub(name + r":(\d+)", lambda m: "%s:%d" % (block.path, block.line + int(m.group(1))), text)


def check_fusion(block, args):
    """Problems of a `fusion` or `fusion-norun` block (a list of messages)."""
    name = source_name(block)
    with open(os.path.join(args.tmp, name), "w") as f:
        f.write("\n".join(block.lines) + "\n")
    if block.kind == "fusion-norun":
        r = subprocess.run([args.fusion, "check", name], capture_output=True, text=True, cwd=args.tmp)
        if r.returncode != 0:
            return ["%s: error: `fusion check` failed (exit code %d):\n%s" %
                    (block.where(), r.returncode, in_docs(r.stderr, block))]
        return []
    r = subprocess.run([sys.executable, RUN_BOTH, args.fusion, name], capture_output=True, text=True, cwd=args.tmp)
    if r.returncode != 0:
        return ["%s: error: the program exited with %d (it must exit with 0):\n%s%s" %
                (block.where(), r.returncode, r.stdout, in_docs(r.stderr, block))]
    problems = []
    out = r.stdout.split("\n")
    if out and out[-1] == "":
        out.pop()
    listing = "".join("  | %s\n" % o for o in out)
    pos = 0
    for line, text in claims(block):
        k = pos
        while k < len(out) and out[k] != text:
            k += 1
        if k == len(out):
            after = " after output line %d (the previous claim's)" % pos if pos else ""
            problems.append("%s:%d: error: the example claims it prints `%s`, but that line is not in its output%s:\n%s" %
                            (block.path, line, text, after, listing))
            break
        pos = k + 1
    if block.output is not None:
        want = "\n".join(block.output.lines).rstrip("\n") + "\n"
        if r.stdout != want:
            problems.append("%s: error: the program's output differs from the `output` block at %s:\n"
                            "--- expected:\n%s--- printed:\n%s" % (block.where(), block.output.where(), want, r.stdout))
    return problems


def is_file_arg(word):
    """Whether a command-line word names a file (a path or a source, header or C file)."""
    return ("/" in word or re.search(r"\.(fu|h|c|cu)$", word)) and not word.startswith(("^", "-"))


def runnable_command(line, root):
    """The arguments (after `fusion`) of a shell line that may be run, with paths in the
    repository made absolute, or None."""
    try:
        words = shlex.split(line, comments=True)
    except ValueError:
        return None
    if not words or words[0] not in ("fusion", "build/bin/fusion"):
        return None
    if any(re.fullmatch(r"[;&|<>]+|\d?>.*|<.*", w) for w in words):
        return None  # pipes, lists of commands, redirections
    argv = []
    for k, w in enumerate(words[1:], 1):
        if words[k - 1] == "-o":
            if w != "-":
                return None  # writes a file
        elif is_file_arg(w):
            w = w if os.path.isabs(w) else os.path.join(root, w)
            if not os.path.exists(w):
                return None  # the reader's own file
        argv.append(w)
    return argv


def check_sh(block, args):
    problems = []
    for n, line in enumerate(block.lines):
        argv = runnable_command(line, args.root)
        if argv is None:
            continue
        r = subprocess.run([args.fusion] + argv, capture_output=True, text=True, cwd=args.tmp)
        if r.returncode != 0:
            problems.append("%s:%d: error: `%s` exited with %d:\n%s" %
                            (block.path, block.line + 1 + n, line.split(" #")[0].strip(), r.returncode, r.stderr))
    return problems


def check(block, args):
    if block.kind in ("fusion", "fusion-norun"):
        return check_fusion(block, args)
    if block.kind == "sh":
        return check_sh(block, args)
    return []


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--fusion", required=True)
    p.add_argument("--tmp", required=True)
    p.add_argument("--root", default=".")
    p.add_argument("--jobs", type=int, default=2)
    p.add_argument("--list", action="store_true", help="print each block's place and kind")
    p.add_argument("files", nargs="*")
    args = p.parse_args()
    args.fusion = os.path.abspath(args.fusion)
    args.root = os.path.abspath(args.root)
    os.makedirs(args.tmp, exist_ok=True)
    args.tmp = os.path.abspath(args.tmp)
    files = args.files
    if not files:
        files = ["README.md"] + sorted(os.path.relpath(f, args.root) for f in glob.glob(os.path.join(args.root, "docs", "*.md")))
    blocks = []
    for f in files:
        with open(os.path.join(args.root, f), encoding="utf-8") as fh:
            blocks += parse_blocks(f, fh.read())

    problems = []
    for k, b in enumerate(blocks):
        if b.kind not in KINDS:
            what = "a code block without an info string" if not b.kind else "an unknown kind of code block `%s`" % b.kind
            problems.append("%s: error: %s; say what it is: %s (tests/lit/doc_examples.py, docs/internals.md)" %
                            (b.where(), what, ", ".join(KINDS)))
        elif b.kind == "output":
            prev = blocks[k - 1] if k > 0 else None
            if prev is None or prev.path != b.path or prev.kind != "fusion" or prev.output is not None:
                problems.append("%s: error: an `output` block must follow a `fusion` block" % b.where())
            else:
                prev.output = b
    if args.list:
        for b in blocks:
            print("%s: %s%s" % (b.where(), b.kind or "(none)",
                                " (%d claims)" % len(claims(b)) if b.kind == "fusion" else ""))
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        for result in pool.map(lambda b: check(b, args), [b for b in blocks if b.kind in KINDS]):
            problems += result
    for msg in problems:
        print(msg.rstrip("\n"))
    counts = {}
    for b in blocks:
        counts[b.kind or "(none)"] = counts.get(b.kind or "(none)", 0) + 1
    checked = sum(len(claims(b)) for b in blocks if b.kind == "fusion")
    commands = sum(runnable_command(line, args.root) is not None for b in blocks if b.kind == "sh" for line in b.lines)
    print("doc examples: %d blocks in %d file(s) (%s); %d output claims; %d shell commands run; %d problems" %
          (len(blocks), len(files), ", ".join("%d %s" % (counts[k], k) for k in sorted(counts)), checked, commands,
           len(problems)))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
