// Type descriptors: primitives, pointers, arrays, structs and unions; C layout, SysV
// classification, and the ffi_type each is given to libffi as. Composite types are interned.
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ffi_internal.h"

pthread_mutex_t rtffi_lock = PTHREAD_MUTEX_INITIALIZER;
rt_ffi_stats rtffi_stats;

// The largest aggregate the engine describes (libffi keeps stack sizes in 32 bits).
#define MAX_AGGREGATE_SIZE ((size_t)1 << 30)

#define INT_CLASS(k, sz, ft)                \
  [k] = {.kind = k,                         \
         .size = sz,                        \
         .align = sz,                       \
         .nclasses = 1,                     \
         .classes = {RT_FFI_CLASS_INTEGER}, \
         .ffi = &ft}
#define SSE_CLASS(k, sz, ft)            \
  [k] = {.kind = k,                     \
         .size = sz,                    \
         .align = sz,                   \
         .nclasses = 1,                 \
         .classes = {RT_FFI_CLASS_SSE}, \
         .ffi = &ft}

static rt_ffi_type g_prims[RT_FFI_STRUCT] = {
    [RT_FFI_VOID] =
        {.kind = RT_FFI_VOID, .size = 0, .align = 1, .nclasses = -1, .ffi = &ffi_type_void},
    INT_CLASS(RT_FFI_BOOL, 1, ffi_type_uint8),
    INT_CLASS(RT_FFI_I8, 1, ffi_type_sint8),
    INT_CLASS(RT_FFI_I16, 2, ffi_type_sint16),
    INT_CLASS(RT_FFI_I32, 4, ffi_type_sint32),
    INT_CLASS(RT_FFI_I64, 8, ffi_type_sint64),
    INT_CLASS(RT_FFI_U8, 1, ffi_type_uint8),
    INT_CLASS(RT_FFI_U16, 2, ffi_type_uint16),
    INT_CLASS(RT_FFI_U32, 4, ffi_type_uint32),
    INT_CLASS(RT_FFI_U64, 8, ffi_type_uint64),
    INT_CLASS(RT_FFI_ISIZE, 8, ffi_type_sint64),
    INT_CLASS(RT_FFI_USIZE, 8, ffi_type_uint64),
    SSE_CLASS(RT_FFI_F32, 4, ffi_type_float),
    SSE_CLASS(RT_FFI_F64, 8, ffi_type_double),
    INT_CLASS(RT_FFI_POINTER, 8, ffi_type_pointer),
    INT_CLASS(RT_FFI_CSTRING, 8, ffi_type_pointer),
};

const rt_ffi_type* rt_ffi_type_prim(rt_ffi_kind kind) {
  switch (kind) {
    case RT_FFI_STRUCT:
    case RT_FFI_UNION:
    case RT_FFI_ARRAY:
      rtffi_fail(RT_FFI_ERR_INVALID,
                 "rt_ffi_type_prim: kind %d is composite; build it with "
                 "rt_ffi_type_struct, rt_ffi_type_union or rt_ffi_type_array",
                 (int)kind);
      return NULL;
    case RT_FFI_LONG_DOUBLE:
      rtffi_fail(RT_FFI_ERR_UNSUPPORTED,
                 "`long double` is not supported: it goes in x87 registers (classes X87/X87UP), "
                 "which Fusion has no type for and its direct-call classifier does not implement; "
                 "refusing it keeps libffi calls and direct calls to the same set of signatures");
      return NULL;
    case RT_FFI_I128:
    case RT_FFI_U128:
      rtffi_fail(
          RT_FFI_ERR_UNSUPPORTED,
          "`%s` is not supported: libffi has no 128-bit integer type, and Fusion none either",
          kind == RT_FFI_I128 ? "__int128" : "unsigned __int128");
      return NULL;
    default:
      if ((unsigned)kind >= RT_FFI_STRUCT) {
        rtffi_fail(RT_FFI_ERR_INVALID, "rt_ffi_type_prim: %d is not a type kind", (int)kind);
        return NULL;
      }
      return &g_prims[kind];
  }
}

