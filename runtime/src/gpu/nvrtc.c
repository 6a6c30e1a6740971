// NVRTC through dlopen, shared by the compiler and the runtime (fusion/rt_nvrtc.h).
#include <ctype.h>
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fusion/rt_nvrtc.h"

typedef void* nvrtcProgram;
enum { NVRTC_ERROR_COMPILATION = 6 };

static struct {
  int (*Version)(int*, int*);
  const char* (*GetErrorString)(int);
  int (*CreateProgram)(nvrtcProgram*, const char*, const char*, int, const char* const*, const char* const*);
  int (*DestroyProgram)(nvrtcProgram*);
  int (*AddNameExpression)(nvrtcProgram, const char*);
  int (*CompileProgram)(nvrtcProgram, int, const char* const*);
  int (*GetProgramLogSize)(nvrtcProgram, size_t*);
  int (*GetProgramLog)(nvrtcProgram, char*);
  int (*GetPTXSize)(nvrtcProgram, size_t*);
  int (*GetPTX)(nvrtcProgram, char*);
  int (*GetLoweredName)(nvrtcProgram, const char*, const char**);
  char error[1024];
  char version[32];
} g_nvrtc;
static pthread_once_t g_nvrtc_once = PTHREAD_ONCE_INIT;

// The places libnvrtc is looked for, in order; `home_path` holds the $CUDA_HOME one.
static size_t candidates(const char* out[5], char home_path[512]) {
  const char* env = getenv("FUSION_NVRTC");
  if (env && *env) return out[0] = env, 1;
  size_t n = 0;
  const char* home = getenv("CUDA_HOME");
  if (home && *home) {
    snprintf(home_path, 512, "%s/lib64/libnvrtc.so.13", home);
    out[n++] = home_path;
  }
  out[n++] = "/usr/local/cuda/lib64/libnvrtc.so.13";
  out[n++] = "libnvrtc.so.13";
  out[n++] = "libnvrtc.so";
  return n;
}

static void load(void) {
  const char* paths[5];
  char home_path[512];
  size_t count = candidates(paths, home_path);
  void* lib = NULL;
  int used = snprintf(g_nvrtc.error, sizeof g_nvrtc.error,
                      "cannot load NVRTC (set FUSION_NVRTC to libnvrtc.so's path, or CUDA_HOME); tried:");
  for (size_t i = 0; i < count && !lib; i++) {
    lib = dlopen(paths[i], RTLD_NOW | RTLD_LOCAL);
    if (!lib && used < (int)sizeof g_nvrtc.error)
      used += snprintf(g_nvrtc.error + used, sizeof g_nvrtc.error - (size_t)used, "\n  %s", dlerror());
  }
  if (!lib) return;
#define SYM(field, name)                                                                  \
  if (!(*(void**)&g_nvrtc.field = dlsym(lib, name))) {                                    \
    snprintf(g_nvrtc.error, sizeof g_nvrtc.error, "the NVRTC library has no `%s`", name); \
    g_nvrtc.CompileProgram = NULL;                                                        \
    return;                                                                               \
  }
  SYM(Version, "nvrtcVersion")
  SYM(GetErrorString, "nvrtcGetErrorString")
  SYM(CreateProgram, "nvrtcCreateProgram")
  SYM(DestroyProgram, "nvrtcDestroyProgram")
  SYM(AddNameExpression, "nvrtcAddNameExpression")
  SYM(GetProgramLogSize, "nvrtcGetProgramLogSize")
  SYM(GetProgramLog, "nvrtcGetProgramLog")
  SYM(GetPTXSize, "nvrtcGetPTXSize")
  SYM(GetPTX, "nvrtcGetPTX")
  SYM(GetLoweredName, "nvrtcGetLoweredName")
  SYM(CompileProgram, "nvrtcCompileProgram")  // last: its presence says all are there
#undef SYM
  int major = 0, minor = 0;
  g_nvrtc.Version(&major, &minor);
  snprintf(g_nvrtc.version, sizeof g_nvrtc.version, "%d.%d", major, minor);
  g_nvrtc.error[0] = 0;
}

const char* rt_nvrtc_version(const char** error) {
  pthread_once(&g_nvrtc_once, load);
  if (g_nvrtc.CompileProgram) return g_nvrtc.version;
  if (error) *error = g_nvrtc.error;
  return NULL;
}

void rt_nvrtc_hash_identity(rt_cache_hash* h) {
  const char* paths[5];
  char home_path[512];
  size_t count = candidates(paths, home_path);
  if (getenv("FUSION_NVRTC") && *getenv("FUSION_NVRTC")) {
    rt_cache_hash_file_identity(h, paths[0]);
    return;
  }
  for (size_t i = 0; i < count; i++)
    if (paths[i][0] == '/' && access(paths[i], F_OK) == 0) {
      rt_cache_hash_file_identity(h, paths[i]);
      return;
    }
  rt_cache_hash_file_identity(h, NULL);  // from the loader's search path
}

