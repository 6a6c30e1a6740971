// rt_format_float gives Python's repr() for f64 and shortest round-trip digits for f32.
#include <stdio.h>
#include <string.h>

#include "fusion/rt_core.h"

static int failures;

static void expect(double v, bool is_f32, const char* want) {
  char buf[64];
  rt_format_float(buf, v, is_f32);
  if (strcmp(buf, want) != 0) {
    fprintf(stderr, "FAIL: %.17g (f32=%d): got %s, want %s\n", v, is_f32, buf, want);
    failures++;
  }
}

int main(void) {
  expect(1.0, false, "1.0");
  expect(0.1, false, "0.1");
  expect(-0.0, false, "-0.0");
  expect(0.0, false, "0.0");
  expect(1e20, false, "1e+20");
  expect(1.5e-07, false, "1.5e-07");
  expect(100000.0, false, "100000.0");
  expect(1e16, false, "1e+16");
  expect(1e15, false, "1000000000000000.0");
  expect(0.0001, false, "0.0001");
  expect(0.00001, false, "1e-05");
  expect(123.456, false, "123.456");
  expect(1.0 / 3.0, false, "0.3333333333333333");
  expect(2.0 / 3.0, false, "0.6666666666666666");
  expect(5e-324, false, "5e-324");
  expect(1.7976931348623157e308, false, "1.7976931348623157e+308");
  expect(-2.5, false, "-2.5");
  expect(0.1 + 0.2, false, "0.30000000000000004");
  expect(1.0 / 0.0, false, "inf");
  expect(-1.0 / 0.0, false, "-inf");
  expect(0.0 / 0.0, false, "nan");
  expect((float)0.1f, true, "0.1");
  expect((float)(1.0f / 3.0f), true, "0.33333334");
  expect((float)16777216.0f, true, "16777216.0");
  expect((float)1e-7f, true, "1e-07");
  expect((float)3.4028235e38f, true, "3.4028235e+38");
  if (failures) return 1;
  printf("print_test: ok\n");
  return 0;
}