// --- Interning ----------------------------------------------------------------------------------

static rtffi_table g_types;  // guarded by rtffi_lock

static uint64_t hash_key(rt_ffi_kind kind, const rt_ffi_type* elem,
                         const rt_ffi_type* const* members, size_t count) {
  uint64_t h = rtffi_hash_mix(0x5bd1e995u, (uint64_t)kind);
  h = rtffi_hash_mix(h, (uint64_t)count);
  h = rtffi_hash_mix(h, (uint64_t)(uintptr_t)elem);
  for (size_t i = 0; members && i < count; i++)
    h = rtffi_hash_mix(h, (uint64_t)(uintptr_t)members[i]);
  return h;
}

// The interned type with this key, or NULL. Caller holds rtffi_lock.
static rt_ffi_type* find_type(uint64_t hash, rt_ffi_kind kind, const rt_ffi_type* elem,
                              const rt_ffi_type* const* members, size_t count) {
  for (rtffi_entry* e = rtffi_table_chain(&g_types, hash); e; e = e->next) {
    rt_ffi_type* t = (rt_ffi_type*)e;
    if (e->hash != hash || t->kind != kind || t->count != count || t->elem != elem) continue;
    if (members && memcmp(t->members, members, count * sizeof *members) != 0) continue;
    return t;
  }
  return NULL;
}

static void free_type(rt_ffi_type* t) {
  if (!t) return;
  free(t->members);
  free(t->offsets);
  free(t->ffi_elements);
  free(t);
}

// --- Layout and classification ------------------------------------------------------------------

static size_t round_up(size_t n, size_t align) { return (n + align - 1) / align * align; }

// Merges the classes of every scalar inside `t` (placed at `offset`) into `classes`, one per
// eightbyte: INTEGER if any integer or pointer overlaps it, else SSE if any float does (the
// SysV merge rules, without the x87 and vector classes the engine refuses). Every scalar lies
// within one eightbyte, since alignments are natural and at most 8.
static void classify_at(const rt_ffi_type* t, size_t offset, rt_ffi_class classes[2]) {
  switch (t->kind) {
    case RT_FFI_STRUCT:
      for (size_t i = 0; i < t->count; i++)
        classify_at(t->members[i], offset + t->offsets[i], classes);
      return;
    case RT_FFI_UNION:
      for (size_t i = 0; i < t->count; i++) classify_at(t->members[i], offset, classes);
      return;
    case RT_FFI_ARRAY:
      for (size_t i = 0; i < t->count; i++)
        classify_at(t->elem, offset + i * t->elem->size, classes);
      return;
    case RT_FFI_F32:
    case RT_FFI_F64:
      if (classes[offset / 8] == 0) classes[offset / 8] = RT_FFI_CLASS_SSE;
      return;
    default: classes[offset / 8] = RT_FFI_CLASS_INTEGER; return;
  }
}

