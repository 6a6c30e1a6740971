// Helpers shared by the dl_* and ffi_* runtime tests: checks, descriptor shorthands, the C test
// library's symbols, and the descriptors of its struct and union shapes.
#ifndef FUSION_TESTS_FFI_TEST_UTIL_H
#define FUSION_TESTS_FFI_TEST_UTIL_H

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ffi_cases.h"
#include "fusion/rt_dl.h"
#include "fusion/rt_ffi.h"
#include "test_check.h"

// Whether `haystack` contains `needle`.
static inline int contains(const char* haystack, const char* needle) {
  return haystack && strstr(haystack, needle) != NULL;
}

// `s`, or "(null)" to print in its place.
static inline const char* str(const char* s) { return s ? s : "(null)"; }

// Descriptor shorthands.
#define T(kind) rt_ffi_type_prim(RT_FFI_##kind)
#define TYPES(...) ((const rt_ffi_type*[]){__VA_ARGS__})
#define NTYPES(...) (sizeof(TYPES(__VA_ARGS__)) / sizeof(const rt_ffi_type*))
#define ST(...) rt_ffi_type_struct(TYPES(__VA_ARGS__), NTYPES(__VA_ARGS__))
#define UN(...) rt_ffi_type_union(TYPES(__VA_ARGS__), NTYPES(__VA_ARGS__))
#define AR(elem, n) rt_ffi_type_array(elem, n)
#define SIG(ret, ...) rt_ffi_sig_new(ret, TYPES(__VA_ARGS__), NTYPES(__VA_ARGS__))
#define SIG0(ret) rt_ffi_sig_new(ret, NULL, 0)
#define ARGS(...) ((void*[]){__VA_ARGS__})
#define NARGS(...) (sizeof(ARGS(__VA_ARGS__)) / sizeof(void*))
// Calls `fn` through the engine and checks that the call was accepted.
#define CALL(sig, fn, ret, ...)                                                           \
  do {                                                                                    \
    rt_ffi_status st_ = rt_ffi_call(sig, fn, ARGS(__VA_ARGS__), NARGS(__VA_ARGS__), ret); \
    CHECK(st_ == RT_FFI_OK, "call failed: %s", rt_ffi_last_error());                      \
  } while (0)
#define CALL0(sig, fn, ret)                                          \
  do {                                                               \
    rt_ffi_status st_ = rt_ffi_call(sig, fn, NULL, 0, ret);          \
    CHECK(st_ == RT_FFI_OK, "call failed: %s", rt_ffi_last_error()); \
  } while (0)

// The C test library, opened through rt_dl by its path; its symbols by name.
static rt_dl_lib* g_cases;
static inline void* sym(const char* name) {
  if (!g_cases) {
    g_cases = rt_dl_open(FFI_CASES_LIB);
    if (!g_cases) {
      fprintf(stderr, "cannot open the test library: %s\n", rt_dl_last_error());
      exit(2);
    }
  }
  void* p = rt_dl_sym(g_cases, name);
  if (!p) {
    fprintf(stderr, "missing test symbol: %s\n", rt_dl_last_error());
    exit(2);
  }
  return p;
}
static inline void close_cases(void) {
  if (g_cases) rt_dl_close(g_cases);
  g_cases = NULL;
}

// Copies the file `from` to `to` (a fresh inode, so that the loader sees a new library).
static inline int copy_file(const char* from, const char* to) {
  FILE* in = fopen(from, "rb");
  if (!in) return 0;
  FILE* out = fopen(to, "wb");
  if (!out) {
    fclose(in);
    return 0;
  }
  char buf[65536];
  size_t n;
  int ok = 1;
  while ((n = fread(buf, 1, sizeof buf, in)) > 0)
    if (fwrite(buf, 1, n, out) != n) ok = 0;
  fclose(in);
  if (fclose(out) != 0) ok = 0;
  return ok;
}

// Floating-point results computed by the same expressions on both sides must agree exactly.
static inline int same_f64(double a, double b) { return a == b || (isnan(a) && isnan(b)); }

#endif
