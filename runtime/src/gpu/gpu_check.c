// Checked dual execution (`fusion run --device check`, FUSION_DEVICE=check): every launch runs
// twice, each run on its own copy of every live gpu.alloc and gpu.alloc_host block, and the blocks
// are compared afterwards. With a CUDA device the runs are the device's and the CPU executor's;
// on the CPU device they are the executor's two strategies: the kernel's block loop (cpu_block: a
// loop over the threads, or a cooperative kernel split at its barriers) and one call of the CPU
// body per thread (fibers for a cooperative kernel). The first run's results are the ones the
// program goes on with; the second run's are compared and dropped (its prints are muted).
//
// A block is compared as the elements of the first pointer parameter that points into it
// (rt_gpu_kernel.params): integers exactly, floats within FUSION_CHECK_ULPS ulps (default 4; NaN
// equals NaN), other data byte by byte. Differences are reported as they are found (up to
// MAX_ELEMENTS per launch, MAX_REPORTS launches); rt_exit prints the summary and exits 101 if
// any launch differed.
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gpu_internal.h"

enum { MAX_ELEMENTS = 10, MAX_REPORTS = 10 };

// --- Settings and counts ------------------------------------------------------------------------

static struct {
  pthread_mutex_t lock;  // one checked launch at a time
  uint64_t ulps;
  const char* inject;    // FUSION_CHECK_INJECT: the kernel whose second run is perturbed (tests)
  const char* inject_what;
  uint64_t compared, differed, not_compared, reported;
  char first_skip[768];  // why the first launch that was not compared was not
} g_check = {.lock = PTHREAD_MUTEX_INITIALIZER, .ulps = 4};

static char g_inject_name[128];

static _Noreturn void setting_error(const char* fmt, const char* value) {
  rt_die_begin();
  fprintf(stderr, "gpu error: ");
  fprintf(stderr, fmt, value);
  fputc('\n', stderr);
  rt_die_exit();
}

static int summary(int code) {
  fflush(stdout);
  fprintf(stderr, "check: %llu launch%s compared, %llu differed", (unsigned long long)g_check.compared,
          g_check.compared == 1 ? "" : "es", (unsigned long long)g_check.differed);
  if (g_check.not_compared)
    fprintf(stderr, ", %llu not compared (the first: %s)", (unsigned long long)g_check.not_compared,
            g_check.first_skip);
  fputc('\n', stderr);
  return g_check.differed ? 101 : code;
}

static _Atomic bool g_check_mode;  // set once by rtgpu_check_start, before any launch
bool rtgpu_check_mode(void) { return g_check_mode; }

void rtgpu_check_start(void) {
  g_check_mode = true;
  const char* ulps = getenv("FUSION_CHECK_ULPS");
  if (ulps && *ulps) {
    char* end;
    unsigned long long n = strtoull(ulps, &end, 10);
    if (*end || ulps[0] == '-') setting_error("FUSION_CHECK_ULPS=%s is not a number of ulps (0, 1, 2, ...)", ulps);
    g_check.ulps = n;
  }
  const char* inject = getenv("FUSION_CHECK_INJECT");
  if (inject && *inject) {
    snprintf(g_inject_name, sizeof g_inject_name, "%s", inject);
    char* colon = strchr(g_inject_name, ':');
    g_check.inject_what = "1";
    if (colon) *colon = 0, g_check.inject_what = inject + (colon - g_inject_name) + 1;
    g_check.inject = g_inject_name;
  }
  rt_exit_set_hook(summary);
}

// --- The blocks of one launch -------------------------------------------------------------------

typedef struct check_block {
  rtgpu_block_record rec;
  char letter;            // how its elements compare (rt_gpu_kernel.params), 'm' for bytes
  size_t phase;           // where its first whole element starts
  unsigned char* first;   // the first run's results
  unsigned char* second;  // before the launch; then the second run's results
} check_block;

