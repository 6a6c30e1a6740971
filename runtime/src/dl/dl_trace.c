// FUSION_FFI_TRACE=1: every extern call (its library, symbol, arguments, location and result) and
// every library load (with the file the loader chose) logged to stderr, one line each.
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dl_internal.h"
#include "fusion/rt_core.h"

// What lowering emits for each extern call site (lower_ffi.cpp, FfiTraceSite): `kinds` has one
// letter per argument, then '>' and the result's: i (signed integer, sign-extended to 64 bits),
// u (unsigned, zero-extended), b (bool), f (f32, carried as a double's bits), d (f64),
// p (pointer), s (cstring), r (a struct or union: its address), v (no result).
typedef struct trace_site {
  const char* library;  // NULL: the running program
  const char* symbol;
  const char* kinds;
  rt_loc loc;
} trace_site;

static int g_trace = -1;  // -1: FUSION_FFI_TRACE not read yet

bool rtdl_trace_on(void) {
  if (g_trace < 0) {
    const char* v = getenv("FUSION_FFI_TRACE");
    g_trace = v && *v && strcmp(v, "0") != 0;
  }
  return g_trace;
}

rt_bool rt_ffi_trace_enabled(void) { return rtdl_trace_on(); }

// One line, built in a buffer and written with one call, so that lines of threads do not mix.
typedef struct line {
  char text[1024];
  size_t len;
} line;

__attribute__((format(printf, 2, 3))) static void add(line* l, const char* fmt, ...) {
  if (l->len >= sizeof l->text) return;
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(l->text + l->len, sizeof l->text - l->len, fmt, ap);
  va_end(ap);
  if (n > 0) l->len += (size_t)n;
  if (l->len > sizeof l->text - 1) l->len = sizeof l->text - 1;
}

enum { STRING_MAX = 64 };

// A cstring: its address, and its first bytes in quotes (escaped), as C's "%p \"%s\"" would show
// them. Reading them is as safe as the call itself, which reads the string (or gave it back).
static void add_string(line* l, const char* s) {
  if (!s) {
    add(l, "(null)");
    return;
  }
  add(l, "%p \"", (const void*)s);
  size_t i = 0;
  for (; s[i] && i < STRING_MAX; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c == '"' || c == '\\') add(l, "\\%c", c);
    else if (c == '\n') add(l, "\\n");
    else if (c == '\t') add(l, "\\t");
    else if (c < 32 || c >= 127) add(l, "\\x%02x", c);
    else add(l, "%c", c);
  }
  add(l, s[i] ? "\"..." : "\"");
}

static void add_value(line* l, char kind, uint64_t bits) {
  double d;
  switch (kind) {
    case 'i': add(l, "%" PRId64, (int64_t)bits); break;
    case 'u': add(l, "%" PRIu64, bits); break;
    case 'b': add(l, "%s", bits ? "true" : "false"); break;
    case 'f':
    case 'd':
      memcpy(&d, &bits, sizeof d);
      add(l, "%g", d);
      break;
    case 's': add_string(l, (const char*)(uintptr_t)bits); break;
    case 'r': add(l, "{struct at %p}", (void*)(uintptr_t)bits); break;
    default: add(l, "%p", (void*)(uintptr_t)bits); break;
  }
}

static void emit(line* l) {
  add(l, "\n");
  fflush(stdout);  // the trace in order with the program's own output
  fwrite(l->text, 1, l->len, stderr);
}

void rt_ffi_trace_call(rt_ptr site_ptr, rt_ptr args_ptr) {
  const trace_site* site = site_ptr;
  const uint64_t* args = args_ptr;
  line l = {.len = 0};
  add(&l, "ffi: %s(", site->symbol);
  const char* k = site->kinds;
  for (size_t i = 0; k[i] && k[i] != '>'; i++) {
    if (i) add(&l, ", ");
    add_value(&l, k[i], args[i]);
  }
  add(&l, ") [%s]", site->library ? site->library : "program");
  if (site->loc) add(&l, " at %s:%d:%d", site->loc->file, site->loc->line, site->loc->col);
  emit(&l);
}

void rt_ffi_trace_return(rt_ptr site_ptr, rt_u64 bits) {
  const trace_site* site = site_ptr;
  const char* result = strchr(site->kinds, '>');
  char kind = result ? result[1] : 'v';
  line l = {.len = 0};
  add(&l, "ffi: %s returned", site->symbol);
  if (kind != 'v') {
    add(&l, " ");
    add_value(&l, kind, bits);
  }
  emit(&l);
}

void rtdl_trace_load(const char* name, const char* path) {
  if (!rtdl_trace_on() || !*name) return;
  line l = {.len = 0};
  add(&l, "ffi: loaded library `%s` from %s", name, *path ? path : "(the loader did not say)");
  emit(&l);
}
