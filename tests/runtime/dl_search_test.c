// The search order: -L directories, FUSION_LIBRARY_PATH, versioned sonames, $CUDA_HOME/lib64.
#include <sys/stat.h>
#include <unistd.h>

#include "ffi_test_util.h"

static char g_root[] = "/tmp/fusion-dl-search-XXXXXX";
static char g_files[32][1024];
static int g_nfiles;

// Creates `root/sub` and, in it, a copy of the test library named `name`; returns the path.
static const char* place(const char* sub, const char* name) {
  char dir[512];
  snprintf(dir, sizeof dir, "%s/%s", g_root, sub);
  mkdir(dir, 0755);
  char* path = g_files[g_nfiles++];
  snprintf(path, 1024, "%s/%s", dir, name);
  CHECK(copy_file(FFI_CASES_LIB, path), "copy to %s", path);
  return path;
}

static void remove_all(void) {
  for (int i = 0; i < g_nfiles; i++) unlink(g_files[i]);
  const char* subs[] = {"L", "L2", "env", "cuda/lib64", "cuda", "ver"};
  char dir[600];
  for (size_t i = 0; i < sizeof subs / sizeof subs[0]; i++) {
    snprintf(dir, sizeof dir, "%s/%s", g_root, subs[i]);
    rmdir(dir);
  }
  rmdir(g_root);
}

static char* dir_of(const char* sub) {
  static char buf[4][512];
  static int next;
  char* d = buf[next++ & 3];
  snprintf(d, 512, "%s/%s", g_root, sub);
  return d;
}

// Opens `name`, checks that the loader took `want_path`, that the library works, and closes it.
static void expect(const char* name, const char* want_path) {
  rt_dl_lib* lib = rt_dl_open(name);
  CHECK(lib != NULL, "open %s: %s", name, rt_dl_last_error());
  if (!lib) return;
  CHECK(strcmp(rt_dl_path(lib), want_path) == 0, "%s: loaded %s, want %s", name, rt_dl_path(lib),
        want_path);
  int32_t (*id)(int32_t) = (int32_t(*)(int32_t))rt_dl_sym(lib, "ffi_t_id_i32");
  CHECK(id && id(-7) == -7, "%s: ffi_t_id_i32", name);
  CHECK(rt_dl_close(lib), "%s", rt_dl_last_error());
}

int main(void) {
  if (!mkdtemp(g_root)) {
    perror("mkdtemp");
    return 1;
  }
  mkdir(dir_of("cuda"), 0755);

  // A -L directory, by short name and by file name.
  const char* l_short = place("L", "libfusion_sa.so");
  CHECK(rt_dl_add_search_dir(dir_of("L")), "%s", rt_dl_last_error());
  expect("fusion_sa", l_short);
  expect("libfusion_sa.so", l_short);
  // Names starting with `lib` are short names too when they have no `.so`.
  expect("libfusion_sa", l_short);

  // -L directories come before FUSION_LIBRARY_PATH; within each, in the order given.
  const char* both_l = place("L", "libfusion_both.so");
  place("env", "libfusion_both.so");
  char env[1200];
  snprintf(env, sizeof env, "/nonexistent/fusion:%s", dir_of("env"));
  setenv("FUSION_LIBRARY_PATH", env, 1);
  expect("fusion_both", both_l);
  place("L2", "libfusion_l2.so");
  const char* l2_in_l = place("L", "libfusion_l2.so.1");  // an earlier directory wins
  CHECK(rt_dl_add_search_dir(dir_of("L2")), "%s", rt_dl_last_error());
  expect("fusion_l2", l2_in_l);

  // FUSION_LIBRARY_PATH alone.
  const char* env_only = place("env", "libfusion_env.so");
  expect("fusion_env", env_only);

  // A candidate that fails to load does not end the search: the next place is tried.
  char bogus[600];
  snprintf(bogus, sizeof bogus, "%s/libfusion_bad.so", dir_of("L"));
  FILE* f = fopen(bogus, "w");
  if (f) {
    fputs("INPUT ( -lfusion_bad_real )  /* a linker script, like libm.so */\n", f);
    fclose(f);
  }
  snprintf(g_files[g_nfiles++], 1024, "%s", bogus);
  const char* good = place("env", "libfusion_bad.so");
  expect("fusion_bad", good);

  // Versioned sonames: the highest major version, and its shortest name, first.
  place("ver", "libfusion_ver.so.3");
  place("ver", "libfusion_ver.so.12.1.0");
  const char* v12 = place("ver", "libfusion_ver.so.12");
  place("ver", "libfusion_ver.so.9");
  place("ver", "libfusion_ver.so.12x");  // not a version: ignored
  CHECK(rt_dl_add_search_dir(dir_of("ver")), "%s", rt_dl_last_error());
  expect("fusion_ver", v12);

  // $CUDA_HOME/lib64, with only a versioned file (like libcudart.so.13).
  unsetenv("FUSION_LIBRARY_PATH");
  const char* cuda = place("cuda/lib64", "libfusion_cudalike.so.13");
  setenv("CUDA_HOME", dir_of("cuda"), 1);
  expect("fusion_cudalike", cuda);
  unsetenv("CUDA_HOME");

  // Opening is cached by name: a later -L directory does not change an open library.
  rt_dl_lib* held = rt_dl_open("fusion_sa");
  CHECK(held != NULL, "%s", rt_dl_last_error());
  rt_dl_clear_search_dirs();
  rt_dl_lib* again = rt_dl_open("fusion_sa");
  CHECK(again == held, "cached open after clearing the search directories");
  if (again) rt_dl_close(again);
  if (held) rt_dl_close(held);
  // Once closed, the cleared directories are no longer searched.
  CHECK(rt_dl_open("fusion_sa") == NULL, "found fusion_sa without its -L directory");

  remove_all();
  return finish("dl_search_test");
}
