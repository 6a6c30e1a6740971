// The `fusion` executable: a launcher without LLVM. `fusion run` of an unchanged program executes
// the executable the run cache kept for it; everything else is handed to `fusion-compiler` (and
// `fusion bindgen` to `fusion-bindgen`, `fusion wrap` to `fusion-wrap`, `fusion lsp` and `fusion
// fmt` to `fusion-tools`) beside this executable.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "launcher/run_cache.h"

namespace fusion::launcher {

namespace {

// The directory of this executable, from /proc/self/exe (whatever argv[0] says).
auto OwnDir() -> std::string {
  char buf[4096];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return ".";
  buf[n] = 0;
  std::string path(buf);
  return path.substr(0, path.rfind('/'));
}

// Replaces this process with `path`, passing argv[first..] after `argv0`. Returns only on failure.
auto Exec(const std::string& path, const char* argv0, int argc, char** argv, int first) -> int {
  std::vector<char*> args = {const_cast<char*>(argv0)};
  for (int i = first; i < argc; i++) args.push_back(argv[i]);
  args.push_back(nullptr);
  execv(path.c_str(), args.data());
  std::fprintf(stderr, "fusion: error: cannot run `%s`: %s\n", path.c_str(), std::strerror(errno));
  return 1;
}

// A hit: the cached executable, with the program's arguments as `fusion run` gives them (argv[0]
// is FILE.fu as written) and FUSION_DEVICE as --device sets it. Returns only on failure.
void ExecHit(const std::string& exe, const RunRequest& req) {
  std::vector<char*> args = {const_cast<char*>(req.input.c_str())};
  for (const std::string& a : req.program_args) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  if (!req.device.empty()) setenv("FUSION_DEVICE", req.device.c_str(), 1);
  execv(exe.c_str(), args.data());
  Log("cannot run the cached `" + exe + "`: " + std::strerror(errno) + "; compiling");
}

// `fusion run`: the cached executable when the entry is current, else nothing (the compiler runs
// and stores a new entry). A store still in progress for the same key is waited for, so that a
// run straight after a first run is a hit.
void TryCache(int argc, char** argv, const std::string& compiler) {
  RunRequest req;
  if (!ParseRunArgs(argc, argv, req)) return;
  std::string entry = EntryDir(req, compiler);
  if (entry.empty()) return;
  std::string why;
  std::string exe = Lookup(entry, why);
  if (exe.empty() && WaitForStore(entry, 10000)) exe = Lookup(entry, why);
  if (exe.empty()) {
    Log("miss: " + why + " (" + entry + ")");
    return;
  }
  Log("hit: " + exe);
  utimensat(AT_FDCWD, (entry + "/manifest").c_str(), nullptr, 0);  // just used: the last to be evicted
  ExecHit(exe, req);
}

}  // namespace

auto Main(int argc, char** argv) -> int {
  std::string dir = OwnDir();
  if (argc >= 2 && std::strcmp(argv[1], "bindgen") == 0) return Exec(dir + "/fusion-bindgen", argv[0], argc, argv, 2);
  if (argc >= 2 && std::strcmp(argv[1], "wrap") == 0) return Exec(dir + "/fusion-wrap", argv[0], argc, argv, 2);
  if (argc >= 2 && (std::strcmp(argv[1], "lsp") == 0 || std::strcmp(argv[1], "fmt") == 0))
    return Exec(dir + "/fusion-tools", argv[0], argc, argv, 1);
  std::string compiler = dir + "/fusion-compiler";
  if (argc >= 2 && std::strcmp(argv[1], "run") == 0) TryCache(argc, argv, compiler);
  return Exec(compiler, argv[0], argc, argv, 1);
}

}  // namespace fusion::launcher

int main(int argc, char** argv) { return fusion::launcher::Main(argc, argv); }
