// Tensor objects: memory on the current device, reference counts, the views (reshape, transpose,
// slice) that share a tensor's memory, and the panics every tensor operation reports through.
#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tensor_internal.h"

// --- Failures -----------------------------------------------------------------------------------

char* rtt_format_shape(char* buf, int32_t rank, const int64_t* shape) {
  char* out = buf;
  *out++ = '[';
  for (int32_t i = 0; i < rank && i < RT_TENSOR_MAX_RANK; i++)
    out += sprintf(out, "%s%" PRId64, i ? ", " : "", shape[i]);
  *out++ = ']';
  *out = 0;
  return buf;
}

const char* rtt_dtype_name(int32_t dtype) {
  static const char* const names[RT_DTYPE_COUNT] = {"f32", "f64", "i32", "i64", "bool", "f16", "bf16"};
  return dtype >= 0 && dtype < RT_DTYPE_COUNT ? names[dtype] : "(not a dtype)";
}

size_t rtt_elem_size(int32_t dtype, const char* what, rt_loc loc) {
  static const size_t sizes[RT_DTYPE_COUNT] = {4, 8, 4, 8, 1, 2, 2};
  if (dtype < 0 || dtype >= RT_DTYPE_COUNT) rtt_panic(loc, "%s: %d is not a tensor element type", what, dtype);
  return sizes[dtype];
}

// --- Devices and memory -------------------------------------------------------------------------

rt_gpu_device* rtt_device(const char* what, rt_loc loc) {
  rt_gpu_device* d = rt_gpu_current();
  if (!d) rtt_panic(loc, "%s: no device: %s", what, rt_gpu_last_error());
  return d;
}

// Big blocks of the CPU device are kept when freed and given again to an allocation of the same
// size, as PyTorch's caching allocator does on a GPU (a CUDA device's memory pool does that there):
// a fresh block costs a page fault per 4 KiB on first touch, which costs more than an elementwise
// kernel's whole pass over it, and eager code allocates one per operation. Tensor memory needs no
// zeroing (kernels write every element; zeros() fills), so a kept block is given as it is.
enum { CACHE_MIN_BYTES = 1 << 20, CACHE_BLOCKS = 16, LIVE_BLOCKS = 256 };
#define CACHE_MAX_BYTES ((size_t)4 << 30)
typedef struct block {
  void* p;
  size_t bytes;
} block;
static block live_big[LIVE_BLOCKS];  // big blocks in use (so that a free knows their size)
static block kept[CACHE_BLOCKS];     // freed big blocks, for reuse
static size_t kept_bytes;

static bool cacheable(rt_gpu_device* d, size_t bytes) { return d == rt_gpu_cpu_device() && bytes >= CACHE_MIN_BYTES; }

static void note_live(void* p, size_t bytes) {
  for (int i = 0; i < LIVE_BLOCKS; i++)
    if (!live_big[i].p) {
      live_big[i] = (block){p, bytes};
      return;
    }
}

void* rtt_alloc(rt_gpu_device* d, size_t bytes, const char* what, rt_loc loc) {
  if (bytes == 0) return NULL;
  void* p = NULL;
  if (cacheable(d, bytes)) {
    for (int i = 0; i < CACHE_BLOCKS; i++)
      if (kept[i].p && kept[i].bytes == bytes) {
        p = kept[i].p;
        kept[i].p = NULL;
        kept_bytes -= bytes;
        note_live(p, bytes);
        return p;
      }
  }
  if (d->alloc(d, bytes, NULL, &p))
    rtt_panic(loc, "%s: allocating %zu bytes on %s failed: %s", what, bytes, d->name, rt_gpu_last_error());
  if (cacheable(d, bytes)) note_live(p, bytes);
  return p;
}

