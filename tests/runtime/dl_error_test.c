// rt_dl failures: messages name the library, the symbol, every place tried and the loader's text.
#include <pthread.h>
#include <unistd.h>

#include "ffi_test_util.h"

static void* fail_in_thread(void* arg) {
  (void)arg;
  rt_dl_lib* lib = rt_dl_open("/thread/only/libthread_missing.so");
  return lib ? NULL : strdup(rt_dl_last_error());
}

int main(void) {
  // An invalid path: the path and the loader's own text.
  const char* bad_path = "/nonexistent/fusion/libnope.so";
  CHECK(rt_dl_open(bad_path) == NULL, "opened %s", bad_path);
  const char* e = rt_dl_last_error();
  CHECK(contains(e, "cannot load library `/nonexistent/fusion/libnope.so`"), "%s", str(e));
  CHECK(contains(e, "cannot open shared object file"), "loader text missing: %s", str(e));
  CHECK(contains(e, "(path)"), "%s", str(e));

  // A file that is not a library: the loader's text says why.
  char dir[] = "/tmp/fusion-dl-error-XXXXXX";
  CHECK(mkdtemp(dir) != NULL, "mkdtemp");
  char junk[256];
  snprintf(junk, sizeof junk, "%s/libjunk.so", dir);
  FILE* f = fopen(junk, "w");
  if (f) {
    fputs("this is not an ELF file, just some text long enough to have a header\n", f);
    fclose(f);
  }
  CHECK(rt_dl_open(junk) == NULL, "opened a text file");
  e = rt_dl_last_error();
  CHECK(contains(e, junk), "%s", str(e));
  CHECK(contains(e, "invalid ELF header") || contains(e, "file too short"), "%s", str(e));

  // A short name found nowhere: every place of the search order, each with the loader's text.
  char ldir[300], envdir[300], cuda[300];
  snprintf(ldir, sizeof ldir, "%s/L", dir);
  snprintf(envdir, sizeof envdir, "%s/env", dir);
  snprintf(cuda, sizeof cuda, "%s/cuda", dir);
  char owndir[300];
  snprintf(owndir, sizeof owndir, "%s/own", dir);
  rt_dl_add_search_dir(ldir);
  rt_dl_add_fusion_library_dir(owndir);  // named for what it is, after the -L directories
  char envval[700];
  snprintf(envval, sizeof envval, "/nonexistent/a:%s", envdir);
  setenv("FUSION_LIBRARY_PATH", envval, 1);
  setenv("CUDA_HOME", cuda, 1);
  CHECK(rt_dl_open("fusion_missing") == NULL, "opened fusion_missing");
  e = rt_dl_last_error();
  char want[800];
  snprintf(want, sizeof want,
           "%s/libfusion_missing.so (-L directory): %s/libfusion_missing.so: "
           "cannot open shared object file",
           ldir, ldir);
  CHECK(contains(e, want), "want %s in:\n%s", want, str(e));
  snprintf(want, sizeof want, "%s/libfusion_missing.so (the Fusion library's directory): ", owndir);
  CHECK(contains(e, want), "want %s in:\n%s", want, str(e));
  snprintf(want, sizeof want, "%s/libfusion_missing.so (-L directory)", owndir);
  CHECK(!contains(e, want), "the Fusion library's directory labelled as -L in:\n%s", str(e));
  CHECK(contains(e, "/nonexistent/a/libfusion_missing.so (FUSION_LIBRARY_PATH)"), "%s", str(e));
  snprintf(want, sizeof want, "%s/libfusion_missing.so (FUSION_LIBRARY_PATH)", envdir);
  CHECK(contains(e, want), "%s", str(e));
  CHECK(
      contains(e, "tried libfusion_missing.so (system loader): libfusion_missing.so: cannot open"),
      "%s", str(e));
  snprintf(want, sizeof want, "%s/lib64/libfusion_missing.so ($CUDA_HOME/lib64)", cuda);
  CHECK(contains(e, want), "%s", str(e));
  CHECK(contains(e, "/usr/local/cuda/lib64/libfusion_missing.so (CUDA default directory)"), "%s",
        str(e));
  // In order: -L, the Fusion library's, FUSION_LIBRARY_PATH, system loader, CUDA.
  const char* p_l = strstr(e, "(-L directory)");
  const char* p_own = strstr(e, "(the Fusion library's directory)");
  CHECK(p_l && p_own && p_l < p_own, "search order in:\n%s", str(e));
  const char* p_env = strstr(e, "(FUSION_LIBRARY_PATH)");
  const char* p_sys = strstr(e, "(system loader)");
  const char* p_cuda = strstr(e, "($CUDA_HOME/lib64)");
  CHECK(p_l && p_env && p_sys && p_cuda && p_l < p_env && p_env < p_sys && p_sys < p_cuda,
        "search order in:\n%s", str(e));
  unsetenv("FUSION_LIBRARY_PATH");
  unsetenv("CUDA_HOME");
  rt_dl_clear_search_dirs();

  // An invalid symbol: the symbol, the library, its path and the loader's text.
  rt_dl_lib* m = rt_dl_open("libm.so.6");
  CHECK(m != NULL, "%s", rt_dl_last_error());
  CHECK(rt_dl_sym(m, "fusion_no_such_symbol") == NULL, "found a missing symbol");
  e = rt_dl_last_error();
  CHECK(contains(e, "cannot find symbol `fusion_no_such_symbol` in library `libm.so.6`"), "%s",
        str(e));
  CHECK(contains(e, "undefined symbol: fusion_no_such_symbol"), "loader text missing: %s", str(e));
  CHECK(contains(e, rt_dl_path(m)), "path missing: %s", str(e));
  rt_dl_close(m);

  // Lazy binding names both the library and the symbol, whichever is missing.
  CHECK(rt_dl_lookup("fusion_missing_lib", "fusion_fn") == NULL, "lookup succeeded");
  e = rt_dl_last_error();
  CHECK(contains(e, "cannot load library `fusion_missing_lib` for symbol `fusion_fn`"), "%s",
        str(e));
  CHECK(contains(e, "libfusion_missing_lib.so (system loader)"), "%s", str(e));
  CHECK(rt_dl_lookup("libm.so.6", "fusion_fn2") == NULL, "lookup succeeded");
  e = rt_dl_last_error();
  CHECK(contains(e, "`fusion_fn2`") && contains(e, "`libm.so.6`"), "%s", str(e));
  CHECK(rt_dl_lookup(NULL, "fusion_fn3") == NULL, "lookup succeeded");
  CHECK(contains(rt_dl_last_error(), "`fusion_fn3`"), "%s", rt_dl_last_error());

  // Misuse gives errors, not crashes.
  CHECK(rt_dl_sym(NULL, "cos") == NULL, "sym on NULL");
  CHECK(contains(rt_dl_last_error(), "not an open library"), "%s", rt_dl_last_error());
  CHECK(!rt_dl_close(NULL), "close NULL");
  CHECK(!rt_dl_add_search_dir(""), "empty search dir");
  CHECK(!rt_dl_add_fusion_library_dir(""), "empty Fusion library dir");
  CHECK(contains(rt_dl_last_error(), "rt_dl_add_fusion_library_dir: empty directory name"), "%s", rt_dl_last_error());
  CHECK(rt_dl_lookup("libm.so.6", NULL) == NULL, "lookup of no symbol");

  // Messages are per thread.
  rt_dl_open("/main/thread/libmain_missing.so");
  pthread_t thread;
  char* other = NULL;
  if (pthread_create(&thread, NULL, fail_in_thread, NULL) == 0) {
    void* result = NULL;
    pthread_join(thread, &result);
    other = result;
  }
  CHECK(contains(other, "libthread_missing.so"), "thread's message: %s", other ? other : "(none)");
  CHECK(contains(rt_dl_last_error(), "libmain_missing.so"), "main's message changed: %s",
        rt_dl_last_error());
  free(other);

  unlink(junk);
  rmdir(dir);
  return finish("dl_error_test");
}
