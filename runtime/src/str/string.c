// Strings (fusion/rt_string.h): creation, concatenation, comparison, slices, search, parsing.
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "str_internal.h"

_Static_assert(offsetof(rt_str, len) == 16 && offsetof(rt_str, data) == 24 && offsetof(rt_str, base) == 32 &&
                   offsetof(rt_str, cap) == 40 && offsetof(rt_str, cstr) == 48 && sizeof(rt_str) == 56,
               "the layout lower/lower_string.cpp emits for literals");

static atomic_long g_live;

int64_t rt_str_live(void) { return atomic_load(&g_live); }

void rts_count(int delta) { atomic_fetch_add(&g_live, delta); }

// Freed string objects kept for reuse by this thread: a loop that makes a slice or a line per
// turn then allocates no object (a string's bytes still come from malloc).
enum { FREE_OBJECTS = 64 };
static _Thread_local rt_str* g_free[FREE_OBJECTS];
static _Thread_local int g_nfree;

static void str_drop(rt_ref* r) {
  rt_str* s = (rt_str*)r;
  if (s->cap) free((char*)s->data);
  free(s->cstr);
  rt_str* base = s->base;
  if (g_nfree < FREE_OBJECTS)
    g_free[g_nfree++] = s;
  else
    free(s);
  atomic_fetch_sub(&g_live, 1);
  rt_release(base);
}

static rt_str* str_new(void) {
  rt_str* s = g_nfree ? g_free[--g_nfree] : malloc(sizeof *s);
  if (!s) rts_panic(NULL, "out of memory for a string");
  *s = (rt_str){.ref = {1, str_drop}};
  atomic_fetch_add(&g_live, 1);
  return s;
}

// A new string with room for `cap` bytes (and the NUL), `len` 0.
static rt_str* str_with_capacity(int64_t cap) {
  rt_str* s = str_new();
  if (cap < 15) cap = 15;
  char* buf = malloc((size_t)cap + 1);
  if (!buf) rts_panic(NULL, "out of memory for a string of %" PRId64 " bytes", cap);
  buf[0] = 0;
  s->data = buf;
  s->cap = cap;
  return s;
}

rt_str* rt_str_adopt(char* text, int64_t len) {
  rt_str* s = str_new();
  if (!text) len = 0;
  int64_t cap = len < 15 ? 15 : len;
  char* buf = realloc(text, (size_t)cap + 1);  // room for the NUL
  if (!buf) rts_panic(NULL, "out of memory for a string of %" PRId64 " bytes", len);
  buf[len] = 0;
  s->data = buf;
  s->len = len;
  s->cap = cap;
  return s;
}

rt_str* rt_str_copy(const char* bytes, int64_t len) {
  rt_str* s = str_with_capacity(len);
  memcpy((char*)s->data, bytes, (size_t)len);
  ((char*)s->data)[len] = 0;
  s->len = len;
  return s;
}

rt_str* rts_printf(const char* fmt, ...) {
  char* text = NULL;
  va_list ap;
  va_start(ap, fmt);
  int n = vasprintf(&text, fmt, ap);
  va_end(ap);
  if (n < 0) rts_panic(NULL, "out of memory for a string");
  return rt_str_adopt(text, n);
}

const char* rts_cstr(rt_str* s, rt_loc loc) {
  if (memchr(s->data, 0, (size_t)s->len))
    rts_panic(loc, "cstr: the string holds a NUL byte (at %" PRId64 "), which C would take for its end",
              (int64_t)((const char*)memchr(s->data, 0, (size_t)s->len) - s->data));
  if (!s->base) return s->data;  // owned or a literal: NUL-terminated
  if (!s->cstr) {
    s->cstr = malloc((size_t)s->len + 1);
    if (!s->cstr) rts_panic(loc, "out of memory for a string");
    memcpy(s->cstr, s->data, (size_t)s->len);
    s->cstr[s->len] = 0;
  }
  return s->cstr;
}

