// Included by curlish.h, from a directory below it.
#ifndef CURLISH_URLAPI_H
#define CURLISH_URLAPI_H
#define CURLISH_U_DEFAULT_PORT (1 << 0)
int curlish_url_set(const char* part, unsigned int flags);
#endif