void rtt_free(rt_gpu_device* d, void* p) {
  if (!p) return;
  if (d == rt_gpu_cpu_device()) {
    for (int i = 0; i < LIVE_BLOCKS; i++) {
      if (live_big[i].p != p) continue;
      block b = live_big[i];
      live_big[i].p = NULL;
      if (kept_bytes + b.bytes > CACHE_MAX_BYTES) break;
      // Keep it in a free slot, or in place of the oldest (slot 0 after a shift).
      int slot = -1;
      for (int k = 0; k < CACHE_BLOCKS && slot < 0; k++)
        if (!kept[k].p) slot = k;
      if (slot < 0) {
        block old = kept[0];
        memmove(kept, kept + 1, (CACHE_BLOCKS - 1) * sizeof *kept);
        kept_bytes -= old.bytes;
        if (d->free(d, old.p, NULL)) rtt_panic(NULL, "freeing tensor memory on %s failed: %s", d->name, rt_gpu_last_error());
        slot = CACHE_BLOCKS - 1;
      }
      kept[slot] = b;
      kept_bytes += b.bytes;
      return;
    }
  }
  if (d->free(d, p, NULL)) rtt_panic(NULL, "freeing tensor memory on %s failed: %s", d->name, rt_gpu_last_error());
}

void rtt_copy_bytes(rt_gpu_device* d, void* dst, const void* src, size_t bytes, rt_gpu_copy_kind kind,
                    const char* what, rt_loc loc) {
  if (bytes == 0) return;
  if (d->copy(d, dst, src, bytes, kind, NULL) || (kind != RT_GPU_DEVICE_TO_DEVICE && d->stream_sync(d, NULL)))
    rtt_panic(loc, "%s: copying %zu bytes on %s failed: %s", what, bytes, d->name, rt_gpu_last_error());
}

void rtt_launch(rt_gpu_device* d, const rt_gpu_kernel* k, int64_t threads, void* const* args, rt_loc loc) {
  if (threads <= 0) return;
  int64_t blocks = (threads + RT_TENSOR_BLOCK - 1) / RT_TENSOR_BLOCK;
  if (blocks > INT32_MAX) rtt_panic(loc, "kernel `%s`: %" PRId64 " threads are more than one launch runs", k->name, threads);
  rt_gpu_launch l = {
      .kernel = k, .grid = {(uint32_t)blocks, 1, 1}, .block = {RT_TENSOR_BLOCK, 1, 1}, .args = args, .loc = loc};
  if (d->launch(d, &l)) rtt_panic(loc, "launch of kernel `%s` failed: %s", k->name, rt_gpu_last_error());
}

// --- The utility kernels ------------------------------------------------------------------------

static const rt_tensor_kernels* g_kernels;

void rt_tensor_init(rt_ptr kernels) { g_kernels = kernels; }

const rt_tensor_kernels* rtt_kernels(const char* what, rt_loc loc) {
  if (!g_kernels) rtt_panic(loc, "%s: the tensor kernels were never registered (rt_tensor_init)", what);
  return g_kernels;
}

// --- Objects and reference counts ---------------------------------------------------------------

static _Atomic int64_t g_live;

int64_t rt_tensor_live(void) { return atomic_load(&g_live); }

void rtt_contiguous_strides(int32_t rank, const int64_t* shape, int64_t* strides) {
  int64_t step = 1;
  for (int32_t i = rank - 1; i >= 0; i--) {
    strides[i] = step;
    step *= shape[i];
  }
}

bool rtt_is_contiguous(const rt_tensor* t) {
  int64_t step = 1;
  for (int32_t i = t->rank - 1; i >= 0; i--) {
    if (t->shape[i] == 0) return true;
    if (t->shape[i] != 1 && t->strides[i] != step) return false;
    step *= t->shape[i];
  }
  return true;
}

// The element count of `shape`, checked: a rank of 0..8, no negative dimension, and a size in
// bytes that fits (2^62 at most).
static int64_t checked_numel(int32_t rank, const int64_t* shape, size_t elem, const char* what, rt_loc loc) {
  if (rank < 0 || rank > RT_TENSOR_MAX_RANK)
    rtt_panic(loc, "%s: a tensor has at most %d dimensions, not %d", what, RT_TENSOR_MAX_RANK, rank);
  char buf[RTT_SHAPE_BUF];
  int64_t n = 1;
  for (int32_t i = 0; i < rank; i++)
    if (shape[i] < 0)
      rtt_panic(loc, "%s: dimension %d of shape %s is negative", what, i, rtt_format_shape(buf, rank, shape));
  for (int32_t i = 0; i < rank; i++) {
    if (shape[i] != 0 && n > (INT64_C(1) << 62) / (int64_t)elem / shape[i])
      rtt_panic(loc, "%s: a tensor of shape %s is too large", what, rtt_format_shape(buf, rank, shape));
    n *= shape[i];
  }
  return n;
}

