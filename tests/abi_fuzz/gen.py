#!/usr/bin/env python3
"""The generator of the differential ABI fuzzer: random C signatures and both sides of each call.

For each signature index k, a random C signature `R fz_k(params...[, ...extras])` is drawn, with
constant argument values and a constant return value. The generator writes:

  * a C file (compiled into a shared library) with the callee `fz_k`, which checks every argument
    it receives against the constants and returns the constant result, and, for signatures that
    are not variadic, the driver `fz_drive_k(cb)`, which calls a callback with the constant
    arguments and checks what it returns;
  * a Fusion program that calls `fz_k` by name through an `extern` block and through a function
    pointer, passes its own callback `cb_k` (which checks its arguments and returns the constant)
    to `fz_drive_k`, and calls `fz_k` through the libffi engine (`import "ffi"`), checking every
    result.

Every mismatch prints one line `abi_fuzz: FAIL sig K [phase] where want W got G :: signature`,
and the program ends with `abi_fuzz: N signatures, F failures` (exit code 1 when F > 0).

Generation is deterministic: signature k depends only on (seed, k), so any one signature can be
regenerated on its own (`--only K`) to reproduce a failure in a tiny program.

Usage: gen.py --seed S --count N --out DIR [--chunk-size 50] [--only K,...] [--inject-fault K]
(run.py calls this module, then builds and runs what it wrote).
"""
from __future__ import annotations

import argparse
import dataclasses
import random
import re
import struct
import sys
from decimal import Decimal
from pathlib import Path
from typing import Iterable, Iterator, Union

MAX_RECORD_SIZE = 80   # bytes: the largest struct or union generated
MAX_VARIADIC = 8       # variadic arguments of one signature
VARIADIC_SHARE = 0.15  # of the signatures
LEAF_BUDGET = 64       # scalars checked per signature (arguments and result), to bound code size
# How many fixed parameters a signature has, drawn from this list: mostly a few, up to 16.
PARAM_COUNTS = [0, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 5, 5, 6, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]
DEFAULT_CHUNK_SIZE = 50

# How each signature is called, in the order the programs run them: by name through an extern
# block, through a function pointer, by C calling a Fusion callback, through the libffi engine.
PHASES = ("direct", "pointer", "callback", "ffi")
NOT_VARIADIC_PHASES = ("pointer", "callback")  # the phases that need a Fusion `fn` type


# --- Types ----------------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Scalar:
    """A primitive C type: an integer, a float, `_Bool` or a pointer."""
    name: str           # Fusion spelling: i8, f32, bool, *void
    c: str              # C spelling
    size: int
    kind: str           # "int", "float", "bool" or "ptr"
    signed: bool = False
    ffi_kind: str = ""  # the FfiKind member; pointers use ffi_pointer(null)

    @property
    def align(self) -> int:
        return self.size


SCALARS = {s.name: s for s in [
    Scalar("i8", "int8_t", 1, "int", True, "I8"),
    Scalar("i16", "int16_t", 2, "int", True, "I16"),
    Scalar("i32", "int32_t", 4, "int", True, "I32"),
    Scalar("i64", "int64_t", 8, "int", True, "I64"),
    Scalar("u8", "uint8_t", 1, "int", False, "U8"),
    Scalar("u16", "uint16_t", 2, "int", False, "U16"),
    Scalar("u32", "uint32_t", 4, "int", False, "U32"),
    Scalar("u64", "uint64_t", 8, "int", False, "U64"),
    Scalar("f32", "float", 4, "float", ffi_kind="F32"),
    Scalar("f64", "double", 8, "float", ffi_kind="F64"),
    Scalar("bool", "_Bool", 1, "bool", ffi_kind="Bool"),
    Scalar("*void", "void *", 8, "ptr"),
    Scalar("*i32", "int32_t *", 8, "ptr"),
    Scalar("*u8", "uint8_t *", 8, "ptr"),
]}

# How often each scalar is drawn: floats often (they decide SSE classes), pointers as one group.
SCALAR_WEIGHTS = {"i8": 4, "i16": 4, "i32": 5, "i64": 5, "u8": 4, "u16": 4, "u32": 4, "u64": 4,
                  "f32": 10, "f64": 10, "bool": 3, "*void": 2, "*i32": 1, "*u8": 1}


@dataclasses.dataclass(frozen=True)
class Array:
    """A fixed array `[T; N]`, only ever a field of a struct or union."""
    elem: "Type"
    count: int

    @property
    def size(self) -> int:
        return self.elem.size * self.count

    @property
    def align(self) -> int:
        return self.elem.align


@dataclasses.dataclass(eq=False)
class Record:
    """A struct or union with fields f0, f1, ... and C layout. Named once the signature is built."""
    is_union: bool
    fields: list["Type"]
    name: str = ""

    def __post_init__(self) -> None:
        self.offsets, self.size, self.align = layout(self.fields, self.is_union)


Type = Union[Scalar, Array, Record]


def round_up(n: int, align: int) -> int:
    return (n + align - 1) // align * align


def layout(fields: list[Type], is_union: bool) -> tuple[list[int], int, int]:
    """Offsets, size and alignment of a C struct or union with these members (natural alignment)."""
    offsets, end, align = [], 0, 1
    for f in fields:
        align = max(align, f.align)
        offset = 0 if is_union else round_up(end, f.align)
        offsets.append(offset)
        end = max(end, offset + f.size)
    return offsets, round_up(end, align), align


def shape(t: Type | None) -> str:
    """Compact text of a type: `{f32, [u8; 3]}` for a struct, `union{f64, i64}` for a union."""
    if t is None:
        return "void"
    if isinstance(t, Scalar):
        return t.name
    if isinstance(t, Array):
        return f"[{shape(t.elem)}; {t.count}]"
    return ("union{" if t.is_union else "{") + ", ".join(shape(f) for f in t.fields) + "}"


