// bench/ffi_calls: the C baseline. The same three loops as calls.fu, calling the callees in
// libbench_ffi.so through function pointers obtained from dlopen/dlsym at run time, so the
// optimizer cannot see (or inline) the callee and every iteration makes a real indirect call.
//
// Usage: calls_c LIBPATH [N]   (N calls per loop, default 100000000)
// Prints one line per loop: NAME N ELAPSED_NS CHECKSUM...
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

typedef struct D2 {
  double x, y;
} D2;

typedef struct S24 {
  double a;
  int64_t b;
  double c;
} S24;

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void* sym(void* lib, const char* name) {
  void* p = dlsym(lib, name);
  if (!p) {
    fprintf(stderr, "calls_c: %s: %s\n", name, dlerror());
    exit(1);
  }
  return p;
}

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: calls_c LIBPATH [N]\n");
    return 2;
  }
  int64_t n = argc > 2 ? atoll(argv[2]) : 100000000;
  void* lib = dlopen(argv[1], RTLD_NOW);
  if (!lib) {
    fprintf(stderr, "calls_c: %s\n", dlerror());
    return 1;
  }
  int64_t (*add1)(int64_t) = (int64_t (*)(int64_t))sym(lib, "add1");
  double (*dot)(D2, D2) = (double (*)(D2, D2))sym(lib, "dot");
  S24 (*step)(S24) = (S24 (*)(S24))sym(lib, "step");

  // add1: acc = sum of add1(i) = n(n+1)/2
  int64_t t0 = now_ns();
  int64_t acc = 0;
  for (int64_t i = 0; i < n; i++) acc += add1(i);
  int64_t t1 = now_ns();
  printf("add1 %lld %lld %lld\n", (long long)n, (long long)(t1 - t0), (long long)acc);

  // dot: sum of dot({i, 0.5}, {1, 2}) = sum of (i + 1) = n(n+1)/2, exact in doubles below 2^53
  t0 = now_ns();
  double dacc = 0.0;
  D2 b = {1.0, 2.0};
  for (int64_t i = 0; i < n; i++) {
    D2 a = {(double)i, 0.5};
    dacc += dot(a, b);
  }
  t1 = now_ns();
  printf("dot %lld %lld %lld\n", (long long)n, (long long)(t1 - t0), (long long)dacc);

  // step: s = step(s) n times from {0, 0, 0}; ends at {n/2, 3n, n/2} for even n
  t0 = now_ns();
  S24 s = {0.0, 0, 0.0};
  for (int64_t i = 0; i < n; i++) s = step(s);
  t1 = now_ns();
  printf("step %lld %lld %lld %lld %lld\n", (long long)n, (long long)(t1 - t0), (long long)s.a,
         (long long)s.b, (long long)s.c);
  return 0;
}
