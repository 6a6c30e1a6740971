// fusion-lsp: `fusion lsp [-I DIR]…`, the language server, over stdin and stdout. A program of
// its own (front end only, no LLVM), which the launcher `fusion` execs.
#include <unistd.h>

#include <climits>
#include <cstring>
#include <iostream>
#include <string>

#include "driver/load.h"
#include "lsp/server.h"

namespace {

constexpr const char* kUsage = R"(usage: fusion lsp [-I DIR]...

The Fusion language server: the Language Server Protocol over standard input and output, for
editors (docs/tooling.md). It reports the diagnostics `fusion check` reports as a file is edited,
and answers hover, go to definition, find references, document symbols, completion and signature
help.

  -I DIR    search DIR for imports, as `fusion check -I DIR` does
)";

auto ExePath(const char* argv0) -> std::string {
  char buf[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return argv0;
  buf[n] = 0;
  return buf;
}

}  // namespace

int main(int argc, char** argv) {
  fusion::lsp::ServerOptions options;
  options.version = FUSION_VERSION;
  for (int i = 1; i < argc; i++) {
    std::string a = argv[i];
    if (a == "--help" || a == "-h") {
      std::cout << kUsage;
      return 0;
    }
    if (a == "-I" && i + 1 < argc) options.include_dirs.push_back(argv[++i]);
    else if (a.rfind("-I", 0) == 0 && a.size() > 2) options.include_dirs.push_back(a.substr(2));
    else if (a == "--stdio") continue;  // what editors pass; stdio is the only transport
    else {
      std::cerr << "fusion lsp: unknown argument `" << a << "`\n" << kUsage;
      return 2;
    }
  }
  options.library_dirs = fusion::driver::DefaultLibraryDirs(ExePath(argv[0]));
  std::ios::sync_with_stdio(false);
  fusion::lsp::Server server(std::cin, std::cout, options);
  return server.Run();
}
