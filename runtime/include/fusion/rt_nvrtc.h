// NVRTC, for the compiler (`extern cuda` blocks, compiler/cuda/nvrtc.cpp) and the runtime
// (gpu.compile_cuda, gpu/gpu_nvrtc.c): one loader, one compile call and one reader of a PTX
// entry's parameters (runtime/src/gpu/nvrtc.c). NVRTC is opened with dlopen on first use:
// FUSION_NVRTC, else libnvrtc.so.13 from $CUDA_HOME/lib64, /usr/local/cuda/lib64 or the loader's
// search path.
#ifndef FUSION_RT_NVRTC_H
#define FUSION_RT_NVRTC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fusion/rt_cache.h"
#include "fusion/rt_types.h"

#ifdef __cplusplus
extern "C" {
#endif

// A parameter of a PTX `.entry`.
typedef struct rt_nvrtc_param {
  char kind;     // 'i' integer (or pointer), 'f' float, 's' bytes (a struct)
  uint32_t size;
  bool pointer;  // `.ptr`: NVRTC writes it only sometimes, so a 64-bit integer may be a pointer too
} rt_nvrtc_param;

// The parameters of `.entry ENTRY(…)` in `ptx` (the first `max` into `out`): their number, or -1
// when the PTX has no such entry.
RT_API int rt_nvrtc_entry_params(const char* ptx, const char* entry, rt_nvrtc_param* out, int max);

// Adds to `h` what identifies the NVRTC library that would be loaded, without loading it (a cache
// hit must not pay for dlopen): the path, size and time of the first candidate that exists.
RT_API void rt_nvrtc_hash_identity(rt_cache_hash* h);

// NVRTC's version ("13.0"), loading it; NULL with the reason in *error when it cannot be loaded.
RT_API const char* rt_nvrtc_version(const char** error);

typedef struct rt_nvrtc_result {
  int status;         // 0 compiled; 1 the source did not compile (the log says why); -1 NVRTC failed
  char* ptx;          // status 0: the PTX (malloc)
  char* log;          // NVRTC's log, possibly empty (malloc)
  char** lowered;     // status 0: per name expression its PTX entry, "" when it names none (malloc)
  int lowered_count;
  char error[1024];   // status -1: what failed (loading NVRTC, or which NVRTC call)
} rt_nvrtc_result;

// Compiles `source`, named `name` in NVRTC's messages, with `opts`, asking for the PTX entry of
// each of the `nnames` name expressions.
RT_API void rt_nvrtc_compile(const char* source, const char* name, const char* const* opts, int nopts,
                             const char* const* names, int nnames, rt_nvrtc_result* out);
RT_API void rt_nvrtc_result_free(rt_nvrtc_result* r);

#ifdef __cplusplus
}
#endif

#endif
