// ffi_engine benchmark: calls per second through rt_ffi_call with a cached signature, against a
// direct C call through a function pointer and a raw ffi_call, for three signatures.
#include <ffi.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fusion/rt_ffi.h"

typedef struct vec2 {
  double x, y;
} vec2;

__attribute__((noinline)) static int64_t f_i64(int64_t x) { return x + 1; }
__attribute__((noinline)) static double f_vec2(vec2 v) { return v.x + v.y; }
__attribute__((noinline)) static double f_mixed(int32_t a, double b, int64_t c, float d, void* e) {
  return a + b + (double)c + d + (double)(uintptr_t)e;
}

// The callees, through volatile pointers so that the direct calls stay real indirect calls.
static int64_t (*volatile p_i64)(int64_t) = f_i64;
static double (*volatile p_vec2)(vec2) = f_vec2;
static double (*volatile p_mixed)(int32_t, double, int64_t, float, void*) = f_mixed;

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

enum { DIRECT, RAW, ENGINE, NWAYS };
static const char* const k_way_names[NWAYS] = {"direct C call", "raw ffi_call", "rt_ffi_call"};

typedef struct bench_case {
  const char* name;
  ffi_cif cif;            // for the raw ffi_call
  const rt_ffi_sig* sig;  // for rt_ffi_call
  void* fn;
  void* args[5];
  size_t nargs;
} bench_case;

static volatile double g_sink;

// Runs `iters` calls of case `c` one way; returns seconds taken.
static double run(bench_case* c, int way, long iters, int which) {
  double t0 = now();
  double acc = 0;
  switch (way) {
    case DIRECT:
      if (which == 0) {
        int64_t x = 1;
        for (long i = 0; i < iters; i++) x = p_i64(x);
        acc = (double)x;
      } else if (which == 1) {
        vec2 v = {1.0, 2.0};
        for (long i = 0; i < iters; i++) acc += p_vec2(v);
      } else {
        for (long i = 0; i < iters; i++) acc += p_mixed(1, 2.0, 3, 4.0f, (void*)16);
      }
      break;
    case RAW:
      for (long i = 0; i < iters; i++) {
        union {
          ffi_arg i;
          double d;
        } r;
        ffi_call(&c->cif, FFI_FN(c->fn), &r, c->args);
        acc += which == 0 ? (double)r.i : r.d;
      }
      break;
    case ENGINE:
      for (long i = 0; i < iters; i++) {
        union {
          int64_t i;
          double d;
        } r;
        if (rt_ffi_call(c->sig, c->fn, c->args, c->nargs, &r) != RT_FFI_OK) abort();
        acc += which == 0 ? (double)r.i : r.d;
      }
      break;
  }
  g_sink = acc;
  return now() - t0;
}

static int compare_doubles(const void* a, const void* b) {
  double x = *(const double*)a, y = *(const double*)b;
  return (x > y) - (x < y);
}

