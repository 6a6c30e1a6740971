// The group runner (rt_tensor_run): broadcasts a group's inputs, picks its flat or strided kernel,
// launches it (reductions: the partial kernel, then the combine kernel when a line is split into
// parts), with the plan for each set of input shapes and strides kept in a bounded cache.
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tensor_internal.h"

// --- Descriptors --------------------------------------------------------------------------------

void rtt_desc_init(int64_t desc[RT_TENSOR_DESC_WORDS], int32_t rank, const int64_t* shape) {
  memset(desc, 0, RT_TENSOR_DESC_WORDS * sizeof(int64_t));
  desc[0] = rank ? rank : 1;
  for (int32_t a = 0; a < rank; a++) desc[1 + a] = shape[a];
  if (rank == 0) desc[1] = 1;
}

bool rtt_desc_operand(int64_t desc[RT_TENSOR_DESC_WORDS], int32_t k, int32_t rank, const int64_t* shape,
                      const int64_t* strides) {
  int32_t space_rank = (int32_t)desc[0];
  if (rank > space_rank) return false;
  int64_t* out = &desc[9 + 8 * k];
  int32_t lead = space_rank - rank;
  for (int32_t a = 0; a < space_rank; a++) out[a] = 0;
  for (int32_t a = 0; a < rank; a++) {
    int64_t n = desc[1 + lead + a];
    if (shape[a] == n && n != 1) out[lead + a] = strides[a];
    else if (shape[a] != 1) return false;  // size 1 (or a size-1 space axis): broadcast, stride 0
  }
  return true;
}

int64_t* rtt_desc_upload(rt_gpu_device* d, const int64_t desc[RT_TENSOR_DESC_WORDS], rt_loc loc) {
  size_t bytes = RT_TENSOR_DESC_WORDS * sizeof(int64_t);
  int64_t* p = rtt_alloc(d, bytes, "tensor descriptor", loc);
  rtt_copy_bytes(d, p, desc, bytes, RT_GPU_HOST_TO_DEVICE, "tensor descriptor", loc);
  return p;
}

// --- The plan cache -----------------------------------------------------------------------------

enum { CACHE_SIZE = 256 };

typedef struct cache_entry {
  uint64_t hash;
  rtt_key* key;  // malloc'd; NULL: an empty slot
  rtt_plan plan;
} cache_entry;

// A ring: entries fill in order and the oldest is replaced first. Tensor operations run on one
// thread at a time (fusion/rt_tensor.h), so the cache has no lock.
static cache_entry g_cache[CACHE_SIZE];
static int g_cache_next;

void rtt_key_init(rtt_key* k, const void* owner, const rt_gpu_device* d, int64_t axis) {
  k->n = 0;
  k->w[k->n++] = (int64_t)(uintptr_t)owner;
  k->w[k->n++] = (int64_t)(uintptr_t)d;
  k->w[k->n++] = axis;
}

void rtt_key_add(rtt_key* k, int32_t rank, const int64_t* shape, const int64_t* strides) {
  k->w[k->n++] = rank;
  for (int32_t a = 0; a < rank; a++) k->w[k->n++] = shape[a];
  for (int32_t a = 0; a < rank; a++) k->w[k->n++] = strides[a];
}

static uint64_t key_hash(const rtt_key* k) {
  uint64_t h = 14695981039346656037ull;  // FNV-1a over the words
  for (int32_t i = 0; i < k->n; i++) {
    h ^= (uint64_t)k->w[i];
    h *= 1099511628211ull;
  }
  return h;
}

static bool key_equal(const rtt_key* a, const rtt_key* b) {
  return a->n == b->n && memcmp(a->w, b->w, (size_t)a->n * sizeof(int64_t)) == 0;
}

const rtt_plan* rtt_cache_find(const rtt_key* k) {
  uint64_t h = key_hash(k);
  for (int i = 0; i < CACHE_SIZE; i++)
    if (g_cache[i].key && g_cache[i].hash == h && key_equal(g_cache[i].key, k)) return &g_cache[i].plan;
  return NULL;
}

const rtt_plan* rtt_cache_insert(const rtt_key* k, const rtt_plan* p) {
  cache_entry* e = &g_cache[g_cache_next];
  g_cache_next = (g_cache_next + 1) % CACHE_SIZE;
  if (e->key) {
    rtt_free(e->plan.device, e->plan.desc);
    free(e->key);
  }
  size_t bytes = offsetof(rtt_key, w) + (size_t)k->n * sizeof(int64_t);
  e->key = malloc(bytes);
  if (!e->key) rtt_panic(NULL, "out of memory in the tensor plan cache");
  memcpy(e->key, k, bytes);
  e->hash = key_hash(k);
  e->plan = *p;
  return &e->plan;
}

