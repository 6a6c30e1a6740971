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
// argument may itself be a format, recursively): growing buffers, which become the strings.
typedef struct builder {
  char* text;
  size_t len, cap;
} builder;
static _Thread_local builder* g_formats;
static _Thread_local int g_format_depth, g_format_cap;

void rt_print_out(rt_i32 stream, const char* text, size_t n) {
  if (stream != 0) {
    if (!rt_print_muted) fwrite(text, 1, n, stream == 2 ? stderr : stdout);
    return;
  }
  builder* b = &g_formats[g_format_depth - 1];
  if (b->len + n > b->cap) {
    size_t cap = b->cap ? b->cap : 64;
    while (cap < b->len + n) cap *= 2;
    char* more = realloc(b->text, cap + 1);
    if (!more) rt_panic("format: out of memory", NULL);
    b->text = more;
    b->cap = cap;
  }
  memcpy(b->text + b->len, text, n);
  b->len += n;
}

static void out_str(rt_i32 stream, const char* s) { rt_print_out(stream, s, strlen(s)); }

void rt_format_begin(rt_loc loc) {
  if (g_format_depth == g_format_cap) {
    int cap = g_format_cap ? 2 * g_format_cap : 8;
    builder* more = realloc(g_formats, (size_t)cap * sizeof *more);
    if (!more) rt_panic("format: out of memory", loc);
    g_formats = more;
    g_format_cap = cap;
  }
  g_formats[g_format_depth++] = (builder){NULL, 0, 0};
}

rt_ptr rt_format_end(void) {
  builder b = g_formats[--g_format_depth];
  return rt_str_adopt(b.text, (rt_i64)b.len);
}

void rt_print_i64(rt_i32 stream, rt_i64 v) {
  char buf[32];
  rt_print_out(stream, buf, (size_t)snprintf(buf, sizeof buf, "%" PRId64, v));
}

void rt_print_u64(rt_i32 stream, rt_u64 v) {
  char buf[32];
  rt_print_out(stream, buf, (size_t)snprintf(buf, sizeof buf, "%" PRIu64, v));
}

void rt_print_bool(rt_i32 stream, rt_bool v) { out_str(stream, v ? "true" : "false"); }

void rt_print_str(rt_i32 stream, rt_ptr s) { out_str(stream, s ? (const char*)s : "(null)"); }

void rt_print_ptr(rt_i32 stream, rt_ptr p) {
  char buf[32];
  rt_print_out(stream, buf, (size_t)snprintf(buf, sizeof buf, "0x%" PRIxPTR, (uintptr_t)p));
}

void rt_print_sep(rt_i32 stream) { rt_print_out(stream, " ", 1); }

void rt_print_end(rt_i32 stream) {
  rt_print_out(stream, "\n", 1);
  if (stream == 2 && !rt_print_muted) fflush(stderr);
}

// The binary formats a float is printed for: its value reads back as that format.
typedef enum float_format { FMT_F64, FMT_F32, FMT_F16, FMT_BF16 } float_format;

// `x` rounded to nearest even to a format of `precision` significand bits, smallest normal
// exponent `emin` and largest finite value `max` (compiler/base/half.h's RoundToFormat, in C):
// how the compiler reads an f16 or bf16 literal.
static double round_to_format(double x, int precision, int emin, double max) {
  if (x == 0 || isnan(x) || isinf(x)) return x;
  double mag = fabs(x);
  int e;
  frexp(mag, &e);
  int lead = e - 1 < emin ? emin : e - 1;
  double quantum = ldexp(1.0, lead - (precision - 1));
  double r = nearbyint(mag / quantum) * quantum;
  if (r > max) r = INFINITY;
  return copysign(r, x);
}

// Whether the decimal text reads back as `value` in `format`.
static bool reads_back(const char* text, double value, float_format format) {
  switch (format) {
    case FMT_F32: return strtof(text, NULL) == (float)value;
    case FMT_F16: return round_to_format(strtod(text, NULL), 11, -14, 65504.0) == value;
    case FMT_BF16: return round_to_format(strtod(text, NULL), 8, -126, 0x1.fep127) == value;
    default: return strtod(text, NULL) == value;
  }
}

// Finds the fewest significant digits (1..17) that read back to `value` (in `format`).
// Writes them without a point into `digits` and returns the decimal exponent of the first digit.
static int shortest_digits(double value, float_format format, char* digits, int* ndigits) {
  char tmp[64];
  for (int prec = 1; prec <= 17; prec++) {
    snprintf(tmp, sizeof tmp, "%.*e", prec - 1, value);
    if (reads_back(tmp, value, format) || prec == 17) {
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

static int format_float(char* buf, double value, float_format format) {
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
  int exp = shortest_digits(value, format, digits, &n);
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

int rt_format_float(char* buf, double value, bool is_f32) { return format_float(buf, value, is_f32 ? FMT_F32 : FMT_F64); }

void rt_print_f64(rt_i32 stream, rt_f64 v) {
  char buf[40];
  rt_print_out(stream, buf, (size_t)rt_format_float(buf, v, false));
}

void rt_print_f32(rt_i32 stream, rt_f32 v) {
  char buf[40];
  rt_print_out(stream, buf, (size_t)rt_format_float(buf, (double)v, true));
}

// f16 and bf16 arrive as their exact f64 values.
void rt_print_f16(rt_i32 stream, rt_f64 v) {
  char buf[40];
  rt_print_out(stream, buf, (size_t)format_float(buf, v, FMT_F16));
}

void rt_print_bf16(rt_i32 stream, rt_f64 v) {
  char buf[40];
  rt_print_out(stream, buf, (size_t)format_float(buf, v, FMT_BF16));
}
