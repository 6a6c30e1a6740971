// Open libraries: the per-name cache, reference counts, symbol lookup and the -L directories.
#include <dlfcn.h>
#include <link.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dl_internal.h"
#include "fusion/rt_dl.h"

// Another name that resolved to the same library.
typedef struct dl_alias {
  char* name;
  struct dl_alias* next;
} dl_alias;

struct rt_dl_lib {
  void* handle;       // from dlopen; one loader reference, given back when `refs` reaches 0
  char* name;         // as first opened ("" for the program)
  char* path;         // as the loader resolved it ("" for the program)
  long refs;          // references handed out by rt_dl_open; guarded by g_lock
  bool pinned;        // rt_dl_lookup holds one reference until exit
  dl_alias* aliases;  // guarded by g_lock
  rt_dl_lib* next;
};

// Guards g_libs, every entry's refs/pinned/aliases, and g_dirs. Never held across dlopen, dlsym
// or dlclose: the loader runs library constructors and destructors under its own lock, and they
// may call back into code that opens libraries.
static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static rt_dl_lib* g_libs;
static char** g_dirs;
static const char** g_dir_labels;  // each directory's place in messages (RTDL_PLACE_*)
static size_t g_ndirs, g_cap_dirs;

static bool lib_has_name(const rt_dl_lib* lib, const char* name) {
  if (strcmp(lib->name, name) == 0) return true;
  for (const dl_alias* a = lib->aliases; a; a = a->next)
    if (strcmp(a->name, name) == 0) return true;
  return false;
}

// Caller holds g_lock.
static rt_dl_lib* find_by_name(const char* name) {
  for (rt_dl_lib* lib = g_libs; lib; lib = lib->next)
    if (lib_has_name(lib, name)) return lib;
  return NULL;
}

static rt_dl_lib* find_by_handle(void* handle) {
  for (rt_dl_lib* lib = g_libs; lib; lib = lib->next)
    if (lib->handle == handle) return lib;
  return NULL;
}

static bool is_open(const rt_dl_lib* wanted) {
  for (rt_dl_lib* lib = g_libs; lib; lib = lib->next)
    if (lib == wanted) return true;
  return false;
}

static void lib_free(rt_dl_lib* lib) {
  while (lib->aliases) {
    dl_alias* next = lib->aliases->next;
    free(lib->aliases->name);
    free(lib->aliases);
    lib->aliases = next;
  }
  free(lib->name);
  free(lib->path);
  free(lib);
}

// The file the loader chose for `handle`.
static const char* loaded_path(void* handle) {
  struct link_map* map = NULL;
  if (dlinfo(handle, RTLD_DI_LINKMAP, &map) != 0 || !map || !map->l_name) return "";
  return map->l_name;
}

// Records a fresh dlopen handle under `name` and returns the caller's reference. A handle already
// known under another name gives that entry (the loader reference just taken is given back).
static rt_dl_lib* register_handle(const char* name, void* handle) {
  rt_dl_lib* fresh = calloc(1, sizeof *fresh);
  char* name_copy = strdup(name);
  char* path_copy = strdup(loaded_path(handle));
  dl_alias* alias = calloc(1, sizeof *alias);
  char* alias_name = strdup(name);
  if (!fresh || !name_copy || !path_copy || !alias || !alias_name) {
    free(fresh), free(name_copy), free(path_copy), free(alias), free(alias_name);
    dlclose(handle);
    rtdl_error_set("cannot load library `%s`: out of memory", name);
    return NULL;
  }

  pthread_mutex_lock(&g_lock);
  rt_dl_lib* lib = find_by_handle(handle);
  if (lib) {
    lib->refs++;
    if (!lib_has_name(lib, name)) {
      alias->name = alias_name;
      alias->next = lib->aliases;
      lib->aliases = alias;
      alias = NULL;
      alias_name = NULL;
    }
  } else {
    *fresh = (rt_dl_lib){.handle = handle, .name = name_copy, .path = path_copy, .refs = 1};
    fresh->next = g_libs;
    g_libs = fresh;
    lib = fresh;
    fresh = NULL;
    name_copy = path_copy = NULL;
  }
  pthread_mutex_unlock(&g_lock);

  if (fresh) dlclose(handle);  // the entry found keeps its own loader reference
  free(fresh), free(name_copy), free(path_copy), free(alias), free(alias_name);
  return lib;
}

