// gpu.compile_cuda: CUDA C compiled at run time by NVRTC (opened with dlopen on first use), and
// the launch of what it returns, whose arguments are checked against the PTX entry's parameters.
// (Kernels declared in `extern cuda` blocks are compiled when the program is: compiler/cuda/.)
#include <stdarg.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fusion/rt_cache.h"
#include "fusion/rt_nvrtc.h"
#include "gpu_internal.h"

// --- NVRTC (fusion/rt_nvrtc.h) --------------------------------------------------------------

static _Noreturn void nvrtc_die(rt_loc loc, const char* fmt, ...) __attribute__((format(printf, 2, 3)));
static _Noreturn void nvrtc_die(rt_loc loc, const char* fmt, ...) {
  rt_die_begin();
  fprintf(stderr, "gpu error: gpu.compile_cuda failed: ");
  va_list ap;
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fprintf(stderr, "\n");
  if (loc) fprintf(stderr, "  at %s:%d:%d\n", loc->file, loc->line, loc->col);
  rt_die_exit();
}

// --- The PTX entry's parameters -----------------------------------------------------------------

typedef struct compiled_kernel {
  rt_gpu_kernel kernel;  // first: a launch's kernel points at it
  int param_count;
  rt_nvrtc_param params[];
} compiled_kernel;

// --- gpu.compile_cuda ---------------------------------------------------------------------------

// The cache key of a compilation: NVRTC's identity, the program's name (it is in the log), the
// source, the options, the name expression, and every header the source includes (looked for in
// the -I directories of the options).
static void compile_key(const char* source, const char* program_name, const char* const* opts, int n, const char* name,
                        uint8_t key[RT_CACHE_KEY_SIZE]) {
  rt_cache_hash h;
  rt_cache_hash_init(&h);
  rt_cache_hash_str(&h, "fusion nvrtc entry 1: ptx, lowered name, log");
  rt_nvrtc_hash_identity(&h);
  rt_cache_hash_str(&h, program_name);
  rt_cache_hash_str(&h, source);
  const char* dirs[64];
  size_t dir_count = 0;
  for (int i = 0; i < n; i++) {
    rt_cache_hash_str(&h, opts[i]);
    const char* dir = strncmp(opts[i], "-I", 2) == 0                    ? opts[i] + 2
                      : strncmp(opts[i], "--include-path=", 15) == 0 ? opts[i] + 15
                                                                       : NULL;
    if (dir && !*dir && i + 1 < n) dir = opts[i + 1];  // `-I DIR`
    if (dir && *dir && dir_count < 64) dirs[dir_count++] = dir;
  }
  rt_cache_hash_str(&h, name);
  rt_cache_hash_includes(&h, source, NULL, dirs, dir_count);
  rt_cache_hash_final(&h, key);
}

// Compiles `source` with NVRTC: the PTX and the lowered name of `name`, from malloc; warnings in
// *log (from malloc, or NULL). Ends the program on an error.
static void compile_with_nvrtc(const char* source, const char* name, const char* program_name, const char** opts,
                               int n, rt_loc loc, char** ptx_out, char** entry_out, char** log_out) {
  rt_nvrtc_result r;
  rt_nvrtc_compile(source, program_name, opts, n, &name, 1, &r);
  if (r.status < 0) nvrtc_die(loc, "%s", r.error);
  if (r.status > 0 && strstr(r.log, "__nv_name_map"))  // the name expression named nothing
    nvrtc_die(loc, "NVRTC found no kernel `%s` in the source (a C++ kernel is named by an expression: \"fill<float>\")",
              name);
  if (r.status > 0) nvrtc_die(loc, "NVRTC could not compile the CUDA source:\n%s", r.log);
  if (!r.lowered[0][0]) nvrtc_die(loc, "NVRTC found no kernel `%s` in the source", name);
  *entry_out = strdup(r.lowered[0]);
  *ptx_out = r.ptx;
  *log_out = r.log;
  r.ptx = r.log = NULL;
  rt_nvrtc_result_free(&r);
}

// A cached compilation's PTX, lowered name and log (copies from malloc); false if malformed.
static bool unpack(const char* payload, size_t size, char** ptx, char** entry, char** log) {
  const char *at = payload, *end = payload + size, *field[3];
  size_t len[3];
  for (int i = 0; i < 3; i++)
    if (!rt_cache_buf_next(&at, end, &field[i], &len[i])) return false;
  *ptx = strndup(field[0], len[0]);
  *entry = strndup(field[1], len[1]);
  *log = strndup(field[2], len[2]);
  return *ptx && *entry && *log;
}

