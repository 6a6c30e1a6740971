// Storing a `fusion run` in the run cache, in a background process (see run_store.h).
#include "driver/run_store.h"

#include "fusion/rt_cache.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>

#include "codegen/codegen.h"

namespace fusion::driver {

namespace {

// In the detached process: object, executable, entry. True when the entry is published.
auto Store(const RunStoreInput& in, const llvm::Module& module, llvm::TargetMachine& tm, std::string& error) -> bool {
  std::string obj = in.entry_dir + "/obj.tmp-" + std::to_string(getpid()) + ".o";
  std::string exe = in.entry_dir + "/exe.tmp-" + std::to_string(getpid());
  // EmitFile runs the code generator's passes over the module: this process's copy of it.
  bool ok = codegen::EmitFile(const_cast<llvm::Module&>(module), tm, codegen::FileKind::Object, obj, error) &&
            codegen::LinkExecutable(obj, in.runtime, exe, in.exported, error);
  unlink(obj.c_str());
  if (ok) ok = launcher::Commit(in.entry_dir, exe, in.manifest, error);
  if (!ok) unlink(exe.c_str());
  if (ok) rt_cache_trim();  // the cap covers run entries too (least recently used first)
  return ok;
}

}  // namespace

void StoreRunInBackground(const RunStoreInput& in, const llvm::Module& module, llvm::TargetMachine& tm) {
  int lock = launcher::TryLockEntry(in.entry_dir);
  if (lock < 0) {
    launcher::Log("not stored: the entry is locked or cannot be created (" + in.entry_dir + ")");
    return;
  }
  pid_t child = fork();
  if (child == 0) {
    // The grandchild does the work, adopted by init, so that the program never reaps it or
    // waits for it; in a session of its own, so that ^C to the program does not stop it.
    if (fork() != 0) _exit(0);
    setsid();
    int null = open("/dev/null", O_RDWR);
    dup2(null, 0);
    dup2(null, 1);
    if (!launcher::LogEnabled()) dup2(null, 2);
    // Nothing else of the caller's stays open here (a pipe someone waits to see closed), but the lock.
    dup2(lock, 3);
    close_range(4, ~0U, 0);
    std::string error;
    bool ok = Store(in, module, tm, error);
    launcher::Log(ok ? "stored " + in.entry_dir : "not stored: " + error);
    // No exit(): the parent's stdio buffers and destructors belong to the parent.
    _exit(ok ? 0 : 1);
  }
  if (child > 0) waitpid(child, nullptr, 0);
  else launcher::Log("not stored: cannot fork");
  close(lock);  // the grandchild holds the lock until it ends
}

}  // namespace fusion::driver
