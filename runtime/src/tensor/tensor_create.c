// Tensor creation (full, arange, rand, from host memory), copies (contiguous, clone, assignment
// with broadcasting), element access and transfers to the host, and printing.
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tensor_internal.h"

// --- Creation -----------------------------------------------------------------------------------

rt_ptr rt_tensor_full(rt_i32 dtype, rt_i32 rank, rt_ptr dims, rt_u64 bits, rt_loc loc) {
  rt_gpu_device* d = rtt_device("full", loc);
  rt_tensor* t = rtt_new(d, dtype, rank, dims, "full", loc);
  uint32_t elem = (uint32_t)rtt_elem_size(dtype, "full", loc);
  if (t->numel && d->fill(d, t->data, bits, elem, (size_t)t->numel, NULL))
    rtt_panic(loc, "full: filling %" PRId64 " elements on %s failed: %s", t->numel, d->name, rt_gpu_last_error());
  return t;
}

rt_ptr rt_tensor_arange(rt_i32 dtype, rt_f64 start, rt_f64 stop, rt_f64 step, rt_loc loc) {
  if (step == 0 || isnan(step) || isnan(start) || isnan(stop) || isinf(start) || isinf(stop))
    rtt_panic(loc, "arange: the range from %g to %g by %g is not a finite count", start, stop, step);
  double count = ceil((stop - start) / step);
  if (count > (double)(INT64_C(1) << 48)) rtt_panic(loc, "arange: %g elements are too many", count);
  int64_t n = count > 0 ? (int64_t)count : 0;
  rt_gpu_device* d = rtt_device("arange", loc);
  rt_tensor* t = rtt_new(d, dtype, 1, &n, "arange", loc);
  if (n == 0) return t;
  const rt_gpu_kernel* k = rtt_kernels("arange", loc)->arange[dtype];
  if (!k) rtt_panic(loc, "arange: no kernel for %s", rtt_dtype_name(dtype));
  void* args[] = {&n, &t->data, &start, &step};
  rtt_launch(d, k, n, args, loc);
  return t;
}

rt_ptr rt_tensor_rand(rt_i32 dtype, rt_u64 seed, rt_i32 rank, rt_ptr dims, rt_loc loc) {
  if (dtype != RT_DTYPE_F32 && dtype != RT_DTYPE_F64 && dtype != RT_DTYPE_F16 && dtype != RT_DTYPE_BF16)
    rtt_panic(loc, "rand: the element type must be a float type, not %s", rtt_dtype_name(dtype));
  rt_gpu_device* d = rtt_device("rand", loc);
  rt_tensor* t = rtt_new(d, dtype, rank, dims, "rand", loc);
  if (t->numel == 0) return t;
  const rt_gpu_kernel* k = rtt_kernels("rand", loc)->rand[dtype];
  if (!k) rtt_panic(loc, "rand: no kernel for %s", rtt_dtype_name(dtype));
  int64_t n = t->numel;
  void* args[] = {&n, &t->data, &seed};
  rtt_launch(d, k, n, args, loc);
  return t;
}

rt_ptr rt_tensor_from_host(rt_i32 dtype, rt_ptr src, rt_i32 rank, rt_ptr dims, rt_loc loc) {
  rt_gpu_device* d = rtt_device("from_host", loc);
  rt_tensor* t = rtt_new(d, dtype, rank, dims, "from_host", loc);
  size_t bytes = (size_t)t->numel * rtt_elem_size(dtype, "from_host", loc);
  rtt_copy_bytes(d, t->data, src, bytes, RT_GPU_HOST_TO_DEVICE, "from_host", loc);
  return t;
}

// --- Copies -------------------------------------------------------------------------------------

static const char g_copy_owner = 0;  // the cache key's owner for strided copies