// What gpu.compile_cuda returned in this process, by compilation key.
typedef struct compiled_entry {
  uint8_t key[RT_CACHE_KEY_SIZE];
  compiled_kernel* kernel;
  struct compiled_entry* next;
} compiled_entry;
static compiled_entry* g_compiled;
static pthread_mutex_t g_compiled_lock = PTHREAD_MUTEX_INITIALIZER;

rt_ptr rt_gpu_api_compile_cuda(rt_ptr source, rt_ptr name, rt_ptr options, rt_loc loc) {
  if (!source || !name || !*(const char*)name) nvrtc_die(loc, "the source and the kernel's name must not be null or empty");
  // The options, split at spaces; -arch for the current device unless given, the CUDA headers.
  char* opts_copy = strdup(options ? options : "");
  const char* opts[64];
  int n = 0;
  bool has_arch = false, has_std = false;
  char* save = NULL;
  for (char* tok = strtok_r(opts_copy, " \t\n", &save); tok && n < 60; tok = strtok_r(NULL, " \t\n", &save)) {
    has_arch |= strncmp(tok, "-arch", 5) == 0 || strncmp(tok, "--gpu-architecture", 18) == 0;
    has_std |= strncmp(tok, "-std", 4) == 0 || strncmp(tok, "--std", 5) == 0;
    opts[n++] = tok;
  }
  char arch[32], include[512];
  rt_gpu_device* d = rt_gpu_current();
  int cc = d && d->compute_capability > 0 ? d->compute_capability : 80;
  snprintf(arch, sizeof arch, "-arch=compute_%d", cc);
  if (!has_arch) opts[n++] = arch;
  if (!has_std) opts[n++] = "-std=c++17";
  const char* home = getenv("CUDA_HOME");
  snprintf(include, sizeof include, "-I%s/include", home && *home ? home : "/usr/local/cuda");
  opts[n++] = include;

  char program_name[256];
  snprintf(program_name, sizeof program_name, "%s:%d (gpu.compile_cuda)", loc ? loc->file : "?", loc ? loc->line : 0);
  // The cache first (docs/cache.md): a hit neither loads nor calls NVRTC.
  uint8_t key[RT_CACHE_KEY_SIZE];
  compile_key(source, program_name, opts, n, name, key);
  // The same compilation again in this process (a call in a loop): the same kernel, so that the
  // device loads its module once.
  pthread_mutex_lock(&g_compiled_lock);
  for (compiled_entry* e = g_compiled; e; e = e->next) {
    if (memcmp(e->key, key, sizeof key) == 0) {
      pthread_mutex_unlock(&g_compiled_lock);
      free(opts_copy);
      return e->kernel;
    }
  }
  pthread_mutex_unlock(&g_compiled_lock);
  size_t cached_size = 0;
  char* cached = rt_cache_get("nvrtc", key, &cached_size);
  char *ptx = NULL, *entry = NULL, *log = NULL;
  if (!cached || !unpack(cached, cached_size, &ptx, &entry, &log)) {
    compile_with_nvrtc(source, name, program_name, opts, n, loc, &ptx, &entry, &log);
    rt_cache_buf entry_data = {0};
    rt_cache_buf_add(&entry_data, ptx, strlen(ptx));
    rt_cache_buf_add(&entry_data, entry, strlen(entry));
    rt_cache_buf_add(&entry_data, log ? log : "", log ? strlen(log) : 0);
    rt_cache_put("nvrtc", key, entry_data.data, entry_data.size);
    free(entry_data.data);
  }
  free(cached);
  free(opts_copy);
  if (log && *log) fprintf(stderr, "%s", log);  // warnings: shown, as a compiler shows them (again on a hit)
  free(log);

  int count = rt_nvrtc_entry_params(ptx, entry, NULL, 0);
  if (count < 0) nvrtc_die(loc, "`%s` (entry `%s`) is not a kernel (__global__) of the source", (const char*)name, entry);
  compiled_kernel* k = calloc(1, sizeof *k + (size_t)count * sizeof(rt_nvrtc_param));
  if (!k) nvrtc_die(loc, "out of memory");
  rt_nvrtc_entry_params(ptx, entry, k->params, count);
  k->param_count = count;
  k->kernel = (rt_gpu_kernel){.name = strdup(name), .cpu = NULL, .ptx = ptx, .entry = entry};
  compiled_entry* e = malloc(sizeof *e);
  if (e) {
    memcpy(e->key, key, sizeof key);
    e->kernel = k;
    pthread_mutex_lock(&g_compiled_lock);
    e->next = g_compiled;
    g_compiled = e;
    pthread_mutex_unlock(&g_compiled_lock);
  }
  return k;  // kept for the rest of the run, as the module the device loads from it is
}

// --- Launching what it returned -----------------------------------------------------------------

