#!/usr/bin/env python3
"""The chains of chain.fu in NumPy (eager: one pass per operation) and numexpr (fused, blocked,
multithreaded), on the same data sizes. Prints `name ms checksum` lines (best of RUNS)."""
import os
import time

import numexpr as ne
import numpy as np

RUNS = int(os.environ.get("RUNS", "5"))
ne.set_num_threads(os.cpu_count())
rng = np.random.default_rng(7)
x = (rng.random(1 << 24, dtype=np.float32) * 4.0 - 2.0).astype(np.float32)
m = (rng.random((4096, 4096), dtype=np.float32) * 8.0).astype(np.float32)
f32 = np.float32


def chain10_numpy(x):
    a = x * f32(1.5)
    b = a + f32(0.25)
    c = b * b
    d = c - x
    e = d / f32(3.0)
    f = np.fmax(e, x)
    g = f * f32(0.5)
    h = g + f32(1.0)
    i = h * h
    return i - f32(0.125)


def chain10_numexpr(x):
    return ne.evaluate("(((where((((x*1.5+0.25)**2-x)/3.0)>x, (((x*1.5+0.25)**2-x)/3.0), x))*0.5+1.0)**2)-0.125")


def gelu_numpy(x):
    inner = f32(0.7978845608) * (x + f32(0.044715) * x * x * x)
    return f32(0.5) * x * (f32(1.0) + np.tanh(inner))


def gelu_numexpr(x):
    return ne.evaluate("0.5 * x * (1.0 + tanh(0.7978845608 * (x + 0.044715 * x * x * x)))")


def softmax_numpy(x):
    e = np.exp(x - x.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def softmax_numexpr(x):
    mx = x.max(axis=1, keepdims=True)
    e = ne.evaluate("exp(x - mx)")
    s = e.sum(axis=1, keepdims=True)
    return ne.evaluate("e / s")


for name, fn, arg in [("chain10_numpy", chain10_numpy, x), ("chain10_numexpr", chain10_numexpr, x),
                      ("gelu_numpy", gelu_numpy, x), ("gelu_numexpr", gelu_numexpr, x),
                      ("softmax_numpy", softmax_numpy, m), ("softmax_numexpr", softmax_numexpr, m)]:
    best = float("inf")
    for _ in range(RUNS):
        t0 = time.perf_counter()
        y = fn(arg)
        best = min(best, (time.perf_counter() - t0) * 1000.0)
    print(name, best, float(y.astype(np.float64).sum()))