static bool cache_logging(void) {
  const char* env = getenv("FUSION_CACHE_LOG");
  return env && *env && strcmp(env, "0") != 0;
}

// `fusion cache: tensor NAME hit (flat) [3, 4]`: one line per run, the iteration space's shape.
static void log_run(const rt_tensor_group* g, bool hit, const rtt_plan* p) {
  if (!cache_logging()) return;
  char buf[RTT_SHAPE_BUF];
  fprintf(stderr, "fusion cache: tensor %s %s (%s) %s\n", g->name, hit ? "hit" : "miss", p->flat ? "flat" : "strided",
          rtt_format_shape(buf, p->space_rank, p->space));
}

// --- Shapes -------------------------------------------------------------------------------------

typedef struct shape {
  int32_t rank;
  int64_t dims[RT_TENSOR_MAX_RANK];
} shape;

// NumPy broadcasting of `a` and `b` into `out`; false when they do not broadcast.
static bool broadcast(const shape* a, const shape* b, shape* out) {
  shape r = {a->rank > b->rank ? a->rank : b->rank, {0}};
  for (int32_t i = 0; i < r.rank; i++) {
    int32_t ia = i - (r.rank - a->rank), ib = i - (r.rank - b->rank);
    int64_t da = ia >= 0 ? a->dims[ia] : 1, db = ib >= 0 ? b->dims[ib] : 1;
    if (da != db && da != 1 && db != 1) return false;
    r.dims[i] = da == 1 ? db : da;
  }
  *out = r;
  return true;
}

static shape shape_of(const rt_tensor* t) {
  shape s = {t->rank, {0}};
  memcpy(s.dims, t->shape, (size_t)t->rank * sizeof(int64_t));
  return s;
}

// The shape of the group's result before any reduction: each node's operands broadcast in order.
static shape space_of(const rt_tensor_group* g, const rt_tensor* const* ins, rt_loc loc) {
  shape nodes[64];
  shape* node_shapes = g->n_nodes <= 64 ? nodes : malloc((size_t)g->n_nodes * sizeof(shape));
  if (!node_shapes) rtt_panic(loc, "out of memory checking the shapes of `%s`", g->name);
  shape result = {0, {0}};
  for (int32_t m = 0; m < g->n_nodes; m++) {
    const rt_tensor_node* node = &g->nodes[m];
    shape acc = {0, {0}};
    for (int j = 0; j < 3; j++) {
      int32_t op = node->operand[j];
      if (op < 0) continue;
      if (op >= g->n_in + m) rtt_panic(loc, "tensor group `%s`: node %d reads node %d, which comes later", g->name, m, op - g->n_in);
      shape s = op < g->n_in ? shape_of(ins[op]) : node_shapes[op - g->n_in];
      if (!broadcast(&acc, &s, &acc)) {
        char a[RTT_SHAPE_BUF], b[RTT_SHAPE_BUF];
        rt_loc at = node->loc ? node->loc : loc;
        rtt_format_shape(a, acc.rank, acc.dims);
        rtt_format_shape(b, s.rank, s.dims);
        if (!at) rtt_panic(NULL, "shapes %s and %s cannot be broadcast together (`%s`)", a, b, node->op);
        rtt_panic(at, "shapes %s and %s cannot be broadcast together (`%s` at %s:%d:%d)", a, b, node->op, at->file,
                  at->line, at->col);
      }
    }
    node_shapes[m] = acc;
  }
  if (g->n_nodes > 0) {
    result = node_shapes[g->n_nodes - 1];
  } else {  // no nodes: the inputs broadcast together
    for (int32_t k = 0; k < g->n_in; k++) {
      shape s = shape_of(ins[k]);
      if (!broadcast(&result, &s, &result)) {
        char a[RTT_SHAPE_BUF], b[RTT_SHAPE_BUF];
        rtt_panic(loc, "shapes %s and %s cannot be broadcast together (`%s`)", rtt_format_shape(a, result.rank, result.dims),
                  rtt_format_shape(b, s.rank, s.dims), g->name);
      }
    }
  }
  if (node_shapes != nodes) free(node_shapes);
  return result;
}

static int64_t product(const int64_t* dims, int32_t from, int32_t to) {
  int64_t n = 1;
  for (int32_t a = from; a < to; a++) n *= dims[a];
  return n;
}