static size_t letter_size(char letter) {
  switch (letter) {
    case 'b': case 'B': return 1;
    case 'w': case 'W': return 2;
    case 'i': case 'I': case 'f': return 4;
    case 'l': case 'L': case 'd': return 8;
    default: return 1;
  }
}

static bool is_pointer_letter(char c) { return c != '-' && c != '*'; }

// The block `p` lies in, else the one it points just past the end of (still that block's
// pointer), else -1.
static long find_block(check_block* blocks, size_t n, const char* p) {
  for (size_t i = 0; i < n; i++)
    if (p >= blocks[i].rec.base && p < blocks[i].rec.base + blocks[i].rec.size) return (long)i;
  for (size_t i = 0; i < n; i++)
    if (p == blocks[i].rec.base + blocks[i].rec.size) return (long)i;
  return -1;
}

static void free_blocks(check_block* blocks, size_t n) {
  for (size_t i = 0; i < n; i++) free(blocks[i].first), free(blocks[i].second);
  free(blocks);
}

// --- Comparing ----------------------------------------------------------------------------------

// How far apart two floats are, in ulps (their bits as integers ordered like the values).
static uint64_t ulps32(uint32_t a, uint32_t b) {
  int64_t x = (int32_t)a, y = (int32_t)b;
  if (x < 0) x = (int64_t)INT32_MIN - x;
  if (y < 0) y = (int64_t)INT32_MIN - y;
  return x > y ? (uint64_t)(x - y) : (uint64_t)(y - x);
}

static uint64_t ulps64(uint64_t a, uint64_t b) {
  // Ordered as unsigned around 2^63: negatives below it by their magnitude, positives above it,
  // so that -0.0 and +0.0 are the same point (as ulps32 has them).
  const uint64_t mid = 1ull << 63, magnitude = mid - 1;
  uint64_t x = a >> 63 ? mid - (a & magnitude) : mid + a;
  uint64_t y = b >> 63 ? mid - (b & magnitude) : mid + b;
  return x > y ? x - y : y - x;
}

// Formats element `e` (of `letter`) for a report.
static void format_value(char letter, const unsigned char* e, char* buf, size_t size) {
  switch (letter) {
    case 'f': { float v; memcpy(&v, e, 4); snprintf(buf, size, "%.9g", (double)v); return; }
    case 'd': { double v; memcpy(&v, e, 8); snprintf(buf, size, "%.17g", v); return; }
    case 'b': { int8_t v; memcpy(&v, e, 1); snprintf(buf, size, "%d", v); return; }
    case 'w': { int16_t v; memcpy(&v, e, 2); snprintf(buf, size, "%d", v); return; }
    case 'i': { int32_t v; memcpy(&v, e, 4); snprintf(buf, size, "%d", v); return; }
    case 'l': { int64_t v; memcpy(&v, e, 8); snprintf(buf, size, "%lld", (long long)v); return; }
    case 'B': snprintf(buf, size, "%u", e[0]); return;
    case 'W': { uint16_t v; memcpy(&v, e, 2); snprintf(buf, size, "%u", v); return; }
    case 'I': { uint32_t v; memcpy(&v, e, 4); snprintf(buf, size, "%u", v); return; }
    case 'L': { uint64_t v; memcpy(&v, e, 8); snprintf(buf, size, "%llu", (unsigned long long)v); return; }
    default: snprintf(buf, size, "0x%02x", e[0]); return;
  }
}

static const char* letter_name(char letter) {
  switch (letter) {
    case 'f': return "f32";
    case 'd': return "f64";
    case 'b': return "i8";
    case 'w': return "i16";
    case 'i': return "i32";
    case 'l': return "i64";
    case 'B': return "u8";
    case 'W': return "u16";
    case 'I': return "u32";
    case 'L': return "u64";
    default: return "byte";
  }
}

