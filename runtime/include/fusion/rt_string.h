// Strings and files (runtime/src/str/): Fusion's `string` and `file` values (docs/strings.md).
//
// A string is a counted rt_str (fusion/rt_core.h's rt_ref) of `len` bytes of UTF-8 (not checked:
// any bytes) at `data`. It is immutable: every operation makes a new string or a slice. Its bytes
// are one of
//   - its own buffer (`cap` > 0): `cap` + 1 bytes from malloc, NUL-terminated at `len`;
//   - a string literal's (static object, refs -1, `cap` 0): NUL-terminated at `len`;
//   - a slice of another string (`base`, a reference): not NUL-terminated in general; rt_str_cstr
//     makes a NUL-terminated copy (`cstr`) that lives as long as the slice.
// The compiler emits a literal's object as a constant of this layout (lower/lower_string.cpp):
//   { i64 refs = -1, ptr drop = null, i64 len, ptr data, ptr base = null, i64 cap = 0, ptr cstr = null }
//
// Ownership as for tensors: every function below that returns a string or a file returns a new
// reference; arguments are borrowed, except rt_str_append's first (see there).
//
// Failures (an index or a slice out of range, a number that does not parse, an I/O error the
// program did not handle) end the program through the panic path with the Fusion location `loc`.
#ifndef FUSION_RT_STRING_H
#define FUSION_RT_STRING_H

#include "fusion/rt_core.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct rt_str {
  rt_ref ref;
  int64_t len;
  const char* data;
  struct rt_str* base;  // a slice: the string it is part of (a reference); else NULL
  int64_t cap;          // an owned buffer's capacity (bytes before the NUL); 0: not owned
  char* cstr;           // a slice's NUL-terminated copy, made on demand; else NULL
} rt_str;

// A new string that takes `text` (from malloc, `len` bytes; NUL-terminated or not) as its own.
rt_str* rt_str_adopt(char* text, int64_t len);
// A new string with a copy of `len` bytes at `bytes`.
rt_str* rt_str_copy(const char* bytes, int64_t len);

// Files (str/io.c): what a `file` value refers to.
typedef struct rt_file rt_file;

// Flushes every file the program has open for writing, skipping one whose lock another thread
// holds (the dying process: core/fault.c).
void rt_files_flush(void);

// Live strings and files (made and not yet freed), for the leak tests.
RT_API int64_t rt_str_live(void);

#ifdef __cplusplus
}
#endif
#endif
