// The shapes of real C APIs through rt_ffi_call: opaque handles made through a pointer-to-pointer,
// out-parameters, error codes with their names and strings, strings in and out, NCCL's 128-byte
// id by value, CUDA's dim3 launch, a large out-parameter struct.
#include "ffi_shapes.h"

static void check_handles(void) {
  const rt_ffi_type* ptr = T(POINTER);
  const rt_ffi_sig* create = SIG(T(I32), ptr, T(I32));
  const rt_ffi_sig* add = SIG(T(I32), ptr, T(I64));
  const rt_ffi_sig* get = SIG(T(I32), ptr, ptr);
  const rt_ffi_sig* destroy = SIG(T(I32), ptr);
  int32_t live = ffi_t_live_contexts();

  ffi_t_ctx* ctx = NULL;
  ffi_t_ctx** out = &ctx;
  int32_t seed = 40, status = -1;
  CALL(create, sym("ffi_t_ctx_create"), &status, &out, &seed);
  CHECK(status == FFI_T_SUCCESS && ctx != NULL, "create: %d", status);
  int64_t two = 2;
  CALL(add, sym("ffi_t_ctx_add"), &status, &ctx, &two);
  int64_t total = 0;
  int64_t* total_out = &total;
  CALL(get, sym("ffi_t_ctx_get"), &status, &ctx, &total_out);
  CHECK(status == FFI_T_SUCCESS && total == 42, "get: %d, total %lld", status, (long long)total);
  int32_t live_now = -1;
  CALL0(SIG0(T(I32)), sym("ffi_t_live_contexts"), &live_now);
  CHECK(live_now == live + 1, "one context alive: %d", live_now);
  CALL(destroy, sym("ffi_t_ctx_destroy"), &status, &ctx);
  CHECK(status == FFI_T_SUCCESS && ffi_t_live_contexts() == live, "destroy");

  // Failure: an error code, the out-parameter cleared, and the code's name and text.
  ctx = (ffi_t_ctx*)&seed;
  seed = -1;
  CALL(create, sym("ffi_t_ctx_create"), &status, &out, &seed);
  CHECK(status == FFI_T_ERR_INVALID && ctx == NULL, "create(-1): %d", status);
  const char* name = NULL;
  const char* text = NULL;
  CALL(SIG(T(CSTRING), T(I32)), sym("ffi_t_error_name"), &name, &status);
  CALL(SIG(T(CSTRING), T(I32)), sym("ffi_t_error_string"), &text, &status);
  CHECK(name && strcmp(name, "ffi_t_err_invalid") == 0, "error name %s", name ? name : "(null)");
  CHECK(text && strcmp(text, ffi_t_error_string(FFI_T_ERR_INVALID)) == 0, "error text");
  void* null_ctx = NULL;
  CALL(destroy, sym("ffi_t_ctx_destroy"), &status, &null_ctx);
  CHECK(status == FFI_T_ERR_NULL, "destroy(NULL): %d", status);

  // Two out-parameters.
  int32_t major = 0, minor = 0;
  int32_t *pmajor = &major, *pminor = &minor;
  CALL(SIG(T(I32), ptr, ptr), sym("ffi_t_get_version"), &status, &pmajor, &pminor);
  CHECK(status == 0 && major == 12 && minor == 4, "version %d.%d", major, minor);

  // void** allocation, then freed by the library.
  void* block = NULL;
  void** pblock = &block;
  size_t bytes = 100;
  CALL(SIG(T(I32), ptr, T(USIZE)), sym("ffi_t_alloc"), &status, &pblock, &bytes);
  CHECK(status == 0 && block != NULL, "alloc");
  if (block) memset(block, 1, bytes);
  CALL(SIG(T(VOID), ptr), sym("ffi_t_free"), NULL, &block);
}

static void check_strings(void) {
  const char* version = NULL;
  CALL0(SIG0(T(CSTRING)), sym("ffi_t_version_string"), &version);
  CHECK(version && strcmp(version, ffi_t_version_string()) == 0, "version string");
  const char* s = "Hello, Fusion";
  size_t n = 0;
  CALL(SIG(T(USIZE), T(CSTRING)), sym("ffi_t_strlen"), &n, &s);
  CHECK(n == 13, "strlen %zu", n);
  // Into a caller's buffer, truncated to its capacity.
  char buf[8];
  char* pbuf = buf;
  size_t cap = sizeof buf;
  CALL(SIG(T(USIZE), T(CSTRING), T(POINTER), T(USIZE)), sym("ffi_t_upper"), &n, &s, &pbuf, &cap);
  CHECK(n == 13 && strcmp(buf, "HELLO, ") == 0, "upper: %zu %s", n, buf);
  // A malloc'd string returned, given back to the library.
  char* rev = NULL;
  CALL(SIG(T(POINTER), T(CSTRING)), sym("ffi_t_reverse_dup"), &rev, &s);
  CHECK(rev && strcmp(rev, "noisuF ,olleH") == 0, "reverse %s", rev ? rev : "(null)");
  CALL(SIG(T(VOID), T(POINTER)), sym("ffi_t_free"), NULL, &rev);
}