// Copies the -L directories (and their labels, static strings) so that the search runs without
// g_lock. Caller holds g_lock.
static char** copy_dirs(size_t* count, const char*** labels) {
  *count = 0;
  *labels = NULL;
  if (g_ndirs == 0) return NULL;
  char** copy = calloc(g_ndirs, sizeof *copy);
  const char** copy_labels = calloc(g_ndirs, sizeof *copy_labels);
  if (!copy || !copy_labels) {
    free(copy);
    free(copy_labels);
    return NULL;
  }
  for (size_t i = 0; i < g_ndirs; i++) {
    copy[*count] = strdup(g_dirs[i]);
    copy_labels[*count] = g_dir_labels[i];
    if (copy[*count]) (*count)++;
  }
  *labels = copy_labels;
  return copy;
}

// rt_dl_open, with the failure message naming `for_symbol` when there is one.
static rt_dl_lib* open_library(const char* name, const char* for_symbol) {
  if (!name) name = "";
  pthread_mutex_lock(&g_lock);
  rt_dl_lib* lib = find_by_name(name);
  if (lib) {
    lib->refs++;
    pthread_mutex_unlock(&g_lock);
    return lib;
  }
  size_t ndirs = 0;
  const char** labels = NULL;
  char** dirs = copy_dirs(&ndirs, &labels);
  pthread_mutex_unlock(&g_lock);

  char* log_text = NULL;
  size_t log_size = 0;
  FILE* log = open_memstream(&log_text, &log_size);
  void* handle;
  if (*name) {
    handle = rtdl_search(name, dirs, labels, ndirs, log);
  } else {
    handle = dlopen(NULL, DL_OPEN_FLAGS);
    if (!handle && log) fprintf(log, "  tried the program itself: %s\n", dlerror());
  }
  if (log) fclose(log);
  if (log_text && log_size > 0 && log_text[log_size - 1] == '\n') log_text[log_size - 1] = '\0';
  for (size_t i = 0; i < ndirs; i++) free(dirs[i]);
  free(dirs);
  free(labels);

  if (!handle) {
    if (for_symbol)
      rtdl_error_set("cannot load library `%s` for symbol `%s`\n%s", name, for_symbol,
                     log_text ? log_text : "");
    else
      rtdl_error_set("cannot load library `%s`\n%s", name, log_text ? log_text : "");
    free(log_text);
    return NULL;
  }
  free(log_text);
  lib = register_handle(name, handle);
  if (lib) rtdl_trace_load(name, lib->path);
  return lib;
}

rt_dl_lib* rt_dl_open(const char* name) { return open_library(name, NULL); }

bool rt_dl_close(rt_dl_lib* lib) {
  pthread_mutex_lock(&g_lock);
  if (!lib || !is_open(lib)) {
    pthread_mutex_unlock(&g_lock);
    rtdl_error_set("rt_dl_close: %p is not an open library", (void*)lib);
    return false;
  }
  bool last = --lib->refs == 0;
  if (last) {
    rt_dl_lib** link = &g_libs;
    while (*link != lib) link = &(*link)->next;
    *link = lib->next;
  }
  pthread_mutex_unlock(&g_lock);
  if (last) {
    dlclose(lib->handle);
    lib_free(lib);
  }
  return true;
}

// dlsym on a library the caller holds a reference to, so that no lock is needed: dlsym takes the
// loader's lock, which a thread inside dlopen holds while library constructors run.
static void* find_symbol(rt_dl_lib* lib, const char* symbol) {
  (void)dlerror();
  void* address = dlsym(lib->handle, symbol);
  if (address) return address;
  const char* why = dlerror();
  if (!why) why = "the symbol's address is null";
  if (*lib->name)
    rtdl_error_set("cannot find symbol `%s` in library `%s` (%s): %s", symbol, lib->name,
                   *lib->path ? lib->path : "no file", why);
  else
    rtdl_error_set("cannot find symbol `%s` in the program or the libraries it has loaded: %s",
                   symbol, why);
  return NULL;
}

