// The CPU device: device memory is host memory, and a launch runs every block of the grid on a
// pool of worker threads (one per core; the launching thread works too). Within a block, a
// kernel without barriers or warp operations runs its threads as a plain loop; a cooperative one
// runs each thread as a fiber, switching at barriers and warp operations (see rt_gpu.h).
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "gpu_internal.h"

enum { FIBER_STACK = 256 * 1024 };

// --- Errors and hazards -------------------------------------------------------------------------

static _Thread_local char g_error[512];

int rtgpu_fail(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(g_error, sizeof g_error, fmt, ap);
  va_end(ap);
  return 1;
}

const char* rt_gpu_last_error(void) { return g_error[0] ? g_error : "no error"; }

void rtgpu_hazard(const rt_gpu_launch* launch, const char* fmt, ...) {
  rt_die_begin();  // one report, even when several blocks find one (or panic, or fault)
  fprintf(stderr, "kernel hazard: `%s`", launch->kernel->name);
  if (launch->loc) fprintf(stderr, " (launched at %s:%d:%d)", launch->loc->file, launch->loc->line, launch->loc->col);
  fputs(": ", stderr);
  va_list ap;
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
  rt_die_exit();
}

// --- A running block ----------------------------------------------------------------------------

typedef enum { T_READY, T_BARRIER, T_WARP, T_DONE } thread_state;

// One lane's part in a warp operation.
typedef struct warp_slot {
  int op;  // 0: none; 1: shuffle; 2: vote; 3: combine (rt_gpu_combine_kind); 4: mma or ldmatrix
           // (rt_gpu_mma_kind, `value` the lane's record)
  int kind;
  uint32_t mask, arg, width;
  uint64_t value, result;
} warp_slot;

struct rt_gpu_block {
  const rt_gpu_launch* launch;
  uint32_t nthreads;
  rt_gpu_thread* threads;
  thread_state* state;
  warp_slot* slots;
  rtgpu_fiber* fibers;
  rtgpu_fiber scheduler;  // the worker's own context, while a fiber runs
  uint32_t current;
  uint32_t at_barrier, done;
};

// What one worker thread keeps between blocks (fiber stacks above all).
// One copy of cp_async, queued until its thread waits for it.
typedef struct cp_copy {
  void* dst;
  const void* src;
  uint32_t bytes;
  uint32_t group;  // the thread's group number, counting its commits from 0; CP_OPEN: not committed
  rt_loc loc;
} cp_copy;
enum { CP_OPEN = UINT32_MAX };

// A thread's copies not yet performed, in the order it issued them; valid while `epoch` is the
// worker's (older records belong to an earlier block and count as empty).
typedef struct cp_thread {
  uint64_t epoch;
  cp_copy* copies;
  uint32_t count, cap;
  uint32_t committed;  // groups committed so far
} cp_thread;

// What one worker thread keeps between blocks (fiber stacks above all).
typedef struct worker {
  rt_gpu_block block;
  uint32_t capacity;  // threads the arrays hold
  unsigned char* shared;
  size_t shared_size;
  cp_thread* cp;         // per thread of the block, for cp_async (grown on the first copy)
  uint32_t cp_capacity;  // threads `cp` holds
  uint64_t cp_epoch;     // one per block run
  uint32_t cp_pending;   // copies of the running block not yet performed
} worker;

static _Thread_local worker* g_worker;

// --- What this thread runs, for panic and fault reports ------------------------------------------

// The block this thread runs (NULL between blocks), and the linear index of the thread in it when
// the executor or rt_gpu_panic_thread knows it (-1 in a block loop, whose threads have no record).
static _Thread_local rt_gpu_block* g_running;
static _Thread_local int64_t g_running_thread = -1;

void rt_gpu_panic_thread(rt_u32 linear) {
  if (g_running) g_running_thread = linear;
}

// A fault in a block loop (no record of the thread that faulted): the crash handler, on its own
// stack and holding the dying lock, re-runs the block one thread at a time through the kernel's
// one-thread entry with print muted, until the fault comes again, and so learns the thread. A
// panic or hazard in the re-run, or a second fault, comes back here through `interrupt` (called
// first by the crash handler and by rt_die_begin) and ends the re-run. Memory the first run
// changed is not restored: a re-run that finds no fault leaves the thread unknown. Cooperative
// kernels (split at barriers) and stack overflows are not re-run.
static _Thread_local sigjmp_buf g_replay_jmp;
static _Thread_local volatile int g_replay;  // 0: none; 1: running; 2: ended by a fault; 3: by a report
static _Thread_local volatile int64_t g_replay_thread;

static void interrupt_replay(rt_die_cause cause) {
  if (g_replay != 1) return;
  g_replay = cause == RT_DIE_REPORT ? 3 : 2;
  siglongjmp(g_replay_jmp, 1);
}

static void init_threads(rt_gpu_block* b, const rt_gpu_launch* l, rt_dim3 block_idx, void* shared);

// The bytes a block's shared memory spans: the static `shared var`s, then the dynamic memory,
// which starts 16-byte aligned after them (dynamic_shared<T>() in lower_gpu.cpp).
static size_t block_shared_bytes(const rt_gpu_launch* l) {
  size_t fixed = l->kernel->static_shared;
  return l->dynamic_shared ? (fixed + 15) / 16 * 16 + l->dynamic_shared : fixed;
}

static void find_faulting_thread(rt_gpu_block* b) {
  const rt_gpu_launch* l = b->launch;
  size_t shared = block_shared_bytes(l);
  worker* w = g_worker;
  if (shared) memset(w->shared, 0, shared);
  w->cp_epoch++, w->cp_pending = 0;
  init_threads(b, l, b->threads[0].block_idx, shared ? w->shared : NULL);
  rt_print_muted = true;
  g_replay_thread = -1;
  g_replay = 1;
  if (sigsetjmp(g_replay_jmp, 1) == 0) {
    for (uint32_t i = 0; i < b->nthreads; i++) {
      b->threads[i].block = NULL;
      g_replay_thread = i;
      l->kernel->cpu(&b->threads[i], l->args);
    }
  }
  g_running_thread = g_replay == 2 ? g_replay_thread : -1;
  g_replay = 0;
  rt_print_muted = false;
}

// "  in kernel `k` (launched at f.fu:12:5), block (1, 0, 0), thread (3, 0, 0)", the words of the
// hazard reports; rt_die_print_context prints it under a panic or a fault in kernel code.
static void print_running(rt_die_cause cause) {
  rt_gpu_block* b = g_running;
  if (!b) return;
  const rt_gpu_launch* l = b->launch;
  if (cause == RT_DIE_FAULT && g_running_thread < 0 && l->kernel->cpu_block && !l->kernel->cooperative)
    find_faulting_thread(b);
  fprintf(stderr, "  in kernel `%s`", l->kernel->name);
  if (l->loc) fprintf(stderr, " (launched at %s:%d:%d)", l->loc->file, l->loc->line, l->loc->col);
  rt_dim3 bi = b->threads[0].block_idx, bd = l->block;
  fprintf(stderr, ", block (%u, %u, %u), ", bi.x, bi.y, bi.z);
  int64_t t = g_running_thread;
  if (t < 0 && !l->kernel->cpu_block && l->kernel->cooperative) t = b->current;
  if (t >= 0 && t < (int64_t)b->nthreads)
    fprintf(stderr, "thread (%u, %u, %u)\n", (uint32_t)(t % bd.x), (uint32_t)(t / bd.x % bd.y),
            (uint32_t)(t / bd.x / bd.y));
  else
    fprintf(stderr, "one of its %u threads (they ran as one loop)\n", b->nthreads);
}

