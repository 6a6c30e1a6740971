// The ffi module's error message and status: one per thread, kept until that thread's next failure.
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "ffi_internal.h"

static pthread_once_t g_key_once = PTHREAD_ONCE_INIT;
static pthread_key_t g_key;  // owns the thread's message, so that it is freed when the thread ends
static _Thread_local char* t_message;
static _Thread_local rt_ffi_status t_status;

static void make_key(void) { (void)pthread_key_create(&g_key, free); }

rt_ffi_status rtffi_fail(rt_ffi_status status, const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char* msg = NULL;
  if (vasprintf(&msg, fmt, ap) < 0) msg = NULL;
  va_end(ap);
  pthread_once(&g_key_once, make_key);
  free(t_message);
  t_message = msg;
  t_status = status;
  (void)pthread_setspecific(g_key, msg);
  return status;
}

const char* rt_ffi_last_error(void) {
  if (t_message) return t_message;
  return t_status == RT_FFI_OK ? "" : "out of memory while reporting an ffi error";
}

rt_ffi_status rt_ffi_last_status(void) { return t_status; }
