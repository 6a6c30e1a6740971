// The descriptor caches: a signature is prepared once (one ffi_prep_cif) and found again on every
// later request; calls never prepare; types are interned; all of it safe from many threads.
#include <pthread.h>

#include "ffi_test_util.h"

static void check_signature_cache(void) {
  rt_ffi_stats s0 = rt_ffi_get_stats();
  const rt_ffi_type* pair = ST(T(I32), T(F64));
  rt_ffi_stats s1 = rt_ffi_get_stats();
  CHECK(s1.types_built == s0.types_built + 1, "one new type");
  const rt_ffi_sig* first = SIG(T(F64), pair, T(I64));
  rt_ffi_stats s2 = rt_ffi_get_stats();
  CHECK(s2.sigs_prepared == s1.sigs_prepared + 1 && s2.sig_hits == s1.sig_hits,
        "first request prepares");
  for (int i = 0; i < 99; i++) {
    const rt_ffi_sig* again = SIG(T(F64), ST(T(I32), T(F64)), T(I64));
    CHECK(again == first, "request %d gave another signature", i);
  }
  rt_ffi_stats s3 = rt_ffi_get_stats();
  CHECK(s3.sigs_prepared == s2.sigs_prepared, "no signature prepared again (%llu)",
        (unsigned long long)(s3.sigs_prepared - s2.sigs_prepared));
  CHECK(s3.sig_hits == s2.sig_hits + 99, "99 hits, got %llu",
        (unsigned long long)(s3.sig_hits - s2.sig_hits));
  CHECK(s3.type_hits == s2.type_hits + 99 && s3.types_built == s2.types_built, "type hits");

  // Calls use the prepared ffi_cif: nothing is prepared, whatever the signature.
  int64_t x = 1, y = 0;
  const rt_ffi_sig* inc = SIG(T(I64), T(I64));
  rt_ffi_stats s4 = rt_ffi_get_stats();
  for (int i = 0; i < 10000; i++) {
    CALL(inc, sym("ffi_t_i64_inc"), &y, &x);
    x = y;
  }
  int8_t small = 0;
  int32_t wide = 300;
  for (int i = 0; i < 100; i++) CALL(SIG(T(I8), T(I32)), sym("ffi_t_ret_s8"), &small, &wide);
  rt_ffi_stats s5 = rt_ffi_get_stats();
  CHECK(x == 10001, "10000 increments: %lld", (long long)x);
  CHECK(s5.sigs_prepared == s4.sigs_prepared + 1, "calls prepared %llu signatures",
        (unsigned long long)(s5.sigs_prepared - s4.sigs_prepared));
  CHECK(s5.sig_hits == s4.sig_hits + 99, "sig hits %llu",
        (unsigned long long)(s5.sig_hits - s4.sig_hits));
}

// Many threads asking for the same new signature get one, prepared once.
static const rt_ffi_sig* g_seen[8];
static void* build_in_thread(void* arg) {
  int me = (int)(intptr_t)arg;
  for (int i = 0; i < 200; i++) {
    const rt_ffi_type* t = ST(T(U16), AR(T(F32), 3), UN(T(I64), T(F64)));
    const rt_ffi_sig* s = SIG(t, t, T(U16), rt_ffi_type_pointer(t));
    if (i == 0)
      g_seen[me] = s;
    else if (s != g_seen[me])
      g_seen[me] = NULL;
  }
  return NULL;
}

static void check_threads(void) {
  rt_ffi_stats before = rt_ffi_get_stats();
  pthread_t threads[8];
  for (int t = 0; t < 8; t++)
    pthread_create(&threads[t], NULL, build_in_thread, (void*)(intptr_t)t);
  for (int t = 0; t < 8; t++) pthread_join(threads[t], NULL);
  for (int t = 0; t < 8; t++)
    CHECK(g_seen[t] != NULL && g_seen[t] == g_seen[0], "thread %d saw another signature", t);
  rt_ffi_stats after = rt_ffi_get_stats();
  CHECK(after.sigs_prepared == before.sigs_prepared + 1, "prepared %llu times",
        (unsigned long long)(after.sigs_prepared - before.sigs_prepared));
  CHECK(after.sig_hits == before.sig_hits + 8 * 200 - 1, "hits %llu",
        (unsigned long long)(after.sig_hits - before.sig_hits));
  // The array, the union, the struct and the typed pointer: each built once.
  CHECK(after.types_built == before.types_built + 4, "types built %llu",
        (unsigned long long)(after.types_built - before.types_built));
}

int main(void) {
  check_signature_cache();
  check_threads();
  close_cases();
  return finish("ffi_cache_test");
}