static bool worker_reserve(worker* w, uint32_t nthreads, size_t shared) {
  rt_gpu_block* b = &w->block;
  if (nthreads > w->capacity) {
    rt_gpu_thread* threads = realloc(b->threads, nthreads * sizeof *threads);
    if (threads) b->threads = threads;
    thread_state* state = realloc(b->state, nthreads * sizeof *state);
    if (state) b->state = state;
    warp_slot* slots = realloc(b->slots, nthreads * sizeof *slots);
    if (slots) b->slots = slots;
    rtgpu_fiber* fibers = realloc(b->fibers, nthreads * sizeof *fibers);
    if (fibers) {
      memset(fibers + w->capacity, 0, (nthreads - w->capacity) * sizeof *fibers);
      b->fibers = fibers;
    }
    if (!threads || !state || !slots || !fibers) return false;
    w->capacity = nthreads;
  }
  if (shared > w->shared_size) {
    // Aligned as the largest `@align(N)` (4096), so that every `shared var` sits at an address
    // aligned for its type, as on the GPU: realloc's 16 would not do for a vec<f64, 4> (32). Its
    // contents are zeroed at each launch: nothing is kept.
    size_t size = (shared + RTGPU_SHARED_ALIGN - 1) / RTGPU_SHARED_ALIGN * RTGPU_SHARED_ALIGN;
    unsigned char* mem = aligned_alloc(RTGPU_SHARED_ALIGN, size);
    if (!mem) return false;
    free(w->shared);
    w->shared = mem;
    w->shared_size = shared;
  }
  return true;
}

static void format_dim(char* buf, size_t size, rt_dim3 d) { snprintf(buf, size, "(%u, %u, %u)", d.x, d.y, d.z); }

// "block (1, 0, 0), thread (17, 0, 0)"
static const char* where(const rt_gpu_block* b, uint32_t thread, char* buf, size_t size) {
  char bi[48], ti[48];
  format_dim(bi, sizeof bi, b->threads[thread].block_idx);
  format_dim(ti, sizeof ti, b->threads[thread].thread_idx);
  snprintf(buf, size, "block %s, thread %s", bi, ti);
  return buf;
}

// Back to the worker's scheduler loop, until this thread may go on.
static void yield(rt_gpu_block* b) { rtgpu_fiber_switch(&b->fibers[b->current], &b->scheduler); }

static void thread_entry(void* arg) {
  rt_gpu_thread* t = arg;
  rt_gpu_block* b = t->block;
  b->launch->kernel->cpu(t, b->launch->args);
  uint32_t me = t->linear;
  b->state[me] = T_DONE;
  b->done++;
  char buf[128];
  if (b->at_barrier > 0)
    rtgpu_hazard(b->launch, "%s finished without reaching the sync_threads() that %u other thread%s of its block wait%s at",
                 where(b, me, buf, sizeof buf), b->at_barrier, b->at_barrier == 1 ? "" : "s",
                 b->at_barrier == 1 ? "s" : "");
  // A lane waiting in a warp operation that names this one would wait for ever.
  uint32_t base = me / RT_GPU_WARP_SIZE * RT_GPU_WARP_SIZE;
  for (uint32_t l = base; l < base + RT_GPU_WARP_SIZE && l < b->nthreads; l++)
    if (b->state[l] == T_WARP && (b->slots[l].mask >> (me - base) & 1u)) {
      char other[128];
      rtgpu_hazard(b->launch, "%s finished, but %s waits for it in a warp operation (mask 0x%08x)",
                   where(b, me, buf, sizeof buf), where(b, l, other, sizeof other), b->slots[l].mask);
    }
  yield(b);
  __builtin_trap();  // a finished thread is never resumed
}

static void init_threads(rt_gpu_block* b, const rt_gpu_launch* l, rt_dim3 block_idx, void* shared) {
  uint32_t i = 0;
  for (uint32_t z = 0; z < l->block.z; z++)
    for (uint32_t y = 0; y < l->block.y; y++)
      for (uint32_t x = 0; x < l->block.x; x++, i++) {
        b->threads[i] = (rt_gpu_thread){.thread_idx = {x, y, z},
                                         .block_idx = block_idx,
                                         .block_dim = l->block,
                                         .grid_dim = l->grid,
                                         .shared = shared,
                                         .linear = i,
                                         .block = b};
      }
}

static void run_cooperative(rt_gpu_block* b) {
  for (uint32_t i = 0; i < b->nthreads; i++) {
    b->state[i] = T_READY;
    b->slots[i].op = 0;
    if (!rtgpu_fiber_init(&b->fibers[i], FIBER_STACK, thread_entry, &b->threads[i]))
      rtgpu_hazard(b->launch, "out of memory for the stacks of a block of %u threads", b->nthreads);
  }
  b->at_barrier = b->done = 0;
  while (b->done < b->nthreads) {
    bool ran = false;
    for (uint32_t i = 0; i < b->nthreads; i++) {
      if (b->state[i] != T_READY) continue;
      b->current = i;
      rtgpu_fiber_switch(&b->scheduler, &b->fibers[i]);
      ran = true;
    }
    if (ran) continue;
    if (b->done == b->nthreads) break;
    // Nothing can run, and not everything has finished: the threads wait on each other.
    uint32_t at_barrier = 0, at_warp = 0, first_warp = 0;
    for (uint32_t i = 0; i < b->nthreads; i++) {
      if (b->state[i] == T_BARRIER) at_barrier++;
      if (b->state[i] == T_WARP && at_warp++ == 0) first_warp = i;
    }
    char buf[128];
    rtgpu_hazard(b->launch, "deadlock: %u thread%s wait at sync_threads() and %u in warp operations (the first: %s)",
                 at_barrier, at_barrier == 1 ? "" : "s", at_warp, where(b, first_warp, buf, sizeof buf));
  }
}

