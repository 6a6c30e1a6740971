// A stand-in libnccl for the version and nccl_check tests: the version comes from
// $FAKE_NCCL_VERSION (22809 by default) and ncclCommInitAll fails with ncclInvalidArgument.
#include <stdlib.h>
int ncclGetVersion(int* v) {
  const char* env = getenv("FAKE_NCCL_VERSION");
  *v = env ? atoi(env) : 22809;
  return 0;
}
int ncclCommInitAll(void** comms, int n, const int* devs) { return 4; }
const char* ncclGetErrorString(int r) { return r == 4 ? "invalid argument (run with NCCL_DEBUG=WARN for details)" : "?"; }