static const char* reduce_name(int32_t op) {
  static const char* const names[RT_REDUCE_COUNT] = {"none", "sum", "max", "min", "mean", "argmax", "argmin"};
  return op >= 0 && op < RT_REDUCE_COUNT ? names[op] : "(not a reduction)";
}

// How many interleaved parts each reduced line is split into: enough that outer*inner*parts
// reaches about 2^16 threads, with at least 64 elements a part; 1 when there are threads enough.
static int64_t choose_parts(int64_t lines, int64_t len) {
  enum { WANT_THREADS = 1 << 16, MIN_PER_PART = 64 };
  if (lines >= WANT_THREADS || len < 2 * MIN_PER_PART) return 1;
  int64_t parts = (WANT_THREADS + lines - 1) / lines;
  if (parts > len / MIN_PER_PART) parts = len / MIN_PER_PART;
  return parts < 1 ? 1 : parts;
}

// The plan for a group on inputs `ins`: shapes, variant, descriptor, and for a reduction the
// outer/len/inner/parts of its space and its result's shape.
static rtt_plan make_plan(const rt_tensor_group* g, const rt_tensor* const* ins, int64_t axis, rt_gpu_device* d, rt_loc loc) {
  shape s = space_of(g, ins, loc);
  rtt_plan p = {.device = d, .space_rank = s.rank, .flat = true};
  memcpy(p.space, s.dims, sizeof p.space);
  char buf[RTT_SHAPE_BUF];
  for (int32_t k = 0; k < g->n_in; k++) {
    const rt_tensor* t = ins[k];
    bool same = t->rank == s.rank && memcmp(t->shape, s.dims, (size_t)s.rank * sizeof(int64_t)) == 0;
    if (!same || !rtt_is_contiguous(t)) p.flat = false;
  }
  if (g->reduce == RT_REDUCE_NONE) {
    p.out_rank = s.rank;
    memcpy(p.out_shape, s.dims, sizeof p.out_shape);
  } else if (axis == RT_TENSOR_ALL_AXES) {
    p.outer = 1, p.len = product(s.dims, 0, s.rank), p.inner = 1;
    p.out_rank = g->keepdim ? s.rank : 0;
    for (int32_t a = 0; a < p.out_rank; a++) p.out_shape[a] = 1;
  } else {
    int64_t a = axis < 0 ? axis + s.rank : axis;
    if (a < 0 || a >= s.rank)
      rtt_panic(loc, "%s: axis %" PRId64 " is out of range for a tensor of shape %s", reduce_name(g->reduce), axis,
                rtt_format_shape(buf, s.rank, s.dims));
    p.outer = product(s.dims, 0, (int32_t)a), p.len = s.dims[a], p.inner = product(s.dims, (int32_t)a + 1, s.rank);
    p.out_rank = 0;
    for (int32_t i = 0; i < s.rank; i++)
      if (i != a) p.out_shape[p.out_rank++] = s.dims[i];
      else if (g->keepdim) p.out_shape[p.out_rank++] = 1;
  }
  if (g->reduce != RT_REDUCE_NONE) p.parts = choose_parts(p.outer * p.inner, p.len);
  if (!p.flat) {
    int64_t desc[RT_TENSOR_DESC_WORDS];
    rtt_desc_init(desc, s.rank, s.dims);
    int32_t first = 0;
    if (g->reduce == RT_REDUCE_NONE) {  // operand 0 is the (contiguous) output
      int64_t strides[RT_TENSOR_MAX_RANK];
      rtt_contiguous_strides(s.rank, s.dims, strides);
      rtt_desc_operand(desc, 0, s.rank, s.dims, strides);
      first = 1;
    }
    for (int32_t k = 0; k < g->n_in; k++)
      if (!rtt_desc_operand(desc, first + k, ins[k]->rank, ins[k]->shape, ins[k]->strides)) {
        char b[RTT_SHAPE_BUF];
        rtt_panic(loc, "tensor group `%s`: input %d of shape %s does not broadcast to %s", g->name, k,
                  rtt_format_shape(b, ins[k]->rank, ins[k]->shape), rtt_format_shape(buf, s.rank, s.dims));
      }
    p.desc = rtt_desc_upload(d, desc, loc);
  }
  return p;
}

// --- Running ------------------------------------------------------------------------------------

// The kernel's arguments: fixed ones, then the inputs' data, then the scalars' slots.
typedef struct arg_list {
  void* items[8 + RT_TENSOR_MAX_INPUTS + RT_TENSOR_MAX_SCALARS];
  int n;
} arg_list;