// Gives an aggregate its ffi_type. libffi describes neither unions nor arrays, so instead of the
// members it is given scalars that reproduce the aggregate's eightbyte classes: an INTEGER
// eightbyte as unsigned integers covering its bytes (8, or 4+2+1 pieces in the last, partial one),
// an SSE eightbyte as a double (8 bytes) or a float (4 bytes). libffi then moves exactly those
// bytes through the registers the classes name. An aggregate over 16 bytes goes by memory, which
// libffi decides from the size alone, so a single byte stands in for its members.
static rt_ffi_status build_ffi(rt_ffi_type* t) {
  ffi_type** el = calloc(8, sizeof *el);
  if (!el) return rtffi_fail(RT_FFI_ERR_NO_MEMORY, "out of memory building a type descriptor");
  size_t n = 0;
  if (t->nclasses == 0) {
    el[n++] = &ffi_type_uint8;
  }
  for (int e = 0; e < t->nclasses; e++) {
    size_t avail = t->size - 8 * (size_t)e;
    if (avail > 8) avail = 8;
    if (t->classes[e] == RT_FFI_CLASS_SSE) {
      if (avail != 8 && avail != 4) {
        free(el);
        return rtffi_fail(RT_FFI_ERR_UNSUPPORTED,
                          "an SSE eightbyte of %zu bytes cannot be described", avail);
      }
      el[n++] = avail == 8 ? &ffi_type_double : &ffi_type_float;
      continue;
    }
    while (avail > 0) {
      size_t piece = avail >= 8 ? 8 : avail >= 4 ? 4 : avail >= 2 ? 2 : 1;
      el[n++] = piece == 8   ? &ffi_type_uint64
                : piece == 4 ? &ffi_type_uint32
                : piece == 2 ? &ffi_type_uint16
                             : &ffi_type_uint8;
      avail -= piece;
    }
  }
  el[n] = NULL;
  t->ffi_elements = el;
  t->ffi_aggregate = (ffi_type){.size = t->size,
                                .alignment = (unsigned short)t->align,
                                .type = FFI_TYPE_STRUCT,
                                .elements = el};
  t->ffi = &t->ffi_aggregate;
  return RT_FFI_OK;
}

// Fills in an aggregate's classes and ffi_type once its layout is known.
static rt_ffi_status finish_aggregate(rt_ffi_type* t) {
  if (t->size > 16) {
    t->nclasses = 0;
  } else {
    t->nclasses = (int)((t->size + 7) / 8);
    classify_at(t, 0, t->classes);
    for (int e = 0; e < t->nclasses; e++)
      if (t->classes[e] == 0) t->classes[e] = RT_FFI_CLASS_SSE;  // only padding: unreachable
  }
  return build_ffi(t);
}

// Lays out a struct (members one after another) or a union (all at offset 0).
static rt_ffi_status layout_members(rt_ffi_type* t) {
  size_t end = 0, align = 1;
  bool is_struct = t->kind == RT_FFI_STRUCT;
  if (is_struct) {
    t->offsets = calloc(t->count, sizeof *t->offsets);
    if (!t->offsets) return rtffi_fail(RT_FFI_ERR_NO_MEMORY, "out of memory building a struct");
  }
  for (size_t i = 0; i < t->count; i++) {
    const rt_ffi_type* m = t->members[i];
    if (m->align > align) align = m->align;
    size_t at = is_struct ? round_up(end, m->align) : 0;
    if (at > MAX_AGGREGATE_SIZE || m->size > MAX_AGGREGATE_SIZE - at)
      return rtffi_fail(RT_FFI_ERR_INVALID, "%s is larger than %zu bytes",
                        is_struct ? "struct" : "union", MAX_AGGREGATE_SIZE);
    if (is_struct) t->offsets[i] = at;
    if (at + m->size > end) end = at + m->size;
  }
  t->align = align;
  t->size = round_up(end, align);
  if (t->size > MAX_AGGREGATE_SIZE)
    return rtffi_fail(RT_FFI_ERR_INVALID, "%s is larger than %zu bytes",
                      is_struct ? "struct" : "union", MAX_AGGREGATE_SIZE);
  return finish_aggregate(t);
}

// --- Builders -----------------------------------------------------------------------------------

// Checks that `m` may be a member of an aggregate (or an array's element).
static rt_ffi_status check_member(const rt_ffi_type* m, const char* what, size_t i) {
  if (!m)
    return rtffi_fail(RT_FFI_ERR_NULL, "%s %zu has no type (NULL; did building its type fail?)",
                      what, i);
  if (m->kind == RT_FFI_VOID)
    return rtffi_fail(RT_FFI_ERR_INVALID, "%s %zu is `void`, which has no values", what, i);
  return RT_FFI_OK;
}