static void run_block(worker* w, const rt_gpu_launch* l, uint64_t linear_block) {
  rt_gpu_block* b = &w->block;
  rt_dim3 idx = {(uint32_t)(linear_block % l->grid.x), (uint32_t)(linear_block / l->grid.x % l->grid.y),
                 (uint32_t)(linear_block / l->grid.x / l->grid.y)};
  size_t shared = block_shared_bytes(l);
  if (shared) memset(w->shared, 0, shared);
  b->launch = l;
  b->nthreads = l->block.x * l->block.y * l->block.z;
  g_running_thread = -1;
  w->cp_epoch++, w->cp_pending = 0;  // copies a block did not wait for end with it
  if (l->kernel->cpu_block) {
    // The compiler's block function (a loop over the threads, or a split cooperative kernel's
    // loops) fills in thread_idx and linear itself: one record is enough.
    b->threads[0] = (rt_gpu_thread){.block_idx = idx, .block_dim = l->block, .grid_dim = l->grid,
                                    .shared = shared ? w->shared : NULL};
    g_running = b;
    l->kernel->cpu_block(&b->threads[0], l->args);
    g_running = NULL;
    return;
  }
  init_threads(b, l, idx, shared ? w->shared : NULL);
  g_running = b;
  if (l->kernel->cooperative) {
    run_cooperative(b);  // the running thread is b->current
    g_running = NULL;
    return;
  }
  // No barrier and no warp operation, and no block loop: the threads one after another.
  for (uint32_t i = 0; i < b->nthreads; i++) {
    b->threads[i].block = NULL;  // a barrier here is a compiler bug, reported by rt_gpu_sync_threads
    g_running_thread = i;
    l->kernel->cpu(&b->threads[i], l->args);
  }
  g_running = NULL;
}

// --- Barriers and warp operations ---------------------------------------------------------------

static rt_gpu_block* cooperative_block(rt_gpu_thread* t, const char* what) {
  if (t->block) return t->block;
  rt_die_begin();
  fprintf(stderr, "fusion: internal error: %s in a kernel that was not compiled to run its threads as fibers\n", what);
  rt_die_exit();
}

void rt_gpu_sync_threads(rt_ptr tp) {
  rt_gpu_thread* t = (rt_gpu_thread*)tp;
  rt_gpu_block* b = cooperative_block(t, "sync_threads()");
  uint32_t me = t->linear;
  if (b->done > 0) {
    uint32_t gone = 0;
    while (b->state[gone] != T_DONE) gone++;
    char buf[128], other[128];
    rtgpu_hazard(b->launch, "%s reached sync_threads(), but %s (and %u more) finished without reaching it",
                 where(b, me, buf, sizeof buf), where(b, gone, other, sizeof other), b->done - 1);
  }
  if (++b->at_barrier == b->nthreads) {  // the last to arrive lets everyone go
    for (uint32_t i = 0; i < b->nthreads; i++) b->state[i] = T_READY;
    b->at_barrier = 0;
    return;
  }
  b->state[me] = T_BARRIER;
  yield(b);
}

// The lane whose value lane `lane` receives, for a shuffle of `kind` within segments of `width`.
// A source outside the segment gives the lane its own value, as the GPU does.
static uint32_t shuffle_source(rt_gpu_shfl_kind kind, uint32_t lane, uint32_t arg, uint32_t width) {
  uint32_t seg = lane & ~(width - 1), in_seg = lane - seg;
  switch (kind) {
    case RT_GPU_SHFL_IDX: return seg + (arg & (width - 1));
    case RT_GPU_SHFL_UP: return in_seg >= arg ? lane - arg : lane;
    case RT_GPU_SHFL_DOWN: return in_seg + arg < width ? lane + arg : lane;
    case RT_GPU_SHFL_XOR: {
      uint32_t src = lane ^ arg;
      return (src & ~(width - 1)) == seg ? src : lane;
    }
  }
  return lane;
}

// The results of a combining warp operation of `kind` for the lanes of `mask` (values[lane] to
// results[lane]), as the GPU computes them.
static void combine(rt_gpu_combine_kind kind, uint32_t mask, const uint64_t* values, uint64_t* results) {
  uint32_t first = (uint32_t)__builtin_ctz(mask);
  uint64_t v0 = values[first];
  uint32_t acc = (uint32_t)v0;
  bool same = true;
  for (uint32_t l = first + 1; l < RT_GPU_WARP_SIZE; l++) {
    if (!(mask >> l & 1u)) continue;
    uint64_t v = values[l];
    uint32_t x = (uint32_t)v;
    same = same && v == v0;
    switch (kind) {
      case RT_GPU_REDUCE_ADD: acc += x; break;
      case RT_GPU_REDUCE_MIN_S: acc = (int32_t)x < (int32_t)acc ? x : acc; break;
      case RT_GPU_REDUCE_MIN_U: acc = x < acc ? x : acc; break;
      case RT_GPU_REDUCE_MAX_S: acc = (int32_t)x > (int32_t)acc ? x : acc; break;
      case RT_GPU_REDUCE_MAX_U: acc = x > acc ? x : acc; break;
      case RT_GPU_REDUCE_AND: acc &= x; break;
      case RT_GPU_REDUCE_OR: acc |= x; break;
      case RT_GPU_REDUCE_XOR: acc ^= x; break;
      default: break;
    }
  }
  for (uint32_t l = 0; l < RT_GPU_WARP_SIZE; l++) {
    if (!(mask >> l & 1u)) continue;
    uint64_t r = acc;
    if (kind == RT_GPU_SYNC_WARP) {
      r = 0;
    } else if (kind == RT_GPU_MATCH_ALL) {
      r = same ? mask : 0;
    } else if (kind == RT_GPU_MATCH_ANY) {
      uint32_t m = 0;
      for (uint32_t j = 0; j < RT_GPU_WARP_SIZE; j++)
        if ((mask >> j & 1u) && values[j] == values[l]) m |= 1u << j;
      r = m;
    }
    results[l] = r;
  }
}

void rt_gpu_combine_warp(rt_i32 kind, rt_ptr values, rt_ptr results) {
  combine((rt_gpu_combine_kind)kind, 0xffffffffu, (const uint64_t*)values, (uint64_t*)results);
}

static void tensor_core(rt_gpu_block* b, uint32_t warp_base, int kind, uint32_t (*lanes)[RT_GPU_MMA_WORDS]);