static void add_inputs(arg_list* a, const rt_tensor_group* g, const rt_tensor* const* ins, const uint64_t* scalars) {
  for (int32_t k = 0; k < g->n_in; k++) a->items[a->n++] = (void*)&ins[k]->data;
  for (int32_t k = 0; k < g->n_scalar; k++) a->items[a->n++] = (void*)&scalars[k];
}

static const rt_gpu_kernel* need(const rt_gpu_kernel* k, const rt_tensor_group* g, const char* which, rt_loc loc) {
  if (!k) rtt_panic(loc, "tensor group `%s` has no %s kernel", g->name, which);
  return k;
}

static rt_tensor* run_elementwise(const rt_tensor_group* g, const rt_tensor* const* ins, const uint64_t* scalars,
                                  const rtt_plan* p, rt_gpu_device* d, rt_loc loc) {
  rt_tensor* out = rtt_new(d, g->out_dtype, p->out_rank, p->out_shape, g->name, loc);
  int64_t n = out->numel;
  if (n == 0) return out;
  int64_t* desc = p->desc;
  arg_list a = {.n = 0};
  a.items[a.n++] = &n;
  if (!p->flat) a.items[a.n++] = &desc;
  a.items[a.n++] = &out->data;
  add_inputs(&a, g, ins, scalars);
  rtt_launch(d, need(p->flat ? g->flat : g->strided, g, p->flat ? "flat" : "strided", loc), n, a.items, loc);
  return out;
}

// A reduction over no elements: sum is 0, mean NaN; the others have no answer.
static void reduce_empty(const rt_tensor_group* g, rt_tensor* out, const rtt_plan* p, rt_gpu_device* d, rt_loc loc) {
  if (g->reduce != RT_REDUCE_SUM && g->reduce != RT_REDUCE_MEAN) {
    char buf[RTT_SHAPE_BUF];
    rtt_panic(loc, "%s of an empty tensor (shape %s)", reduce_name(g->reduce), rtt_format_shape(buf, p->space_rank, p->space));
  }
  if (out->numel == 0) return;
  uint64_t bits = 0;
  if (g->reduce == RT_REDUCE_MEAN && out->dtype == RT_DTYPE_F32) {
    float nan = NAN;
    uint32_t b32;
    memcpy(&b32, &nan, sizeof b32);
    bits = b32;
  } else if (g->reduce == RT_REDUCE_MEAN && out->dtype == RT_DTYPE_F64) {
    double nan = NAN;
    memcpy(&bits, &nan, sizeof bits);
  } else if (g->reduce == RT_REDUCE_MEAN && out->dtype == RT_DTYPE_F16) {
    bits = 0x7e00;
  } else if (g->reduce == RT_REDUCE_MEAN && out->dtype == RT_DTYPE_BF16) {
    bits = 0x7fc0;
  }
  uint32_t elem = (uint32_t)rtt_elem_size(out->dtype, g->name, loc);
  if (d->fill(d, out->data, bits, elem, (size_t)out->numel, NULL))
    rtt_panic(loc, "%s: filling %" PRId64 " elements failed: %s", g->name, out->numel, rt_gpu_last_error());
}

