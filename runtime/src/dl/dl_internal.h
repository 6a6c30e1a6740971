// Private to runtime/src/dl: library search and this module's thread-local error message.
// Names shared between this module's files start with `rtdl_` (hidden by -fvisibility=hidden).
#ifndef FUSION_RT_DL_INTERNAL_H
#define FUSION_RT_DL_INTERNAL_H

#include <stddef.h>
#include <stdio.h>

// dlopen flags for every library: resolve all symbols now (errors show at open, not mid-call) and
// keep the library's symbols out of the global namespace (as Python's ctypes does).
#define DL_OPEN_FLAGS (RTLD_NOW | RTLD_LOCAL)

// Opens `name` (not NULL, not "") by the contract's search order, trying `dirs` (the `-L`
// directories, and the Fusion library's own) first; `labels[i]` is the PLACE that `dirs[i]` is
// logged as. Returns the dlopen handle, or NULL. Every attempt is written to `log` as a line
// "  tried CANDIDATE (PLACE): LOADER TEXT\n"; `log` may be NULL.
void* rtdl_search(const char* name, char* const* dirs, const char* const* labels, size_t ndirs, FILE* log);

// The PLACE of the search directories.
#define RTDL_PLACE_L_DIR "-L directory"
#define RTDL_PLACE_FUSION_LIB "the Fusion library's directory"

// Sets this thread's error message (printf-style), or takes ownership of a malloc'd message
// (NULL means out of memory).
__attribute__((format(printf, 1, 2))) void rtdl_error_set(const char* fmt, ...);
void rtdl_error_take(char* msg);
const char* rtdl_error_get(void);

// FUSION_FFI_TRACE (dl_trace.c): whether it is on (read once), and the line for a library that
// has just been loaded under `name` from `path`.
#include <stdbool.h>
bool rtdl_trace_on(void);
void rtdl_trace_load(const char* name, const char* path);

#endif