// The last reference is gone: the memory (a tensor's own) or the reference to the base (a view's).
static void tensor_drop(rt_ref* r) {
  rt_tensor* t = (rt_tensor*)r;
  if (t->alloc) rtt_free(t->device, t->alloc);
  rt_tensor* base = t->base;
  rt_ref* keep = t->keep;
  free(t);
  atomic_fetch_sub(&g_live, 1);
  rt_release(base);
  rt_release(keep);
}

// A tensor object of `shape`, contiguous, counted once, whose memory is set by the caller (its
// `alloc` or `data`).
static rt_tensor* new_object(rt_gpu_device* d, int32_t dtype, int32_t rank, const int64_t* shape, int64_t numel,
                             const char* what, rt_loc loc) {
  rt_tensor* t = calloc(1, sizeof *t);
  if (!t) rtt_panic(loc, "%s: out of memory", what);
  t->ref = (rt_ref){1, tensor_drop};
  t->device = d;
  t->dtype = dtype;
  t->rank = rank;
  t->numel = numel;
  if (rank) memcpy(t->shape, shape, (size_t)rank * sizeof(int64_t));
  rtt_contiguous_strides(rank, shape, t->strides);
  atomic_fetch_add(&g_live, 1);
  return t;
}

rt_tensor* rtt_new(rt_gpu_device* d, int32_t dtype, int32_t rank, const int64_t* shape, const char* what, rt_loc loc) {
  size_t elem = rtt_elem_size(dtype, what, loc);
  int64_t numel = checked_numel(rank, shape, elem, what, loc);
  rt_tensor* t = new_object(d, dtype, rank, shape, numel, what, loc);
  t->alloc = rtt_alloc(d, (size_t)numel * elem, what, loc);
  t->data = t->alloc;
  return t;
}

rt_ptr rt_tensor_from_ptr(rt_i32 dtype, rt_ptr p, rt_i32 rank, rt_ptr dims, rt_ptr keep, rt_loc loc) {
  rt_gpu_device* d = rtt_device("from_ptr", loc);
  size_t elem = rtt_elem_size(dtype, "from_ptr", loc);
  int64_t numel = checked_numel(rank, dims, elem, "from_ptr", loc);
  if (!p && numel) rtt_panic(loc, "from_ptr: the pointer is null");
  if ((uintptr_t)p % elem)
    rtt_panic(loc, "from_ptr: the pointer is not aligned for %s elements (%zu bytes): it is %zu past a multiple of %zu",
              rtt_dtype_name(dtype), elem, (size_t)((uintptr_t)p % elem), elem);
  rt_tensor* t = new_object(d, dtype, rank, dims, numel, "from_ptr", loc);
  t->data = (void*)p;  // not `alloc`: the tensor frees nothing
  t->keep = (rt_ref*)keep;
  rt_retain(keep);
  return t;
}

const rt_tensor* rtt_root(const rt_tensor* t) { return t->base ? t->base : t; }

rt_tensor* rtt_view(const rt_tensor* t) {
  rt_tensor* v = malloc(sizeof *v);
  if (!v) rtt_panic(NULL, "out of memory making a tensor view");
  *v = *t;
  v->ref = (rt_ref){1, tensor_drop};
  v->alloc = NULL;
  v->keep = NULL;  // the root holds it
  v->base = (rt_tensor*)rtt_root(t);
  rt_retain(v->base);
  atomic_fetch_add(&g_live, 1);
  return v;
}

void rt_tensor_retain(rt_ptr p) { rt_retain(p); }

void rt_tensor_release(rt_ptr p) { rt_release(p); }

rt_i64 rt_tensor_rank(rt_ptr p) { return ((const rt_tensor*)p)->rank; }
rt_i64 rt_tensor_numel(rt_ptr p) { return ((const rt_tensor*)p)->numel; }
rt_ptr rt_tensor_data(rt_ptr p) { return ((const rt_tensor*)p)->data; }

// Axis `axis` of a tensor of `rank` (negative counts from the end), or a panic naming the shape.
static int32_t axis_of(const rt_tensor* t, int64_t axis, const char* what, rt_loc loc) {
  int64_t a = axis < 0 ? axis + t->rank : axis;
  if (a < 0 || a >= t->rank) {
    char buf[RTT_SHAPE_BUF];
    rtt_panic(loc, "%s: axis %" PRId64 " is out of range for a tensor of shape %s", what, axis,
              rtt_format_shape(buf, t->rank, t->shape));
  }
  return (int32_t)a;
}

