// The compiled-kernel cache on disk (docs/cache.md): entries keyed by a SHA-256 of everything that
// determines them, written atomically, checked on every read, evicted least recently used beyond a
// size cap. Used by the runtime (gpu.compile_cuda, the CUDA device's cubins) and by the compiler
// (`extern cuda` blocks, `fusion cache info|clear`), which links this one C file from fusion_rt.
#ifndef FUSION_RT_CACHE_H
#define FUSION_RT_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fusion/rt_types.h"

#ifdef __cplusplus
extern "C" {
#endif

enum { RT_CACHE_KEY_SIZE = 32 };

// A SHA-256 in progress. Keys are made by adding, as fields, every input that determines an entry.
typedef struct rt_cache_hash {
  uint32_t state[8];
  uint64_t bytes;
  uint8_t block[64];
  size_t used;
} rt_cache_hash;

RT_API void rt_cache_hash_init(rt_cache_hash* h);
// Adds raw bytes.
RT_API void rt_cache_hash_bytes(rt_cache_hash* h, const void* data, size_t size);
// Adds one field: its length, then its bytes, so that fields never run into each other.
RT_API void rt_cache_hash_field(rt_cache_hash* h, const void* data, size_t size);
// Adds a string as a field; NULL is a field of its own, different from "".
RT_API void rt_cache_hash_str(rt_cache_hash* h, const char* s);
// Adds what identifies a file without reading it (a shared library: its real path, size,
// modification time and inode), or that there is none at `path`.
RT_API void rt_cache_hash_file_identity(rt_cache_hash* h, const char* path);
// Adds the contents of every file that C source `source` includes with `#include "…"` or
// `#include <…>`, recursively: a quoted name is looked for in `source_dir` (the including file's
// directory; NULL for a string), then in `dirs` in order; an angled one in `dirs` only. A name
// found nowhere is added as missing, so that creating it changes the key. Includes whose name a
// macro computes (`#include HEADER`) are not followed.
RT_API void rt_cache_hash_includes(rt_cache_hash* h, const char* source, const char* source_dir,
                                   const char* const* dirs, size_t dir_count);
RT_API void rt_cache_hash_final(rt_cache_hash* h, uint8_t key[RT_CACHE_KEY_SIZE]);

// The cache's directory ($FUSION_CACHE, else $XDG_CACHE_HOME/fusion, else ~/.cache/fusion) in
// `buf`, or false when the cache is off (FUSION_CACHE=off, or no home).
RT_API bool rt_cache_dir(char* buf, size_t size);

// The entry of `kind` ("nvrtc", "cubin": a folder name) and `key`: its payload in memory from
// malloc (the caller frees it) and its size, or NULL on a miss. An entry that fails its check
// (truncated, corrupt, another key's) is deleted and NULL returned, so the caller rebuilds it.
// A hit marks the entry as just used, for eviction.
RT_API void* rt_cache_get(const char* kind, const uint8_t key[RT_CACHE_KEY_SIZE], size_t* size);

// Stores an entry atomically (a temporary file in the same folder, renamed over the entry), then
// evicts the least recently used entries while the cache is over its cap (FUSION_CACHE_MAX bytes,
// default 1 GiB). False when it could not be written (the cache is then only slower).
RT_API bool rt_cache_put(const char* kind, const uint8_t key[RT_CACHE_KEY_SIZE], const void* data, size_t size);

// `fusion cache info` and `fusion cache clear`; argv[0] is "info" or "clear". Returns the exit code.
RT_API int rt_cache_command(int argc, char** argv);

// A payload of several fields, each its length (8 bytes, little-endian) then its bytes.
typedef struct rt_cache_buf {
  char* data;  // from malloc; the owner frees it
  size_t size, cap;
} rt_cache_buf;

RT_API void rt_cache_buf_add(rt_cache_buf* b, const void* data, size_t size);
// The next field of a payload at *at (before `end`), advancing *at; false at the end or when the
// payload is malformed.
RT_API bool rt_cache_buf_next(const char** at, const char* end, const char** field, size_t* size);

// Evicts least recently used entries while the cache is over its cap (as every store does): for
// entries written by others (the run cache's DIR/run/KEY/ directories).
RT_API void rt_cache_trim(void);

#ifdef __cplusplus
}
#endif

#endif