// Computes the results of the warp operation every lane of `mask` has now joined.
static void finish_warp_op(rt_gpu_block* b, uint32_t base, uint32_t mask) {
  warp_slot* s = &b->slots[base];
  if (s[0].op == 4) {  // the whole warp: gather the records, compute, and give each lane its result
    uint32_t lanes[RT_GPU_WARP_SIZE][RT_GPU_MMA_WORDS];
    for (uint32_t l = 0; l < RT_GPU_WARP_SIZE; l++) memcpy(lanes[l], (void*)(uintptr_t)s[l].value, sizeof lanes[l]);
    tensor_core(b, base, s[0].kind, lanes);
    for (uint32_t l = 0; l < RT_GPU_WARP_SIZE; l++) memcpy((void*)(uintptr_t)s[l].value, lanes[l], sizeof lanes[l]);
  } else if (s[__builtin_ctz(mask)].op == 3) {
    uint64_t values[RT_GPU_WARP_SIZE] = {0}, results[RT_GPU_WARP_SIZE] = {0};
    for (uint32_t l = 0; l < RT_GPU_WARP_SIZE; l++)
      if (mask >> l & 1u) values[l] = s[l].value;
    combine((rt_gpu_combine_kind)s[__builtin_ctz(mask)].kind, mask, values, results);
    for (uint32_t l = 0; l < RT_GPU_WARP_SIZE; l++)
      if (mask >> l & 1u) s[l].result = results[l];
  } else if (s[__builtin_ctz(mask)].op == 2) {
    uint32_t ballot = 0;
    for (uint32_t l = 0; l < RT_GPU_WARP_SIZE; l++)
      if ((mask >> l & 1u) && s[l].value) ballot |= 1u << l;
    for (uint32_t l = 0; l < RT_GPU_WARP_SIZE; l++) {
      if (!(mask >> l & 1u)) continue;
      switch ((rt_gpu_vote_kind)s[l].kind) {
        case RT_GPU_VOTE_BALLOT: s[l].result = ballot; break;
        case RT_GPU_VOTE_ANY: s[l].result = ballot != 0; break;
        case RT_GPU_VOTE_ALL: s[l].result = ballot == mask; break;
      }
    }
  } else {
    for (uint32_t l = 0; l < RT_GPU_WARP_SIZE; l++) {
      if (!(mask >> l & 1u)) continue;
      uint32_t src = shuffle_source((rt_gpu_shfl_kind)s[l].kind, l, s[l].arg, s[l].width);
      // A source lane outside the mask has no value to give: the lane keeps its own.
      s[l].result = (mask >> src & 1u) ? s[src].value : s[l].value;
    }
  }
  for (uint32_t l = 0; l < RT_GPU_WARP_SIZE; l++)
    if (mask >> l & 1u) b->state[base + l] = T_READY;
}

// Joins a warp operation; returns once every lane of `mask` has joined it, with this lane's result.
static uint64_t warp_op(rt_gpu_thread* t, int op, int kind, uint32_t mask, uint64_t value, uint32_t arg,
                        uint32_t width) {
  rt_gpu_block* b = cooperative_block(t, op == 1   ? "a warp shuffle"
                                         : op == 2 ? "a warp vote"
                                         : op == 4 ? "a tensor-core operation"
                                                   : "a warp operation");
  uint32_t me = t->linear, base = me / RT_GPU_WARP_SIZE * RT_GPU_WARP_SIZE, lane = me - base;
  uint32_t lanes = b->nthreads - base < RT_GPU_WARP_SIZE ? b->nthreads - base : RT_GPU_WARP_SIZE;
  uint32_t existing = lanes == 32 ? 0xffffffffu : (1u << lanes) - 1;
  char buf[128];
  if (!(mask >> lane & 1u))
    rtgpu_hazard(b->launch, "%s is not in the mask 0x%08x of its own warp operation", where(b, me, buf, sizeof buf), mask);
  if (mask & ~existing)
    rtgpu_hazard(b->launch, "%s: the mask 0x%08x names lanes its warp does not have (it has %u)",
                 where(b, me, buf, sizeof buf), mask, lanes);
  if (op == 1 && (width == 0 || width > 32 || (width & (width - 1))))
    rtgpu_hazard(b->launch, "%s: shuffle width %u is not a power of two up to 32", where(b, me, buf, sizeof buf), width);
  b->slots[me] = (warp_slot){.op = op, .kind = kind, .mask = mask, .arg = arg, .width = width, .value = value};
  b->state[me] = T_WARP;
  bool all_here = true;
  for (uint32_t l = 0; l < lanes; l++) {
    if (!(mask >> l & 1u)) continue;
    thread_state s = b->state[base + l];
    if (s == T_DONE) {
      char other[128];
      rtgpu_hazard(b->launch, "%s waits in a warp operation (mask 0x%08x) for %s, which has finished",
                   where(b, me, buf, sizeof buf), mask, where(b, base + l, other, sizeof other));
    }
    if (s != T_WARP) all_here = false;
    else if (b->slots[base + l].mask != mask || b->slots[base + l].op != op ||
             ((op == 3 || op == 4) && b->slots[base + l].kind != kind)) {
      char other[128];
      rtgpu_hazard(b->launch, "%s and %s are in different warp operations (masks 0x%08x and 0x%08x)",
                   where(b, me, buf, sizeof buf), where(b, base + l, other, sizeof other), mask,
                   b->slots[base + l].mask);
    }
  }
  if (all_here) finish_warp_op(b, base, mask);
  else yield(b);
  b->slots[me].op = 0;
  return b->slots[me].result;
}

rt_u64 rt_gpu_shfl(rt_ptr t, rt_i32 kind, rt_u32 mask, rt_u64 value, rt_u32 arg, rt_u32 width) {
  return warp_op((rt_gpu_thread*)t, 1, kind, mask, value, arg, width);
}

rt_u32 rt_gpu_vote(rt_ptr t, rt_i32 kind, rt_u32 mask, rt_bool predicate) {
  return (uint32_t)warp_op((rt_gpu_thread*)t, 2, kind, mask, predicate, 0, 32);
}

rt_u64 rt_gpu_combine(rt_ptr t, rt_i32 kind, rt_u32 mask, rt_u64 value) {
  return warp_op((rt_gpu_thread*)t, 3, kind, mask, value, 0, 32);
}

// --- Tensor cores: mma and ldmatrix ------------------------------------------------------------

static const char* const kTensorCoreNames[] = {
    "mma_m16n8k16_f16", "mma_m16n8k16_bf16", "mma_m16n8k8_f16",   "mma_m16n8k8_bf16",  "mma_m16n8k8_tf32",
    "mma_m16n8k4_tf32", "mma_m16n8k32_s8",   "mma_m16n8k32_u8",   "mma_m16n8k16_s8",   "mma_m16n8k16_u8",
    "ldmatrix_x1",      "ldmatrix_x2",       "ldmatrix_x4",       "ldmatrix_x1_trans", "ldmatrix_x2_trans",
    "ldmatrix_x4_trans",
};

// The warp starting at thread `warp_base` of `b` runs `kind` on its lanes' records; a row address
// of an ldmatrix outside the block's shared memory is a hazard (a GPU faults or reads garbage).
static void tensor_core(rt_gpu_block* b, uint32_t warp_base, int kind, uint32_t (*lanes)[RT_GPU_MMA_WORDS]) {
  const rt_gpu_launch* l = b->launch;
  size_t shared = block_shared_bytes(l);
  int bad = rtgpu_tensor_core(kind, lanes, shared ? (const char*)b->threads[0].shared : NULL, shared);
  if (bad < 0) return;
  char buf[128];
  uint64_t addr = (uint64_t)lanes[bad][0] | (uint64_t)lanes[bad][1] << 32;
  rtgpu_hazard(l, "%s: the row address %p of its `%s` is not a 16-byte aligned row inside the block's %zu bytes of shared memory",
               where(b, warp_base + (uint32_t)bad, buf, sizeof buf), (void*)(uintptr_t)addr, kTensorCoreNames[kind], shared);
}