def leaf_count(t: Type) -> int:
    """How many scalars a value of `t` holds (a union: its largest member)."""
    if isinstance(t, Scalar):
        return 1
    if isinstance(t, Array):
        return t.count * leaf_count(t.elem)
    counts = [leaf_count(f) for f in t.fields]
    return max(counts) if t.is_union else sum(counts)


def records_in(t: Type) -> Iterator[Record]:
    """Every record in `t`, members before the records that contain them."""
    if isinstance(t, Array):
        yield from records_in(t.elem)
    elif isinstance(t, Record):
        for f in t.fields:
            yield from records_in(f)
        yield t


_SHAPE_TOKEN = re.compile(r"\s*(union\{|->|\.\.\.|[{}\[\]();,]|\*?[a-z]\w*|\d+)")


class _ShapeParser:
    """Reads the text that shape() and Signature.text() print back into types."""

    def __init__(self, text: str):
        self.text = text
        self.tokens = _SHAPE_TOKEN.findall(text)
        if "".join(self.tokens) != re.sub(r"\s+", "", text):
            raise ValueError(f"cannot read {text!r}")
        self.pos = 0

    def peek(self) -> str:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else ""

    def take(self, expected: str | None = None) -> str:
        token = self.peek()
        if not token or (expected is not None and token != expected):
            raise ValueError(f"cannot read {self.text!r}: expected {expected or 'more'!r}, "
                             f"found {token or 'the end'!r}")
        self.pos += 1
        return token

    def end(self) -> None:
        if self.peek():
            raise ValueError(f"cannot read {self.text!r}: unexpected {self.peek()!r}")

    def type(self) -> Type:
        token = self.take()
        if token in ("{", "union{"):
            fields = [self.type()]
            while self.take() == ",":
                fields.append(self.type())
            return Record(token == "union{", fields)
        if token == "[":
            elem = self.type()
            self.take(";")
            count = int(self.take())
            self.take("]")
            return Array(elem, count)
        if token not in SCALARS:
            raise ValueError(f"cannot read {self.text!r}: unknown type {token!r}")
        return SCALARS[token]

    def signature(self) -> tuple[list[Type], list[Type], Type | None]:
        """`[name](p, ..., ... [e, ...]) -> r`: parameters, variadic extras, result."""
        if self.peek() not in ("(", ""):
            self.take()  # the function's name
        self.take("(")
        params: list[Type] = []
        extras: list[Type] = []
        while self.peek() != ")":
            if self.peek() == "...":
                self.take()
                self.take("[")
                extras.append(self.type())
                while self.take() == ",":
                    extras.append(self.type())
            else:
                params.append(self.type())
            if self.peek() != ")":
                self.take(",")
        self.take(")")
        self.take("->")
        if self.peek() == "void":
            self.take()
            ret = None
        else:
            ret = self.type()
        self.end()
        return params, extras, ret


def parse_shape(text: str) -> Type:
    """The type that `shape()` prints as `text` (records unnamed); used for the fixed shapes."""
    parser = _ShapeParser(text)
    result = parser.type()
    parser.end()
    return result


# Shapes that the x86-64 SysV classification makes interesting, drawn alongside random ones:
# single floats, SSE pairs, mixed INTEGER/SSE eightbytes, padding, arrays, unions over classes,
# exactly 16 bytes (registers) and just over it (memory), up to MAX_RECORD_SIZE.
FIXED_SHAPES = [
    "{f32}", "{f64}", "{f32, f32}", "{f32, f32, f32}", "{f32, f32, f32, f32}", "{f64, f64}",
    "{f64, f32}", "{f32, f64}", "{f32, i32}", "{i32, f32}", "{f64, i64}", "{i64, f64}",
    "{f32, f32, f64}", "{f64, f64, f64}", "{f32, {f32, f32}}", "{{f64}, {f32}}", "{[f32; 2], f64}",
    "{[f32; 3]}", "{[f32; 4]}", "{[f64; 2]}", "{i8, [f32; 3]}", "{bool, f32}", "{f32, bool, f32}",
    "{i8, i64, i8}", "{u8, {u8, f32}}", "{[u8; 3]}", "{i16, [u8; 5]}", "{u8}", "{u16, u8}",
    "{i32, i32, i32}", "{i64, i64}", "{i64, i64, i64}", "{*void, i32}", "{i16, f64}",
    "{bool, bool, bool}", "{[u8; 9]}", "{[u16; 3], f32}", "{[{f32, i8}; 2]}", "{[[u8; 3]; 3]}",
    "{u8, u8, u8, u8, u8, u8, u8, u8, u8}", "{[i64; 10]}",
    "{f64, f64, f64, f64, f64, f64, f64, f64, f64, f64}",
    "union{f64, i64}", "union{f32, u32}", "union{[f32; 3], i8}", "union{{f32, f32}, f64}",
    "union{u8, [u8; 17]}", "union{{f32, f32}, [f32; 4]}", "{union{f32, i32}, f32}",
    "{f32, union{f32, f64}}", "union{i8, bool}",
]
_FIXED_SHAPE_LEAVES = {text: leaf_count(parse_shape(text)) for text in FIXED_SHAPES}


# --- Values ---------------------------------------------------------------------------------------
#
# A value of a scalar is an int (integers and pointer addresses), a float or a bool; of an array or
# a struct, a list; of a union, a tuple (index of the member set, that member's value). Values are
# never zero (so a register left unset is noticed), floats are exact in their type and no float
# is negative zero or NaN.

