// Private to runtime/src/tensor: tensor objects and memory, panics, the plan cache, copies.
#ifndef FUSION_RT_TENSOR_INTERNAL_H
#define FUSION_RT_TENSOR_INTERNAL_H

#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include "fusion/rt_tensor.h"

// --- Failures (tensor_object.c) -----------------------------------------------------------------

// Ends the program through the panic path (`panic: MESSAGE`, `  at FILE:LINE:COL`, exit 101).
#define rtt_panic rt_panicf  // fusion/rt_core.h

// "[3, 4]" (rank 0: "[]") into `buf`; returns buf.
enum { RTT_SHAPE_BUF = 8 * 24 + 4 };
char* rtt_format_shape(char* buf, int32_t rank, const int64_t* shape);

// "f32", "f64", "i32", "i64", "bool".
const char* rtt_dtype_name(int32_t dtype);
// Bytes per element; panics (naming `what`) on a dtype that is not one of rt_dtype.
size_t rtt_elem_size(int32_t dtype, const char* what, rt_loc loc);

// --- Half floats (f16, bf16) on the host --------------------------------------------------------

// An f16 or bf16 element's value (exact in f32).
static inline float rtt_half_to_f32(uint16_t h, bool bf) {
  float f;
  uint32_t bits;
  if (bf) {
    bits = (uint32_t)h << 16;
  } else {
    uint32_t sign = (uint32_t)(h & 0x8000) << 16, exp = h >> 10 & 0x1f, man = h & 0x3ff;
    if (exp == 0) {  // zero or subnormal: man * 2^-24
      f = ldexpf((float)man, -24);
      return sign ? -f : f;
    }
    bits = sign | (exp == 31 ? 0x7f800000 | man << 13 : (exp + 112) << 23 | man << 13);
  }
  memcpy(&f, &bits, 4);
  return f;
}

// `f` rounded to nearest even to an f16 or bf16 (NaN stays a quiet NaN, overflow gives inf), as
// the compiler's `as f16` / `as bf16` rounds.
static inline uint16_t rtt_f32_to_half(float f, bool bf) {
  uint32_t x;
  memcpy(&x, &f, 4);
  uint32_t ax = x & 0x7fffffff;
  if (bf) {
    if (ax > 0x7f800000) return (uint16_t)(x >> 16 | 0x40);
    return (uint16_t)((x + 0x7fff + (x >> 16 & 1)) >> 16);
  }
  uint16_t sign = (uint16_t)(x >> 16 & 0x8000);
  if (ax > 0x7f800000) return (uint16_t)(sign | 0x7e00 | (ax >> 13 & 0x1ff));
  if (ax >= 0x477ff000) return (uint16_t)(sign | 0x7c00);  // 65520 and above round to inf
  if (ax < 0x38800000) {                                   // below 2^-14: a multiple of 2^-24
    float a;
    memcpy(&a, &ax, 4);
    return (uint16_t)(sign | (uint16_t)nearbyintf(a * 16777216.0f));
  }
  uint32_t r = ax - (112u << 23);  // f16's exponent bias
  return (uint16_t)(sign | (r + 0xfff + (r >> 13 & 1)) >> 13);
}

// Whether reduction `reduce` of a chain of `dtype` accumulates in f32: sum and mean of f16 and
// bf16 (rt_tensor.h: their partials are f32 and the combine kernel always runs).
static inline bool rtt_reduce_widens(int32_t reduce, int32_t dtype) {
  return (reduce == RT_REDUCE_SUM || reduce == RT_REDUCE_MEAN) && (dtype == RT_DTYPE_F16 || dtype == RT_DTYPE_BF16);
}

// --- Objects (tensor_object.c) ------------------------------------------------------------------

// The current device, or a panic naming `what` and why there is none.
rt_gpu_device* rtt_device(const char* what, rt_loc loc);

// A new contiguous tensor of `shape` (checked: rank 0..8, no negative dimension, a size that fits)
// on `d`, one reference, its memory uninitialised. `what` names the operation for messages.
rt_tensor* rtt_new(rt_gpu_device* d, int32_t dtype, int32_t rank, const int64_t* shape, const char* what, rt_loc loc);

// A view of `t`'s memory (same data, dtype, shape and strides, to be changed by the caller); it
// holds a reference to the tensor that owns the memory.
rt_tensor* rtt_view(const rt_tensor* t);

// The tensor that owns `t`'s memory (t itself when it owns it).
const rt_tensor* rtt_root(const rt_tensor* t);