// Finds or creates the composite type with this key. Caller holds rtffi_lock.
static const rt_ffi_type* intern(rt_ffi_kind kind, const rt_ffi_type* elem,
                                 const rt_ffi_type* const* members, size_t count) {
  uint64_t hash = hash_key(kind, elem, members, count);
  rt_ffi_type* t = find_type(hash, kind, elem, members, count);
  if (t) {
    rtffi_stats.type_hits++;
    return t;
  }
  t = calloc(1, sizeof *t);
  if (!t) {
    rtffi_fail(RT_FFI_ERR_NO_MEMORY, "out of memory building a type descriptor");
    return NULL;
  }
  *t = (rt_ffi_type){.kind = kind, .count = count, .elem = elem, .entry.hash = hash};
  rt_ffi_status status = RT_FFI_OK;
  if (members) {
    t->members = malloc(count * sizeof *t->members);
    if (!t->members)
      status = rtffi_fail(RT_FFI_ERR_NO_MEMORY, "out of memory building a type");
    else
      memcpy(t->members, members, count * sizeof *members);
  }
  if (status == RT_FFI_OK) {
    switch (kind) {
      case RT_FFI_POINTER:
        *t = (rt_ffi_type){.kind = kind,
                           .elem = elem,
                           .entry.hash = hash,
                           .size = 8,
                           .align = 8,
                           .nclasses = 1,
                           .classes = {RT_FFI_CLASS_INTEGER},
                           .ffi = &ffi_type_pointer};
        break;
      case RT_FFI_ARRAY:
        if (count > MAX_AGGREGATE_SIZE / elem->size) {
          status = rtffi_fail(RT_FFI_ERR_INVALID, "array of %zu elements of %zu bytes is too large",
                              count, elem->size);
          break;
        }
        t->size = count * elem->size;
        t->align = elem->align;
        t->nclasses = -1;  // C passes arrays as pointers; an array member is classified in place
        break;
      default: status = layout_members(t); break;
    }
  }
  if (status == RT_FFI_OK && !rtffi_table_insert(&g_types, &t->entry))
    status = rtffi_fail(RT_FFI_ERR_NO_MEMORY, "out of memory building a type descriptor");
  if (status != RT_FFI_OK) {
    free_type(t);
    return NULL;
  }
  rtffi_stats.types_built++;
  return t;
}

static const rt_ffi_type* build_locked(rt_ffi_kind kind, const rt_ffi_type* elem,
                                       const rt_ffi_type* const* members, size_t count) {
  pthread_mutex_lock(&rtffi_lock);
  const rt_ffi_type* t = intern(kind, elem, members, count);
  pthread_mutex_unlock(&rtffi_lock);
  return t;
}

const rt_ffi_type* rt_ffi_type_pointer(const rt_ffi_type* pointee) {
  if (!pointee || pointee->kind == RT_FFI_VOID) return &g_prims[RT_FFI_POINTER];
  return build_locked(RT_FFI_POINTER, pointee, NULL, 0);
}

const rt_ffi_type* rt_ffi_type_array(const rt_ffi_type* elem, size_t count) {
  if (check_member(elem, "array element", 0) != RT_FFI_OK) return NULL;
  if (count == 0) {
    rtffi_fail(RT_FFI_ERR_INVALID, "array of zero elements: C has no zero-length arrays");
    return NULL;
  }
  return build_locked(RT_FFI_ARRAY, elem, NULL, count);
}

static const rt_ffi_type* build_aggregate(rt_ffi_kind kind, const rt_ffi_type* const* members,
                                          size_t count) {
  const char* what = kind == RT_FFI_STRUCT ? "struct" : "union";
  if (count == 0) {
    rtffi_fail(RT_FFI_ERR_INVALID,
               "%s with zero fields: C forbids it, and GNU C's size-0 %s has no agreed ABI", what,
               what);
    return NULL;
  }
  if (!members) {
    rtffi_fail(RT_FFI_ERR_NULL, "%s of %zu fields given no field list", what, count);
    return NULL;
  }
  for (size_t i = 0; i < count; i++)
    if (check_member(members[i], kind == RT_FFI_STRUCT ? "field" : "member", i) != RT_FFI_OK)
      return NULL;
  return build_locked(kind, NULL, members, count);
}

