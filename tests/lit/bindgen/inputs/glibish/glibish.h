// An umbrella header in an include directory of its own (-I), as glib.h: the whole API is in the
// headers it #includes with angle brackets from a subdirectory (<glib/glist.h>).
#include <glibish/glist.h>
#include <stddef.h>