// Row-major strides of `shape` into `strides`.
void rtt_contiguous_strides(int32_t rank, const int64_t* shape, int64_t* strides);
// Whether `t`'s elements are dense in row-major order (axes of size 1 may have any stride).
bool rtt_is_contiguous(const rt_tensor* t);

// Device memory for `bytes` on `d` (NULL for 0 bytes) and its release (stream-ordered, after
// every launch before it), panicking with the device's message on failure.
void* rtt_alloc(rt_gpu_device* d, size_t bytes, const char* what, rt_loc loc);
void rtt_free(rt_gpu_device* d, void* p);
// A synchronous copy between host and device memory (kind: RT_GPU_HOST_TO_DEVICE or
// RT_GPU_DEVICE_TO_HOST), or an ordered device-to-device copy.
void rtt_copy_bytes(rt_gpu_device* d, void* dst, const void* src, size_t bytes, rt_gpu_copy_kind kind,
                    const char* what, rt_loc loc);

// Runs `k` over `threads` threads (blocks of RT_TENSOR_BLOCK) on `d`; nothing when threads is 0.
void rtt_launch(rt_gpu_device* d, const rt_gpu_kernel* k, int64_t threads, void* const* args, rt_loc loc);

// --- Utility kernels (tensor_object.c) ----------------------------------------------------------

// The table rt_tensor_init stored, or a panic naming `what` when there is none.
const rt_tensor_kernels* rtt_kernels(const char* what, rt_loc loc);

// --- The plan cache (tensor_run.c) --------------------------------------------------------------

// What a run of a group (or a strided copy) on one set of input shapes and strides needs, worked
// out once: the variant, the descriptor (uploaded), the shapes and the launch size.
typedef struct rtt_plan {
  bool flat;                 // every input contiguous with the iteration space's shape
  int64_t* desc;             // device memory (RT_TENSOR_DESC_WORDS words); NULL when flat
  rt_gpu_device* device;     // where desc is
  int32_t space_rank;        // the iteration space (elementwise: the output's shape)
  int64_t space[RT_TENSOR_MAX_RANK];
  int32_t out_rank;          // the result's shape
  int64_t out_shape[RT_TENSOR_MAX_RANK];
  int64_t outer, len, inner, parts;  // reductions
} rtt_plan;

// A key: the words that determine a plan (owner, device, axis, every operand's rank, shape and
// strides). Built with rtt_key_*; at most RTT_KEY_WORDS words.
enum { RTT_KEY_WORDS = 4 + (RT_TENSOR_MAX_INPUTS + 1) * (1 + 2 * RT_TENSOR_MAX_RANK) };
typedef struct rtt_key {
  int32_t n;
  int64_t w[RTT_KEY_WORDS];
} rtt_key;

void rtt_key_init(rtt_key* k, const void* owner, const rt_gpu_device* d, int64_t axis);
void rtt_key_add(rtt_key* k, int32_t rank, const int64_t* shape, const int64_t* strides);

// The cached plan of `k`, or NULL. Valid until the next rtt_cache_insert.
const rtt_plan* rtt_cache_find(const rtt_key* k);
// Stores `p` under `k` (evicting the oldest entry, and freeing its descriptor, when full); returns
// the stored copy.
const rtt_plan* rtt_cache_insert(const rtt_key* k, const rtt_plan* p);

// A descriptor in host memory for an iteration space of `rank` (0: [1]) and `shape`, operands'
// strides set by the caller with rtt_desc_operand, then uploaded to `d` (device memory).
void rtt_desc_init(int64_t desc[RT_TENSOR_DESC_WORDS], int32_t rank, const int64_t* shape);
// Operand `k`'s strides: a tensor of `rank` and `shape`/`strides`, aligned to the space's last
// axes, 0 on axes where it is broadcast. False when it does not broadcast to the space.
bool rtt_desc_operand(int64_t desc[RT_TENSOR_DESC_WORDS], int32_t k, int32_t rank, const int64_t* shape,
                      const int64_t* strides);
int64_t* rtt_desc_upload(rt_gpu_device* d, const int64_t desc[RT_TENSOR_DESC_WORDS], rt_loc loc);

// --- Copies (tensor_create.c) -------------------------------------------------------------------

// dst's elements = src's, broadcast to dst's shape (which the caller has checked), through the
// copy kernel (or one device copy when both are contiguous with the same shape). src and dst must
// not overlap.
void rtt_copy(rt_tensor* dst, const rt_tensor* src, rt_loc loc);
// A new contiguous tensor with t's elements.
rt_tensor* rtt_clone(const rt_tensor* t, rt_loc loc);

#endif
