// Test library: opaque handles, pointer-to-pointer creation, out-parameters, error codes and
// strings, strings in and out, and the shapes of CUDA and NCCL calls.
#include <ctype.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "ffi_cases.h"

struct ffi_t_ctx {
  int64_t total;
  int32_t seed;
};

static atomic_int g_live;

int32_t ffi_t_ctx_create(ffi_t_ctx** out, int32_t seed) {
  if (!out) return FFI_T_ERR_NULL;
  *out = NULL;
  if (seed < 0) return FFI_T_ERR_INVALID;
  ffi_t_ctx* ctx = calloc(1, sizeof *ctx);
  if (!ctx) return FFI_T_ERR_INVALID;
  ctx->seed = seed;
  ctx->total = seed;
  atomic_fetch_add(&g_live, 1);
  *out = ctx;
  return FFI_T_SUCCESS;
}

int32_t ffi_t_ctx_add(ffi_t_ctx* ctx, int64_t value) {
  if (!ctx) return FFI_T_ERR_NULL;
  ctx->total += value;
  return FFI_T_SUCCESS;
}

int32_t ffi_t_ctx_get(const ffi_t_ctx* ctx, int64_t* out) {
  if (!ctx || !out) return FFI_T_ERR_NULL;
  *out = ctx->total;
  return FFI_T_SUCCESS;
}

int32_t ffi_t_ctx_destroy(ffi_t_ctx* ctx) {
  if (!ctx) return FFI_T_ERR_NULL;
  free(ctx);
  atomic_fetch_sub(&g_live, 1);
  return FFI_T_SUCCESS;
}

int32_t ffi_t_live_contexts(void) { return atomic_load(&g_live); }

const char* ffi_t_error_name(int32_t code) {
  switch (code) {
    case FFI_T_SUCCESS: return "ffi_t_success";
    case FFI_T_ERR_INVALID: return "ffi_t_err_invalid";
    case FFI_T_ERR_NULL: return "ffi_t_err_null";
    case FFI_T_ERR_NOT_FOUND: return "ffi_t_err_not_found";
    default: return "ffi_t_err_unknown";
  }
}

const char* ffi_t_error_string(int32_t code) {
  switch (code) {
    case FFI_T_SUCCESS: return "no error";
    case FFI_T_ERR_INVALID: return "invalid argument";
    case FFI_T_ERR_NULL: return "null pointer argument";
    case FFI_T_ERR_NOT_FOUND: return "not found";
    default: return "unknown error";
  }
}

int32_t ffi_t_get_version(int32_t* major, int32_t* minor) {
  if (!major || !minor) return FFI_T_ERR_NULL;
  *major = 12;
  *minor = 4;
  return FFI_T_SUCCESS;
}

const char* ffi_t_version_string(void) { return "fusion-ffi-cases 12.4"; }

size_t ffi_t_strlen(const char* s) { return s ? strlen(s) : 0; }

size_t ffi_t_upper(const char* s, char* out, size_t cap) {
  size_t n = strlen(s);
  if (cap == 0) return n;
  size_t i = 0;
  for (; i < n && i + 1 < cap; i++) out[i] = (char)toupper((unsigned char)s[i]);
  out[i] = '\0';
  return n;
}

char* ffi_t_reverse_dup(const char* s) {
  size_t n = strlen(s);
  char* r = malloc(n + 1);
  if (!r) return NULL;
  for (size_t i = 0; i < n; i++) r[i] = s[n - 1 - i];
  r[n] = '\0';
  return r;
}

void ffi_t_free(void* p) { free(p); }

int32_t ffi_t_alloc(void** out, size_t bytes) {
  if (!out) return FFI_T_ERR_NULL;
  *out = calloc(1, bytes ? bytes : 1);
  return *out ? FFI_T_SUCCESS : FFI_T_ERR_INVALID;
}

int32_t ffi_t_get_unique_id(ffi_t_unique_id* out) {
  if (!out) return FFI_T_ERR_NULL;
  for (int i = 0; i < 128; i++) out->internal[i] = (char)(i * 7 + 3);
  return FFI_T_SUCCESS;
}

int32_t ffi_t_comm_init_rank(ffi_t_ctx** comm, int32_t nranks, ffi_t_unique_id id, int32_t rank) {
  if (!comm) return FFI_T_ERR_NULL;
  *comm = NULL;
  if (nranks <= 0 || rank < 0 || rank >= nranks) return FFI_T_ERR_INVALID;
  int64_t sum = 0;
  for (int i = 0; i < 128; i++) sum += (int64_t)(unsigned char)id.internal[i] * (i + 1);
  int32_t status = ffi_t_ctx_create(comm, rank);
  if (status == FFI_T_SUCCESS) (*comm)->total = sum * 1000 + nranks * 10 + rank;
  return status;
}

int64_t ffi_t_launch(const void* func, ffi_t_dim3 grid, ffi_t_dim3 block, void** args,
                     size_t shared_mem, void* stream) {
  int64_t first_arg = args && args[0] ? *(const int64_t*)args[0] : 0;
  return (int64_t)((uintptr_t)func & 0xffff) + grid.x * 3 + grid.y * 5 + grid.z * 7 + block.x * 11 +
         block.y * 13 + block.z * 17 + first_arg * 19 + (int64_t)shared_mem * 23 +
         (int64_t)((uintptr_t)stream & 0xffff) * 29;
}

int32_t ffi_t_get_props(ffi_t_props* out, int32_t device) {
  if (!out) return FFI_T_ERR_NULL;
  if (device < 0) return FFI_T_ERR_INVALID;
  memset(out, 0, sizeof *out);
  strcpy(out->name, "Fusion Test Device");
  out->name[18] = (char)('0' + device % 10);
  out->total_mem = (size_t)80 << 30;
  out->major = 9;
  out->minor = device;
  out->max_threads_dim[0] = 1024;
  out->max_threads_dim[1] = 1024;
  out->max_threads_dim[2] = 64;
  out->clock_ghz = 1.98;
  return FFI_T_SUCCESS;
}