def leaves(t: Type, value, path: str) -> Iterator[tuple[Scalar, object, str]]:
    """Every scalar in `value`, with its access path (`a1.f0[2]`, the same in C and Fusion)."""
    if isinstance(t, Scalar):
        yield t, value, path
    elif isinstance(t, Array):
        for i, v in enumerate(value):
            yield from leaves(t.elem, v, f"{path}[{i}]")
    elif t.is_union:
        index, v = value
        yield from leaves(t.fields[index], v, f"{path}.f{index}")
    else:
        for i, (f, v) in enumerate(zip(t.fields, value)):
            yield from leaves(f, v, f"{path}.f{i}")


def perturbed(t: Type, value):
    """`value` with its first scalar changed: the deliberate fault of the self-test."""
    if isinstance(t, Scalar):
        if t.kind == "int":
            return value ^ 1
        if t.kind == "float":
            return -value
        if t.kind == "bool":
            return not value
        return value ^ 8
    if isinstance(t, Array):
        return [perturbed(t.elem, value[0])] + value[1:]
    if t.is_union:
        index, v = value
        return index, perturbed(t.fields[index], v)
    return [perturbed(t.fields[0], value[0])] + value[1:]


def int_range(s: Scalar) -> tuple[int, int]:
    bits = 8 * s.size
    return (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if s.signed else (0, (1 << bits) - 1)


def bits_of(s: Scalar, value) -> int:
    """The 64-bit pattern the C side compares a scalar by: integers sign- or zero-extended."""
    if s.kind == "float":
        if s.size == 4:
            return struct.unpack("<I", struct.pack("<f", value))[0]
        return struct.unpack("<Q", struct.pack("<d", value))[0]
    return int(value) & (2**64 - 1)


def promoted(s: Scalar, value) -> tuple[Scalar, object]:
    """C's default argument promotion of a variadic argument: small integers and bool to int,
    float to double."""
    if s.kind == "bool" or (s.kind == "int" and s.size < 4):
        return SCALARS["i32"], int(value)
    if s.name == "f32":
        return SCALARS["f64"], value
    return s, value


def is_promotable(t: Type) -> bool:
    """Whether C's default argument promotions change `t` (float, bool, integers below int)."""
    return isinstance(t, Scalar) and promoted(t, 0)[0] is not t


# --- Signatures -----------------------------------------------------------------------------------

@dataclasses.dataclass
class Signature:
    """`ret fz_<index>(params..., ...extras)` with its constant arguments and result."""
    index: int
    params: list[Type]   # the fixed parameters
    extras: list[Scalar]  # types of the variadic arguments passed (empty: not variadic)
    ret: Type | None     # None: void
    args: list           # values of params + extras, as the Fusion side passes and checks them
    ret_value: object
    records: list[Record]  # every struct and union, in declaration order
    c_args: list | None = None  # values the C side passes and checks (differ only with a fault)

    def __post_init__(self) -> None:
        if self.c_args is None:
            self.c_args = list(self.args)

    @property
    def name(self) -> str:
        return f"fz_{self.index}"

    @property
    def variadic(self) -> bool:
        return bool(self.extras)

    @property
    def types(self) -> list[Type]:
        """Types of every argument passed: the fixed parameters, then the variadic extras."""
        return self.params + self.extras

    def text(self) -> str:
        """One-line description: `fz_7(i8, {f32, f32}, ... [u16, f32]) -> union{f64, i64}`."""
        params = ", ".join(shape(p) for p in self.params)
        if self.extras:
            params += ", ... [" + ", ".join(shape(e) for e in self.extras) + "]"
        return f"{self.name}({params}) -> {shape(self.ret)}"

    def reductions(self) -> Iterator["Signature"]:
        """Smaller signatures that keep the rest of this one's types and values, for narrowing a
        failure down: without the result, without one parameter, without one variadic extra."""
        nfixed = len(self.params)
        if self.ret is not None:
            yield self._reduced(self.params, self.extras, None, list(range(len(self.args))))
        for i in range(nfixed):
            params = self.params[:i] + self.params[i + 1:]
            if self.variadic and (not params or is_promotable(params[-1])):
                continue  # a variadic function needs a last parameter that va_start accepts
            keep = [j for j in range(len(self.args)) if j != i]
            yield self._reduced(params, self.extras, self.ret, keep)
        for i in range(len(self.extras)):
            keep = [j for j in range(len(self.args)) if j != nfixed + i]
            yield self._reduced(self.params, self.extras[:i] + self.extras[i + 1:], self.ret, keep)

    def _reduced(self, params: list[Type], extras: list[Scalar], ret: Type | None,
                 keep: list[int]) -> "Signature":
        used = {id(r) for t in params + ([ret] if ret is not None else []) for r in records_in(t)}
        return dataclasses.replace(
            self, params=params, extras=extras, ret=ret,
            ret_value=self.ret_value if ret is not None else None,
            args=[self.args[j] for j in keep], c_args=[self.c_args[j] for j in keep],
            records=[r for r in self.records if id(r) in used])

    def with_fault(self) -> "Signature":
        """This signature with the C side expecting (and passing) a wrong first argument."""
        if not self.params:
            raise ValueError(f"signature {self.index} has no parameter to inject a fault into")
        c_args = [perturbed(self.params[0], self.args[0])] + self.args[1:]
        return dataclasses.replace(self, c_args=c_args)


class _SignatureDraw:
    """The random choices behind one signature."""

    def __init__(self, rng: random.Random, index: int):
        self.rng = rng
        self.index = index
        self.budget = LEAF_BUDGET

    def from_text(self, text: str) -> Signature:
        """The signature that Signature.text() prints as `text`, with values drawn at random."""
        params, extras, ret = _ShapeParser(text).signature()
        if any(not isinstance(e, Scalar) for e in extras):
            raise ValueError(f"{text!r}: variadic arguments must be scalars")
        if extras and (not params or is_promotable(params[-1])):
            raise ValueError(f"{text!r}: a variadic function needs a last parameter that is not "
                             "promoted (va_start on it is undefined)")
        return self.signature(params, extras, ret)

    def draw(self) -> Signature:
        rng = self.rng
        variadic = rng.random() < VARIADIC_SHARE
        ret = self.result_type()
        nparams = rng.randint(1, 4) if variadic else rng.choice(PARAM_COUNTS)
        params = [self.param_type() for _ in range(nparams)]
        while variadic and is_promotable(params[-1]):
            params[-1] = self.param_type()  # va_start on a promotable parameter is undefined
        extras = [self.scalar() for _ in range(rng.randint(1, MAX_VARIADIC))] if variadic else []
        return self.signature(params, extras, ret)

    def signature(self, params: list[Type], extras: list[Scalar], ret: Type | None) -> Signature:
        """The signature of these types, with values drawn for its arguments and result."""
        args = [self.value(t) for t in params + extras]
        ret_value = self.value(ret) if ret is not None else None
        records = self.name_records(params + ([ret] if ret is not None else []))
        return Signature(self.index, params, extras, ret, args, ret_value, records)

    def name_records(self, types: list[Type]) -> list[Record]:
        """Names every record S<index>_<j> (U<index>_<j> for a union), members first; returns
        them in that order."""
        records: list[Record] = []
        for t in types:
            for r in records_in(t):
                if not r.name:
                    r.name = f"{'U' if r.is_union else 'S'}{self.index}_{len(records)}"
                    records.append(r)
        return records

    def result_type(self) -> Type | None:
        r = self.rng.random()
        if r < 0.15:
            return None
        return self.scalar() if r < 0.55 else self.aggregate()

    def param_type(self) -> Type:
        if self.budget > 4 and self.rng.random() < 0.4:
            return self.aggregate()
        self.budget -= 1
        return self.scalar()

    def scalar(self) -> Scalar:
        name = self.rng.choices(list(SCALAR_WEIGHTS), weights=list(SCALAR_WEIGHTS.values()))[0]
        return SCALARS[name]

    def aggregate(self) -> Record:
        """A top-level struct or union: a fixed interesting shape or a random one."""
        max_leaves = min(self.budget, 24)
        if self.rng.random() < 0.35:
            fits = [text for text, n in _FIXED_SHAPE_LEAVES.items() if n <= max_leaves]
            if fits:
                record = parse_shape(self.rng.choice(fits))
                self.budget -= leaf_count(record)
                return record
        record = self.record(0, max(max_leaves, 1))
        self.budget -= leaf_count(record)
        return record

    def record(self, depth: int, max_leaves: int) -> Record:
        """A random struct (or union) of at most MAX_RECORD_SIZE bytes and `max_leaves` scalars."""
        rng = self.rng
        is_union = rng.random() < 0.2
        fields: list[Type] = []
        for _ in range(rng.randint(1, 4 if is_union else 6)):
            used = sum(leaf_count(f) for f in fields) if not is_union else 0
            field = self.field_type(depth, max_leaves - used)
            if field is None:
                break
            if layout(fields + [field], is_union)[1] <= MAX_RECORD_SIZE:
                fields.append(field)
        return Record(is_union, fields or [self.scalar()])

    def field_type(self, depth: int, max_leaves: int) -> Type | None:
        if max_leaves < 1:
            return None
        r = self.rng.random()
        if r < 0.6 or depth >= 2 or max_leaves < 2:
            return self.scalar()
        if r < 0.82:
            return self.array(depth, max_leaves)
        return self.record(depth + 1, min(max_leaves, 12))

    def array(self, depth: int, max_leaves: int) -> Array:
        r = self.rng.random()
        if r < 0.75:
            elem: Type = self.scalar()
        elif r < 0.9:
            elem = self.record(depth + 1, max(max_leaves // 2, 1))
        else:
            elem = Array(self.scalar(), self.rng.randint(1, 3))
        fit = min(8, max_leaves // leaf_count(elem), MAX_RECORD_SIZE // elem.size)
        return Array(elem, self.rng.randint(1, max(fit, 1)))

    # Values.

    def value(self, t: Type):
        if isinstance(t, Scalar):
            return self.scalar_value(t)
        if isinstance(t, Array):
            return [self.value(t.elem) for _ in range(t.count)]
        if t.is_union:
            index = self.rng.randrange(len(t.fields))
            return index, self.value(t.fields[index])
        return [self.value(f) for f in t.fields]

    def scalar_value(self, s: Scalar):
        rng = self.rng
        if s.kind == "bool":
            return rng.random() < 0.6
        if s.kind == "ptr":
            return rng.randrange(0x1000, 1 << 47) & ~7
        if s.kind == "float":
            # m * 2^e with m within the type's mantissa: exact in the type, never -0.0 or NaN.
            mantissa, lo, hi = (24, -30, 10) if s.size == 4 else (53, -60, 10)
            m = rng.randrange(1, 1 << rng.randint(1, mantissa))
            return rng.choice([-1, 1]) * m * 2.0 ** rng.randint(lo, hi)
        lo, hi = int_range(s)
        r = rng.random()
        if r < 0.25:  # edges: the extremes, -1, the sign bit (to catch wrong extension)
            edges = [lo, hi, hi - 1, lo + 1, 1, -1 if s.signed else 1 << (8 * s.size - 1)]
            v = rng.choice(edges)
        elif r < 0.5:
            v = rng.randint(max(lo, -100), min(hi, 100))
        else:
            v = rng.randint(lo, hi)
        return v or 1


def generate(seed: int, indices: Iterable[int]) -> list[Signature]:
    """Signatures `indices` of `seed`; each is drawn from its own random stream, so it does not
    depend on which others are generated with it."""
    return [_SignatureDraw(random.Random(f"abi_fuzz/{seed}/{k}"), k).draw() for k in indices]


def signature_from_text(text: str, seed: int, index: int = 0) -> Signature:
    """A hand-written signature (`(u32, union{[f32; 3], i8}) -> {f64}`) with values from `seed`."""
    return _SignatureDraw(random.Random(f"abi_fuzz/{seed}/{text}"), index).from_text(text)


# --- C ------------------------------------------------------------------------------------------

def c_type(t: Type | None) -> str:
    if t is None:
        return "void"
    return t.c if isinstance(t, Scalar) else t.name


def c_declarator(t: Type | None, name: str) -> str:
    """`int16_t f1[3][2]`, `void *a0`, `S3_1 f2`, `void fz_1` (the start of a prototype)."""
    dims = ""
    while isinstance(t, Array):
        dims += f"[{t.count}]"
        t = t.elem
    c = c_type(t)
    return f"{c}{'' if c.endswith('*') else ' '}{name}{dims}"


def c_prototype(sig: Signature) -> str:
    params = [c_declarator(t, f"a{i}") for i, t in enumerate(sig.params)]
    if sig.variadic:
        params.append("...")
    return f"{c_declarator(sig.ret, sig.name)}({', '.join(params) or 'void'})"


def c_scalar(s: Scalar, value) -> str:
    if s.kind == "float":
        return value.hex() + ("f" if s.size == 4 else "")
    if s.kind == "bool":
        return "1" if value else "0"
    if s.kind == "ptr":
        return f"({s.c})0x{value:x}ULL"
    if s.signed:
        literal = "(-9223372036854775807LL - 1)" if value == -2**63 else f"{value}LL"
    else:
        literal = f"{value}ULL"
    return f"({s.c}){literal}"


def c_initializer(t: Type, value) -> str:
    if isinstance(t, Scalar):
        return c_scalar(t, value)
    if isinstance(t, Array):
        return "{" + ", ".join(c_initializer(t.elem, v) for v in value) + "}"
    if t.is_union:
        index, v = value
        return f"{{.f{index} = {c_initializer(t.fields[index], v)}}}"
    return "{" + ", ".join(f".f{i} = {c_initializer(f, v)}"
                           for i, (f, v) in enumerate(zip(t.fields, value))) + "}"


def c_value(t: Type, value) -> str:
    """An expression of type `t`: a scalar literal or a compound literal."""
    if isinstance(t, Record):
        return f"({t.name}){c_initializer(t, value)}"
    return c_initializer(t, value)


def c_bits_expr(s: Scalar, expr: str) -> str:
    """`expr` as the uint64_t that bits_of() gives for its value."""
    if s.kind == "float":
        return f"fz_f{8 * s.size}({expr})"
    if s.kind == "ptr":
        return f"(uint64_t)(uintptr_t)({expr})"
    if s.signed:
        return f"(uint64_t)(int64_t)({expr})"
    return f"(uint64_t)({expr})"


def c_checks(t: Type, value, expr: str, sig: int, where: str) -> list[str]:
    """Statements adding to `bad` one for each scalar of `expr` that differs from `value`."""
    return [f'bad += fz_check({sig}, "{where}{path[len(expr):]}", {c_bits_expr(s, path)}, '
            f'0x{bits_of(s, v):x}ULL);'
            for s, v, path in leaves(t, value, expr)]


def c_record_definition(r: Record) -> list[str]:
    kind = "union" if r.is_union else "struct"
    fields = " ".join(c_declarator(f, f"f{i}") + ";" for i, f in enumerate(r.fields))
    return [f"typedef {kind} {r.name} {{ {fields} }} {r.name};  // {shape(r)}",
            f"_Static_assert(sizeof({r.name}) == {r.size} && _Alignof({r.name}) == {r.align}, "
            f'"layout of {r.name}");']


C_PRELUDE = r"""#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static const char *fz_phase_name = "?";
static int fz_callee_failures;

// Line-buffered stdout (shared with the Fusion program's print), so that the FAIL lines printed
// before a crash are not lost in a buffer. Runs when the library is loaded, before any output.
__attribute__((constructor)) static void fz_init(void) { setvbuf(stdout, NULL, _IOLBF, 0); }

// The Fusion program names the phase (direct, callback, ffi) that the next calls belong to.
void fz_phase(const char *name) { fz_phase_name = name; }

// How many arguments the callees received wrong (each already printed).
int fz_report(void) { return fz_callee_failures; }

// The bits of a float; the helpers may go unused in a chunk.
#define FZ_HELPER static __attribute__((unused))
FZ_HELPER uint64_t fz_f32(float x) { uint32_t b; memcpy(&b, &x, sizeof b); return b; }
FZ_HELPER uint64_t fz_f64(double x) { uint64_t b; memcpy(&b, &x, sizeof b); return b; }
"""

C_CHECK = r"""
FZ_HELPER const char *fz_text(int sig) {
    for (size_t i = 0; i < sizeof fz_texts / sizeof fz_texts[0]; i++)
        if (fz_texts[i].sig == sig) return fz_texts[i].text;
    return "?";
}

// 1 (after printing a FAIL line) when a received value's bits differ from the constant.
FZ_HELPER int fz_check(int sig, const char *what, uint64_t got, uint64_t want) {
    if (got == want) return 0;
    printf("abi_fuzz: FAIL sig %d [%s] %s want 0x%llx got 0x%llx :: %s\n", sig, fz_phase_name,
           what, (unsigned long long)want, (unsigned long long)got, fz_text(sig));
    return 1;
}
"""


def c_callee(sig: Signature) -> list[str]:
    """fz_k: checks every argument it receives against the constants, returns the result."""
    k = sig.index
    lines = [c_prototype(sig) + " {", "    int bad = 0;"]
    for i, t in enumerate(sig.params):
        lines += ["    " + s for s in c_checks(t, sig.c_args[i], f"a{i}", k, f"C callee arg a{i}")]
    if sig.variadic:
        lines += ["    va_list ap;", f"    va_start(ap, a{len(sig.params) - 1});"]
        for i, s in enumerate(sig.extras, start=len(sig.params)):
            promoted_type, value = promoted(s, sig.c_args[i])
            read = f"va_arg(ap, {promoted_type.c})"
            lines.append(f'    bad += fz_check({k}, "C callee vararg a{i} ({s.name})", '
                         f"{c_bits_expr(promoted_type, read)}, "
                         f"0x{bits_of(promoted_type, value):x}ULL);")
        lines.append("    va_end(ap);")
    lines.append("    fz_callee_failures += bad;")
    if sig.ret is not None:
        lines.append(f"    return {c_value(sig.ret, sig.ret_value)};")
    lines.append("}")
    return lines


def c_driver(sig: Signature) -> list[str]:
    """fz_drive_k(cb): calls cb with the constants; returns how many result scalars were wrong."""
    k = sig.index
    cb_params = ", ".join(c_type(t) for t in sig.params) or "void"
    args = ", ".join(c_value(t, v) for t, v in zip(sig.params, sig.c_args))
    lines = [f"int fz_drive_{k}({c_declarator(sig.ret, '(*cb)')}({cb_params})) {{",
             "    int bad = 0;"]
    if sig.ret is None:
        lines.append(f"    cb({args});")
    else:
        lines.append(f"    {c_declarator(sig.ret, 'r')} = cb({args});")
        lines += ["    " + s for s in c_checks(sig.ret, sig.ret_value, "r", k, "C driver return")]
    lines += ["    return bad;", "}"]
    return lines


def c_source(sigs: list[Signature], header: str) -> str:
    lines = [f"// {header}", C_PRELUDE]
    texts = [f'    {{{sig.index}, "{sig.text()}"}},' for sig in sigs]
    lines += ["// Each signature's text, for the FAIL lines.",
              "static const struct { int sig; const char *text; } fz_texts[] = {", *texts, "};",
              C_CHECK]
    for sig in sigs:
        lines.append(f"// signature {sig.index}: {sig.text()}")
        for r in sig.records:
            lines += c_record_definition(r)
        lines += c_callee(sig)
        if not sig.variadic:
            lines += c_driver(sig)
        lines.append("")
    return "\n".join(lines)


def c_declaration(sig: Signature) -> str:
    """The C text of one signature: its typedefs and prototype (for failure reports)."""
    lines = [c_record_definition(r)[0] for r in sig.records]
    lines.append(c_prototype(sig) + ";")
    if sig.variadic:
        lines.append("// variadic arguments passed: "
                     + ", ".join(c_type(e) for e in sig.extras))
    return "\n".join(lines)


# --- Fusion ---------------------------------------------------------------------------------------

def fu_float(value: float) -> str:
    """The exact decimal expansion of a binary float: any correct parser reads it back exactly."""
    text = format(Decimal(value), "f")
    return text if "." in text else text + ".0"


def fu_scalar(s: Scalar, value) -> str:
    if s.kind == "float":
        return fu_float(value)
    if s.kind == "bool":
        return "true" if value else "false"
    if s.kind == "ptr":
        return f"(0x{value:x} as usize) as {s.name}"
    return str(value)


def fu_value(t: Type, value) -> str:
    if isinstance(t, Scalar):
        return fu_scalar(t, value)
    if isinstance(t, Array):
        return "[" + ", ".join(fu_value(t.elem, v) for v in value) + "]"
    if t.is_union:
        index, v = value
        return f"{t.name} {{ f{index}: {fu_value(t.fields[index], v)} }}"
    return t.name + " { " + ", ".join(f"f{i}: {fu_value(f, v)}"
                                      for i, (f, v) in enumerate(zip(t.fields, value))) + " }"


def fu_type(t: Type) -> str:
    if isinstance(t, Scalar):
        return t.name
    if isinstance(t, Array):
        return f"[{fu_type(t.elem)}; {t.count}]"
    return t.name


def fu_fn_type(sig: Signature) -> str:
    params = ", ".join(fu_type(t) for t in sig.params)
    return f"fn({params})" + (f" -> {fu_type(sig.ret)}" if sig.ret is not None else "")


def fu_reporter(s: Scalar, expr: str) -> tuple[str, str]:
    """The FU_PRELUDE function that reports a wrong scalar of type `s`, and `expr` converted to
    the type of its `got` parameter."""
    if s.kind == "int":
        return ("fail_i", f"{expr} as i64") if s.signed else ("fail_u", f"{expr} as u64")
    if s.kind == "float":
        return "fail_f", f"{expr} as f64"
    if s.kind == "bool":
        return "fail_b", expr
    return "fail_p", f"{expr} as *void"


def fu_checks(t: Type, value, expr: str, sig: int, where: str) -> list[str]:
    """Statements that report each scalar of `expr` that differs from `value`."""
    lines = []
    for s, v, path in leaves(t, value, expr):
        want = fu_scalar(s, v)
        shown = f"0x{v:x}" if s.kind == "ptr" else want
        report, got = fu_reporter(s, path)
        what = f"{where}{path[len(expr):]} want {shown}"
        lines.append(f'if {path} != {want} {{ {report}({sig}, "{what}", {got}) }}')
    return lines


def fu_record_declaration(r: Record) -> str:
    kind = "union" if r.is_union else "struct"
    fields = ", ".join(f"f{i}: {fu_type(f)}" for i, f in enumerate(r.fields))
    return f"@layout(size: {r.size}, align: {r.align}) {kind} {r.name} {{ {fields} }}"


def fu_ffi_type(t: Type | None) -> str:
    """An expression giving the FfiType descriptor of `t`."""
    if t is None:
        return "ffi_prim(FfiKind.Void)"
    if isinstance(t, Scalar):
        return "ffi_pointer(null)" if t.kind == "ptr" else f"ffi_prim(FfiKind.{t.ffi_kind})"
    if isinstance(t, Array):
        return f"ffi_array({fu_ffi_type(t.elem)}, {t.count})"
    return f"fzt_{t.name}()"


def fu_ffi_builder(r: Record, sig: int) -> list[str]:
    """fzt_<name>(): the record's descriptor, checked against the layout C gives it."""
    n = len(r.fields)
    members = ", ".join(fu_ffi_type(f) for f in r.fields)
    make = "ffi_union" if r.is_union else "ffi_struct"
    return [
        f"fn fzt_{r.name}() -> *FfiType {{",
        f"    var members: [*FfiType; {n}] = [{members}]",
        f"    var t: *FfiType = null",
        f"    unsafe {{ t = {make}(&members[0], {n}) }}",
        f'    if t == null {{ fail({sig}, "[ffi] {make} for {r.name} failed"); '
        f"print(ffi_last_error()) }}",
        f"    if ffi_sizeof(t) != {r.size} || ffi_alignof(t) != {r.align} {{",
        f'        fail({sig}, "[ffi] descriptor of {r.name} is not {r.size} bytes aligned to '
        f'{r.align}")',
        "    }",
        f"    return t",
        "}",
    ]


FU_PRELUDE = """\
static failures: i64 = 0

fn fail(k: i64, what: cstring) {
    failures += 1
    print("abi_fuzz: FAIL sig", k, what, "::", sig_text(k))
}
fn fail_i(k: i64, what: cstring, got: i64) {
    failures += 1
    print("abi_fuzz: FAIL sig", k, what, "got", got, "::", sig_text(k))
}
fn fail_u(k: i64, what: cstring, got: u64) {
    failures += 1
    print("abi_fuzz: FAIL sig", k, what, "got", got, "::", sig_text(k))
}
fn fail_f(k: i64, what: cstring, got: f64) {
    failures += 1
    print("abi_fuzz: FAIL sig", k, what, "got", got, "::", sig_text(k))
}
fn fail_b(k: i64, what: cstring, got: bool) {
    failures += 1
    print("abi_fuzz: FAIL sig", k, what, "got", got, "::", sig_text(k))
}
fn fail_p(k: i64, what: cstring, got: *void) {
    failures += 1
    print("abi_fuzz: FAIL sig", k, what, "got", got, "::", sig_text(k))
}
"""


def fu_call(sig: Signature, phase: str, library: str) -> list[str]:
    """direct_k() calls fz_k by name, through the extern block; pointer_k() calls it through a
    function pointer (the symbol's address cast to a `fn` type). Both check the result."""
    k = sig.index
    lines = [f"fn {phase}_{k}() {{"]
    args = [fu_value(t, v) for t, v in zip(sig.params, sig.args)]
    for i, s in enumerate(sig.extras, start=len(sig.params)):
        # A variadic argument takes no type from its context: give each its declared type.
        lines.append(f"    let a{i}: {s.name} = {fu_scalar(s, sig.args[i])}")
        args.append(f"a{i}")
    if phase == "direct":
        call = f"{sig.name}({', '.join(args)})"
    else:
        lines.append(f'    let f = ffi_lookup("{library}", "{sig.name}") as {fu_fn_type(sig)}')
        call = f"f({', '.join(args)})"
    if sig.ret is None:
        lines.append(f"    unsafe {{ {call} }}" if phase == "pointer" else f"    {call}")
    else:
        lines.append(f"    var r: {fu_type(sig.ret)}")
        lines.append(f"    unsafe {{ r = {call} }}" if phase == "pointer" else f"    r = {call}")
        checks = fu_checks(sig.ret, sig.ret_value, "r", k, f"[{phase}] return")
        lines += ["    " + check for check in checks]
    lines.append("}")
    return lines


def fu_callback(sig: Signature) -> list[str]:
    """cb_k, a Fusion function that C calls, and callback_k(), which hands it to fz_drive_k."""
    k = sig.index
    params = ", ".join(f"a{i}: {fu_type(t)}" for i, t in enumerate(sig.params))
    ret = f" -> {fu_type(sig.ret)}" if sig.ret is not None else ""
    lines = [f"fn cb_{k}({params}){ret} {{"]
    for i, t in enumerate(sig.params):
        lines += ["    " + s for s in fu_checks(t, sig.args[i], f"a{i}", k, f"[callback] arg a{i}")]
    if sig.ret is not None:
        lines.append(f"    return {fu_value(sig.ret, sig.ret_value)}")
    lines += ["}",
              f"fn callback_{k}() {{",
              f"    failures += fz_drive_{k}(cb_{k}) as i64",
              "}"]
    return lines


def fu_ffi(sig: Signature, library: str) -> list[str]:
    """ffi_k(): calls fz_k through the libffi engine and checks the result."""
    k = sig.index
    n, nfixed = len(sig.types), len(sig.params)
    lines = [f"fn ffi_{k}() {{",
             f'    let f = ffi_lookup("{library}", "{sig.name}")',
             f'    if f == null {{ fail({k}, "[ffi] ffi_lookup failed"); print(ffi_dl_error()); '
             "return }"]
    if n:
        types = ", ".join(fu_ffi_type(t) for t in sig.types)
        lines.append(f"    var types: [*FfiType; {n}] = [{types}]")
        for i, (t, v) in enumerate(zip(sig.types, sig.args)):
            lines.append(f"    var a{i}: {fu_type(t)} = {fu_value(t, v)}")
        pointers = ", ".join(f"&a{i} as *void" for i in range(n))
        lines.append(f"    var args: [*void; {n}] = [{pointers}]")
    types_ptr, args_ptr = ("&types[0]", "&args[0]") if n else ("null", "null")
    if sig.variadic:
        make = f"ffi_sig_variadic({fu_ffi_type(sig.ret)}, {types_ptr}, {nfixed}, {n})"
    else:
        make = f"ffi_sig({fu_ffi_type(sig.ret)}, {types_ptr}, {n})"
    if sig.ret is not None:
        lines.append(f"    var r: {fu_type(sig.ret)}")
    ret_ptr = "&r as *void" if sig.ret is not None else "null"
    lines += [
        "    unsafe {",
        f"        let sig = {make}",
        f'        if sig == null {{ fail({k}, "[ffi] building the signature failed"); '
        f"print(ffi_last_error()); return }}",
        f"        if ffi_call(sig, f, {args_ptr}, {n}, {ret_ptr}) != FfiStatus.Ok {{",
        f'            fail({k}, "[ffi] ffi_call failed"); print(ffi_last_error()); return',
        "        }",
        "    }",
    ]
    if sig.ret is not None:
        lines += ["    " + s for s in fu_checks(sig.ret, sig.ret_value, "r", k, "[ffi] return")]
    lines.append("}")
    return lines


def fu_source(sigs: list[Signature], library: str, header: str) -> str:
    lines = [f"// {header}", 'import "ffi"', ""]
    lines.append(f'extern "{library}" {{')
    lines += ["    safe fn fz_phase(name: cstring);", "    safe fn fz_report() -> i32;"]
    for sig in sigs:
        params = [f"a{i}: {fu_type(t)}" for i, t in enumerate(sig.params)]
        if sig.variadic:
            params.append("...")
        ret = f" -> {fu_type(sig.ret)}" if sig.ret is not None else ""
        lines.append(f"    safe fn {sig.name}({', '.join(params)}){ret};")
        if not sig.variadic:
            lines.append(f"    safe fn fz_drive_{sig.index}(cb: {fu_fn_type(sig)}) -> i32;")
    lines += ["}", ""]
    for sig in sigs:
        lines += [fu_record_declaration(r) for r in sig.records]
    lines += ["", "fn sig_text(k: i64) -> cstring {"]
    lines += [f'    if k == {sig.index} {{ return "{sig.text()}" }}' for sig in sigs]
    lines += ['    return "?"', "}", "", FU_PRELUDE]
    for sig in sigs:
        lines.append(f"// signature {sig.index}: {sig.text()}")
        for r in sig.records:
            lines += fu_ffi_builder(r, sig.index)
        lines += fu_call(sig, "direct", library)
        if not sig.variadic:  # Fusion has neither variadic functions nor variadic `fn` types
            lines += fu_call(sig, "pointer", library)
            lines += fu_callback(sig)
        lines += fu_ffi(sig, library)
        lines.append("")
    lines.append("fn main() -> i32 {")
    for phase in PHASES:
        lines.append(f'    fz_phase("{phase}")')
        lines += [f"    {phase}_{sig.index}()" for sig in sigs
                  if not (sig.variadic and phase in NOT_VARIADIC_PHASES)]
    lines += ["    let total = failures + fz_report() as i64",
              f'    print("abi_fuzz:", {len(sigs)}, "signatures,", total, "failures")',
              "    if total != 0 { return 1 }",
              "    return 0",
              "}"]
    return "\n".join(lines) + "\n"


# --- Programs -------------------------------------------------------------------------------------

@dataclasses.dataclass
class Chunk:
    """One C library and the Fusion program that exercises it."""
    number: int
    sigs: list[Signature]
    c_path: Path
    so_path: Path
    fu_path: Path

    @property
    def description(self) -> str:
        first, last = self.sigs[0].index, self.sigs[-1].index
        return f"chunk {self.number} (signatures {first}..{last})"


def write_chunks(sigs: list[Signature], out: Path, seed: int,
                 chunk_size: int = DEFAULT_CHUNK_SIZE) -> list[Chunk]:
    """Writes chunk_NNN.c and chunk_NNN.fu for each run of `chunk_size` signatures, plus
    signatures.txt (the C declaration of every signature); returns the chunks."""
    out = out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    chunks = []
    for number, start in enumerate(range(0, len(sigs), chunk_size)):
        part = sigs[start:start + chunk_size]
        stem = out / f"chunk_{number:03d}"
        chunk = Chunk(number, part, stem.with_suffix(".c"), stem.with_suffix(".so"),
                      stem.with_suffix(".fu"))
        header = (f"Generated by tests/abi_fuzz/gen.py, seed {seed}, signatures "
                  f"{part[0].index}..{part[-1].index}. Do not edit.")
        chunk.c_path.write_text(c_source(part, header))
        chunk.fu_path.write_text(fu_source(part, str(chunk.so_path), header))
        chunks.append(chunk)
    with open(out / "signatures.txt", "w") as f:
        for sig in sigs:
            f.write(f"// signature {sig.index} (seed {seed}): {sig.text()}\n")
            f.write(f"{c_declaration(sig)}\n\n")
    return chunks


def parse_indices(text: str) -> list[int]:
    """`3,7,10-12` -> [3, 7, 10, 11, 12]."""
    indices = []
    for part in text.split(","):
        lo, _, hi = part.partition("-")
        indices += range(int(lo), int(hi or lo) + 1)
    return indices


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--count", type=int, default=300, help="signatures 0..count-1")
    parser.add_argument("--only", type=parse_indices, help="just these signatures: 3,7,10-12")
    parser.add_argument("--out", type=Path, required=True, help="directory for the files")
    parser.add_argument("--chunk-size", type=int, default=DEFAULT_CHUNK_SIZE)
    parser.add_argument("--inject-fault", type=int, metavar="K",
                        help="make the C side of signature K expect a wrong first argument")
    args = parser.parse_args(argv)
    sigs = generate(args.seed, args.only or range(args.count))
    if args.inject_fault is not None:
        sigs = [s.with_fault() if s.index == args.inject_fault else s for s in sigs]
    for chunk in write_chunks(sigs, args.out, args.seed, args.chunk_size):
        print(chunk.c_path, chunk.fu_path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