void rtt_copy(rt_tensor* dst, const rt_tensor* src, rt_loc loc) {
  if (dst->numel == 0) return;
  rt_gpu_device* d = dst->device;
  size_t elem = rtt_elem_size(dst->dtype, "copy", loc);
  bool same_shape = dst->rank == src->rank && memcmp(dst->shape, src->shape, (size_t)dst->rank * sizeof(int64_t)) == 0;
  if (same_shape && rtt_is_contiguous(dst) && rtt_is_contiguous(src)) {
    rtt_copy_bytes(d, dst->data, src->data, (size_t)dst->numel * elem, RT_GPU_DEVICE_TO_DEVICE, "copy", loc);
    return;
  }
  rtt_key key;
  rtt_key_init(&key, &g_copy_owner, d, 0);
  rtt_key_add(&key, dst->rank, dst->shape, dst->strides);
  rtt_key_add(&key, src->rank, src->shape, src->strides);
  const rtt_plan* plan = rtt_cache_find(&key);
  if (!plan) {
    rtt_plan p = {.device = d, .space_rank = dst->rank};
    memcpy(p.space, dst->shape, sizeof p.space);
    int64_t desc[RT_TENSOR_DESC_WORDS];
    rtt_desc_init(desc, dst->rank, dst->shape);
    rtt_desc_operand(desc, 0, dst->rank, dst->shape, dst->strides);
    if (!rtt_desc_operand(desc, 1, src->rank, src->shape, src->strides)) {
      char a[RTT_SHAPE_BUF], b[RTT_SHAPE_BUF];
      rtt_panic(loc, "cannot copy a tensor of shape %s into one of shape %s", rtt_format_shape(a, src->rank, src->shape),
                rtt_format_shape(b, dst->rank, dst->shape));
    }
    p.desc = rtt_desc_upload(d, desc, loc);
    plan = rtt_cache_insert(&key, &p);
  }
  const rt_gpu_kernel* k = rtt_kernels("copy", loc)->copy[dst->dtype];
  if (!k) rtt_panic(loc, "copy: no kernel for %s", rtt_dtype_name(dst->dtype));
  int64_t n = dst->numel;
  int64_t* desc = plan->desc;
  void* args[] = {&n, &desc, &dst->data, (void*)&src->data};
  rtt_launch(d, k, n, args, loc);
}

rt_tensor* rtt_clone(const rt_tensor* t, rt_loc loc) {
  rt_tensor* c = rtt_new(t->device, t->dtype, t->rank, t->shape, "clone", loc);
  rtt_copy(c, t, loc);
  return c;
}

// `t` must be on the current device.
static void check_device(const rt_tensor* t, const char* what, rt_loc loc) {
  rt_gpu_device* d = rtt_device(what, loc);
  if (t->device != d)
    rtt_panic(loc, "%s: the tensor is on device %d (%s), not on the current device %d (%s)", what, t->device->ordinal,
              t->device->name, d->ordinal, d->name);
}

rt_ptr rt_tensor_contiguous(rt_ptr p, rt_loc loc) {
  const rt_tensor* t = p;
  if (rtt_is_contiguous(t)) {
    rt_tensor_retain(t);
    return t;
  }
  check_device(t, "contiguous", loc);
  return rtt_clone(t, loc);
}

rt_ptr rt_tensor_clone(rt_ptr p, rt_loc loc) {
  check_device(p, "clone", loc);
  return rtt_clone(p, loc);
}

