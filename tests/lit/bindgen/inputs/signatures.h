// For signatures.test: declarations whose types clang gives differently from how they are
// written. C library builtins (clang's types for them say `unsigned long`, not `size_t`), an
// unprototyped `()` list, functions with the names of Fusion's builtins, and --safe candidates.
#include <stddef.h>
size_t strlen(const char* s);
void* memcpy(void* dest, const void* src, size_t n);
void* malloc(size_t size);
size_t strspn(const char* s, const char* accept);
size_t sg_count(size_t n);
void free(void* p);
void exit(int status);
double cos(double x);
#define sg_cos cos
int sg_nothing();
int sg_none(void);
int sg_sum(int n, ...);
typedef struct sg_handle* sg_handle_t;
int sg_close(sg_handle_t h);
int sg_first(const int values[4]);
int sg_pure(int x);