rt_ptr rt_str_from_cstring(rt_ptr c, rt_loc loc) {
  if (!c) rts_panic(loc, "a null `cstring` converted to `string`");
  return rt_str_copy(c, (int64_t)strlen(c));
}

rt_ptr rt_str_concat(rt_ptr ap, rt_ptr bp) {
  const rt_str *a = ap, *b = bp;
  rt_str* s = str_with_capacity(a->len + b->len);
  memcpy((char*)s->data, a->data, (size_t)a->len);
  memcpy((char*)s->data + a->len, b->data, (size_t)b->len);
  s->len = a->len + b->len;
  ((char*)s->data)[s->len] = 0;
  return s;
}

// s += t. When the variable holds the only reference to a string with its own buffer, the bytes
// are appended in place (the buffer grows by doubling), so a loop of `+=` takes linear time.
rt_ptr rt_str_append(rt_ptr sp, rt_ptr tp) {
  rt_str* s = (rt_str*)sp;
  const rt_str* t = tp;
  if (s->ref.refs != 1 || !s->cap) {
    rt_ptr r = rt_str_concat(s, t);
    rt_release(s);
    return r;
  }
  int64_t tlen = t->len, need = s->len + tlen;
  if (need > s->cap) {
    int64_t cap = s->cap * 2 > need ? s->cap * 2 : need;
    char* buf = realloc((char*)s->data, (size_t)cap + 1);
    if (!buf) rts_panic(NULL, "out of memory for a string of %" PRId64 " bytes", cap);
    s->data = buf;
    s->cap = cap;
  }
  // `t` may be `s` itself (s += s): read its bytes from the (possibly moved) buffer.
  memmove((char*)s->data + s->len, t == s ? s->data : t->data, (size_t)tlen);
  s->len = need;
  ((char*)s->data)[need] = 0;
  free(s->cstr);
  s->cstr = NULL;
  return s;
}

rt_i32 rt_str_compare(rt_ptr ap, rt_ptr bp) {
  const rt_str *a = ap, *b = bp;
  int64_t n = a->len < b->len ? a->len : b->len;
  int c = n ? memcmp(a->data, b->data, (size_t)n) : 0;
  if (c) return c < 0 ? -1 : 1;
  return a->len < b->len ? -1 : a->len > b->len;
}

rt_bool rt_str_equal(rt_ptr ap, rt_ptr bp) {
  const rt_str *a = ap, *b = bp;
  return a->len == b->len && (a->data == b->data || memcmp(a->data, b->data, (size_t)a->len) == 0);
}

rt_i32 rt_str_byte(rt_ptr sp, rt_i64 i, rt_loc loc) {
  const rt_str* s = sp;
  if (i < 0 || i >= s->len)
    rts_panic(loc, "index out of bounds: the index is %" PRId64 " but the string's length is %" PRId64, i, s->len);
  return (unsigned char)s->data[i];
}

rt_i32 rt_str_byte_u(rt_ptr sp, rt_u64 i, rt_loc loc) {
  const rt_str* s = sp;
  if (i >= (uint64_t)s->len)
    rts_panic(loc, "index out of bounds: the index is %" PRIu64 " but the string's length is %" PRId64, i, s->len);
  return (unsigned char)s->data[i];
}

// s.slice(from, to): bytes [from, to), sharing the string's memory.
rt_ptr rt_str_slice(rt_ptr sp, rt_i64 from, rt_i64 to, rt_loc loc) {
  rt_str* s = (rt_str*)sp;
  if (from < 0 || to < from || to > s->len)
    rts_panic(loc, "slice(%" PRId64 ", %" PRId64 ") is out of range for a string of length %" PRId64, from, to,
              s->len);
  if (from == 0 && to == s->len) {
    rt_retain(s);
    return s;
  }
  rt_str* root = s->base ? s->base : s;
  rt_str* v = str_new();
  v->data = s->data + from;
  v->len = to - from;
  v->base = root;
  rt_retain(root);
  return v;
}

