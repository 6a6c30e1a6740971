// The dl module's error message: one per thread, kept until that thread's next failure.
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "dl_internal.h"

static pthread_once_t g_key_once = PTHREAD_ONCE_INIT;
static pthread_key_t g_key;  // owns the thread's message, so that it is freed when the thread ends
static _Thread_local char* t_message;
static _Thread_local bool t_out_of_memory;  // the last failure's message could not be allocated

static void make_key(void) { (void)pthread_key_create(&g_key, free); }

void rtdl_error_take(char* msg) {
  pthread_once(&g_key_once, make_key);
  free(t_message);
  t_message = msg;
  t_out_of_memory = msg == NULL;
  (void)pthread_setspecific(g_key, msg);
}

void rtdl_error_set(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char* msg = NULL;
  if (vasprintf(&msg, fmt, ap) < 0) msg = NULL;
  va_end(ap);
  rtdl_error_take(msg);
}

const char* rtdl_error_get(void) {
  if (t_message) return t_message;
  return t_out_of_memory ? "out of memory while reporting a library error" : "";
}