static const char* describe(char kind, uint32_t size, bool pointer, char* buf, size_t n) {
  snprintf(buf, n, "%s of %u byte%s", pointer ? "a pointer" : kind == 'f' ? "a float" : kind == 's' ? "a struct" : "an integer",
           size, size == 1 ? "" : "s");
  return buf;
}

void rt_gpu_launch_compiled(rt_ptr launch, rt_ptr shapes) {
  const rt_gpu_launch* l = launch;
  const compiled_kernel* k = (const compiled_kernel*)l->kernel;
  char what[160];
  snprintf(what, sizeof what, "launch of kernel `%s`", k ? k->kernel.name : "?");
  if (!k) nvrtc_die(l->loc, "the gpu_kernel is null: launch what gpu.compile_cuda returned");
  // Count the arguments: one shape each, ending in ','.
  int given = 0;
  for (const char* s = shapes; *s; s++) given += *s == ',';
  if (given != k->param_count) {
    rt_die_begin();
    fprintf(stderr, "gpu error: %s failed: it has %d parameter%s in its CUDA source, but %d argument%s given\n", what,
            k->param_count, k->param_count == 1 ? "" : "s", given, given == 1 ? " was" : "s were");
    fprintf(stderr, "  at %s:%d:%d\n", l->loc->file, l->loc->line, l->loc->col);
    rt_die_exit();
  }
  // Literals are fitted to their parameter in slots of their own.
  enum { MAX_ARGS = 128 };
  void* args[MAX_ARGS];
  union {
    int64_t i;
    double d;
    float f;
    int32_t i32;
    int16_t i16;
    int8_t i8;
  } fitted[MAX_ARGS];
  if (given > MAX_ARGS) nvrtc_die(l->loc, "more than %d kernel arguments", MAX_ARGS);
  const char* s = shapes;
  for (int i = 0; i < given; i++) {
    char kind = *s;
    uint32_t size = (uint32_t)strtoul(s + 1, (char**)&s, 10);
    s++;  // ','
    const rt_nvrtc_param* p = &k->params[i];
    args[i] = l->args[i];
    bool ok;
    if (kind == 'N' || kind == 'F') {  // a number literal, stored as i64 or f64
      double dv = kind == 'F' ? *(const double*)l->args[i] : (double)*(const int64_t*)l->args[i];
      int64_t iv = kind == 'N' ? *(const int64_t*)l->args[i] : 0;
      // A literal fits a number parameter only: never a struct's bytes or a pointer.
      ok = !p->pointer && p->size >= 1 && p->size <= 8 && (p->kind == 'f' ? p->size == 4 || p->size == 8
                                                                           : p->kind == 'i' && kind == 'N');
      if (ok && p->kind == 'f') {
        if (p->size == 4) fitted[i].f = (float)dv;
        else fitted[i].d = dv;
      } else if (ok) {
        int64_t lo = p->size >= 8 ? INT64_MIN : -((int64_t)1 << (p->size * 8 - 1));
        uint64_t hi = p->size >= 8 ? UINT64_MAX : ((uint64_t)1 << (p->size * 8)) - 1;
        if (iv < lo || (iv > 0 && (uint64_t)iv > hi)) {
          rt_die_begin();
          fprintf(stderr, "gpu error: %s failed: argument %d, %lld, does not fit in the kernel's %u-byte parameter\n", what,
                  i + 1, (long long)iv, p->size);
          fprintf(stderr, "  at %s:%d:%d\n", l->loc->file, l->loc->line, l->loc->col);
          rt_die_exit();
        }
        fitted[i].i = 0;
        memcpy(&fitted[i], &iv, p->size <= 8 ? p->size : 8);  // little-endian: the low bytes
      }
      args[i] = &fitted[i];
      if (ok) continue;
      kind = kind == 'N' ? 'i' : 'f', size = 8;
    } else {
      bool same = size == p->size;
      if (kind == 'p') ok = same && p->kind == 'i';
      else if (kind == 's') ok = same && p->kind == 's';
      else ok = same && kind == p->kind && !p->pointer;
      if (ok) continue;
    }
    char a[64], b[64];
    rt_die_begin();
    fprintf(stderr, "gpu error: %s failed: argument %d is %s, but the CUDA kernel's parameter %d is %s\n", what, i + 1,
            describe(kind, size, kind == 'p', a, sizeof a), i + 1, describe(p->kind, p->size, p->pointer, b, sizeof b));
    fprintf(stderr, "  at %s:%d:%d\n", l->loc->file, l->loc->line, l->loc->col);
    rt_die_exit();
  }
  rt_gpu_launch fitted_launch = *l;
  fitted_launch.args = args;
  rt_gpu_launch_kernel(&fitted_launch);
}