static void check_nccl_like(void) {
  const rt_ffi_type* id_type = ST(AR(T(I8), 128));
  CHECK(rt_ffi_type_size(id_type) == sizeof(ffi_t_unique_id), "ncclUniqueId size");
  rt_ffi_class classes[2];
  CHECK(rt_ffi_type_classify(id_type, classes) == 0, "a 128-byte id goes by memory");
  ffi_t_unique_id id;
  memset(&id, 0, sizeof id);
  ffi_t_unique_id* pid = &id;
  int32_t status = -1;
  CALL(SIG(T(I32), T(POINTER)), sym("ffi_t_get_unique_id"), &status, &pid);
  ffi_t_unique_id want_id;
  ffi_t_get_unique_id(&want_id);
  CHECK(status == 0 && memcmp(&id, &want_id, sizeof id) == 0, "get_unique_id");

  const rt_ffi_sig* init = SIG(T(I32), T(POINTER), T(I32), id_type, T(I32));
  ffi_t_ctx* comm = NULL;
  ffi_t_ctx** pcomm = &comm;
  int32_t nranks = 4, rank = 3;
  CALL(init, sym("ffi_t_comm_init_rank"), &status, &pcomm, &nranks, &id, &rank);
  CHECK(status == 0 && comm != NULL, "comm_init_rank: %d", status);
  ffi_t_ctx* want_comm = NULL;
  ffi_t_comm_init_rank(&want_comm, nranks, want_id, rank);
  int64_t got_total = -1, want_total = -2;
  if (comm) ffi_t_ctx_get(comm, &got_total);
  if (want_comm) ffi_t_ctx_get(want_comm, &want_total);
  CHECK(got_total == want_total, "comm state %lld vs %lld", (long long)got_total,
        (long long)want_total);
  ffi_t_ctx_destroy(comm);
  ffi_t_ctx_destroy(want_comm);
}

static void check_cuda_like(void) {
  const rt_ffi_type* dim3 = ST(T(U32), T(U32), T(U32));
  const rt_ffi_type* ptr = T(POINTER);
  const rt_ffi_sig* launch = SIG(T(I64), ptr, dim3, dim3, ptr, T(USIZE), ptr);
  const void* func = (const void*)(uintptr_t)0xabcdef;
  ffi_t_dim3 grid = {128, 2, 1}, block = {256, 1, 1};
  int64_t n = 1 << 20;
  void* kargs[] = {&n};
  void** pkargs = kargs;
  size_t shmem = 4096;
  void* stream = (void*)(uintptr_t)0x7777;
  int64_t got = 0;
  CALL(launch, sym("ffi_t_launch"), &got, &func, &grid, &block, &pkargs, &shmem, &stream);
  int64_t want = ffi_t_launch(func, grid, block, kargs, shmem, stream);
  CHECK(got == want, "launch %lld vs %lld", (long long)got, (long long)want);

  const rt_ffi_type* props = ST(AR(T(I8), 256), T(USIZE), T(I32), T(I32), AR(T(I32), 3), T(F64));
  CHECK(rt_ffi_type_size(props) == sizeof(ffi_t_props), "props size %zu vs %zu",
        rt_ffi_type_size(props), sizeof(ffi_t_props));
  CHECK(rt_ffi_type_offset(props, 5) == offsetof(ffi_t_props, clock_ghz), "props.clock_ghz");
  ffi_t_props p, want_p;
  memset(&p, 0xff, sizeof p);
  ffi_t_props* pp = &p;
  int32_t device = 3, status = -1;
  CALL(SIG(T(I32), ptr, T(I32)), sym("ffi_t_get_props"), &status, &pp, &device);
  ffi_t_get_props(&want_p, device);
  CHECK(status == 0 && memcmp(&p, &want_p, sizeof p) == 0, "get_props");
}

int main(void) {
  check_handles();
  check_strings();
  check_nccl_like();
  check_cuda_like();
  close_cases();
  return finish("ffi_handle_test");
}