static rt_tensor* run_reduction(const rt_tensor_group* g, const rt_tensor* const* ins, const uint64_t* scalars,
                                const rtt_plan* p, rt_gpu_device* d, rt_loc loc) {
  rt_tensor* out = rtt_new(d, g->out_dtype, p->out_rank, p->out_shape, g->name, loc);
  if (p->len == 0) {
    reduce_empty(g, out, p, d, loc);
    return out;
  }
  int64_t lines = p->outer * p->inner;
  if (lines == 0) return out;
  bool arg = g->reduce == RT_REDUCE_ARGMAX || g->reduce == RT_REDUCE_ARGMIN;
  int32_t value_dtype = arg ? g->chain_dtype : g->out_dtype;  // A in the header
  size_t value_size = rtt_elem_size(value_dtype, g->name, loc);
  // sum and mean of f16/bf16 accumulate in f32 (the partials are f32) and round once, in the
  // combine kernel, which therefore always runs.
  bool widen = rtt_reduce_widens(g->reduce, g->chain_dtype);
  size_t partial_size = widen ? sizeof(float) : value_size;
  int64_t outer = p->outer, len = p->len, inner = p->inner, parts = p->parts;
  bool combined = parts > 1 || widen;
  int64_t div = combined ? 0 : g->reduce == RT_REDUCE_MEAN ? len : 1;
  // Not combined (parts == 1): the partial kernel writes the result (argmax/argmin: the index,
  // values to scratch). Combined: it writes parts partials per line, which the combine kernel reduces.
  void* scratch = arg ? rtt_alloc(d, (size_t)lines * value_size, g->name, loc) : NULL;
  void* pv = combined ? rtt_alloc(d, (size_t)(lines * parts) * partial_size, g->name, loc) : arg ? scratch : out->data;
  void* pi = !arg ? NULL : parts > 1 ? rtt_alloc(d, (size_t)(lines * parts) * sizeof(int64_t), g->name, loc) : out->data;
  int64_t* desc = p->desc;
  arg_list a = {.n = 0};
  // The CPU device's threads take contiguous chunks (a GPU's interleave: see rt_tensor.h).
  int64_t chunk = d == rt_gpu_cpu_device() ? (len + parts - 1) / parts : 0;
  void* fixed[] = {&outer, &len, &inner, &parts, &chunk, &div};
  for (int i = 0; i < 6; i++) a.items[a.n++] = fixed[i];
  if (!p->flat) a.items[a.n++] = &desc;
  a.items[a.n++] = &pv;
  a.items[a.n++] = &pi;
  add_inputs(&a, g, ins, scalars);
  const rt_gpu_kernel* partial =
      need(p->flat ? g->partial_flat : g->partial_strided, g, p->flat ? "partial_flat" : "partial_strided", loc);
  rtt_launch(d, partial, lines * parts, a.items, loc);
  if (combined) {
    const rt_gpu_kernel* combine = rtt_kernels(g->name, loc)->combine[g->reduce][value_dtype];
    if (!combine)
      rtt_panic(loc, "no combine kernel for %s of %s (rt_tensor_init)", reduce_name(g->reduce), rtt_dtype_name(value_dtype));
    int64_t cdiv = g->reduce == RT_REDUCE_MEAN ? len : 1;
    void* out_v = arg ? scratch : out->data;
    void* out_i = arg ? out->data : NULL;
    void* cargs[] = {&outer, &parts, &inner, &cdiv, &pv, &pi, &out_v, &out_i};
    rtt_launch(d, combine, lines, cargs, loc);
    rtt_free(d, pv);
    if (arg) rtt_free(d, pi);
  }
  rtt_free(d, scratch);
  return out;
}

rt_ptr rt_tensor_run(rt_ptr group, rt_ptr ins_p, rt_ptr scalars_p, rt_i64 axis, rt_loc loc) {
  const rt_tensor_group* g = group;
  const rt_tensor* const* ins = ins_p;
  const uint64_t* scalars = scalars_p;
  rt_gpu_device* d = rtt_device(g->name, loc);
  if (g->n_in < 0 || g->n_in > RT_TENSOR_MAX_INPUTS)
    rtt_panic(loc, "tensor group `%s` has %d inputs (at most %d)", g->name, g->n_in, RT_TENSOR_MAX_INPUTS);
  if (g->n_scalar < 0 || g->n_scalar > RT_TENSOR_MAX_SCALARS)
    rtt_panic(loc, "tensor group `%s` has %d scalars (at most %d)", g->name, g->n_scalar, RT_TENSOR_MAX_SCALARS);
  if (g->reduce < RT_REDUCE_NONE || g->reduce >= RT_REDUCE_COUNT)
    rtt_panic(loc, "tensor group `%s`: %d is not a reduction", g->name, g->reduce);
  for (int32_t k = 0; k < g->n_in; k++)
    if (ins[k]->device != d)
      rtt_panic(loc, "`%s`: input %d is on device %d (%s), not on the current device %d (%s)", g->name, k,
                ins[k]->device->ordinal, ins[k]->device->name, d->ordinal, d->name);
  if (g->reduce == RT_REDUCE_NONE) axis = 0;
  rtt_key key;
  rtt_key_init(&key, g, d, axis);
  for (int32_t k = 0; k < g->n_in; k++) rtt_key_add(&key, ins[k]->rank, ins[k]->shape, ins[k]->strides);
  const rtt_plan* p = rtt_cache_find(&key);
  bool hit = p != NULL;
  if (!p) {
    rtt_plan made = make_plan(g, ins, axis, d, loc);
    p = rtt_cache_insert(&key, &made);
  }
  log_run(g, hit, p);
  if (g->reduce == RT_REDUCE_NONE) return run_elementwise(g, ins, scalars, p, d, loc);
  return run_reduction(g, ins, scalars, p, d, loc);
}