// The first (or last) offset of `t` in `s`, or -1; an empty `t` is at 0 (or at the end).
static int64_t find(const rt_str* s, const rt_str* t, bool last) {
  if (t->len > s->len) return -1;
  if (!last) {
    const char* p = memmem(s->data, (size_t)s->len, t->data, (size_t)t->len);
    return p ? p - s->data : -1;
  }
  for (int64_t i = s->len - t->len; i >= 0; i--)
    if (memcmp(s->data + i, t->data, (size_t)t->len) == 0) return i;
  return -1;
}

rt_i64 rt_str_find(rt_ptr s, rt_ptr t, rt_loc loc) {
  (void)loc;
  return find(s, t, false);
}

rt_i64 rt_str_rfind(rt_ptr s, rt_ptr t, rt_loc loc) {
  (void)loc;
  return find(s, t, true);
}

rt_bool rt_str_contains(rt_ptr s, rt_ptr t, rt_loc loc) {
  (void)loc;
  return find(s, t, false) >= 0;
}

rt_bool rt_str_starts_with(rt_ptr sp, rt_ptr tp, rt_loc loc) {
  (void)loc;
  const rt_str *s = sp, *t = tp;
  return t->len <= s->len && memcmp(s->data, t->data, (size_t)t->len) == 0;
}

rt_bool rt_str_ends_with(rt_ptr sp, rt_ptr tp, rt_loc loc) {
  (void)loc;
  const rt_str *s = sp, *t = tp;
  return t->len <= s->len && memcmp(s->data + s->len - t->len, t->data, (size_t)t->len) == 0;
}

static bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }

// The bytes of `s` without leading and trailing spaces: [*from, *to).
static void trimmed(const rt_str* s, int64_t* from, int64_t* to) {
  int64_t a = 0, b = s->len;
  while (a < b && is_space(s->data[a])) a++;
  while (b > a && is_space(s->data[b - 1])) b--;
  *from = a, *to = b;
}

rt_ptr rt_str_trim(rt_ptr sp, rt_loc loc) {
  int64_t a, b;
  trimmed(sp, &a, &b);
  return rt_str_slice(sp, a, b, loc);
}

rt_ptr rt_str_cstr(rt_ptr s, rt_loc loc) { return rts_cstr((rt_str*)s, loc); }

// Up to 40 bytes of a string for a message, with "..." when cut.
static const char* quoted(const rt_str* s, char* buf) {
  int n = s->len > 40 ? 40 : (int)s->len;
  snprintf(buf, 64, "%.*s%s", n, s->data, s->len > 40 ? "..." : "");
  return buf;
}

// What parsing a string as a number found.
enum parsed { PARSED_OK, PARSED_NOT_NUMBER, PARSED_TOO_BIG, PARSED_NO_MEMORY };

// The whole string in decimal, with an optional sign, spaces allowed around it (" 42\n" as read
// from a line), into *out.
static enum parsed parse_i64(const rt_str* s, rt_i64* out) {
  int64_t a, b;
  trimmed(s, &a, &b);
  const char *p = s->data + a, *end = s->data + b;
  bool negative = p < end && *p == '-';
  if (p < end && (*p == '-' || *p == '+')) p++;
  if (p == end) return PARSED_NOT_NUMBER;
  uint64_t v = 0, limit = negative ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
  for (; p < end; p++) {
    if (*p < '0' || *p > '9') return PARSED_NOT_NUMBER;
    unsigned d = (unsigned)(*p - '0');
    if (v > (limit - d) / 10) {
      // The rest must still be digits for the text to be an integer (too big) at all.
      for (; p < end; p++)
        if (*p < '0' || *p > '9') return PARSED_NOT_NUMBER;
      return PARSED_TOO_BIG;
    }
    v = v * 10 + d;
  }
  *out = negative ? (rt_i64)(0 - v) : (rt_i64)v;
  return PARSED_OK;
}

