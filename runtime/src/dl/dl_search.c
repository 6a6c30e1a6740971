// Library search: turns a library name into dlopen attempts, in the language contract's order.
#include <ctype.h>
#include <dirent.h>
#include <dlfcn.h>
#include <glob.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dl_internal.h"

// A growable list of malloc'd strings.
typedef struct str_list {
  char** items;
  size_t count, cap;
} str_list;

static void list_free(str_list* l) {
  for (size_t i = 0; i < l->count; i++) free(l->items[i]);
  free(l->items);
  *l = (str_list){0};
}

static bool list_has(const str_list* l, const char* s) {
  for (size_t i = 0; i < l->count; i++)
    if (strcmp(l->items[i], s) == 0) return true;
  return false;
}

// Appends a copy of `s` (of length `n`) unless already present. Drops it when out of memory:
// the search then tries one place fewer, which the failure message still shows as not tried.
static void list_add_n(str_list* l, const char* s, size_t n) {
  char* copy = strndup(s, n);
  if (!copy) return;
  if (n == 0 || list_has(l, copy)) {
    free(copy);
    return;
  }
  if (l->count == l->cap) {
    size_t cap = l->cap ? l->cap * 2 : 8;
    char** items = realloc(l->items, cap * sizeof *items);
    if (!items) {
      free(copy);
      return;
    }
    l->items = items;
    l->cap = cap;
  }
  l->items[l->count++] = copy;
}

static void list_add(str_list* l, const char* s) { list_add_n(l, s, strlen(s)); }

// Appends each entry of a ':'-separated list such as LD_LIBRARY_PATH.
static void list_add_path_var(str_list* l, const char* value) {
  while (value && *value) {
    const char* end = strchr(value, ':');
    size_t n = end ? (size_t)(end - value) : strlen(value);
    list_add_n(l, value, n);
    value = end ? end + 1 : NULL;
  }
}

// One dlopen attempt, logged with the place it came from and the loader's answer.
static void* try_open(const char* candidate, const char* place, FILE* log) {
  void* handle = dlopen(candidate, DL_OPEN_FLAGS);
  if (!handle && log) {
    const char* why = dlerror();
    fprintf(log, "  tried %s (%s): %s\n", candidate, place, why ? why : "unknown loader error");
  }
  return handle;
}

// A name without '/' or ".so" is a short name: `cudart` means `libcudart.so` (and `libfoo` means
// `libfoo.so`).
static bool is_short_name(const char* name) { return strstr(name, ".so") == NULL; }

// The version numbers after "<base>." in a file name such as libcudart.so.12.4.127.
typedef struct so_version {
  char* file;  // the file name, malloc'd
  unsigned long parts[8];
  int count;
} so_version;

// Parses "12.4.127" into parts; false when it is not dot-separated decimal numbers.
static bool parse_version(const char* s, so_version* v) {
  v->count = 0;
  while (*s) {
    if (!isdigit((unsigned char)*s) || v->count == 8) return false;
    char* end;
    v->parts[v->count++] = strtoul(s, &end, 10);
    s = end;
    if (*s == '.') {
      s++;
      if (!*s) return false;
    } else if (*s) {
      return false;
    }
  }
  return v->count > 0;
}

// Highest major version first; for one major version, the shortest name (the soname, which is
// what the loader itself would choose) first; then higher minor versions first.
static int compare_versions(const void* pa, const void* pb) {
  const so_version* a = pa;
  const so_version* b = pb;
  if (a->parts[0] != b->parts[0]) return a->parts[0] > b->parts[0] ? -1 : 1;
  if (a->count != b->count) return a->count < b->count ? -1 : 1;
  for (int i = 1; i < a->count; i++)
    if (a->parts[i] != b->parts[i]) return a->parts[i] > b->parts[i] ? -1 : 1;
  return 0;
}

// Adds to `out` the names of the files `<base>.<version>` in `dir` (e.g. libcudart.so.13).
static void scan_versions(const char* dir, const char* base, str_list* out) {
  DIR* d = opendir(dir);
  if (!d) return;
  size_t base_len = strlen(base);
  struct dirent* e;
  while ((e = readdir(d)) != NULL) {
    if (strncmp(e->d_name, base, base_len) != 0 || e->d_name[base_len] != '.') continue;
    so_version v;
    if (parse_version(e->d_name + base_len + 1, &v)) list_add(out, e->d_name);
  }
  closedir(d);
}

// Sorts file names `<base>.<version>` by compare_versions.
static void sort_versions(str_list* names, const char* base) {
  size_t n = names->count;
  if (n < 2) return;
  so_version* vs = calloc(n, sizeof *vs);
  if (!vs) return;
  size_t skip = strlen(base) + 1;
  for (size_t i = 0; i < n; i++) {
    vs[i].file = names->items[i];
    (void)parse_version(names->items[i] + skip, &vs[i]);
  }
  qsort(vs, n, sizeof *vs, compare_versions);
  for (size_t i = 0; i < n; i++) names->items[i] = vs[i].file;
  free(vs);
}