void rt_gpu_mma(rt_ptr t, rt_i32 kind, rt_ptr record) {
  warp_op((rt_gpu_thread*)(uintptr_t)t, 4, kind, 0xffffffffu, (uint64_t)(uintptr_t)record, 0, 32);
}

// A split kernel's warp: `t` is a thread of the block (its block_idx names it in a report), and the
// warp's lanes are consecutive threads, the first at linear index t->linear / 32 * 32.
void rt_gpu_mma_warp(rt_ptr tp, rt_i32 kind, rt_ptr records) {
  const rt_gpu_thread* t = tp;
  const rt_gpu_launch* l = g_worker->block.launch;
  size_t shared = block_shared_bytes(l);
  uint32_t(*lanes)[RT_GPU_MMA_WORDS] = (uint32_t(*)[RT_GPU_MMA_WORDS])(uintptr_t)records;
  int bad = rtgpu_tensor_core(kind, lanes, shared ? (const char*)t->shared : NULL, shared);
  if (bad < 0) return;
  char bi[48];
  format_dim(bi, sizeof bi, t->block_idx);
  uint64_t addr = (uint64_t)lanes[bad][0] | (uint64_t)lanes[bad][1] << 32;
  rtgpu_hazard(l, "block %s, thread %u by linear index: the row address %p of its `%s` is not a 16-byte aligned row inside the block's %zu bytes of shared memory",
               bi, t->linear / RT_GPU_WARP_SIZE * RT_GPU_WARP_SIZE + (uint32_t)bad, (void*)(uintptr_t)addr,
               kTensorCoreNames[kind], shared);
}

// --- Checked mode: accesses through gpu.alloc pointers ------------------------------------------

static void cp_check_access(const rt_gpu_thread* t, const void* p, uint64_t bytes, bool is_store, rt_loc loc);

void rt_gpu_check_access(rt_ptr tp, rt_ptr p, rt_u64 bytes, rt_bool is_store, rt_loc loc) {
  if (g_worker->cp_pending) cp_check_access(tp, p, bytes, is_store, loc);
  rtgpu_region r;
  if (!rtgpu_registry_check(p, bytes, &r)) return;
  const rt_gpu_thread* t = tp;
  const rt_gpu_launch* l = g_worker->block.launch;
  char bi[48], ti[48];
  format_dim(bi, sizeof bi, t->block_idx);
  format_dim(ti, sizeof ti, t->thread_idx);
  const char* addr = (const char*)p;
  long long off = addr < r.base ? -(long long)(r.base - addr) : (long long)(addr - r.base);
  rtgpu_hazard(l, "block %s, thread %s %s %llu byte%s at offset %lld of a %llu-byte gpu.alloc block, out of its bounds (at %s:%d:%d)",
               bi, ti, is_store ? "stores" : "loads", (unsigned long long)bytes, bytes == 1 ? "" : "s", off,
               (unsigned long long)r.size, loc ? loc->file : "?", loc ? loc->line : 0, loc ? loc->col : 0);
}

// An access of `bytes` at `p` that a GPU would fault on, as `p` is not a multiple of `align`: a
// vector (kind 0 a load, 1 a store) or a scalar through a pointer (3 a load, 4 a store) in a
// kernel's code, a hazard in the checked modes (`--check-kernels`: `checked`; `--device check`)
// and otherwise allowed, as the CPU can; an atomic (kind 2, `tp` NULL in host code) always a
// panic, as its compare-and-swap loop works on the aligned word. The compiler calls it only when
// `p % align != 0`.
void rt_gpu_misaligned(rt_ptr tp, rt_ptr p, rt_u64 bytes, rt_u64 align, rt_i32 kind, rt_bool checked, rt_loc loc) {
  if (kind == 2) {
    rt_panicf(loc, "misaligned atomic: %llu bytes at %p, which is not a multiple of %llu (a GPU faults)",
              (unsigned long long)bytes, (void*)p, (unsigned long long)align);
  }
  if (!checked && !rtgpu_check_mode()) return;
  const rt_gpu_thread* t = tp;
  char bi[48], ti[48];
  format_dim(bi, sizeof bi, t->block_idx);
  format_dim(ti, sizeof ti, t->thread_idx);
  const char* verb = kind == 1 || kind == 4 ? "stores" : "loads";
  if (kind == 3 || kind == 4)
    rtgpu_hazard(g_worker->block.launch,
                 "block %s, thread %s %s %llu bytes at %p, which is not a multiple of %llu: a GPU faults on a "
                 "misaligned access (at %s:%d:%d)",
                 bi, ti, verb, (unsigned long long)bytes, (void*)p, (unsigned long long)align, loc ? loc->file : "?",
                 loc ? loc->line : 0, loc ? loc->col : 0);
  rtgpu_hazard(g_worker->block.launch,
               "block %s, thread %s %s a %llu-byte vector at %p, which is not a multiple of %llu: a GPU accesses it "
               "whole and faults (at %s:%d:%d)",
               bi, ti, verb, (unsigned long long)bytes, (void*)p, (unsigned long long)align,
               loc ? loc->file : "?", loc ? loc->line : 0, loc ? loc->col : 0);
}

void rt_gpu_divergent(rt_ptr tp, rt_u32 agree, rt_ptr what, rt_loc loc) {
  const rt_gpu_thread* t = tp;
  uint32_t n = t->block_dim.x * t->block_dim.y * t->block_dim.z;
  char bi[48];
  format_dim(bi, sizeof bi, t->block_idx);
  rtgpu_hazard(g_worker->block.launch,
               "block %s: the condition of the `%s` at %s:%d:%d, which contains sync_threads(), is true for %u of the "
               "block's %u threads: the others would never reach the barrier (or reach another one)",
               bi, (const char*)what, loc ? loc->file : "?", loc ? loc->line : 0, loc ? loc->col : 0, agree, n);
}

void rt_gpu_warp_divergent(rt_ptr tp, rt_u32 agree, rt_u32 lanes, rt_ptr what, rt_loc loc) {
  const rt_gpu_thread* t = tp;
  char bi[48];
  format_dim(bi, sizeof bi, t->block_idx);
  uint32_t first = t->linear / RT_GPU_WARP_SIZE * RT_GPU_WARP_SIZE;
  rtgpu_hazard(g_worker->block.launch,
               "block %s, warp %u (threads %u to %u by linear index): the condition of the `%s` at %s:%d:%d, which "
               "contains a warp operation, is true for %u of the warp's %u lanes: the others would not join it",
               bi, t->linear / RT_GPU_WARP_SIZE, first, first + lanes - 1, (const char*)what, loc ? loc->file : "?",
               loc ? loc->line : 0, loc ? loc->col : 0, agree, lanes);
}

