#!/usr/bin/env python3
"""The chains of chain.fu on a GPU, for the GPU bundle's suite (issue 15): CuPy eager and
`cupy.fuse`, PyTorch eager and `torch.compile`, on the same sizes (10 elementwise operations and
GELU on 2^24 f32, softmax over the rows of a 4096 x 4096 f32 matrix), and the bandwidth of a
device-to-device copy of 2^24 f32, which the suite divides the fused chain's bandwidth by.

Prints, as it goes:
  NAME MS CHECKSUM   a case: the best of RUNS timed runs, each REPS calls back to back then a
                     synchronisation, divided by REPS (warm-up calls, compilation included, are
                     not timed); names as chain.fu's with _cupy, _cupy_fuse, _torch, _torch_compile
                     (and softmax_torch_native: torch.softmax); the checksum is the f64 sum of the
                     result (the data is not chain.fu's: the generators differ)
  copy_LIB MS GBPS   a device-to-device copy of 2^24 f32 (bytes read + written over the time)
  SKIP: WHAT: WHY    what could not run (no cupy, no torch, no GPU, a compile that failed)
  # ...              notes (versions, the device, which cupy.fuse form of softmax ran)
Exits 0 whatever is missing: a missing library is a SKIP line, not a failure.

usage: RUNS=10 REPS=20 python3 gpu_ref.py [cupy|torch]...   (default: both)
"""
import math
import os
import sys
import time

RUNS = int(os.environ.get("RUNS", "5"))
REPS = int(os.environ.get("REPS", "1"))
N = 1 << 24
ROWS = COLS = 4096


def say(*parts):
    print(*parts, flush=True)


def skip(what, why):
    say("SKIP: %s: %s" % (what, " ".join(str(why).split())[:200]))


def best_ms(fn, arg, sync, warmup=3):
    """The best time of one call in ms (RUNS runs of REPS calls), and the last result."""
    for _ in range(warmup):
        y = fn(arg)
    sync()
    best = math.inf
    for _ in range(RUNS):
        sync()
        t0 = time.perf_counter()
        for _ in range(REPS):
            y = fn(arg)
        sync()
        best = min(best, (time.perf_counter() - t0) * 1000.0 / REPS)
    return best, y


def run_case(name, fn, arg, sync, checksum):
    try:
        ms, y = best_ms(fn, arg, sync)
    except Exception as e:  # a compile or launch that fails is reported, and the rest goes on
        skip(name, "%s: %s" % (type(e).__name__, e))
        return None
    say(name, ms, checksum(y))
    return y


def copy_line(name, fn, arg, sync):
    try:
        ms, _ = best_ms(fn, arg, sync)
    except Exception as e:
        skip(name, "%s: %s" % (type(e).__name__, e))
        return
    say(name, ms, 2.0 * N * 4 / (ms / 1000.0) / 1e9)


# --- CuPy -------------------------------------------------------------------------------------

def run_cupy():
    try:
        import cupy as cp
    except Exception as e:
        skip("cupy", "not installed (%s: %s)" % (type(e).__name__, e))
        return
    try:
        count = cp.cuda.runtime.getDeviceCount()
        if count == 0:
            raise RuntimeError("no device")
        props = cp.cuda.runtime.getDeviceProperties(0)
        say("# cupy %s on %s" % (cp.__version__, props["name"].decode(errors="replace")))
    except Exception as e:
        skip("cupy", "no CUDA device (%s: %s)" % (type(e).__name__, e))
        return
    sync = cp.cuda.get_current_stream().synchronize
    f32 = cp.float32
    rng = cp.random.default_rng(7)
    x = (rng.random(N, dtype=f32) * 4.0 - 2.0).astype(f32)
    m = (cp.random.default_rng(11).random((ROWS, COLS), dtype=f32) * 8.0).astype(f32)
    checksum = lambda y: float(y.astype(cp.float64).sum())

    def copy(a):
        b = cp.empty_like(a)
        b.data.copy_from_device_async(a.data, a.nbytes)  # cudaMemcpyAsync, device to device
        return b

    copy_line("copy_cupy", copy, x, sync)

    def chain10(x):
        a = x * 1.5
        b = a + 0.25
        c = b * b
        d = c - x
        e = d / 3.0
        f = cp.fmax(e, x)
        g = f * 0.5
        h = g + 1.0
        i = h * h
        return i - 0.125

    def gelu(x):
        inner = 0.7978845608 * (x + 0.044715 * x * x * x)
        return 0.5 * x * (1.0 + cp.tanh(inner))

    def softmax(x):
        mx = x.max(axis=1, keepdims=True)
        e = cp.exp(x - mx)
        s = e.sum(axis=1, keepdims=True)
        return e / s

    run_case("chain10_cupy", chain10, x, sync, checksum)
    run_case("gelu_cupy", gelu, x, sync, checksum)
    run_case("softmax_cupy", softmax, m, sync, checksum)

    # cupy.fuse: the elementwise chains whole; softmax as the row max (eager), then exp and the
    # row sum fused (a fused reduction), then exp again and the divide fused: what cupy.fuse can
    # take of it. If this CuPy cannot fuse a reduction over an axis, the exponentials are stored
    # (exp fused, sum eager, divide fused), as Fusion's plan does.
    try:
        chain10_fuse = cp.fuse(chain10)
        gelu_fuse = cp.fuse(gelu)
    except Exception as e:
        skip("cupy.fuse", "%s: %s" % (type(e).__name__, e))
        return
    for name, fn, arg in [("chain10_cupy_fuse", chain10_fuse, x), ("gelu_cupy_fuse", gelu_fuse, x)]:
        y = run_case(name, fn, arg, sync, checksum)
        if y is not None and y.dtype != f32:
            say("# note: %s gave %s elements, not float32" % (name, y.dtype))

    exp_sum = cp.fuse(lambda x, mx: cp.sum(cp.exp(x - mx), axis=1, keepdims=True))
    exp_div = cp.fuse(lambda x, mx, s: cp.exp(x - mx) / s)
    exp_sub = cp.fuse(lambda x, mx: cp.exp(x - mx))
    div = cp.fuse(lambda e, s: e / s)

    def softmax_fuse_recompute(x):
        mx = x.max(axis=1, keepdims=True)
        return exp_div(x, mx, exp_sum(x, mx))

    def softmax_fuse_stored(x):
        mx = x.max(axis=1, keepdims=True)
        e = exp_sub(x, mx)
        return div(e, e.sum(axis=1, keepdims=True))

    try:
        want = softmax(m[:8])
        got = softmax_fuse_recompute(m[:8])
        sync()
        if got.shape != want.shape or float(cp.absolute(got - want).max()) > 1e-6:
            raise ValueError("differs from eager softmax")
        say("# softmax_cupy_fuse: row max eager, exp+sum fused, exp+divide fused (3 kernels)")
        fn = softmax_fuse_recompute
    except Exception as e:
        say("# softmax_cupy_fuse: a fused reduction over an axis failed (%s); row max and sum "
            "eager, exp fused, divide fused (4 kernels)" % type(e).__name__)
        fn = softmax_fuse_stored
    run_case("softmax_cupy_fuse", fn, m, sync, checksum)


