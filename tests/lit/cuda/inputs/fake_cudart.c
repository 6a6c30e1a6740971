// A stand-in libcudart for the version and cuda_check tests: the version comes from
// $FAKE_CUDART_VERSION (13000 by default) and every device query fails with cudaErrorNoDevice.
#include <stdlib.h>
int cudaRuntimeGetVersion(int* v) {
  const char* env = getenv("FAKE_CUDART_VERSION");
  *v = env ? atoi(env) : 13000;
  return 0;
}
int cudaGetDeviceCount(int* n) { *n = 0; return 100; }
const char* cudaGetErrorName(int e) { return e == 100 ? "cudaErrorNoDevice" : "cudaErrorUnknown"; }
const char* cudaGetErrorString(int e) { return e == 100 ? "no CUDA-capable device is detected" : "unknown error"; }
