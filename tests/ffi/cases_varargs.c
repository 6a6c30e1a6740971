// Test library: variadic functions (float_va, va_1).
#include <stdarg.h>
#include <string.h>

#include "ffi_cases.h"

double ffi_t_va_sum_d(int32_t n, ...) {
  va_list ap;
  va_start(ap, n);
  double sum = 0;
  for (int32_t i = 0; i < n; i++) sum += va_arg(ap, double) * (i + 1);
  va_end(ap);
  return sum;
}

int64_t ffi_t_va_sum_i(int32_t n, ...) {
  va_list ap;
  va_start(ap, n);
  int64_t sum = 0;
  for (int32_t i = 0; i < n; i++) sum += (int64_t)va_arg(ap, int) * (i + 1);
  va_end(ap);
  return sum;
}

double ffi_t_va_mixed(const char* kinds, ...) {
  va_list ap;
  va_start(ap, kinds);
  double sum = 0;
  for (size_t i = 0; kinds[i]; i++) {
    double w = (double)(i + 1), v = 0;
    switch (kinds[i]) {
      case 'i': v = va_arg(ap, int); break;
      case 'u': v = va_arg(ap, unsigned); break;
      case 'l': v = (double)va_arg(ap, long long); break;
      case 'd': v = va_arg(ap, double); break;
      case 'p': v = (double)*va_arg(ap, const int64_t*); break;
      case 's': v = ffi_t_sum_s16pad(va_arg(ap, ffi_t_s16pad)); break;
      case 'b': v = ffi_t_sum_s24(va_arg(ap, ffi_t_s24)); break;
      default: v = -1e9; break;
    }
    sum += w * v;
  }
  va_end(ap);
  return sum;
}
