// The cache of `fusion run`: a compiled program's executable kept with the list of every file its
// compilation read, so that running an unchanged program skips the compiler. No LLVM: the
// launcher (`fusion`) uses it to find a hit, the compiler (`fusion-compiler`) to store an entry.
//
// Layout (docs/internals.md, "The run cache"): DIR/run/KEY/{manifest, exe-*, lock}, DIR being
// $FUSION_CACHE, else $XDG_CACHE_HOME/fusion, else ~/.cache/fusion. KEY hashes what is known
// before any file is read (RunRequest, the compiler's identity, the working directory,
// FUSION_PATH, the host CPU); the manifest then lists every file read and every import candidate
// found absent, with content hashes, which a hit must find unchanged.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace fusion::launcher {

// `fusion run [options] FILE.fu [ARGS...]`, as far as it decides the compiled program.
struct RunRequest {
  std::string input;  // FILE.fu as given: the program's argv[0] and its source paths
  std::vector<std::string> program_args;
  int opt = 2;  // -O0..-O3
  bool debug_full = false;  // -g
  bool check_kernels = false;  // --check-kernels
  std::string gpu_arch = "sm_80";  // --gpu-arch (checked by the compiler, not here)
  std::vector<std::string> include_dirs;  // -I, in order
  std::vector<std::string> library_dirs;  // -L, in order
  std::string device;  // --device: FUSION_DEVICE for the program; "" leaves it as it is
};

// Parses `argv` as `fusion run …` into `req`. False for any other command and for anything the
// cache does not know how to key (an unknown option, a missing value, no input): the compiler
// then runs and decides, and stores nothing. The compiler parses with this too, so the launcher
// and the compiler always compute the same key.
auto ParseRunArgs(int argc, char** argv, RunRequest& req) -> bool;

// DIR/run, or "" when FUSION_CACHE=off or no directory can be named (no HOME).
auto RunCacheDir() -> std::string;

// The entry directory for `req` run by the compiler at `compiler_path`: DIR/run/KEY. "" when the
// cache is off or the compiler cannot be stat'ed.
auto EntryDir(const RunRequest& req, const std::string& compiler_path) -> std::string;

// A 128-bit hash of bytes, as 32 hex digits. For noticing changes, not for resisting an adversary
// (the cache is the user's own directory).
class Hasher {
 public:
  void Add(const void* data, size_t size);
  void AddString(const std::string& s);  // length-prefixed, so that ("ab","c") != ("a","bc")
  auto Hex() const -> std::string;

 private:
  uint64_t a_ = 0x9E3779B97F4A7C15ull, b_ = 0xC2B2AE3D27D4EB4Full, length_ = 0;
};

auto HashBytes(const std::string& bytes) -> std::string;

// Every file a compilation read (with the hash of the text it read) and every import candidate it
// found absent; the executable's file name inside the entry directory and the hash of its bytes.
struct Manifest {
  struct File {
    std::string path, hash;
  };
  std::vector<File> files;
  std::vector<std::string> absent;
  std::string exe, exe_hash;
};

auto FormatManifest(const Manifest& m) -> std::string;
// False for a manifest that is truncated, corrupt (its checksum line disagrees) or of another format.
auto ParseManifest(const std::string& text, Manifest& m) -> bool;

// The executable of the entry in `entry_dir` when every file it lists still hashes the same, every
// absent candidate is still absent, and the executable is intact; else "" with `why` saying which.
auto Lookup(const std::string& entry_dir, std::string& why) -> std::string;

// Holding the entry's lock while an entry is written. Returns the lock's descriptor (close-on-exec),
// or -1 when another process holds it (storing the same key now) or it cannot be created.
auto TryLockEntry(const std::string& entry_dir) -> int;
// Waits while another process holds the entry's lock (an entry being stored), up to `max_ms`.
// True when it waited for one.
auto WaitForStore(const std::string& entry_dir, int max_ms) -> bool;

// Publishes an entry: `exe_tmp` (a finished executable inside `entry_dir`) becomes exe-<unique>,
// then the manifest listing it replaces the old one (both by rename, so a reader sees the old
// entry or the new one, never half of either), then the old executable goes.
auto Commit(const std::string& entry_dir, const std::string& exe_tmp, Manifest m, std::string& error) -> bool;

// FUSION_CACHE_LOG=1: "fusion: cache: …" on stderr.
auto LogEnabled() -> bool;
void Log(const std::string& line);

}  // namespace fusion::launcher
