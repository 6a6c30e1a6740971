// Panics: message and Fusion source position to stderr, exit code 101. The report is made under
// the dying lock (core/fault.c): one panic wins when several threads panic at once.
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "fusion/rt_core.h"

static _Noreturn void die(rt_loc loc) {
  if (loc) fprintf(stderr, "  at %s:%d:%d\n", loc->file, loc->line, loc->col);
  rt_die_print_context(RT_DIE_REPORT);
  rt_backtrace_print(NULL);
  rt_die_exit();
}

_Noreturn void rt_panic(rt_ptr msg, rt_loc loc) {
  rt_die_begin();
  fprintf(stderr, "panic: %s\n", (const char*)msg);
  die(loc);
}

_Noreturn void rt_panic_assert(rt_ptr what, rt_loc loc) {
  rt_die_begin();
  fprintf(stderr, "panic: assertion failed: %s\n", (const char*)what);
  die(loc);
}

_Noreturn void rt_panic_bounds(rt_i64 index, rt_u64 length, rt_loc loc) {
  rt_die_begin();
  fprintf(stderr, "panic: index %" PRId64 " out of bounds for length %" PRIu64 "\n", index, length);
  die(loc);
}

_Noreturn void rt_panic_bounds_u(rt_u64 index, rt_u64 length, rt_loc loc) {
  rt_die_begin();
  fprintf(stderr, "panic: index %" PRIu64 " out of bounds for length %" PRIu64 "\n", index, length);
  die(loc);
}

_Noreturn void rt_panic_div_zero(rt_bool is_rem, rt_loc loc) {
  rt_die_begin();
  fprintf(stderr, "panic: %s by zero\n", is_rem ? "remainder" : "division");
  die(loc);
}

void rt_panicf(rt_loc loc, const char* fmt, ...) {
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  rt_panic(msg, loc);
}