# --- PyTorch ----------------------------------------------------------------------------------

def run_torch():
    try:
        import torch
    except Exception as e:
        skip("torch", "not installed (%s: %s)" % (type(e).__name__, e))
        return
    if not torch.cuda.is_available():
        skip("torch", "torch %s sees no CUDA device" % torch.__version__)
        return
    say("# torch %s on %s" % (torch.__version__, torch.cuda.get_device_name(0)))
    dev = torch.device("cuda")
    sync = torch.cuda.synchronize
    gen = torch.Generator(device=dev)
    gen.manual_seed(7)
    x = torch.rand(N, generator=gen, device=dev, dtype=torch.float32) * 4.0 - 2.0
    gen.manual_seed(11)
    m = torch.rand(ROWS, COLS, generator=gen, device=dev, dtype=torch.float32) * 8.0
    checksum = lambda y: float(y.double().sum())

    copy_line("copy_torch", lambda a: a.clone(), x, sync)

    def chain10(x):
        a = x * 1.5
        b = a + 0.25
        c = b * b
        d = c - x
        e = d / 3.0
        f = torch.fmax(e, x)
        g = f * 0.5
        h = g + 1.0
        i = h * h
        return i - 0.125

    def gelu(x):
        inner = 0.7978845608 * (x + 0.044715 * x * x * x)
        return 0.5 * x * (1.0 + torch.tanh(inner))

    def softmax(x):
        mx = x.amax(dim=1, keepdim=True)
        e = torch.exp(x - mx)
        s = e.sum(dim=1, keepdim=True)
        return e / s

    with torch.no_grad():
        run_case("chain10_torch", chain10, x, sync, checksum)
        run_case("gelu_torch", gelu, x, sync, checksum)
        run_case("softmax_torch", softmax, m, sync, checksum)
        run_case("softmax_torch_native", lambda a: torch.softmax(a, dim=1), m, sync, checksum)
        # torch.compile (Inductor, Triton kernels): compiled at the warm-up calls, not timed.
        for name, fn, arg in [("chain10_torch_compile", chain10, x), ("gelu_torch_compile", gelu, x),
                              ("softmax_torch_compile", softmax, m)]:
            try:
                compiled = torch.compile(fn, dynamic=False)
            except Exception as e:
                skip(name, "%s: %s" % (type(e).__name__, e))
                continue
            t0 = time.perf_counter()
            run_case(name, compiled, arg, sync, checksum)
            say("# %s: warm-up and timing took %.1f s" % (name, time.perf_counter() - t0))


def main():
    libs = sys.argv[1:] or ["cupy", "torch"]
    say("# gpu_ref: RUNS=%d REPS=%d, python %s" % (RUNS, REPS, sys.version.split()[0]))
    for lib in libs:
        t0 = time.perf_counter()
        try:
            {"cupy": run_cupy, "torch": run_torch}[lib]()
        except Exception as e:  # setting up the data failed, say: the other library still runs
            skip(lib, "%s: %s" % (type(e).__name__, e))
        say("# %s: %.1f s" % (lib, time.perf_counter() - t0))
    return 0


if __name__ == "__main__":
    sys.exit(main())
