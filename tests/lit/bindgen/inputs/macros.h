// For macros.test: macro constants as libraries write them. sqlite's pointer-valued destructor
// constants, zlib's Z_NULL, jansson's and curl's flags, typed suffixes and casts.
#ifndef MACROS_H
#define MACROS_H
#include <stddef.h>
typedef void (*mc_destructor_type)(void*);
#define MC_STATIC ((mc_destructor_type)0)
#define MC_TRANSIENT ((mc_destructor_type)-1)
#define MC_NULLP ((void*)0)
#define MC_ADDR ((char*)0x10)
#define MC_NULL 0
#define MC_COMPACT 0x20
#define MC_INDENT(n) ((n) & 0x1F)
#define MC_INDENT_MASK 0x1F
#define MC_GLOBAL_SSL (1 << 0)
#define MC_GLOBAL_WIN32 (1 << 1)
#define MC_GLOBAL_ALL (MC_GLOBAL_SSL | MC_GLOBAL_WIN32)
#define MC_GLOBAL_DEFAULT MC_GLOBAL_ALL
#define MC_UNSIGNED 4000000000u
#define MC_BIG 0xffffffffffffffffULL
#define MC_NEG (-5)
#define MC_CHAR 'a'
#define MC_SIZE sizeof(struct mc_pair)
#define MC_CAST ((unsigned char)300)
#define MC_LONG_CAST ((long)7)
#define MC_PI 3.14159
#define MC_TENTH 0.1f
// Strings that are not string literals only: libarchive's version string, glib's keys after a
// macro that expands to nothing.
#define MC_VERSION_ONLY "3.6.2"
#define MC_VERSION_STRING "macros " MC_VERSION_ONLY
#define MC_AVAILABLE_IN_2_64
#define MC_KEY_NAME MC_AVAILABLE_IN_2_64 "NAME"
#define MC_LOCATION __FILE__ ":" MC_VERSION_ONLY
#define MC_WHERE MC_LOCATION
#define MC_ESCAPED MC_AVAILABLE_IN_2_64 "a\tb\x41\101\"q\""
struct mc_pair { int a, b; };
size_t mc_dump_flags(size_t flags);
long mc_global_init(long flags);
int mc_bind(const char* text, mc_destructor_type destructor);
int mc_is_null(void* p);
#endif
