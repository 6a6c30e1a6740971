// The functions of fixture.h, for fixture_run.test.
#include <math.h>
#include <stdarg.h>
#include "fixture.h"

int fx_add(int a, int b) { return a + b; }
int fx_mul(int a, int b) { return a * b; }
int fx_sum(int n, ...) {
  va_list ap;
  va_start(ap, n);
  int s = 0;
  for (int i = 0; i < n; i++) s += va_arg(ap, int);
  va_end(ap);
  return s;
}
double fx_len(fx_point p) { return sqrt(p.x * p.x + p.y * p.y); }
static int g_last;
int fx_each(fx_cb cb, void* user, fx_fn_t* fn) {
  int s = 0;
  for (int i = 1; i <= 3; i++) s += cb(user, i);
  fn(s);
  return s;
}
fx_handle fx_open(const char* name, size_t n, char* buf) {
  size_t i = 0;
  for (; name[i] && i + 1 < n; i++) buf[i] = name[i];
  buf[i] = 0;
  return (fx_handle)0;
}
int fx_type(int type, int fn) { return type * 10 + fn; }
int fx_first(const int values[4]) { return values[0] + values[3]; }
int fx_nothing() { return g_last = 77; }
struct fx_bits fx_make_bits(unsigned a, int b, unsigned c, uint64_t wide, int e) {
  struct fx_bits r = {0};
  r.a = a, r.b = b, r.c = c, r.d = 'd', r.wide = wide, r.e = e;
  return r;
}
int fx_check_bits(const struct fx_bits* r, unsigned a, int b, unsigned c, uint64_t wide, int e) {
  return r->a == a && r->b == b && r->c == c && r->d == 'd' && r->wide == wide && r->e == e;
}
static fx_log_fn g_log;
static void* g_log_ctx;
void fx_set_log(fx_log_fn fn, void* ctx) { g_log = fn, g_log_ctx = ctx; }
int fx_log_with(const struct fx_logger* logger, int value) {
  logger->log(logger->ctx, "value %d", value);
  if (g_log) g_log(g_log_ctx, "global %d", value + 1);
  return logger->warn == 0 ? value : -1;
}