void rt_nvrtc_compile(const char* source, const char* name, const char* const* opts, int nopts,
                      const char* const* names, int nnames, rt_nvrtc_result* out) {
  memset(out, 0, sizeof *out);
  out->status = -1;
  const char* load_error = NULL;
  if (!rt_nvrtc_version(&load_error)) {
    snprintf(out->error, sizeof out->error, "%s", load_error);
    return;
  }
#define FAIL(call, r)                                                                                 \
  do {                                                                                                \
    snprintf(out->error, sizeof out->error, "NVRTC %s: %s: %s", g_nvrtc.version, call,                \
             g_nvrtc.GetErrorString(r));                                                              \
    goto done;                                                                                        \
  } while (0)
  nvrtcProgram prog = NULL;
  int r = g_nvrtc.CreateProgram(&prog, source, name, 0, NULL, NULL);
  if (r) FAIL("nvrtcCreateProgram", r);
  for (int i = 0; i < nnames; i++)
    if ((r = g_nvrtc.AddNameExpression(prog, names[i]))) FAIL("nvrtcAddNameExpression", r);
  int compiled = g_nvrtc.CompileProgram(prog, nopts, opts);
  size_t size = 0;
  if (g_nvrtc.GetProgramLogSize(prog, &size) == 0 && size > 1 && (out->log = malloc(size))) {
    if (g_nvrtc.GetProgramLog(prog, out->log)) out->log[0] = 0;
  }
  if (!out->log) out->log = strdup("");
  if (compiled == NVRTC_ERROR_COMPILATION) {
    out->status = 1;
    goto done;
  }
  if (compiled) FAIL("nvrtcCompileProgram", compiled);
  if ((r = g_nvrtc.GetPTXSize(prog, &size))) FAIL("nvrtcGetPTXSize", r);
  if (!(out->ptx = malloc(size))) FAIL("nvrtcGetPTX (out of memory)", 0);
  if ((r = g_nvrtc.GetPTX(prog, out->ptx))) FAIL("nvrtcGetPTX", r);
  out->lowered = calloc((size_t)(nnames > 0 ? nnames : 1), sizeof(char*));
  for (int i = 0; out->lowered && i < nnames; i++) {
    const char* lowered = NULL;
    out->lowered[i] = strdup(g_nvrtc.GetLoweredName(prog, names[i], &lowered) == 0 && lowered ? lowered : "");
  }
  out->lowered_count = out->lowered ? nnames : 0;
  out->status = 0;
#undef FAIL
done:
  if (prog) g_nvrtc.DestroyProgram(&prog);
}

void rt_nvrtc_result_free(rt_nvrtc_result* r) {
  free(r->ptx);
  free(r->log);
  for (int i = 0; i < r->lowered_count; i++) free(r->lowered[i]);
  free(r->lowered);
  r->ptx = r->log = NULL;
  r->lowered = NULL;
  r->lowered_count = 0;
}

int rt_nvrtc_entry_params(const char* ptx, const char* entry, rt_nvrtc_param* out, int max) {
  size_t n = strlen(entry);
  const char* at = ptx;
  while ((at = strstr(at, ".entry ")) != NULL) {
    at += 7;
    if (strncmp(at, entry, n) == 0 && (at[n] == '(' || isspace((unsigned char)at[n]))) break;
  }
  if (!at) return -1;
  const char* open = strchr(at, '(');
  const char* close = open ? strchr(open, ')') : NULL;
  const char* body = strchr(at, '{');
  if (!open || !close || (body && body < open)) return 0;  // no parameter list
  int count = 0;
  for (const char* p = open; p && p < close; p = strchr(p + 1, ',')) {
    const char* param = strstr(p, ".param");
    if (!param || param > close) break;
    const char* end = strchr(param, ',');
    if (!end || end > close) end = close;
    rt_nvrtc_param s = {'i', 0, false};
    for (const char* w = param + 6; w < end; w++) {
      if (strncmp(w, ".ptr", 4) == 0) s.pointer = true;
      if (w[0] == '.' && strchr("usbf", w[1]) && isdigit((unsigned char)w[2])) {
        s.kind = w[1] == 'f' ? 'f' : 'i';
        s.size = (uint32_t)strtoul(w + 2, NULL, 10) / 8;
      }
      if (w[0] == '[') s.kind = 's', s.size = (uint32_t)strtoul(w + 1, NULL, 10);
    }
    if (count < max) out[count] = s;
    count++;
  }
  return count;
}
