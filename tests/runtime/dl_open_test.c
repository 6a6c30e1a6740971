// rt_dl_open: libm by soname, short name and path, the program itself, caching and references.
#include "ffi_test_util.h"

typedef double (*unary_fn)(double);
typedef size_t (*strlen_fn)(const char*);

int main(void) {
  rt_dl_lib* m = rt_dl_open("libm.so.6");
  CHECK(m != NULL, "%s", rt_dl_last_error());
  if (!m) return finish("dl_open_test");
  unary_fn c = (unary_fn)rt_dl_sym(m, "cos");
  CHECK(c != NULL, "%s", rt_dl_last_error());
  CHECK(c && c(0.0) == 1.0, "cos(0.0) through dlsym");
  CHECK(strcmp(rt_dl_name(m), "libm.so.6") == 0, "name %s", rt_dl_name(m));
  CHECK(contains(rt_dl_path(m), "libm.so.6"), "path %s", rt_dl_path(m));

  // The same name, a short name and the resolved path all give the same cached library.
  rt_dl_lib* again = rt_dl_open("libm.so.6");
  CHECK(again == m, "second open of libm.so.6 gave another handle");
  rt_dl_lib* by_short = rt_dl_open("m");
  CHECK(by_short == m, "short name `m`: %s", by_short ? rt_dl_path(by_short) : rt_dl_last_error());
  char path[4096];
  snprintf(path, sizeof path, "%s", rt_dl_path(m));
  rt_dl_lib* by_path = rt_dl_open(path);
  CHECK(by_path == m, "path %s: %s", path, by_path ? "another handle" : rt_dl_last_error());

  // Giving back all but one reference leaves the library usable.
  CHECK(rt_dl_close(by_path), "%s", rt_dl_last_error());
  CHECK(rt_dl_close(by_short), "%s", rt_dl_last_error());
  CHECK(rt_dl_close(again), "%s", rt_dl_last_error());
  unary_fn s = (unary_fn)rt_dl_sym(m, "sin");
  CHECK(s && s(0.0) == 0.0, "sin after closing the other references: %s", rt_dl_last_error());
  CHECK(rt_dl_close(m), "%s", rt_dl_last_error());
  // Closed once too often: an error, not a crash.
  CHECK(!rt_dl_close(m), "closing a closed library succeeded");
  CHECK(contains(rt_dl_last_error(), "not an open library"), "%s", rt_dl_last_error());
  CHECK(rt_dl_sym(m, "cos") == NULL, "dlsym on a closed library succeeded");

  // The program itself.
  rt_dl_lib* self = rt_dl_open(NULL);
  CHECK(self != NULL, "%s", rt_dl_last_error());
  strlen_fn len = self ? (strlen_fn)rt_dl_sym(self, "strlen") : NULL;
  CHECK(len && len("abc") == 3, "strlen from the program: %s", rt_dl_last_error());
  CHECK(self && strcmp(rt_dl_name(self), "") == 0, "program name");
  rt_dl_lib* self2 = rt_dl_open("");
  CHECK(self2 == self, "NULL and \"\" both name the program");
  if (self2) rt_dl_close(self2);
  if (self) rt_dl_close(self);

  // The C test library by its path.
  rt_dl_lib* cases = rt_dl_open(FFI_CASES_LIB);
  CHECK(cases != NULL, "%s", rt_dl_last_error());
  int64_t (*inc)(int64_t) = cases ? (int64_t(*)(int64_t))rt_dl_sym(cases, "ffi_t_i64_inc") : NULL;
  CHECK(inc && inc(41) == 42, "ffi_t_i64_inc: %s", rt_dl_last_error());
  if (cases) rt_dl_close(cases);

  // Lazy binding: rt_dl_lookup keeps the library for good.
  unary_fn t = (unary_fn)rt_dl_lookup("libm.so.6", "tan");
  CHECK(t && t(0.0) == 0.0, "rt_dl_lookup tan: %s", rt_dl_last_error());
  unary_fn t2 = (unary_fn)rt_dl_lookup("libm.so.6", "tan");
  CHECK(t2 == t, "second lookup");
  CHECK(rt_dl_lookup(NULL, "getpid") != NULL, "lookup in the program: %s", rt_dl_last_error());

  // Where a CUDA toolkit is installed: the short name `cudart`, and a call that needs no GPU.
  if (rt_dl_available("cudart")) {
    rt_dl_lib* cudart = rt_dl_open("cudart");
    CHECK(cudart && contains(rt_dl_path(cudart), "libcudart.so"), "cudart: %s",
          cudart ? rt_dl_path(cudart) : rt_dl_last_error());
    int (*get_version)(int*) =
        cudart ? (int (*)(int*))rt_dl_sym(cudart, "cudaRuntimeGetVersion") : NULL;
    int version = 0;
    CHECK(get_version && get_version(&version) == 0 && version >= 1000, "cudaRuntimeGetVersion: %d",
          version);
    printf("dl_open_test: cudart %s, runtime version %d\n", cudart ? rt_dl_path(cudart) : "?",
           version);
    if (cudart) rt_dl_close(cudart);
  } else {
    printf("dl_open_test: no cudart here: %s\n", rt_dl_last_error());
  }

  CHECK(rt_dl_available("libm.so.6"), "libm.so.6 available");
  CHECK(rt_dl_available("c"), "short name c available");
  CHECK(!rt_dl_available("fusion_surely_missing_library"), "missing library available");
  return finish("dl_open_test");
}