void rt_tensor_assign(rt_ptr dst_p, rt_ptr src_p, rt_loc loc) {
  rt_tensor* dst = (rt_tensor*)dst_p;
  const rt_tensor* src = src_p;
  char a[RTT_SHAPE_BUF], b[RTT_SHAPE_BUF];
  check_device(dst, "assignment", loc);
  check_device(src, "assignment", loc);
  if (dst->dtype != src->dtype)
    rtt_panic(loc, "cannot assign a tensor of %s to one of %s", rtt_dtype_name(src->dtype), rtt_dtype_name(dst->dtype));
  int64_t desc[RT_TENSOR_DESC_WORDS];
  rtt_desc_init(desc, dst->rank, dst->shape);
  if (src->rank > dst->rank || !rtt_desc_operand(desc, 1, src->rank, src->shape, src->strides))
    rtt_panic(loc, "cannot assign a tensor of shape %s to one of shape %s (it does not broadcast to it)",
              rtt_format_shape(a, src->rank, src->shape), rtt_format_shape(b, dst->rank, dst->shape));
  if (dst->numel == 0) return;
  if (rtt_root(dst) == rtt_root(src)) {  // they may overlap: read all of src first
    rt_tensor* tmp = rtt_clone(src, loc);
    rtt_copy(dst, tmp, loc);
    rt_tensor_release(tmp);
    return;
  }
  rtt_copy(dst, src, loc);
}

// --- Elements and the host ----------------------------------------------------------------------

void rt_tensor_to_host(rt_ptr p, rt_ptr dst, rt_loc loc) {
  const rt_tensor* t = p;
  check_device(t, "to_host", loc);
  rt_tensor* c = (rt_tensor*)rt_tensor_contiguous(t, loc);
  size_t bytes = (size_t)t->numel * rtt_elem_size(t->dtype, "to_host", loc);
  rtt_copy_bytes(t->device, (void*)dst, c->data, bytes, RT_GPU_DEVICE_TO_HOST, "to_host", loc);
  rt_tensor_release(c);
}

// The address of the element at `index` (count indices, negative from the end), checked.
static char* element_at(const rt_tensor* t, int32_t count, const int64_t* index, const char* what, rt_loc loc) {
  char buf[RTT_SHAPE_BUF];
  if (count != t->rank)
    rtt_panic(loc, "%s: a tensor of shape %s takes %d indices, not %d", what, rtt_format_shape(buf, t->rank, t->shape),
              t->rank, count);
  int64_t offset = 0;
  for (int32_t a = 0; a < count; a++) {
    int64_t i = index[a] < 0 ? index[a] + t->shape[a] : index[a];
    if (i < 0 || i >= t->shape[a])
      rtt_panic(loc, "%s: index %" PRId64 " is out of bounds for axis %d of a tensor of shape %s", what, index[a], a,
                rtt_format_shape(buf, t->rank, t->shape));
    offset += i * t->strides[a];
  }
  return (char*)t->data + offset * (int64_t)rtt_elem_size(t->dtype, what, loc);
}

_Noreturn void rt_tensor_index_u(rt_ptr tp, rt_i32 axis, rt_u64 index, rt_loc loc) {
  const rt_tensor* t = tp;
  char buf[RTT_SHAPE_BUF];
  rtt_panic(loc, "tensor index: index %" PRIu64 " is out of bounds for axis %d of a tensor of shape %s", index, axis,
            rtt_format_shape(buf, t->rank, t->shape));
}

static uint64_t read_element(const rt_tensor* t, const void* at, const char* what, rt_loc loc) {
  uint64_t bits = 0;  // the element in the low bytes (little-endian), the rest 0
  rtt_copy_bytes(t->device, &bits, at, rtt_elem_size(t->dtype, what, loc), RT_GPU_DEVICE_TO_HOST, what, loc);
  return bits;
}

rt_u64 rt_tensor_item(rt_ptr p, rt_loc loc) {
  const rt_tensor* t = p;
  char buf[RTT_SHAPE_BUF];
  if (t->numel != 1)
    rtt_panic(loc, "item: the tensor has shape %s (%" PRId64 " elements), not one element",
              rtt_format_shape(buf, t->rank, t->shape), t->numel);
  check_device(t, "item", loc);
  return read_element(t, t->data, "item", loc);
}

rt_u64 rt_tensor_get(rt_ptr p, rt_i32 count, rt_ptr index, rt_loc loc) {
  const rt_tensor* t = p;
  check_device(t, "tensor index", loc);
  return read_element(t, element_at(t, count, index, "tensor index", loc), "tensor index", loc);
}