int main(int argc, char** argv) {
  double seconds_per_rep = argc > 1 ? atof(argv[1]) : 0.15;
  enum { REPS = 9 };

  // int64 f(int64)
  static int64_t a_i64 = 1;
  static ffi_type* t_i64[] = {&ffi_type_sint64};
  // vec2 by value
  static vec2 a_vec2 = {1.0, 2.0};
  static ffi_type* vec2_elements[] = {&ffi_type_double, &ffi_type_double, NULL};
  static ffi_type vec2_type = {0, 0, FFI_TYPE_STRUCT, vec2_elements};
  static ffi_type* t_vec2[] = {&vec2_type};
  // mixed
  static int32_t m_a = 1;
  static double m_b = 2.0;
  static int64_t m_c = 3;
  static float m_d = 4.0f;
  static void* m_e = (void*)16;
  static ffi_type* t_mixed[] = {&ffi_type_sint32, &ffi_type_double, &ffi_type_sint64,
                                &ffi_type_float, &ffi_type_pointer};

  bench_case cases[3] = {
      {.name = "int64 f(int64)", .fn = (void*)f_i64, .args = {&a_i64}, .nargs = 1},
      {.name = "double f(struct{double,double}) (16-byte struct by value)",
       .fn = (void*)f_vec2,
       .args = {&a_vec2},
       .nargs = 1},
      {.name = "double f(i32, f64, i64, f32, ptr)",
       .fn = (void*)f_mixed,
       .args = {&m_a, &m_b, &m_c, &m_d, &m_e},
       .nargs = 5},
  };
  if (ffi_prep_cif(&cases[0].cif, FFI_DEFAULT_ABI, 1, &ffi_type_sint64, t_i64) != FFI_OK ||
      ffi_prep_cif(&cases[1].cif, FFI_DEFAULT_ABI, 1, &ffi_type_double, t_vec2) != FFI_OK ||
      ffi_prep_cif(&cases[2].cif, FFI_DEFAULT_ABI, 5, &ffi_type_double, t_mixed) != FFI_OK)
    return 1;

  const rt_ffi_type* f64 = rt_ffi_type_prim(RT_FFI_F64);
  const rt_ffi_type* i64 = rt_ffi_type_prim(RT_FFI_I64);
  const rt_ffi_type* vec2_rt = rt_ffi_type_struct((const rt_ffi_type*[]){f64, f64}, 2);
  cases[0].sig = rt_ffi_sig_new(i64, (const rt_ffi_type*[]){i64}, 1);
  cases[1].sig = rt_ffi_sig_new(f64, (const rt_ffi_type*[]){vec2_rt}, 1);
  cases[2].sig = rt_ffi_sig_new(
      f64,
      (const rt_ffi_type*[]){rt_ffi_type_prim(RT_FFI_I32), f64, i64, rt_ffi_type_prim(RT_FFI_F32),
                             rt_ffi_type_prim(RT_FFI_POINTER)},
      5);
  for (int c = 0; c < 3; c++)
    if (!cases[c].sig) {
      fprintf(stderr, "%s\n", rt_ffi_last_error());
      return 1;
    }

  printf("%-58s %14s %14s %14s %10s %10s\n", "signature", "direct/s", "raw ffi/s", "engine/s",
         "engine/raw", "raw/direct");
  int over_target = 0;
  for (int c = 0; c < 3; c++) {
    // Calibrate: iterations for about seconds_per_rep through the slowest way.
    long iters = 100000;
    double t;
    while ((t = run(&cases[c], ENGINE, iters, c)) < 0.02) iters *= 4;
    iters = (long)(iters * seconds_per_rep / t) + 1;
    // Interleave the ways, REPS times each; keep ns per call.
    double ns[NWAYS][REPS];
    for (int r = 0; r < REPS; r++)
      for (int w = 0; w < NWAYS; w++) ns[w][r] = run(&cases[c], w, iters, c) * 1e9 / iters;
    double median[NWAYS], best[NWAYS];
    for (int w = 0; w < NWAYS; w++) {
      qsort(ns[w], REPS, sizeof ns[w][0], compare_doubles);
      median[w] = ns[w][REPS / 2];
      best[w] = ns[w][0];
    }
    double engine_over_raw = median[ENGINE] / median[RAW];
    printf("%-58s %14.0f %14.0f %14.0f %9.3fx %9.2fx\n", cases[c].name, 1e9 / median[DIRECT],
           1e9 / median[RAW], 1e9 / median[ENGINE], engine_over_raw, median[RAW] / median[DIRECT]);
    printf("  ns per call, median of %d: %s %.2f, %s %.2f, %s %.2f\n", REPS, k_way_names[DIRECT],
           median[DIRECT], k_way_names[RAW], median[RAW], k_way_names[ENGINE], median[ENGINE]);
    printf("  ns per call, best of %d:   %s %.2f, %s %.2f, %s %.2f (engine/raw %.3fx)\n", REPS,
           k_way_names[DIRECT], best[DIRECT], k_way_names[RAW], best[RAW], k_way_names[ENGINE],
           best[ENGINE], best[ENGINE] / best[RAW]);
    if (engine_over_raw > 1.10) over_target = 1;
  }
  printf("target: rt_ffi_call within 1.10x of raw ffi_call (medians): %s\n",
         over_target ? "MISSED" : "met");
  return 0;
}
