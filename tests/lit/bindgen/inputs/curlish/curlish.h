// For follow.test: a library whose main header #includes the rest of its API from its own
// directory (as curl.h includes "easy.h" and "urlapi.h"), and a system header, which stays out.
#ifndef CURLISH_H
#define CURLISH_H
#include <stddef.h>
typedef struct curlish curlish;
#define CURLISH_GLOBAL_SSL (1 << 0)
int curlish_global_init(long flags);
#include "easy.h"
#include "sub/urlapi.h"
#endif
