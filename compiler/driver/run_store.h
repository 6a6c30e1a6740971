// Storing a `fusion run` in the run cache (launcher/run_cache.h): the executable `fusion build`
// would make, but for the host CPU as the JIT compiles, linked in a background process.
#pragma once

#include <llvm/IR/Module.h>
#include <llvm/Target/TargetMachine.h>

#include <string>
#include <vector>

#include "launcher/run_cache.h"

namespace fusion::driver {

// What the store links: the runtime archive and the symbols the program exports (as `build`).
struct RunStoreInput {
  std::string entry_dir;  // launcher::EntryDir
  launcher::Manifest manifest;  // the files read and the candidates found absent; exe filled in here
  std::string runtime;  // libfusion_rt.a
  std::vector<std::string> exported;
};

// Starts a background process (detached: the program's own waits never see it, its output goes
// nowhere unless FUSION_CACHE_LOG=1) that emits `module` as an object with `tm`, links it and
// publishes the entry, holding the entry's lock throughout. Returns at once; does nothing when
// another process is storing the same entry. Call it while this process has one thread (before
// the JIT starts): it forks. A failure is silent except under FUSION_CACHE_LOG=1.
void StoreRunInBackground(const RunStoreInput& in, const llvm::Module& module, llvm::TargetMachine& tm);

}  // namespace fusion::driver
