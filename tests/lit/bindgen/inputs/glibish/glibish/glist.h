// Part of glibish.h's API (follow.test).
typedef struct GListish { void* data; struct GListish* next; } GListish;
GListish* glistish_append(GListish* list, void* data);