void rt_gpu_warp_fault(rt_ptr tp, rt_i32 kind, rt_u32 value, rt_loc loc) {
  const rt_gpu_thread* t = tp;
  char bi[48], ti[48];
  format_dim(bi, sizeof bi, t->block_idx);
  format_dim(ti, sizeof ti, t->thread_idx);
  if (kind == 0)
    rtgpu_hazard(g_worker->block.launch,
                 "block %s, thread %s: the mask 0xffffffff of the warp operation at %s:%d:%d names lanes its warp "
                 "does not have (it has %u)",
                 bi, ti, loc ? loc->file : "?", loc ? loc->line : 0, loc ? loc->col : 0, value);
  rtgpu_hazard(g_worker->block.launch, "block %s, thread %s: shuffle width %u at %s:%d:%d is not a power of two up to 32",
               bi, ti, value, loc ? loc->file : "?", loc ? loc->line : 0, loc ? loc->col : 0);
}

// --- Asynchronous copies (cp_async) -------------------------------------------------------------

// A GPU copies in the background between cp_async and the wait that covers it; the executor
// copies at the wait, a schedule a GPU may choose too, so that a destination read before its wait
// keeps its old contents (and `--check-kernels` reports that read, cp_check_access).

static void cp_where(const rt_gpu_thread* t, char* buf, size_t size) {
  char bi[48], ti[48];
  format_dim(bi, sizeof bi, t->block_idx);
  format_dim(ti, sizeof ti, t->thread_idx);
  snprintf(buf, size, "block %s, thread %s", bi, ti);
}

// Thread t's queue, reset when it is left from an earlier block.
static cp_thread* cp_of(const rt_gpu_thread* t) {
  worker* w = g_worker;
  uint32_t n = t->block_dim.x * t->block_dim.y * t->block_dim.z;
  if (n > w->cp_capacity) {
    cp_thread* cp = realloc(w->cp, n * sizeof *cp);
    if (!cp) rtgpu_hazard(w->block.launch, "out of memory for the cp_async copies of a block");
    memset(cp + w->cp_capacity, 0, (n - w->cp_capacity) * sizeof *cp);
    w->cp = cp, w->cp_capacity = n;
  }
  cp_thread* c = &w->cp[t->linear];
  if (c->epoch != w->cp_epoch) c->epoch = w->cp_epoch, c->count = 0, c->committed = 0;
  return c;
}

void rt_gpu_cp_async(rt_ptr tp, rt_ptr dst, rt_ptr src, rt_u32 bytes, rt_loc loc) {
  const rt_gpu_thread* t = tp;
  worker* w = g_worker;
  const rt_gpu_launch* l = w->block.launch;
  const char* shared = t->shared;
  size_t shared_bytes = block_shared_bytes(l);
  const char *d = dst, *s = src;
  // dst in the block's shared memory, src outside it (PTX: .shared and .global), each aligned.
  bool dst_shared = shared && d >= shared && d <= shared + shared_bytes && (size_t)(shared + shared_bytes - d) >= bytes;
  bool src_shared = shared && s + bytes > shared && s < shared + shared_bytes;
  char detail[160];
  detail[0] = 0;
  if (!dst_shared)
    snprintf(detail, sizeof detail, "its destination is not in the block's shared memory (cp_async copies from global "
                                    "memory to a `shared var` or `dynamic_shared`)");
  else if (src_shared)
    snprintf(detail, sizeof detail, "its source is in the block's shared memory (cp_async copies from global memory)");
  else if ((uintptr_t)d % bytes)
    snprintf(detail, sizeof detail, "its destination (offset %llu of the block's shared memory) is not %u-byte aligned",
             (unsigned long long)(d - shared), bytes);
  else if ((uintptr_t)s % bytes)
    snprintf(detail, sizeof detail, "its source is %u bytes past a %u-byte boundary (it must be aligned to the copy's size)",
             (unsigned)((uintptr_t)s % bytes), bytes);
  if (detail[0]) {
    char who[128];
    cp_where(t, who, sizeof who);
    rtgpu_hazard(l, "%s: the cp_async of %u bytes at %s:%d:%d cannot run: %s", who, bytes, loc ? loc->file : "?",
                 loc ? loc->line : 0, loc ? loc->col : 0, detail);
  }
  cp_thread* c = cp_of(t);
  if (c->count == c->cap) {
    uint32_t cap = c->cap ? c->cap * 2 : 8;
    cp_copy* copies = realloc(c->copies, cap * sizeof *copies);
    if (!copies) rtgpu_hazard(l, "out of memory for the cp_async copies of a block");
    c->copies = copies, c->cap = cap;
  }
  c->copies[c->count++] = (cp_copy){.dst = (void*)dst, .src = src, .bytes = bytes, .group = CP_OPEN, .loc = loc};
  w->cp_pending++;
}

void rt_gpu_cp_async_commit(rt_ptr tp) {
  cp_thread* c = cp_of(tp);
  // An empty group is a group too (PTX's cp.async.commit_group), so that wait(n) counts alike.
  for (uint32_t i = 0; i < c->count; i++)
    if (c->copies[i].group == CP_OPEN) c->copies[i].group = c->committed;
  c->committed++;
}

void rt_gpu_cp_async_wait(rt_ptr tp, rt_u32 n) {
  worker* w = g_worker;
  cp_thread* c = cp_of(tp);
  if (c->committed <= n) return;
  uint32_t done_below = c->committed - n;  // groups before this one are complete after the wait
  uint32_t kept = 0;
  for (uint32_t i = 0; i < c->count; i++) {
    cp_copy* k = &c->copies[i];
    if (k->group != CP_OPEN && k->group < done_below) {
      memcpy(k->dst, k->src, k->bytes);
      w->cp_pending--;
    } else {
      c->copies[kept++] = *k;
    }
  }
  c->count = kept;
}

// --check-kernels: an access that overlaps the destination of a copy not yet waited for reads
// what a GPU may not have written yet (or writes what the copy may overwrite).
static void cp_check_access(const rt_gpu_thread* t, const void* p, uint64_t bytes, bool is_store, rt_loc loc) {
  worker* w = g_worker;
  const char* a = p;
  uint32_t n = t->block_dim.x * t->block_dim.y * t->block_dim.z;
  if (n > w->cp_capacity) n = w->cp_capacity;
  for (uint32_t i = 0; i < n; i++) {
    const cp_thread* c = &w->cp[i];
    if (c->epoch != w->cp_epoch) continue;
    for (uint32_t j = 0; j < c->count; j++) {
      const cp_copy* k = &c->copies[j];
      const char* d = k->dst;
      if (a + bytes <= d || a >= d + k->bytes) continue;
      const rt_gpu_launch* l = w->block.launch;
      char who[128], issuer[64];
      cp_where(t, who, sizeof who);
      rt_dim3 bd = l->block;
      if (i == t->linear) snprintf(issuer, sizeof issuer, "this thread");
      else snprintf(issuer, sizeof issuer, "thread (%u, %u, %u)", i % bd.x, i / bd.x % bd.y, i / bd.x / bd.y);
      const char* shared = t->shared;
      rtgpu_hazard(l,
                   "%s %s %llu byte%s at offset %lld of the block's shared memory (at %s:%d:%d), the destination of "
                   "the cp_async at %s:%d:%d that %s has not waited for: cp_async_wait (and, for another thread's "
                   "copy, sync_threads() after it) must come first",
                   who, is_store ? "stores" : "loads", (unsigned long long)bytes, bytes == 1 ? "" : "s",
                   (long long)(a - shared), loc ? loc->file : "?", loc ? loc->line : 0, loc ? loc->col : 0,
                   k->loc ? k->loc->file : "?", k->loc ? k->loc->line : 0, k->loc ? k->loc->col : 0, issuer);
    }
  }
}

