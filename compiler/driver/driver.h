// The `fusion` command line: run, build, check, emit.
#pragma once

namespace fusion::driver {

// Exit codes: 0 or the program's own; 1 for compile errors; 2 for usage errors;
// 101 when a program panics (set by the runtime).
auto Main(int argc, char** argv) -> int;

}  // namespace fusion::driver