// The whole string as a decimal number (digits, a point, an exponent; `inf` and `nan` too, as
// `print` writes them), spaces allowed around it, into *out.
static enum parsed parse_f64(const rt_str* s, rt_f64* out) {
  int64_t a, b;
  trimmed(s, &a, &b);
  const char* p = s->data + a;
  size_t n = (size_t)(b - a);
  if (n == 0 || memchr(p, 0, n) || memchr(p, 'x', n) || memchr(p, 'X', n)) return PARSED_NOT_NUMBER;
  char small[128];
  char* buf = n < sizeof small ? small : malloc(n + 1);
  if (!buf) return PARSED_NO_MEMORY;
  memcpy(buf, p, n);
  buf[n] = 0;
  char* stop;
  *out = strtod(buf, &stop);
  bool ok = stop == buf + n;
  if (buf != small) free(buf);
  return ok ? PARSED_OK : PARSED_NOT_NUMBER;
}

// Ends the program for a `what` (parse_i64, parse_f64, is_f64) of `s` that found `r`.
RT_NORETURN static void parse_failed(const char* what, enum parsed r, const rt_str* s, rt_loc loc) {
  char q[64];
  switch (r) {
    case PARSED_TOO_BIG: rts_panic(loc, "%s: `%s` does not fit in an i64", what, quoted(s, q));
    case PARSED_NO_MEMORY: rts_panic(loc, "%s: out of memory", what);
    default: rts_panic(loc, "%s: `%s` is not %s", what, quoted(s, q), strcmp(what, "parse_i64") == 0 ? "an integer" : "a number");
  }
}

rt_i64 rt_str_parse_i64(rt_ptr sp, rt_loc loc) {
  rt_i64 v = 0;
  enum parsed r = parse_i64(sp, &v);
  if (r != PARSED_OK) parse_failed("parse_i64", r, sp, loc);
  return v;
}

rt_f64 rt_str_parse_f64(rt_ptr sp, rt_loc loc) {
  rt_f64 v = 0;
  enum parsed r = parse_f64(sp, &v);
  if (r != PARSED_OK) parse_failed("parse_f64", r, sp, loc);
  return v;
}

// s.is_i64(), s.is_f64(): whether parse_i64 / parse_f64 would give a number (and not end the
// program), so that a program can report or skip bad input itself.
rt_bool rt_str_is_i64(rt_ptr sp, rt_loc loc) {
  (void)loc;
  rt_i64 v;
  return parse_i64(sp, &v) == PARSED_OK;
}

rt_bool rt_str_is_f64(rt_ptr sp, rt_loc loc) {
  rt_f64 v;
  enum parsed r = parse_f64(sp, &v);
  if (r == PARSED_NO_MEMORY) parse_failed("is_f64", r, sp, loc);
  return r == PARSED_OK;
}

// for line in s.lines(): the line that starts at *pos (without its "\n" or "\r\n"), *pos moved
// past it; NULL when *pos is at the end. A last line without "\n" is a line; "" has none.
rt_ptr rt_str_next_line(rt_ptr sp, rt_ptr posp) {
  const rt_str* s = sp;
  int64_t* pos = (int64_t*)posp;
  if (*pos >= s->len) return NULL;
  const char* nl = memchr(s->data + *pos, '\n', (size_t)(s->len - *pos));
  int64_t end = nl ? nl - s->data : s->len, next = nl ? end + 1 : end;
  if (nl && end > *pos && s->data[end - 1] == '\r') end--;
  rt_ptr line = rt_str_slice(sp, *pos, end, NULL);
  *pos = next;
  return line;
}

void rt_print_string(rt_i32 stream, rt_ptr sp) {
  const rt_str* s = sp;
  rt_print_out(stream, s->data, (size_t)s->len);
}

rt_bool rt_has_env(rt_ptr name) { return getenv(rts_cstr((rt_str*)name, NULL)) != NULL; }