void rt_tensor_set(rt_ptr p, rt_i32 count, rt_ptr index, rt_u64 bits, rt_loc loc) {
  const rt_tensor* t = p;
  check_device(t, "tensor index", loc);
  char* at = element_at(t, count, index, "tensor index", loc);
  size_t elem = rtt_elem_size(t->dtype, "tensor index", loc);
  rtt_copy_bytes(t->device, at, &bits, elem, RT_GPU_HOST_TO_DEVICE, "tensor index", loc);
}

// --- Printing -----------------------------------------------------------------------------------

enum { SUMMARY_THRESHOLD = 1000, EDGE_ITEMS = 3 };

typedef struct printer {
  rt_i32 stream;  // rt_print_out's: 1 stdout, 2 stderr, 0 a format's string
  const rt_tensor* t;
  const char* data;  // contiguous host copy
  size_t elem;
  bool summarise;
} printer;

static void print_element(const printer* p, int64_t i) {
  const char* at = p->data + (size_t)i * p->elem;
  char buf[40];
  switch (p->t->dtype) {
    case RT_DTYPE_F32: {
      float v;
      memcpy(&v, at, sizeof v);
      rt_format_float(buf, (double)v, true);
      break;
    }
    case RT_DTYPE_F64: {
      double v;
      memcpy(&v, at, sizeof v);
      rt_format_float(buf, v, false);
      break;
    }
    case RT_DTYPE_I32: {
      int32_t v;
      memcpy(&v, at, sizeof v);
      snprintf(buf, sizeof buf, "%" PRId32, v);
      break;
    }
    case RT_DTYPE_I64: {
      int64_t v;
      memcpy(&v, at, sizeof v);
      snprintf(buf, sizeof buf, "%" PRId64, v);
      break;
    }
    case RT_DTYPE_F16:
    case RT_DTYPE_BF16: {  // the fewest digits that read back as the same half, as print does
      uint16_t h;
      memcpy(&h, at, sizeof h);
      bool bf = p->t->dtype == RT_DTYPE_BF16;
      (bf ? rt_print_bf16 : rt_print_f16)(p->stream, (double)rtt_half_to_f32(h, bf));
      return;
    }
    default: snprintf(buf, sizeof buf, "%s", *at ? "true" : "false"); break;
  }
  rt_print_out(p->stream, buf, strlen(buf));
}

// Axis `axis` and below, starting at element `start` (row-major).
static void print_axis(const printer* p, int32_t axis, int64_t start) {
  if (axis == p->t->rank) {
    print_element(p, start);
    return;
  }
  int64_t n = p->t->shape[axis];
  int64_t stride = 1;
  for (int32_t a = axis + 1; a < p->t->rank; a++) stride *= p->t->shape[a];
  bool cut = p->summarise && n > 2 * EDGE_ITEMS;
  rt_print_out(p->stream, "[", 1);
  for (int64_t i = 0; i < n; i++) {
    if (i) rt_print_out(p->stream, ", ", 2);
    if (cut && i == EDGE_ITEMS) {
      rt_print_out(p->stream, "...", 3);
      i = n - EDGE_ITEMS - 1;
      continue;
    }
    print_axis(p, axis + 1, start + i * stride);
  }
  rt_print_out(p->stream, "]", 1);
}

void rt_tensor_print(rt_i32 stream, rt_ptr tp) {
  if (rt_print_muted && stream != 0) return;
  const rt_tensor* t = tp;
  size_t elem = rtt_elem_size(t->dtype, "print", NULL);
  char* host = malloc(t->numel ? (size_t)t->numel * elem : 1);
  if (!host) rtt_panic(NULL, "print: out of memory for a tensor of %" PRId64 " elements", t->numel);
  rt_tensor_to_host(t, host, NULL);
  printer p = {stream, t, host, elem, t->numel > SUMMARY_THRESHOLD};
  print_axis(&p, 0, 0);
  free(host);
}
