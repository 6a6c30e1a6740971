// A stand-in libcublas for cublas.test: the version comes from $FAKE_CUBLAS_VERSION (130100 by
// default) and cublasCreate fails with CUBLAS_STATUS_NOT_INITIALIZED, as without a driver.
#include <stdlib.h>
int cublasGetVersion_v2(void* handle, int* v) {
  (void)handle;
  const char* env = getenv("FAKE_CUBLAS_VERSION");
  *v = env ? atoi(env) : 130100;
  return 0;
}
int cublasCreate_v2(void** handle) { *handle = 0; return 1; }
const char* cublasGetStatusName(int s) { return s == 1 ? "CUBLAS_STATUS_NOT_INITIALIZED" : "unrecognized status"; }
const char* cublasGetStatusString(int s) { return s == 1 ? "the library was not initialized" : "unrecognized status"; }