// --- The worker pool ----------------------------------------------------------------------------

// Workers take blocks in runs of `run` (about 16 runs per worker): one atomic operation per run,
// not per block, on a counter the workers share, and still a fair share each when blocks differ
// in cost. `next` and `finished` live on cache lines of their own.
enum { RUNS_PER_WORKER = 16 };

typedef struct job {
  const rt_gpu_launch* launch;
  bool muted;                                       // print in the kernel says nothing
  uint64_t blocks;
  uint64_t run;                                     // blocks per take
  _Alignas(64) atomic_uint_fast64_t next;           // the next block to take
  _Alignas(64) atomic_uint_fast64_t finished;       // blocks done
  _Alignas(64) int active;  // workers inside work_on (guarded by g_pool.lock): the job lives on
                            // the launching thread's stack until they have left
} job;

static struct {
  pthread_mutex_t lock;
  pthread_cond_t wake, done;
  job* current;
  uint64_t generation;
  int workers;  // started, besides the launching thread
} g_pool = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, PTHREAD_COND_INITIALIZER, NULL, 0, 0};

static pthread_mutex_t g_launch_lock = PTHREAD_MUTEX_INITIALIZER;  // one launch at a time

static worker* this_worker(void) {
  if (!g_worker) {
    g_worker = calloc(1, sizeof *g_worker);
    if (!g_worker) {
      rt_die_begin();
      fputs("fusion: out of memory starting a CPU device worker\n", stderr);
      rt_die_exit();
    }
  }
  return g_worker;
}

static void work_on(job* j) {
  worker* w = this_worker();
  rt_print_muted = j->muted;
  const rt_gpu_launch* l = j->launch;
  if (!worker_reserve(w, l->block.x * l->block.y * l->block.z,
                      block_shared_bytes(l)))
    rtgpu_hazard(l, "out of memory for a block's threads");
  for (;;) {
    uint64_t first = atomic_fetch_add(&j->next, j->run);
    if (first >= j->blocks) break;
    uint64_t end = first + j->run < j->blocks ? first + j->run : j->blocks;
    for (uint64_t i = first; i < end; i++) run_block(w, l, i);
    if (atomic_fetch_add(&j->finished, end - first) + (end - first) == j->blocks) {
      pthread_mutex_lock(&g_pool.lock);
      pthread_cond_broadcast(&g_pool.done);
      pthread_mutex_unlock(&g_pool.lock);
    }
  }
  rt_print_muted = false;
}

static void* worker_main(void* arg) {
  (void)arg;
  rt_fault_thread_init();  // its own signal stack, for reporting a fault in a kernel
  uint64_t seen = 0;
  pthread_mutex_lock(&g_pool.lock);
  for (;;) {
    while (g_pool.generation == seen) pthread_cond_wait(&g_pool.wake, &g_pool.lock);
    seen = g_pool.generation;
    job* j = g_pool.current;
    if (!j) continue;
    j->active++;
    pthread_mutex_unlock(&g_pool.lock);
    work_on(j);
    pthread_mutex_lock(&g_pool.lock);
    j->active--;
    pthread_cond_broadcast(&g_pool.done);
  }
  return NULL;
}

// Starts the workers once: one per core, less the launching thread.
static void start_pool(void) {
  rt_die_set_hooks(print_running, interrupt_replay);
  long cores = sysconf(_SC_NPROCESSORS_ONLN);
  const char* env = getenv("FUSION_CPU_THREADS");
  if (env && atoi(env) > 0) cores = atoi(env);
  for (long i = 1; i < cores; i++) {
    pthread_t th;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    if (pthread_create(&th, &attr, worker_main, NULL) == 0) g_pool.workers++;
    pthread_attr_destroy(&attr);
  }
}

static pthread_once_t g_pool_once = PTHREAD_ONCE_INIT;

// --- Launch -------------------------------------------------------------------------------------

static int check_launch(const rt_gpu_launch* l) {
  const rt_gpu_kernel* k = l->kernel;
  rt_dim3 g = l->grid, b = l->block;
  if (!k) return rtgpu_fail("launch: no kernel");
  if (!k->cpu)
    return rtgpu_fail("`%s` is a CUDA C kernel: it runs only on a CUDA device, and this program runs on the CPU device "
                      "(check gpu.available() before launching it)", k->name);
  if (!g.x || !g.y || !g.z || !b.x || !b.y || !b.z)
    return rtgpu_fail("grid (%u, %u, %u) and block (%u, %u, %u) must not be empty", g.x, g.y, g.z, b.x, b.y, b.z);
  uint64_t threads = (uint64_t)b.x * b.y * b.z;
  if (threads > RT_GPU_MAX_BLOCK_THREADS || b.x > 1024 || b.y > 1024 || b.z > 64)
    return rtgpu_fail("a block of (%u, %u, %u) = %llu threads is over the limit of %d (and 1024, 1024, 64 per dimension)",
                      b.x, b.y, b.z, (unsigned long long)threads, RT_GPU_MAX_BLOCK_THREADS);
  if (k->max_threads && threads > k->max_threads)
    return rtgpu_fail("a block of %llu threads is over the kernel's max_threads of %u", (unsigned long long)threads,
                      k->max_threads);
  if (k->threads.x && (b.x != k->threads.x || b.y != k->threads.y || b.z != k->threads.z))
    return rtgpu_fail("a block of (%u, %u, %u) threads, but the kernel is declared @kernel(threads: (%u, %u, %u))", b.x,
                      b.y, b.z, k->threads.x, k->threads.y, k->threads.z);
  if (g.y > 65535 || g.z > 65535 || g.x > 0x7fffffffu)
    return rtgpu_fail("grid (%u, %u, %u) is over the limits (2^31 - 1, 65535, 65535)", g.x, g.y, g.z);
  uint64_t shared = (uint64_t)k->static_shared + l->dynamic_shared;
  if (shared > RT_GPU_MAX_SHARED)
    return rtgpu_fail("%llu bytes of shared memory (%u static + %u dynamic) are over the limit of %d",
                      (unsigned long long)shared, k->static_shared, l->dynamic_shared, RT_GPU_MAX_SHARED);
  return 0;
}