// Whether two elements agree; `apart` gets the distance in ulps for floats.
static bool agree(char letter, const unsigned char* a, const unsigned char* b, uint64_t* apart) {
  *apart = 0;
  if (letter == 'f') {
    uint32_t x, y;
    memcpy(&x, a, 4), memcpy(&y, b, 4);
    float fx, fy;
    memcpy(&fx, a, 4), memcpy(&fy, b, 4);
    if (isnan(fx) || isnan(fy)) return isnan(fx) && isnan(fy);
    *apart = ulps32(x, y);
    return *apart <= g_check.ulps;
  }
  if (letter == 'd') {
    uint64_t x, y;
    memcpy(&x, a, 8), memcpy(&y, b, 8);
    double fx, fy;
    memcpy(&fx, a, 8), memcpy(&fy, b, 8);
    if (isnan(fx) || isnan(fy)) return isnan(fx) && isnan(fy);
    *apart = ulps64(x, y);
    return *apart <= g_check.ulps;
  }
  return memcmp(a, b, letter_size(letter)) == 0;
}

typedef struct launch_report {
  const rt_gpu_launch* launch;
  const char* first_name;
  const char* second_name;
  uint64_t differences;  // elements, in every block
  bool header_done;
} launch_report;

static void print_header(launch_report* r) {
  if (r->header_done) return;
  r->header_done = true;
  const rt_gpu_launch* l = r->launch;
  fflush(stdout);
  fprintf(stderr, "check: kernel `%s`", l->kernel->name);
  if (l->loc) fprintf(stderr, " (launched at %s:%d:%d)", l->loc->file, l->loc->line, l->loc->col);
  fprintf(stderr, " differs between the %s and the %s:\n", r->first_name, r->second_name);
}

// Compares one block's two results element by element, reporting the first differences.
static void compare_block(launch_report* r, const check_block* b, bool report) {
  const unsigned char *x = b->first, *y = b->second;
  if (memcmp(x, y, b->rec.size) == 0) return;
  size_t size = letter_size(b->letter);
  size_t start = b->phase % size;
  size_t elements = b->letter == 'm' || b->rec.size < start ? 0 : (b->rec.size - start) / size;
  bool block_named = false;
  // Bytes outside whole elements (before the first, after the last) compare exactly.
  for (size_t o = 0; o < b->rec.size; o++) {
    bool in_element = o >= start && (o - start) / size < elements;
    char letter = in_element ? b->letter : 'm';
    size_t n = in_element ? size : 1;
    uint64_t apart;
    bool same = agree(letter, x + o, y + o, &apart);
    if (!same) {
      if (report && r->differences < MAX_ELEMENTS) {
        print_header(r);
        char va[64], vb[64];
        format_value(letter, x + o, va, sizeof va);
        format_value(letter, y + o, vb, sizeof vb);
        if (!block_named) {
          block_named = true;
          fprintf(stderr, "  the %s block of %zu bytes", b->rec.host ? "gpu.alloc_host" : "gpu.alloc", b->rec.size);
          if (b->rec.loc)
            fprintf(stderr, " allocated at %s:%d:%d", b->rec.loc->file, b->rec.loc->line, b->rec.loc->col);
          fputs(":\n", stderr);
        }
        if (in_element) fprintf(stderr, "    element %zu (%s): %s vs %s", (o - start) / size, letter_name(letter), va, vb);
        else fprintf(stderr, "    byte %zu: %s vs %s", o, va, vb);
        if ((letter == 'f' || letter == 'd') && apart)
          fprintf(stderr, " (%llu ulp%s apart)", (unsigned long long)apart, apart == 1 ? "" : "s");
        fputc('\n', stderr);
      }
      r->differences++;
    }
    o += n - 1;
  }
}

// --- The injected difference (FUSION_CHECK_INJECT, for tests) ------------------------------------

