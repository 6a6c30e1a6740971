// The Fusion runtime's public C API: one header per module, all included here.
#ifndef FUSION_RT_H
#define FUSION_RT_H
#include "fusion/rt_core.h"
#include "fusion/rt_dl.h"
#include "fusion/rt_ffi.h"
#endif