rt_i64 rt_tensor_dim(rt_ptr p, rt_i64 axis, rt_loc loc) {
  const rt_tensor* t = p;
  return t->shape[axis_of(t, axis, "dim", loc)];
}

// --- Views --------------------------------------------------------------------------------------

rt_ptr rt_tensor_reshape(rt_ptr p, rt_i32 rank, rt_ptr dims_p, rt_loc loc) {
  const rt_tensor* t = p;
  const int64_t* dims = dims_p;
  if (rank < 0 || rank > RT_TENSOR_MAX_RANK)
    rtt_panic(loc, "reshape: a tensor has at most %d dimensions, not %d", RT_TENSOR_MAX_RANK, rank);
  int64_t shape[RT_TENSOR_MAX_RANK];
  int32_t inferred = -1;
  int64_t known = 1;
  char a[RTT_SHAPE_BUF], b[RTT_SHAPE_BUF];
  for (int32_t i = 0; i < rank; i++) {
    shape[i] = dims[i];
    if (dims[i] == -1 && inferred < 0) {
      inferred = i;
    } else if (dims[i] < 0) {
      rtt_panic(loc, "reshape: shape %s has %s", rtt_format_shape(a, rank, dims),
                dims[i] == -1 ? "more than one -1" : "a negative dimension");
    } else {
      known = dims[i] == 0 || known <= INT64_MAX / dims[i] ? known * dims[i] : -1;
    }
  }
  if (inferred >= 0) {
    if (known <= 0 || t->numel % known != 0)
      rtt_panic(loc, "reshape: a tensor of shape %s cannot be reshaped to %s", rtt_format_shape(a, t->rank, t->shape),
                rtt_format_shape(b, rank, dims));
    shape[inferred] = t->numel / known;
    known = t->numel;
  }
  if (known != t->numel)
    rtt_panic(loc, "reshape: a tensor of shape %s (%" PRId64 " elements) cannot be reshaped to %s (%" PRId64 ")",
              rtt_format_shape(a, t->rank, t->shape), t->numel, rtt_format_shape(b, rank, dims), known);
  rt_tensor* src = rtt_is_contiguous(t) ? (rt_tensor*)t : rtt_clone(t, loc);
  rt_tensor* v = rtt_view(src);
  v->rank = rank;
  memcpy(v->shape, shape, (size_t)rank * sizeof(int64_t));
  rtt_contiguous_strides(rank, shape, v->strides);
  if (src != t) rt_tensor_release(src);  // the view holds the copy
  return v;
}

rt_ptr rt_tensor_transpose(rt_ptr p, rt_i64 axis0, rt_i64 axis1, rt_loc loc) {
  const rt_tensor* t = p;
  int32_t a = axis_of(t, axis0, "transpose", loc), b = axis_of(t, axis1, "transpose", loc);
  rt_tensor* v = rtt_view(t);
  v->shape[a] = t->shape[b], v->shape[b] = t->shape[a];
  v->strides[a] = t->strides[b], v->strides[b] = t->strides[a];
  return v;
}

// Python's clamping of a slice bound: negative counts from the end, then into [0, n].
static int64_t clamp_bound(int64_t i, int64_t n) {
  if (i < 0) i += n;
  return i < 0 ? 0 : i > n ? n : i;
}

rt_ptr rt_tensor_slice(rt_ptr p, rt_i64 axis, rt_i64 start, rt_i64 stop, rt_loc loc) {
  const rt_tensor* t = p;
  int32_t a = axis_of(t, axis, "slice", loc);
  int64_t n = t->shape[a];
  int64_t lo = clamp_bound(start, n), hi = clamp_bound(stop, n);
  if (hi < lo) hi = lo;
  rt_tensor* v = rtt_view(t);
  v->shape[a] = hi - lo;
  v->numel = t->shape[a] ? t->numel / t->shape[a] * (hi - lo) : 0;
  if (hi > lo) v->data = (char*)t->data + lo * t->strides[a] * (int64_t)rtt_elem_size(t->dtype, "slice", loc);
  return v;
}