// Adds `n` to the element at `e` (ulps for floats: its bits as an integer).
static void nudge(char letter, unsigned char* e, int64_t n) {
  switch (letter_size(letter)) {
    case 1: e[0] = (unsigned char)(e[0] + n); return;
    case 2: { uint16_t v; memcpy(&v, e, 2); v = (uint16_t)(v + n); memcpy(e, &v, 2); return; }
    case 4: { uint32_t v; memcpy(&v, e, 4); v = (uint32_t)(v + n); memcpy(e, &v, 4); return; }
    default: { uint64_t v; memcpy(&v, e, 8); v += (uint64_t)n; memcpy(e, &v, 8); return; }
  }
}

static void make_nan(char letter, unsigned char* e, bool negative) {
  if (letter == 'f') {
    uint32_t v = negative ? 0xffc00001u : 0x7fc00000u;
    memcpy(e, &v, 4);
  } else if (letter == 'd') {
    uint64_t v = negative ? 0xfff8000000000001ull : 0x7ff8000000000000ull;
    memcpy(e, &v, 8);
  }
}

// FUSION_CHECK_INJECT=NAME[:WHAT] perturbs, in launches of kernel NAME, the element that the first
// pointer parameter points to, in the block it points into: WHAT is a number N (the default 1:
// the second run's element plus N ulps, or plus N for integers and bytes), `nan` (both runs' element
// a NaN, with different signs and payloads: no difference) or `nan1` (the second run's only),
// or `all` (every element of that block in the second run, plus 1).
static void inject(const rt_gpu_launch* l, check_block* blocks, size_t n) {
  if (!g_check.inject || strcmp(g_check.inject, l->kernel->name) != 0 || !l->kernel->params) return;
  const char* params = l->kernel->params;
  for (size_t i = 0; params[i]; i++) {
    if (!is_pointer_letter(params[i])) continue;
    const char* p = *(char* const*)l->args[i];
    long k = p ? find_block(blocks, n, p) : -1;
    if (k < 0) return;
    check_block* b = &blocks[k];
    size_t size = letter_size(b->letter), at = (size_t)(p - b->rec.base);
    if (at + size > b->rec.size) return;
    const char* what = g_check.inject_what;
    if (strcmp(what, "nan") == 0) {
      make_nan(b->letter, b->first + at, false);
      make_nan(b->letter, b->second + at, true);
    } else if (strcmp(what, "nan1") == 0) {
      make_nan(b->letter, b->second + at, false);
    } else if (strcmp(what, "all") == 0) {
      for (size_t o = b->phase % size; o + size <= b->rec.size; o += size) nudge(b->letter, b->second + o, 1);
    } else {
      nudge(b->letter, b->second + at, strtoll(what, NULL, 10));
    }
    return;
  }
}

// --- A checked launch ---------------------------------------------------------------------------

// The blocks the launch can reach, typed by the parameters that point into them. NULL (with
// `why` set, or rt_gpu_last_error for running out of memory) when the launch cannot be checked.
static check_block* gather(const rt_gpu_launch* l, bool redirect, size_t* count, char* why, size_t why_size) {
  why[0] = 0;
  size_t n;
  rtgpu_block_record* records = rtgpu_registry_list(&n);
  check_block* blocks = records ? calloc(n ? n : 1, sizeof *blocks) : NULL;
  if (!blocks) {
    free(records);
    rtgpu_fail("out of memory listing the blocks for --device check");
    return NULL;
  }
  for (size_t i = 0; i < n; i++) blocks[i] = (check_block){.rec = records[i], .letter = 'm'};
  free(records);
  *count = n;
  const char* params = l->kernel->params;
  if (!params && redirect) {
    snprintf(why, why_size, "its parameters' types are not known");
    free(blocks);
    return NULL;
  }
  for (size_t i = 0; params && params[i]; i++) {
    char c = params[i];
    if (!is_pointer_letter(c)) {
      if (c == '*' && redirect) {
        snprintf(why, why_size, "parameter %zu holds a pointer that the CPU run could not be given a copy of", i + 1);
        free(blocks);
        return NULL;
      }
      continue;
    }
    const char* p = *(char* const*)l->args[i];
    if (!p) continue;
    long k = find_block(blocks, n, p);
    if (k < 0) {
      snprintf(why, why_size, "parameter %zu points outside every gpu.alloc and gpu.alloc_host block", i + 1);
      free(blocks);
      return NULL;
    }
    if (c == 'p' && redirect && !blocks[k].rec.host) {
      snprintf(why, why_size, "parameter %zu points to pointers, which the CPU run's copy would not redirect", i + 1);
      free(blocks);
      return NULL;
    }
    check_block* b = &blocks[k];
    if (b->letter == 'm' && c != 'p') {  // the first parameter that points into a block types it
      b->letter = c;
      b->phase = (size_t)(p - b->rec.base) % letter_size(c);
    }
  }
  for (size_t i = 0; i < n; i++) {
    // 256-byte aligned, as gpu.alloc's blocks are: the CPU run on a CUDA device's copies sees the
    // same alignment (a vector access checks its address).
    size_t size = (blocks[i].rec.size + 255) / 256 * 256;
    if (!size) size = 256;
    blocks[i].first = aligned_alloc(256, size);
    blocks[i].second = aligned_alloc(256, size);
    if (!blocks[i].first || !blocks[i].second) {
      free_blocks(blocks, n);
      rtgpu_fail("out of memory copying the blocks for --device check");
      return NULL;
    }
  }
  return blocks;
}