static int launch_job(const rt_gpu_launch* l, bool muted) {
  if (check_launch(l)) return 1;
  pthread_once(&g_pool_once, start_pool);
  uint64_t blocks = (uint64_t)l->grid.x * l->grid.y * l->grid.z;
  uint64_t takes = (uint64_t)(g_pool.workers + 1) * RUNS_PER_WORKER;
  job j = {.launch = l, .muted = muted, .blocks = blocks, .run = blocks / takes ? blocks / takes : 1};
  atomic_init(&j.next, 0);
  atomic_init(&j.finished, 0);
  pthread_mutex_lock(&g_launch_lock);
  if (blocks > 1 && g_pool.workers > 0) {
    pthread_mutex_lock(&g_pool.lock);
    g_pool.current = &j;
    g_pool.generation++;
    pthread_cond_broadcast(&g_pool.wake);
    pthread_mutex_unlock(&g_pool.lock);
  }
  work_on(&j);
  pthread_mutex_lock(&g_pool.lock);
  while (atomic_load(&j.finished) < blocks || j.active > 0) pthread_cond_wait(&g_pool.done, &g_pool.lock);
  g_pool.current = NULL;
  pthread_mutex_unlock(&g_pool.lock);
  pthread_mutex_unlock(&g_launch_lock);
  return 0;
}

int rtgpu_cpu_launch(const rt_gpu_launch* l) { return launch_job(l, false); }
int rtgpu_cpu_launch_muted(const rt_gpu_launch* l) { return launch_job(l, true); }

// --- The device ---------------------------------------------------------------------------------

static int cpu_alloc(rt_gpu_device* d, size_t bytes, void* stream, void** out) {
  (void)d, (void)stream;
  // 256-byte alignment, as cudaMalloc gives; zeroed, so that results never depend on garbage.
  size_t size = (bytes + 255) / 256 * 256;
  void* p = aligned_alloc(256, size ? size : 256);
  if (!p) return rtgpu_fail("out of memory allocating %zu bytes on the CPU device", bytes);
  memset(p, 0, size ? size : 256);
  *out = p;
  return 0;
}

static int cpu_free(rt_gpu_device* d, void* p, void* stream) {
  (void)d, (void)stream;
  free(p);
  return 0;
}

// Host memory is all the CPU device has: "page-locked" memory is ordinary, zeroed memory.
static int cpu_alloc_host(rt_gpu_device* d, size_t bytes, void** out) { return cpu_alloc(d, bytes, NULL, out); }
static int cpu_free_host(rt_gpu_device* d, void* p) { return cpu_free(d, p, NULL); }

static int cpu_copy(rt_gpu_device* d, void* dst, const void* src, size_t bytes, rt_gpu_copy_kind kind, void* stream) {
  (void)d, (void)kind, (void)stream;
  if (bytes && (!dst || !src)) return rtgpu_fail("gpu copy of %zu bytes with a null pointer", bytes);
  memmove(dst, src, bytes);
  return 0;
}

static int cpu_fill(rt_gpu_device* d, void* p, uint64_t pattern, uint32_t elem_size, size_t count, void* stream) {
  (void)d, (void)stream;
  if (count && !p) return rtgpu_fail("gpu fill of %zu values at a null pointer", count);
  char* c = p;
  switch (elem_size) {
    case 1: memset(p, (int)(pattern & 0xff), count); break;
    case 2: for (size_t i = 0; i < count; i++) memcpy(c + 2 * i, &(uint16_t){(uint16_t)pattern}, 2); break;
    case 4: for (size_t i = 0; i < count; i++) memcpy(c + 4 * i, &(uint32_t){(uint32_t)pattern}, 4); break;
    case 8: for (size_t i = 0; i < count; i++) memcpy(c + 8 * i, &pattern, 8); break;
    default: return rtgpu_fail("gpu fill of %u-byte values: only 1, 2, 4 and 8 bytes", elem_size);
  }
  return 0;
}

// Launches on the CPU device finish before they return (a synchronous schedule is a legal one),
// so every stream is always idle and waiting is a no-op.
static int cpu_launch(rt_gpu_device* d, const rt_gpu_launch* l) {
  (void)d;
  return rtgpu_cpu_launch(l);
}
static int cpu_sync(rt_gpu_device* d) {
  (void)d;
  return 0;
}
static int cpu_stream_create(rt_gpu_device* d, void** out) {
  (void)d;
  *out = malloc(1);  // a distinct handle per stream
  return *out ? 0 : rtgpu_fail("out of memory creating a stream");
}
static int cpu_stream_destroy(rt_gpu_device* d, void* stream) {
  (void)d;
  free(stream);
  return 0;
}
static int cpu_stream_sync(rt_gpu_device* d, void* stream) {
  (void)d, (void)stream;
  return 0;
}
static int cpu_stream_wait_event(rt_gpu_device* d, void* stream, void* event) {
  (void)d, (void)stream, (void)event;
  return 0;
}

// An event is the time it was recorded: work before it on its stream has finished by then.
typedef struct cpu_event {
  uint64_t ns;
} cpu_event;

static int cpu_event_create(rt_gpu_device* d, void** out) {
  (void)d;
  *out = calloc(1, sizeof(cpu_event));
  return *out ? 0 : rtgpu_fail("out of memory creating an event");
}
static int cpu_event_destroy(rt_gpu_device* d, void* event) {
  (void)d;
  free(event);
  return 0;
}
static int cpu_event_record(rt_gpu_device* d, void* event, void* stream) {
  (void)d, (void)stream;
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  ((cpu_event*)event)->ns = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
  return 0;
}
static int cpu_event_sync(rt_gpu_device* d, void* event) {
  (void)d, (void)event;
  return 0;
}
static int cpu_event_elapsed_ms(rt_gpu_device* d, void* start, void* end, float* out) {
  (void)d;
  *out = (float)((double)((int64_t)(((cpu_event*)end)->ns - ((cpu_event*)start)->ns)) / 1e6);
  return 0;
}

static rt_gpu_device g_cpu_device = {
    .name = "cpu",
    .alloc = cpu_alloc,
    .free = cpu_free,
    .alloc_host = cpu_alloc_host,
    .free_host = cpu_free_host,
    .copy = cpu_copy,
    .fill = cpu_fill,
    .launch = cpu_launch,
    .sync = cpu_sync,
    .stream_create = cpu_stream_create,
    .stream_destroy = cpu_stream_destroy,
    .stream_sync = cpu_stream_sync,
    .stream_wait_event = cpu_stream_wait_event,
    .event_create = cpu_event_create,
    .event_destroy = cpu_event_destroy,
    .event_record = cpu_event_record,
    .event_sync = cpu_event_sync,
    .event_elapsed_ms = cpu_event_elapsed_ms,
};

// Its properties: a core is what an SM is to a GPU (the executor runs one block per core at a time).
static pthread_once_t g_cpu_props_once = PTHREAD_ONCE_INIT;
static void cpu_properties(void) {
  long cores = sysconf(_SC_NPROCESSORS_ONLN), pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
  g_cpu_device.sm_count = cores > 0 ? (int32_t)cores : 1;
  g_cpu_device.total_memory = pages > 0 && page > 0 ? (uint64_t)pages * (uint64_t)page : 0;
}

rt_gpu_device* rt_gpu_cpu_device(void) {
  pthread_once(&g_cpu_props_once, cpu_properties);
  return &g_cpu_device;
}
