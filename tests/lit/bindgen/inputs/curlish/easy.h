// Included by curlish.h.
#ifndef CURLISH_EASY_H
#define CURLISH_EASY_H
curlish* curlish_easy_init(void);
size_t curlish_easy_escape(curlish* handle, const char* text, size_t length);
#endif
