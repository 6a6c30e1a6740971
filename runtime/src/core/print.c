// print/eprint: values through C stdio, floats formatted as Python's repr().
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fusion/rt_core.h"
#include "fusion/rt_string.h"

// Set while the CPU executor re-runs a block to find the thread that faulted (gpu_cpu.c).
_Thread_local bool rt_print_muted;

// The strings that `format(…)` calls of this thread are building, innermost last (a format's
// argument may itself be a format): memory streams, whose text becomes the string at the end.
enum { MAX_FORMAT_DEPTH = 64 };
static _Thread_local struct {
  FILE* file;
  char* text;
  size_t size;
} g_formats[MAX_FORMAT_DEPTH];
static _Thread_local int g_format_depth;

static FILE* stream_of(rt_i32 stream) {
  if (stream == 0) return g_formats[g_format_depth - 1].file;
  return stream == 2 ? stderr : stdout;
}

void* rt_print_file(rt_i32 stream) { return stream_of(stream); }

void rt_format_begin(rt_loc loc) {
  if (g_format_depth == MAX_FORMAT_DEPTH) rt_panic("format: more than 64 nested calls", loc);
  int d = g_format_depth;
  g_formats[d].text = NULL;
  g_formats[d].size = 0;
  g_formats[d].file = open_memstream(&g_formats[d].text, &g_formats[d].size);
  if (!g_formats[d].file) rt_panic("format: out of memory", loc);
  g_format_depth++;
}

rt_ptr rt_format_end(void) {
  int d = --g_format_depth;
  fclose(g_formats[d].file);
  return rt_str_adopt(g_formats[d].text, (rt_i64)g_formats[d].size);
}

void rt_print_i64(rt_i32 stream, rt_i64 v) {
  if (rt_print_muted && stream != 0) return;
  fprintf(stream_of(stream), "%" PRId64, v);
}

void rt_print_u64(rt_i32 stream, rt_u64 v) {
  if (rt_print_muted && stream != 0) return;
  fprintf(stream_of(stream), "%" PRIu64, v);
}

void rt_print_bool(rt_i32 stream, rt_bool v) {
  if (rt_print_muted && stream != 0) return;
  fputs(v ? "true" : "false", stream_of(stream));
}

void rt_print_str(rt_i32 stream, rt_ptr s) {
  if (rt_print_muted && stream != 0) return;
  fputs(s ? (const char*)s : "(null)", stream_of(stream));
}

void rt_print_ptr(rt_i32 stream, rt_ptr p) {
  if (rt_print_muted && stream != 0) return;
  fprintf(stream_of(stream), "0x%" PRIxPTR, (uintptr_t)p);
}

void rt_print_sep(rt_i32 stream) {
  if (rt_print_muted && stream != 0) return;
  fputc(' ', stream_of(stream));
}

void rt_print_end(rt_i32 stream) {
  if (rt_print_muted && stream != 0) return;
  fputc('\n', stream_of(stream));
  if (stream == 2) fflush(stderr);
}

// Finds the fewest significant digits (1..17) that read back to `value` (as f32 when `is_f32`).
// Writes them without a point into `digits` and returns the decimal exponent of the first digit.
static int shortest_digits(double value, bool is_f32, char* digits, int* ndigits) {
  char tmp[64];
  for (int prec = 1; prec <= 17; prec++) {
    snprintf(tmp, sizeof tmp, "%.*e", prec - 1, value);
    bool same = is_f32 ? (strtof(tmp, NULL) == (float)value) : (strtod(tmp, NULL) == value);
    if (same || prec == 17) {
      // tmp is "d.ddde[+-]XX" or "de[+-]XX".
      int n = 0;
      const char* c = tmp;
      for (; *c && *c != 'e'; c++)
        if (*c >= '0' && *c <= '9') digits[n++] = *c;
      while (n > 1 && digits[n - 1] == '0') n--;  // trailing zeros carry no information
      digits[n] = 0;
      *ndigits = n;
      return atoi(c + 1);
    }
  }
  return 0;  // unreachable
}

int rt_format_float(char* buf, double value, bool is_f32) {
  if (isnan(value)) return sprintf(buf, "nan");
  if (isinf(value)) return sprintf(buf, value < 0 ? "-inf" : "inf");
  char* out = buf;
  if (signbit(value)) {
    *out++ = '-';
    value = -value;
  }
  if (value == 0) return (int)(out - buf) + sprintf(out, "0.0");
  char digits[32];
  int n = 0;
  int exp = shortest_digits(value, is_f32, digits, &n);
  if (exp >= -4 && exp < 16) {  // positional notation, as repr()
    if (exp < 0) {
      out += sprintf(out, "0.");
      for (int i = 0; i < -exp - 1; i++) *out++ = '0';
      out += sprintf(out, "%s", digits);
    } else {
      for (int i = 0; i <= exp; i++) *out++ = i < n ? digits[i] : '0';
      *out++ = '.';
      if (n > exp + 1)
        out += sprintf(out, "%s", digits + exp + 1);
      else
        *out++ = '0';
      *out = 0;
    }
  } else {  // scientific: d[.ddd]e[+-]XX
    *out++ = digits[0];
    if (n > 1) out += sprintf(out, ".%s", digits + 1);
    out += sprintf(out, "e%c%02d", exp < 0 ? '-' : '+', exp < 0 ? -exp : exp);
  }
  return (int)(out - buf);
}

void rt_print_f64(rt_i32 stream, rt_f64 v) {
  if (rt_print_muted && stream != 0) return;
  char buf[40];
  rt_format_float(buf, v, false);
  fputs(buf, stream_of(stream));
}

void rt_print_f32(rt_i32 stream, rt_f32 v) {
  if (rt_print_muted && stream != 0) return;
  char buf[40];
  rt_format_float(buf, (double)v, true);
  fputs(buf, stream_of(stream));
}
