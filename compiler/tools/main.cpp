// fusion-tools: the editor tools, which the launcher `fusion` execs (front end only, no LLVM):
//   fusion lsp [-I DIR]...                the language server, over stdin and stdout (lsp/)
//   fusion fmt [--check|--stdout] PATH... the formatter (fmt/): files, or directories' .fu files
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "driver/load.h"
#include "fmt/fmt.h"
#include "lsp/server.h"

namespace {

namespace fs = std::filesystem;

constexpr const char* kLspUsage = R"(usage: fusion lsp [-I DIR]...

The Fusion language server: the Language Server Protocol over standard input and output, for
editors (docs/tooling.md). It reports the diagnostics `fusion check` reports as a file is edited,
and answers hover, go to definition, find references, document symbols, completion and signature
help.

  -I DIR    search DIR for imports, as `fusion check -I DIR` does
)";

constexpr const char* kFmtUsage = R"(usage: fusion fmt [--check | --stdout] PATH...

Formats Fusion source in Fusion's one layout (docs/tooling.md), in place. A directory stands for
the .fu files under it. A file that does not parse is left as it is, and its errors are reported.

  --check   change nothing: list the files that are not formatted, and exit with 1 if any is
  --stdout  write the formatted text to standard output instead of the file
)";

auto ExePath(const char* argv0) -> std::string {
  char buf[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return argv0;
  buf[n] = 0;
  return buf;
}

auto Lsp(int argc, char** argv) -> int {
  fusion::lsp::ServerOptions options;
  options.version = FUSION_VERSION;
  for (int i = 2; i < argc; i++) {
    std::string a = argv[i];
    if (a == "--help" || a == "-h") {
      std::cout << kLspUsage;
      return 0;
    }
    if (a == "-I" && i + 1 < argc) options.include_dirs.push_back(argv[++i]);
    else if (a.rfind("-I", 0) == 0 && a.size() > 2) options.include_dirs.push_back(a.substr(2));
    else if (a == "--stdio") continue;  // what editors pass; stdio is the only transport
    else {
      std::cerr << "fusion lsp: error: unknown argument `" << a << "`\n" << kLspUsage;
      return 2;
    }
  }
  options.library_dirs = fusion::driver::DefaultLibraryDirs(ExePath(argv[0]));
  std::ios::sync_with_stdio(false);
  fusion::lsp::Server server(std::cin, std::cout, options);
  return server.Run();
}

auto Fmt(int argc, char** argv) -> int {
  bool check = false, to_stdout = false;
  std::vector<std::string> files;
  for (int i = 2; i < argc; i++) {
    std::string a = argv[i];
    if (a == "--help" || a == "-h") {
      std::cout << kFmtUsage;
      return 0;
    }
    if (a == "--check") check = true;
    else if (a == "--stdout") to_stdout = true;
    else if (a.size() > 1 && a[0] == '-') {
      std::cerr << "fusion fmt: error: unknown option `" << a << "`\n" << kFmtUsage;
      return 2;
    } else {
      std::error_code ec;
      if (fs::is_directory(a, ec)) {
        std::vector<std::string> found;
        for (const auto& e : fs::recursive_directory_iterator(a, ec))
          if (e.is_regular_file() && e.path().extension() == ".fu") found.push_back(e.path().string());
        std::sort(found.begin(), found.end());
        files.insert(files.end(), found.begin(), found.end());
      } else {
        files.push_back(a);
      }
    }
  }
  if (files.empty()) {
    std::cerr << "fusion fmt: error: no files given\n" << kFmtUsage;
    return 2;
  }
  if (check && to_stdout) {
    std::cerr << "fusion fmt: error: `--check` and `--stdout` do not go together\n";
    return 2;
  }
  int failed = 0, unformatted = 0;
  for (const std::string& path : files) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
      std::cerr << "fusion fmt: error: cannot read `" << path << "`: " << std::strerror(errno) << "\n";
      failed++;
      continue;
    }
    std::stringstream ss;
    ss << in.rdbuf();
    std::string text = ss.str();
    fusion::SourceManager sources;
    fusion::diag::Consumer diags(sources);
    uint32_t id = sources.Add(path, text);
    std::string out;
    if (!fusion::fmt::Format(sources, id, diags, out)) {
      std::cerr << "fusion fmt: `" << path << "` does not parse; left as it is\n";
      failed++;
      continue;
    }
    if (to_stdout) {
      std::cout << out;
      continue;
    }
    if (out == text) continue;
    if (check) {
      std::cout << path << "\n";
      unformatted++;
      continue;
    }
    std::ofstream o(path, std::ios::binary | std::ios::trunc);
    o << out;
    if (!o) {
      std::cerr << "fusion fmt: error: cannot write `" << path << "`\n";
      failed++;
    }
  }
  return failed || unformatted ? 1 : 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 2 && std::strcmp(argv[1], "lsp") == 0) return Lsp(argc, argv);
  if (argc >= 2 && std::strcmp(argv[1], "fmt") == 0) return Fmt(argc, argv);
  std::cerr << "fusion-tools: run as `fusion lsp` or `fusion fmt`\n";
  return 2;
}