static void not_compared(const rt_gpu_launch* l, const char* why) {
  if (g_check.not_compared++ > 0) return;
  if (l->loc)
    snprintf(g_check.first_skip, sizeof g_check.first_skip, "`%s` at %s:%d:%d, because %s", l->kernel->name,
             l->loc->file, l->loc->line, l->loc->col, why);
  else
    snprintf(g_check.first_skip, sizeof g_check.first_skip, "`%s`, because %s", l->kernel->name, why);
}

static void finish(const rt_gpu_launch* l, check_block* blocks, size_t n, const char* first_name,
                   const char* second_name) {
  inject(l, blocks, n);
  bool report = g_check.reported < MAX_REPORTS;
  launch_report r = {.launch = l, .first_name = first_name, .second_name = second_name};
  for (size_t i = 0; i < n; i++) compare_block(&r, &blocks[i], report);
  g_check.compared++;
  if (!r.differences) return;
  g_check.differed++;
  if (!report) return;
  g_check.reported++;
  if (r.differences > MAX_ELEMENTS)
    fprintf(stderr, "  and %llu more difference%s\n", (unsigned long long)(r.differences - MAX_ELEMENTS),
            r.differences - MAX_ELEMENTS == 1 ? "" : "s");
}

// The CPU device: the block loop, then one call per thread (fibers when cooperative), each on the
// blocks as they were before the launch; the block loop's results stay.
static int check_on_cpu(const rt_gpu_launch* l) {
  if (!l->kernel->cpu_block) {
    not_compared(l, "it has no block loop, so the CPU executor has one way to run it");
    return rtgpu_cpu_launch(l);
  }
  size_t n;
  char why[256];
  check_block* blocks = gather(l, false, &n, why, sizeof why);
  if (!blocks) {
    if (!why[0]) return 1;
    not_compared(l, why);
    return rtgpu_cpu_launch(l);
  }
  for (size_t i = 0; i < n; i++) memcpy(blocks[i].second, blocks[i].rec.base, blocks[i].rec.size);
  int failed = rtgpu_cpu_launch(l);
  for (size_t i = 0; !failed && i < n; i++) {
    memcpy(blocks[i].first, blocks[i].rec.base, blocks[i].rec.size);
    memcpy(blocks[i].rec.base, blocks[i].second, blocks[i].rec.size);
  }
  rt_gpu_kernel per_thread = *l->kernel;
  per_thread.cpu_block = NULL;
  rt_gpu_launch second = *l;
  second.kernel = &per_thread;
  if (!failed) failed = rtgpu_cpu_launch_muted(&second);
  for (size_t i = 0; !failed && i < n; i++) {
    memcpy(blocks[i].second, blocks[i].rec.base, blocks[i].rec.size);
    memcpy(blocks[i].rec.base, blocks[i].first, blocks[i].rec.size);
  }
  if (!failed)
    finish(l, blocks, n, "block loop", l->kernel->cooperative ? "fibers" : "thread loop");
  free_blocks(blocks, n);
  return failed;
}

