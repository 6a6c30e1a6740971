// Dynamic loading: opening shared libraries by the language contract's name rules, finding symbols.
#ifndef FUSION_RT_DL_H
#define FUSION_RT_DL_H

#include <stdbool.h>
#include <stddef.h>

#include "fusion/rt_types.h"

#ifdef __cplusplus
extern "C" {
#endif

// An open library. Cached per name and reference-counted: every successful rt_dl_open returns a
// reference that rt_dl_close gives back; the library is unloaded only when the last reference is
// given back (and never if rt_dl_lookup pinned it). Two names that the loader resolves to the same
// file (`libm.so.6`, `/lib/x86_64-linux-gnu/libm.so.6`, `m`) give the same rt_dl_lib.
typedef struct rt_dl_lib rt_dl_lib;

// Opens a library. `name` is
//   - NULL or "": the running program and everything it has loaded (`extern { … }`);
//   - a path (contains '/'): that file only;
//   - a file name (`libm.so.6`, `libfoo.so`): looked up in the search order below;
//   - a short name (`cudart`, `m`): `libcudart.so`, then the versioned `libcudart.so.N…` files
//     present (highest version first), in each place of the search order.
// Search order: the directories given to rt_dl_add_search_dir (the `-L` directories) and
// rt_dl_add_fusion_library_dir, in the order given, the
// directories of FUSION_LIBRARY_PATH (':'-separated), the system loader (LD_LIBRARY_PATH, the
// ld.so cache, the default directories), `$CUDA_HOME/lib64`, `/usr/local/cuda/lib64`.
// Returns NULL on failure; rt_dl_last_error() then names the library, every place tried and the
// loader's text for each. Thread-safe.
RT_API rt_dl_lib* rt_dl_open(const char* name);

// Gives back a reference from rt_dl_open. Returns false (with rt_dl_last_error() set) when `lib`
// is not an open library, e.g. closed once too often; never touches freed memory in that case.
RT_API bool rt_dl_close(rt_dl_lib* lib);

// The address of `symbol` in `lib`, or NULL with rt_dl_last_error() naming the symbol, the
// library, its path and the loader's text. Thread-safe; `lib` must be open.
RT_API void* rt_dl_sym(rt_dl_lib* lib, const char* symbol);

// Lazy binding in one step: opens `library` (as rt_dl_open) and finds `symbol` in it. The library
// stays loaded until the program exits (the caller keeps the address in a slot). On failure
// returns NULL and rt_dl_last_error() names both the library and the symbol. Thread-safe.
RT_API void* rt_dl_lookup(const char* library, const char* symbol);

// Whether `name` can be opened (the contract's `lib_available`); leaves nothing open that was not.
RT_API bool rt_dl_available(const char* name);

// Adds a directory searched before FUSION_LIBRARY_PATH (a `-L` directory), after those added
// before. Returns false when out of memory. rt_dl_clear_search_dirs forgets them all. Libraries
// already open are not affected (opening is cached by name).
RT_API bool rt_dl_add_search_dir(const char* dir);
// The same for the Fusion library's own directory (<bin>/../lib/fusion, where the shims of the
// shipped C++ bindings are), which messages name as such rather than as a `-L` directory.
RT_API bool rt_dl_add_fusion_library_dir(const char* dir);
RT_API void rt_dl_clear_search_dirs(void);

// The name `lib` was first opened with, and the file the loader chose ("" for the program itself).
// Valid while `lib` is open.
RT_API const char* rt_dl_name(const rt_dl_lib* lib);
RT_API const char* rt_dl_path(const rt_dl_lib* lib);

// The message of this thread's last failure in this module ("" if none). Valid until the next
// failing rt_dl_* call in the same thread.
RT_API const char* rt_dl_last_error(void);

#ifdef __cplusplus
}
#endif
#endif
