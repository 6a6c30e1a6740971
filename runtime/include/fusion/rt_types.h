// The C types named in rt_functions.def, shared by the runtime and its users.
#ifndef FUSION_RT_TYPES_H
#define FUSION_RT_TYPES_H

#include <stdbool.h>
#include <stdint.h>

// Marks a runtime function as part of the public C API: visible outside the runtime even though it
// is built with -fvisibility=hidden (Lua's LUA_API).
#ifndef RT_API
#define RT_API __attribute__((visibility("default")))
#endif

typedef void rt_void;
typedef int32_t rt_i32;
typedef int64_t rt_i64;
typedef uint32_t rt_u32;
typedef uint64_t rt_u64;
typedef double rt_f64;
typedef float rt_f32;
typedef bool rt_bool;
typedef const void* rt_ptr;

// A position in Fusion source, emitted by the compiler as a constant global per call site.
typedef struct rt_src_loc {
  const char* file;
  int32_t line;
  int32_t col;
} rt_src_loc;
typedef const rt_src_loc* rt_loc;

#endif