// A CUDA device: the device runs the launch on the blocks themselves; the CPU executor on host
// copies of the device blocks as they were before (its pointer arguments redirected to them) and on
// gpu.alloc_host blocks restored to what they were. The device's results stay.
static int check_on_device(rt_gpu_device* d, const rt_gpu_launch* l) {
  size_t n;
  char why[256];
  check_block* blocks = gather(l, true, &n, why, sizeof why);
  if (!blocks) {
    if (!why[0]) return 1;
    not_compared(l, why);
    return d->launch(d, l);
  }
  int failed = d->sync(d);
  for (size_t i = 0; !failed && i < n; i++) {
    check_block* b = &blocks[i];
    if (b->rec.host) memcpy(b->second, b->rec.base, b->rec.size);
    else failed = d->copy(d, b->second, b->rec.base, b->rec.size, RT_GPU_DEVICE_TO_HOST, NULL);
  }
  if (!failed) failed = d->sync(d) || d->launch(d, l) || d->sync(d);
  for (size_t i = 0; !failed && i < n; i++) {
    check_block* b = &blocks[i];
    if (b->rec.host) {
      memcpy(b->first, b->rec.base, b->rec.size);
      memcpy(b->rec.base, b->second, b->rec.size);
    } else {
      failed = d->copy(d, b->first, b->rec.base, b->rec.size, RT_GPU_DEVICE_TO_HOST, NULL);
    }
  }
  if (!failed) failed = d->sync(d);
  // The CPU run: pointer arguments into device blocks point into their copies instead.
  const char* params = l->kernel->params;
  size_t nparams = strlen(params);
  void** args = calloc(nparams ? nparams : 1, sizeof *args);
  char** values = calloc(nparams ? nparams : 1, sizeof *values);
  if (!args || !values) failed = failed || rtgpu_fail("out of memory for --device check");
  for (size_t i = 0; !failed && i < nparams; i++) {
    args[i] = l->args[i];
    if (!is_pointer_letter(params[i])) continue;
    char* p = *(char* const*)l->args[i];
    long k = p ? find_block(blocks, n, p) : -1;
    if (k < 0 || blocks[k].rec.host) continue;
    values[i] = (char*)blocks[k].second + (p - blocks[k].rec.base);
    args[i] = &values[i];
  }
  rt_gpu_launch second = *l;
  second.stream = NULL;
  second.args = (void* const*)args;
  // The executor refuses only what its limits forbid (a GPU may allow more shared memory): then
  // the device's run stands alone.
  bool cpu_refused = !failed && rtgpu_cpu_launch_muted(&second);
  for (size_t i = 0; !failed && i < n; i++) {
    check_block* b = &blocks[i];
    if (!b->rec.host) continue;
    memcpy(b->second, b->rec.base, b->rec.size);
    memcpy(b->rec.base, b->first, b->rec.size);
  }
  if (cpu_refused) {
    char why[600];
    snprintf(why, sizeof why, "the CPU executor cannot run it: %s", rt_gpu_last_error());
    not_compared(l, why);
  } else if (!failed) {
    finish(l, blocks, n, "CUDA device", "CPU executor");
  }
  free(args);
  free(values);
  free_blocks(blocks, n);
  return failed;
}

int rtgpu_check_launch(rt_gpu_device* device, const rt_gpu_launch* launch) {
  pthread_mutex_lock(&g_check.lock);
  int failed = device == rt_gpu_cpu_device() ? check_on_cpu(launch) : check_on_device(device, launch);
  pthread_mutex_unlock(&g_check.lock);
  return failed;
}
