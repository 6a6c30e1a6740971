// rt_ffi_call on libc and libm: strlen, cos, puts, malloc/free, snprintf with mixed varargs.
#include "ffi_test_util.h"

int main(void) {
  rt_dl_lib* libc = rt_dl_open("libc.so.6");
  rt_dl_lib* libm = rt_dl_open("libm.so.6");
  CHECK(libc && libm, "%s", rt_dl_last_error());
  if (!libc || !libm) return finish("ffi_libc_test");

  // strlen("abc") == 3
  const rt_ffi_sig* strlen_sig = SIG(T(USIZE), T(CSTRING));
  CHECK(strlen_sig != NULL, "%s", rt_ffi_last_error());
  const char* abc = "abc";
  size_t n = 0;
  CALL(strlen_sig, rt_dl_sym(libc, "strlen"), &n, &abc);
  CHECK(n == 3, "strlen(\"abc\") = %zu", n);

  // cos(0.0) == 1.0, and agreement with a direct call elsewhere.
  const rt_ffi_sig* unary = SIG(T(F64), T(F64));
  void* cos_fn = rt_dl_sym(libm, "cos");
  double x = 0.0, y = 0.0;
  CALL(unary, cos_fn, &y, &x);
  CHECK(y == 1.0, "cos(0.0) = %g", y);
  x = 0.5;
  CALL(unary, cos_fn, &y, &x);
  CHECK(y == cos(0.5), "cos(0.5) = %.17g, direct %.17g", y, cos(0.5));
  // pow: two doubles.
  const rt_ffi_sig* binary = SIG(T(F64), T(F64), T(F64));
  double b = 2.0, e = 10.0;
  CALL(binary, rt_dl_sym(libm, "pow"), &y, &b, &e);
  CHECK(y == 1024.0, "pow(2, 10) = %g", y);
  // cosf: floats in and out.
  float xf = 0.25f, yf = 0.0f;
  CALL(SIG(T(F32), T(F32)), rt_dl_sym(libm, "cosf"), &yf, &xf);
  CHECK(yf == cosf(0.25f), "cosf(0.25) = %.9g", (double)yf);

  // puts returns a non-negative number.
  const char* line = "ffi_libc_test: hello from puts through rt_ffi_call";
  int32_t put_result = -1;
  CALL(SIG(T(I32), T(CSTRING)), rt_dl_sym(libc, "puts"), &put_result, &line);
  CHECK(put_result >= 0, "puts returned %d", put_result);
  fflush(stdout);

  // malloc and free.
  void* block = NULL;
  size_t size = 64;
  CALL(SIG(T(POINTER), T(USIZE)), rt_dl_sym(libc, "malloc"), &block, &size);
  CHECK(block != NULL, "malloc(64)");
  if (block) {
    memset(block, 0x5a, size);  // ASan checks that all 64 bytes are ours
    CALL(SIG(T(VOID), T(POINTER)), rt_dl_sym(libc, "free"), NULL, &block);
  }

  // snprintf with mixed varargs: int, double, string, int64, char, float (promoted), pointer.
  char buf[256], want[256];
  char* bufp = buf;
  size_t cap = sizeof buf;
  const char* fmt = "%d|%.3f|%s|%lld|%c|%.2f|%p|%u";
  int32_t i = -42;
  double d = 3.14159;
  const char* s = "str";
  int64_t ll = -1234567890123LL;
  int8_t ch = 'Q';
  float f = 2.5f;
  void* p = (void*)0x1234;
  uint16_t u = 65535;
  const rt_ffi_type* args[] = {T(POINTER), T(USIZE), T(CSTRING), T(I32),     T(F64), T(CSTRING),
                               T(I64),     T(I8),    T(F32),     T(POINTER), T(U16)};
  const rt_ffi_sig* snprintf_sig = rt_ffi_sig_variadic(T(I32), args, 3, 11);
  CHECK(snprintf_sig != NULL, "%s", rt_ffi_last_error());
  int32_t written = -1;
  CALL(snprintf_sig, rt_dl_sym(libc, "snprintf"), &written, &bufp, &cap, &fmt, &i, &d, &s, &ll, &ch,
       &f, &p, &u);
  int want_len = snprintf(want, sizeof want, fmt, i, d, s, (long long)ll, ch, f, p, u);
  CHECK(written == want_len, "snprintf returned %d, want %d", written, want_len);
  CHECK(strcmp(buf, want) == 0, "snprintf wrote \"%s\", want \"%s\"", buf, want);

  rt_dl_close(libc);
  rt_dl_close(libm);
  return finish("ffi_libc_test");
}
