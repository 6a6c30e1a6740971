-- bench/ffi_calls: the same three loops through LuaJIT's FFI (a reference point).
-- Usage: luajit calls.lua LIBPATH [N [NSTRUCT]]   (N calls in the add1 loop, default 100000000;
-- NSTRUCT calls in the dot and step loops, default N)
-- Prints one line per loop: NAME N ELAPSED_NS CHECKSUM...
-- LuaJIT compiles calls with scalar arguments to direct machine calls; calls that pass or return
-- structs by value are not compiled by its trace JIT (NYI) and go through the interpreter's
-- generic C-call path, so expect those two loops to be much slower.
local ffi = require("ffi")
ffi.cdef[[
typedef struct D2 { double x, y; } D2;
typedef struct S24 { double a; int64_t b; double c; } S24;
int64_t add1(int64_t x);
double dot(D2 a, D2 b);
S24 step(S24 s);
typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
int clock_gettime(int clk, bench_timespec *ts);
]]
local libpath = assert(arg[1], "usage: luajit calls.lua LIBPATH [N]")
local n = tonumber(arg[2] or "100000000")
local ns = tonumber(arg[3] or n)
local lib = ffi.load(libpath)
assert(n % 2 == 0 and ns % 2 == 0, "N and NSTRUCT must be even")
local C = ffi.C

local ts = ffi.new("bench_timespec")
local function now_ns()
  C.clock_gettime(1, ts)  -- CLOCK_MONOTONIC
  return tonumber(ts.tv_sec) * 1e9 + tonumber(ts.tv_nsec)
end
local function i64s(x)  -- an integer-valued number or int64 cdata, printed without a suffix
  return (tostring(ffi.cast("int64_t", x)):gsub("LL$", ""))
end

-- add1: sum of add1(i) = n(n+1)/2 (int64 arithmetic)
local add1 = lib.add1
local t0 = now_ns()
local acc = ffi.new("int64_t", 0)
for i = 0, n - 1 do acc = acc + add1(i) end
local t1 = now_ns()
print(string.format("add1 %d %.0f %s", n, t1 - t0, i64s(acc)))

-- dot: sum of dot({i, 0.5}, {1, 2}) = n(n+1)/2, exact in doubles
local dot = lib.dot
local D2 = ffi.typeof("D2")
local b = D2(1.0, 2.0)
local a = D2(0.0, 0.5)
t0 = now_ns()
local dacc = 0.0
for i = 0, ns - 1 do
  a.x = i
  dacc = dacc + dot(a, b)
end
t1 = now_ns()
print(string.format("dot %d %.0f %s", ns, t1 - t0, i64s(dacc)))

-- step: s = step(s) n times from {0, 0, 0}
local step = lib.step
t0 = now_ns()
local s = ffi.new("S24", 0.0, 0, 0.0)
for i = 0, ns - 1 do s = step(s) end
t1 = now_ns()
print(string.format("step %d %.0f %s %s %s", ns, t1 - t0, i64s(s.a), i64s(s.b), i64s(s.c)))