const rt_ffi_type* rt_ffi_type_struct(const rt_ffi_type* const* members, size_t count) {
  return build_aggregate(RT_FFI_STRUCT, members, count);
}

const rt_ffi_type* rt_ffi_type_union(const rt_ffi_type* const* members, size_t count) {
  return build_aggregate(RT_FFI_UNION, members, count);
}

// --- Queries ------------------------------------------------------------------------------------

rt_ffi_kind rt_ffi_type_kind(const rt_ffi_type* t) { return t ? t->kind : RT_FFI_VOID; }
size_t rt_ffi_type_size(const rt_ffi_type* t) { return t ? t->size : 0; }
size_t rt_ffi_type_align(const rt_ffi_type* t) { return t ? t->align : 1; }

size_t rt_ffi_type_count(const rt_ffi_type* t) {
  if (!t) return 0;
  return t->kind == RT_FFI_STRUCT || t->kind == RT_FFI_UNION || t->kind == RT_FFI_ARRAY ? t->count
                                                                                        : 0;
}

const rt_ffi_type* rt_ffi_type_elem(const rt_ffi_type* t, size_t i) {
  if (!t) return NULL;
  if (t->kind == RT_FFI_ARRAY || t->kind == RT_FFI_POINTER) return t->elem;
  if ((t->kind == RT_FFI_STRUCT || t->kind == RT_FFI_UNION) && i < t->count) return t->members[i];
  return NULL;
}

size_t rt_ffi_type_offset(const rt_ffi_type* t, size_t i) {
  if (!t) return 0;
  if (t->kind == RT_FFI_STRUCT && i < t->count) return t->offsets[i];
  if (t->kind == RT_FFI_ARRAY) return i * t->elem->size;
  return 0;
}

int rt_ffi_type_classify(const rt_ffi_type* t, rt_ffi_class classes[2]) {
  if (!t) return -1;
  for (int e = 0; e < t->nclasses; e++) classes[e] = t->classes[e];
  return t->nclasses;
}

// --- Formatting ---------------------------------------------------------------------------------

typedef struct writer {
  char* buf;
  size_t size, len;
} writer;

__attribute__((format(printf, 2, 3))) static void put(writer* w, const char* fmt, ...) {
  char* dst = w->len < w->size ? w->buf + w->len : NULL;
  size_t room = w->len < w->size ? w->size - w->len : 0;
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(dst, room, fmt, ap);
  va_end(ap);
  if (n > 0) w->len += (size_t)n;
}

static const char* const k_prim_names[RT_FFI_STRUCT] = {
    "void", "bool", "i8",    "i16",   "i32", "i64", "u8",    "u16",
    "u32",  "u64",  "isize", "usize", "f32", "f64", "*void", "cstring",
};

static void format(writer* w, const rt_ffi_type* t) {
  switch (t->kind) {
    case RT_FFI_POINTER:
      if (!t->elem) {
        put(w, "*void");
      } else {
        put(w, "*");
        format(w, t->elem);
      }
      return;
    case RT_FFI_ARRAY:
      put(w, "[");
      format(w, t->elem);
      put(w, "; %zu]", t->count);
      return;
    case RT_FFI_STRUCT:
    case RT_FFI_UNION:
      put(w, t->kind == RT_FFI_UNION ? "union {" : "{");
      for (size_t i = 0; i < t->count; i++) {
        if (i) put(w, ", ");
        format(w, t->members[i]);
      }
      put(w, "}");
      return;
    default: put(w, "%s", (unsigned)t->kind < RT_FFI_STRUCT ? k_prim_names[t->kind] : "?"); return;
  }
}

size_t rt_ffi_type_format(const rt_ffi_type* t, char* buf, size_t size) {
  writer w = {buf, size, 0};
  if (buf && size) buf[0] = '\0';
  if (!t)
    put(&w, "(null)");
  else
    format(&w, t);
  return w.len;
}
