#!/usr/bin/env python3
"""Writes the FileCheck lines that examples/ffi_cublas must match, derived from the cuBLAS header
(cublas_api.h in the directory given): the version macros and every member of cublasStatus_t, in
the header's order, so a header with another status or version fails the test until the example
and the bindings follow it.

usage: cublas_expected.py CUDA_INCLUDE_DIR > expected.txt
"""
import os
import re
import sys

text = open(os.path.join(sys.argv[1], "cublas_api.h")).read()
macros = dict(re.findall(r"^#define (CUBLAS_VER_\w+) (\d+)\s*$", text, re.M))
version_expr = re.search(r"^#define CUBLAS_VERSION (.+)$", text, re.M).group(1)
version = eval(re.sub(r"CUBLAS_VER_\w+", lambda m: macros[m.group(0)], version_expr))
body = re.search(r"typedef enum \{([^}]*)\} cublasStatus_t;", text).group(1)
statuses = re.findall(r"(CUBLAS_STATUS_\w+) = (\d+)", body)
if len(statuses) < 2:
    sys.exit("cublas_expected.py: no cublasStatus_t members found in cublas_api.h")
values = dict(statuses)
print("CHECK: cuBLAS %s . %s . %s ( %d ), bindings from CUBLAS_VERSION %d" % (
    macros["CUBLAS_VER_MAJOR"], macros["CUBLAS_VER_MINOR"], macros["CUBLAS_VER_PATCH"], version, version))
for name, value in statuses:
    # The text is cuBLAS's own (the test checks that none is "unrecognized status").
    print("CHECK-NEXT: status %s %s : {{[a-z].+$}}" % (value, name))
print("CHECK-NEXT: {{^cublasCreate: CUBLAS_STATUS_NOT_INITIALIZED \\( %s \\): the library was not initialized$|^cublasCreate: CUBLAS_STATUS_SUCCESS$}}"
      % values["CUBLAS_STATUS_NOT_INITIALIZED"])
print("CHECK-NEXT: {{^no GPU is usable here, so that is all$|^sgemm 64 x 48 times 48 x 32 : wrong elements: 0$}}")
print("CHECK-NOT: {{.+}}")