// Tries `dir/base`, then (for a short name) the versioned files `dir/base.N…` present there.
static void* try_in_dir(const char* dir, const char* base, bool short_name, const char* place,
                        FILE* log) {
  char* path = NULL;
  if (asprintf(&path, "%s/%s", dir, base) < 0) return NULL;
  void* handle = try_open(path, place, log);
  free(path);
  if (handle || !short_name) return handle;
  str_list versions = {0};
  scan_versions(dir, base, &versions);
  sort_versions(&versions, base);
  for (size_t i = 0; i < versions.count && !handle; i++) {
    if (asprintf(&path, "%s/%s", dir, versions.items[i]) < 0) break;
    handle = try_open(path, place, log);
    free(path);
  }
  list_free(&versions);
  return handle;
}

// Adds the directories named in an ld.so.conf file, following `include` globs (depth-limited).
static void add_ld_conf(const char* file, str_list* dirs, int depth) {
  FILE* f = fopen(file, "re");
  if (!f) return;
  char line[1024];
  while (fgets(line, sizeof line, f)) {
    char* s = line;
    while (isspace((unsigned char)*s)) s++;
    char* hash = strchr(s, '#');
    if (hash) *hash = '\0';
    size_t n = strlen(s);
    while (n > 0 && isspace((unsigned char)s[n - 1])) s[--n] = '\0';
    if (n == 0) continue;
    if (strncmp(s, "include", 7) == 0 && isspace((unsigned char)s[7])) {
      if (depth >= 4) continue;
      char* pattern = s + 8;
      while (isspace((unsigned char)*pattern)) pattern++;
      glob_t g;
      if (glob(pattern, 0, NULL, &g) == 0)
        for (size_t i = 0; i < g.gl_pathc; i++) add_ld_conf(g.gl_pathv[i], dirs, depth + 1);
      globfree(&g);
    } else if (s[0] == '/') {
      list_add(dirs, s);
    }
  }
  fclose(f);
}

// The directories the system loader searches, as far as they can be listed: LD_LIBRARY_PATH,
// those of /etc/ld.so.conf (the ld.so cache is built from them), then the default ones.
static void system_dirs(str_list* dirs) {
  list_add_path_var(dirs, getenv("LD_LIBRARY_PATH"));
  add_ld_conf("/etc/ld.so.conf", dirs, 0);
  static const char* const defaults[] = {"/lib/x86_64-linux-gnu",
                                         "/usr/lib/x86_64-linux-gnu",
                                         "/lib64",
                                         "/usr/lib64",
                                         "/lib",
                                         "/usr/lib"};
  for (size_t i = 0; i < sizeof defaults / sizeof defaults[0]; i++) list_add(dirs, defaults[i]);
}

// The system loader's turn: `base` by its bare name, then (for a short name) each versioned soname
// present in the system's directories, also by bare name so that the loader's own order applies.
static void* try_system(const char* base, bool short_name, FILE* log) {
  void* handle = try_open(base, "system loader", log);
  if (handle || !short_name) return handle;
  str_list dirs = {0}, versions = {0};
  system_dirs(&dirs);
  for (size_t i = 0; i < dirs.count; i++) scan_versions(dirs.items[i], base, &versions);
  sort_versions(&versions, base);
  for (size_t i = 0; i < versions.count && !handle; i++)
    handle = try_open(versions.items[i], "system loader", log);
  list_free(&dirs);
  list_free(&versions);
  return handle;
}

void* rtdl_search(const char* name, char* const* dirs, const char* const* labels, size_t ndirs, FILE* log) {
  if (strchr(name, '/')) return try_open(name, "path", log);

  bool short_name = is_short_name(name);
  char* base = NULL;
  bool has_lib_prefix = strncmp(name, "lib", 3) == 0;
  if (asprintf(&base, short_name ? (has_lib_prefix ? "%s.so" : "lib%s.so") : "%s", name) < 0)
    return NULL;

  void* handle = NULL;
  for (size_t i = 0; i < ndirs && !handle; i++)
    handle = try_in_dir(dirs[i], base, short_name, labels[i], log);

  if (!handle) {
    str_list env_dirs = {0};
    list_add_path_var(&env_dirs, getenv("FUSION_LIBRARY_PATH"));
    for (size_t i = 0; i < env_dirs.count && !handle; i++)
      handle = try_in_dir(env_dirs.items[i], base, short_name, "FUSION_LIBRARY_PATH", log);
    list_free(&env_dirs);
  }

  if (!handle) handle = try_system(base, short_name, log);

  if (!handle) {
    str_list cuda_dirs = {0};
    const char* cuda_home = getenv("CUDA_HOME");
    char* home_lib = NULL;
    if (cuda_home && *cuda_home && asprintf(&home_lib, "%s/lib64", cuda_home) >= 0) {
      list_add(&cuda_dirs, home_lib);
      free(home_lib);
    }
    list_add(&cuda_dirs, "/usr/local/cuda/lib64");
    for (size_t i = 0; i < cuda_dirs.count && !handle; i++)
      handle =
          try_in_dir(cuda_dirs.items[i], base, short_name,
                     i + 1 < cuda_dirs.count ? "$CUDA_HOME/lib64" : "CUDA default directory", log);
    list_free(&cuda_dirs);
  }
  free(base);
  return handle;
}
