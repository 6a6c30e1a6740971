// Test library: callbacks with user data, on the caller's thread and on a thread of its own.
#include <pthread.h>

#include "ffi_cases.h"

size_t ffi_t_foreach(const int32_t* values, size_t n, int32_t (*cb)(int32_t v, void* ud),
                     void* ud) {
  size_t i = 0;
  while (i < n) {
    int32_t stop = cb(values[i], ud);
    i++;
    if (stop) break;
  }
  return i;
}

typedef struct thread_call {
  int64_t (*cb)(int64_t v, void* ud);
  void* ud;
  int64_t v, result;
} thread_call;

static void* run_call(void* p) {
  thread_call* call = p;
  call->result = call->cb(call->v, call->ud);
  return NULL;
}

int64_t ffi_t_call_in_thread(int64_t (*cb)(int64_t v, void* ud), void* ud, int64_t v) {
  thread_call call = {cb, ud, v, -1};
  pthread_t thread;
  if (pthread_create(&thread, NULL, run_call, &call) != 0) return -1;
  pthread_join(thread, NULL);
  return call.result;
}

double ffi_t_many_cb_direct(uint64_t a, int32_t b, uint8_t c, double d, float e, int16_t f,
                            uint16_t g, int8_t h, float i, double j, int64_t k, float l, double m,
                            float n, double o, float p, double q, bool r) {
  return (double)a + 2.0 * b + 3.0 * c + 4.0 * d + 5.0 * e + 6.0 * f + 7.0 * g + 8.0 * h + 9.0 * i +
         10.0 * j + 11.0 * (double)k + 12.0 * l + 13.0 * m + 14.0 * n + 15.0 * o + 16.0 * p +
         17.0 * q + 18.0 * r;
}

double ffi_t_call_many(ffi_t_many_cb cb, int32_t k) {
  return cb((uint64_t)k * 3000000000ULL, -k, (uint8_t)(k + 250), k * 0.5, (float)k * 0.25f,
            (int16_t)(-k * 7), (uint16_t)(k + 65000), (int8_t)(-k - 100), (float)k * 1.5f, k * -2.5,
            (int64_t)k * -5000000000LL, (float)k + 0.5f, k * 3.25, (float)k * -0.125f, k + 0.75,
            (float)k * 4.0f, k * -1.125, (k & 1) != 0);
}

int32_t ffi_t_call_small_ret(int8_t (*s8)(void), uint8_t (*u8)(void), int16_t (*s16)(void),
                             uint16_t (*u16)(void), bool (*b)(void)) {
  return (int32_t)s8() + 3 * (int32_t)u8() + 5 * (int32_t)s16() + 7 * (int32_t)u16() +
         11 * (int32_t)b();
}
