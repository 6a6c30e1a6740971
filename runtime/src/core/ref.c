// Counted objects (fusion/rt_core.h's rt_ref): the one retain and release that generated code
// calls for every counted type (tensors, strings, files).
#include "fusion/rt_core.h"

void rt_retain(rt_ptr p) {
  rt_ref* r = (rt_ref*)p;
  if (r && r->refs > 0) r->refs++;
}

void rt_release(rt_ptr p) {
  rt_ref* r = (rt_ref*)p;
  if (!r || r->refs <= 0) return;  // NULL, or a static object
  if (--r->refs == 0) r->drop(r);
}
