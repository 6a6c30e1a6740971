// Errors as values: every refused type, signature, call and closure gives a status and a message,
// never undefined behaviour, and nothing is called.
#include <pthread.h>

#include "ffi_test_util.h"

#define EXPECT_FAIL(expr, status, text)                                                  \
  do {                                                                                   \
    CHECK((expr) == NULL, "%s succeeded", #expr);                                        \
    CHECK(rt_ffi_last_status() == (status), "%s: status %d, want %d (%s)", #expr,        \
          (int)rt_ffi_last_status(), (int)(status), rt_ffi_last_error());                \
    CHECK(contains(rt_ffi_last_error(), text), "%s: message \"%s\" lacks \"%s\"", #expr, \
          rt_ffi_last_error(), text);                                                    \
  } while (0)

static void check_types(void) {
  EXPECT_FAIL(T(LONG_DOUBLE), RT_FFI_ERR_UNSUPPORTED, "`long double` is not supported");
  EXPECT_FAIL(T(I128), RT_FFI_ERR_UNSUPPORTED, "__int128");
  EXPECT_FAIL(T(U128), RT_FFI_ERR_UNSUPPORTED, "unsigned __int128");
  EXPECT_FAIL(T(STRUCT), RT_FFI_ERR_INVALID, "composite");
  EXPECT_FAIL(rt_ffi_type_prim((rt_ffi_kind)999), RT_FFI_ERR_INVALID, "not a type kind");
  EXPECT_FAIL(rt_ffi_type_prim((rt_ffi_kind)-1), RT_FFI_ERR_INVALID, "not a type kind");
  EXPECT_FAIL(rt_ffi_type_struct(NULL, 0), RT_FFI_ERR_INVALID, "struct with zero fields");
  EXPECT_FAIL(rt_ffi_type_union(TYPES(T(I32)), 0), RT_FFI_ERR_INVALID, "union with zero fields");
  EXPECT_FAIL(rt_ffi_type_struct(NULL, 2), RT_FFI_ERR_NULL, "no field list");
  EXPECT_FAIL(ST(T(I32), T(VOID)), RT_FFI_ERR_INVALID, "field 1 is `void`");
  EXPECT_FAIL(UN(T(VOID)), RT_FFI_ERR_INVALID, "member 0 is `void`");
  // A member whose own construction failed: the failure carries on, it does not crash.
  EXPECT_FAIL(ST(T(I32), T(LONG_DOUBLE)), RT_FFI_ERR_NULL, "field 1 has no type");
  EXPECT_FAIL(AR(T(I32), 0), RT_FFI_ERR_INVALID, "zero elements");
  EXPECT_FAIL(AR(T(VOID), 4), RT_FFI_ERR_INVALID, "`void`");
  EXPECT_FAIL(AR(NULL, 4), RT_FFI_ERR_NULL, "no type");
  EXPECT_FAIL(AR(T(I64), (size_t)1 << 61), RT_FFI_ERR_INVALID, "too large");
  const rt_ffi_type* big = AR(T(U8), (size_t)1 << 29);
  CHECK(big != NULL, "512 MiB array: %s", rt_ffi_last_error());
  EXPECT_FAIL(ST(big, big, big), RT_FFI_ERR_INVALID, "larger than");
  // Queries on a failed build answer, rather than crash.
  rt_ffi_class classes[2];
  CHECK(rt_ffi_type_size(NULL) == 0 && rt_ffi_type_align(NULL) == 1 &&
            rt_ffi_type_count(NULL) == 0 && rt_ffi_type_elem(NULL, 0) == NULL &&
            rt_ffi_type_offset(NULL, 3) == 0 && rt_ffi_type_classify(NULL, classes) == -1,
        "queries on NULL");
  char buf[16];
  rt_ffi_type_format(NULL, buf, sizeof buf);
  CHECK(strcmp(buf, "(null)") == 0, "format NULL: %s", buf);
  CHECK(rt_ffi_sig_nargs(NULL) == 0 && rt_ffi_sig_ret(NULL) == NULL &&
            !rt_ffi_sig_is_variadic(NULL) && rt_ffi_sig_arg(NULL, 0) == NULL,
        "signature queries on NULL");
}

static void check_signatures(void) {
  EXPECT_FAIL(SIG(NULL, T(I32)), RT_FFI_ERR_NULL, "no return type");
  EXPECT_FAIL(SIG(T(I32), T(I32), NULL), RT_FFI_ERR_NULL, "argument 1 has no type");
  EXPECT_FAIL(SIG(T(I32), T(VOID)), RT_FFI_ERR_INVALID, "argument 0 is `void`");
  EXPECT_FAIL(SIG(T(I32), T(I32), AR(T(F32), 4)), RT_FFI_ERR_UNSUPPORTED,
              "argument 1 has array type `[f32; 4]`");
  EXPECT_FAIL(SIG(AR(T(I8), 16), T(I32)), RT_FFI_ERR_UNSUPPORTED, "cannot return arrays");
  EXPECT_FAIL(rt_ffi_sig_new(T(I32), NULL, 2), RT_FFI_ERR_NULL, "no argument list");
  EXPECT_FAIL(rt_ffi_sig_variadic(T(I32), TYPES(T(CSTRING)), 2, 1), RT_FFI_ERR_ARG_COUNT,
              "2 named parameters but only 1 arguments");
  const rt_ffi_type* many[RT_FFI_MAX_ARGS + 1];
  for (int i = 0; i <= RT_FFI_MAX_ARGS; i++) many[i] = T(I32);
  EXPECT_FAIL(rt_ffi_sig_new(T(VOID), many, RT_FFI_MAX_ARGS + 1), RT_FFI_ERR_ARG_COUNT, "at most");
  CHECK(rt_ffi_sig_new(T(VOID), many, RT_FFI_MAX_ARGS) != NULL, "%d arguments: %s", RT_FFI_MAX_ARGS,
        rt_ffi_last_error());
}

static void check_calls(void) {
  const rt_ffi_sig* sig = SIG(T(I32), T(I32), T(I32));
  void* fn = sym("ffi_t_negint");
  int32_t a = 1, b = 2, r = 12345;
  rt_ffi_status st = rt_ffi_call(sig, NULL, ARGS(&a, &b), 2, &r);
  CHECK(st == RT_FFI_ERR_NULL && contains(rt_ffi_last_error(), "null function pointer"),
        "null fn: %d %s", st, rt_ffi_last_error());
  st = rt_ffi_call(NULL, fn, ARGS(&a, &b), 2, &r);
  CHECK(st == RT_FFI_ERR_NULL && contains(rt_ffi_last_error(), "no signature"), "null sig");
  st = rt_ffi_call(sig, fn, ARGS(&a), 1, &r);
  CHECK(st == RT_FFI_ERR_ARG_COUNT &&
            contains(rt_ffi_last_error(), "1 arguments given, the signature has 2"),
        "too few: %s", rt_ffi_last_error());
  st = rt_ffi_call(sig, fn, ARGS(&a, &b, &b), 3, &r);
  CHECK(st == RT_FFI_ERR_ARG_COUNT, "too many");
  st = rt_ffi_call(sig, fn, NULL, 2, &r);
  CHECK(st == RT_FFI_ERR_NULL && contains(rt_ffi_last_error(), "no argument array"), "no args");
  st = rt_ffi_call(sig, fn, ARGS(&a, NULL), 2, &r);
  CHECK(st == RT_FFI_ERR_NULL && contains(rt_ffi_last_error(), "argument 1 points nowhere"),
        "null argument: %s", rt_ffi_last_error());
  CHECK(r == 12345, "a refused call wrote its result");
  // Variadic: the count must cover the named parameters.
  const rt_ffi_sig* va = rt_ffi_sig_variadic(T(F64), TYPES(T(I32), T(F64)), 1, 2);
  st = rt_ffi_call(va, sym("ffi_t_va_sum_d"), ARGS(&a), 1, NULL);
  CHECK(st == RT_FFI_ERR_ARG_COUNT, "variadic count");
  // And a good call still works after all that.
  CHECK(rt_ffi_call(sig, fn, ARGS(&a, &b), 2, &r) == RT_FFI_OK && r == 4, "good call");
}

static void handler(const rt_ffi_sig* sig, void* ret, void* const* args, void* ud) {
  (void)sig, (void)ret, (void)args, (void)ud;
}

static void check_closures(void) {
  const rt_ffi_sig* va = rt_ffi_sig_variadic(T(I32), TYPES(T(CSTRING), T(I32)), 1, 2);
  EXPECT_FAIL(rt_ffi_closure_new(va, handler, NULL), RT_FFI_ERR_UNSUPPORTED, "cannot be variadic");
  EXPECT_FAIL(rt_ffi_closure_new(SIG0(T(VOID)), NULL, NULL), RT_FFI_ERR_NULL, "no handler");
  EXPECT_FAIL(rt_ffi_closure_new(NULL, handler, NULL), RT_FFI_ERR_NULL, "no signature");
  CHECK(rt_ffi_closure_fn(NULL) == NULL, "fn of NULL");
  rt_ffi_closure_free(NULL);
}

// Errors are kept per thread.
static void* fail_in_thread(void* arg) {
  (void)arg;
  (void)T(I128);
  return (void*)(intptr_t)(rt_ffi_last_status() == RT_FFI_ERR_UNSUPPORTED &&
                           contains(rt_ffi_last_error(), "__int128"));
}

static void check_thread_local(void) {
  (void)ST(T(VOID));
  pthread_t thread;
  void* ok = NULL;
  pthread_create(&thread, NULL, fail_in_thread, NULL);
  pthread_join(thread, &ok);
  CHECK(ok != NULL, "the thread saw its own error");
  CHECK(contains(rt_ffi_last_error(), "field 0 is `void`"), "main's error: %s",
        rt_ffi_last_error());
}

int main(void) {
  check_types();
  check_signatures();
  check_calls();
  check_closures();
  check_thread_local();
  close_cases();
  return finish("ffi_error_test");
}