void* rt_dl_sym(rt_dl_lib* lib, const char* symbol) {
  if (!symbol || !*symbol) {
    rtdl_error_set("rt_dl_sym: no symbol name given");
    return NULL;
  }
  // Hold a reference of our own for the lookup, so that a concurrent last close cannot unload it.
  pthread_mutex_lock(&g_lock);
  bool open = lib && is_open(lib);
  if (open) lib->refs++;
  pthread_mutex_unlock(&g_lock);
  if (!open) {
    rtdl_error_set("cannot find symbol `%s`: %p is not an open library", symbol, (void*)lib);
    return NULL;
  }
  void* address = find_symbol(lib, symbol);
  rt_dl_close(lib);
  return address;
}

void* rt_dl_lookup(const char* library, const char* symbol) {
  if (!symbol || !*symbol) {
    rtdl_error_set("rt_dl_lookup: no symbol name given for library `%s`", library ? library : "");
    return NULL;
  }
  rt_dl_lib* lib = open_library(library, symbol);
  if (!lib) return NULL;
  void* address = find_symbol(lib, symbol);
  pthread_mutex_lock(&g_lock);
  bool keep = address && !lib->pinned;
  if (keep) lib->pinned = true;  // the reference just taken becomes the pin
  pthread_mutex_unlock(&g_lock);
  if (!keep) rt_dl_close(lib);
  return address;
}

bool rt_dl_available(const char* name) {
  rt_dl_lib* lib = rt_dl_open(name);
  if (!lib) return false;
  rt_dl_close(lib);
  return true;
}

static bool add_search_dir(const char* dir, const char* label, const char* caller) {
  if (!dir || !*dir) {
    rtdl_error_set("%s: empty directory name", caller);
    return false;
  }
  bool ok = true;
  pthread_mutex_lock(&g_lock);
  for (size_t i = 0; i < g_ndirs; i++)
    if (strcmp(g_dirs[i], dir) == 0) goto done;
  if (g_ndirs == g_cap_dirs) {
    size_t cap = g_cap_dirs ? g_cap_dirs * 2 : 4;
    char** dirs = realloc(g_dirs, cap * sizeof *dirs);
    if (dirs) g_dirs = dirs;
    const char** labels = dirs ? realloc(g_dir_labels, cap * sizeof *labels) : NULL;
    if (labels) g_dir_labels = labels;
    if (!dirs || !labels) {
      ok = false;
      goto done;
    }
    g_cap_dirs = cap;
  }
  g_dirs[g_ndirs] = strdup(dir);
  g_dir_labels[g_ndirs] = label;
  if (g_dirs[g_ndirs])
    g_ndirs++;
  else
    ok = false;
done:
  pthread_mutex_unlock(&g_lock);
  if (!ok) rtdl_error_set("%s: out of memory adding `%s`", caller, dir);
  return ok;
}

bool rt_dl_add_search_dir(const char* dir) { return add_search_dir(dir, RTDL_PLACE_L_DIR, "rt_dl_add_search_dir"); }

bool rt_dl_add_fusion_library_dir(const char* dir) {
  return add_search_dir(dir, RTDL_PLACE_FUSION_LIB, "rt_dl_add_fusion_library_dir");
}

void rt_dl_clear_search_dirs(void) {
  pthread_mutex_lock(&g_lock);
  for (size_t i = 0; i < g_ndirs; i++) free(g_dirs[i]);
  free(g_dirs);
  free(g_dir_labels);
  g_dirs = NULL;
  g_dir_labels = NULL;
  g_ndirs = g_cap_dirs = 0;
  pthread_mutex_unlock(&g_lock);
}

const char* rt_dl_name(const rt_dl_lib* lib) { return lib ? lib->name : ""; }

const char* rt_dl_path(const rt_dl_lib* lib) { return lib ? lib->path : ""; }

const char* rt_dl_last_error(void) { return rtdl_error_get(); }
