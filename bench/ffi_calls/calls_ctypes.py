"""bench/ffi_calls: the same three loops through Python's ctypes (a reference point).

Usage: python3 calls_ctypes.py LIBPATH [N]   (N calls per loop, default 1000000)

ctypes costs hundreds of nanoseconds a call, so run.sh uses far fewer iterations here than for the
compiled implementations (10^6 instead of 10^8) and compares time per call. Prints one line per
loop: NAME N ELAPSED_NS CHECKSUM..., like the other implementations.
"""
import ctypes
import sys
import time


class D2(ctypes.Structure):
    _fields_ = [("x", ctypes.c_double), ("y", ctypes.c_double)]


class S24(ctypes.Structure):
    _fields_ = [("a", ctypes.c_double), ("b", ctypes.c_int64), ("c", ctypes.c_double)]


def main():
    if len(sys.argv) < 2:
        sys.exit("usage: calls_ctypes.py LIBPATH [N]")
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 1_000_000
    lib = ctypes.CDLL(sys.argv[1])
    add1 = lib.add1
    add1.argtypes = [ctypes.c_int64]
    add1.restype = ctypes.c_int64
    dot = lib.dot
    dot.argtypes = [D2, D2]
    dot.restype = ctypes.c_double
    step = lib.step
    step.argtypes = [S24]
    step.restype = S24
    clock = time.perf_counter_ns  # CLOCK_MONOTONIC on Linux

    # add1: sum of add1(i) = n(n+1)/2
    t0 = clock()
    acc = 0
    for i in range(n):
        acc += add1(i)
    t1 = clock()
    print("add1", n, t1 - t0, acc)

    # dot: sum of dot({i, 0.5}, {1, 2}) = n(n+1)/2, exact in doubles
    b = D2(1.0, 2.0)
    a = D2(0.0, 0.5)
    t0 = clock()
    dacc = 0.0
    for i in range(n):
        a.x = i
        dacc += dot(a, b)
    t1 = clock()
    print("dot", n, t1 - t0, int(dacc))

    # step: s = step(s) n times from {0, 0, 0}
    s = S24(0.0, 0, 0.0)
    t0 = clock()
    for _ in range(n):
        s = step(s)
    t1 = clock()
    print("step", n, t1 - t0, int(s.a), s.b, int(s.c))


if __name__ == "__main__":
    main()
