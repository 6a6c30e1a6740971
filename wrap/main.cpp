// fusion-wrap: the program behind `fusion wrap SPEC` (run from beside `fusion`, so that only this
// command loads libclang). Spec → Api → the shim source, the Fusion file and the report, then the
// shim built into a shared library with the system C++ compiler.
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "wrap/wrap.h"

namespace {

constexpr const char* kUsage = R"(usage: fusion wrap SPEC [-o DIR] [-L DIR] [--no-build]

Makes a C++ library callable from Fusion: reads the headers the spec names with libclang, and
writes, for the spec's `name` N,
  N_shim.cpp      a C++ shim of extern "C" functions (exceptions caught, their message returned)
  libN_shim.so    the shim, built with the system C++ compiler ($CXX, default c++)
  N.fu            the Fusion declarations of the shim, and a function per declaration that
                  panics with the C++ exception's message at its caller's place
  N.report        every declaration the spec names that could not be translated, and why
The spec format is in docs/cxx.md.

options:
  -o DIR        where to write (default: the spec's `output`, else the spec's directory)
  -L DIR        also link the shim against libraries in DIR (and find them there at run time),
                as the spec's `libdir` does
  --no-build    write the files, but do not build the shim
)";

auto UsageError(const std::string& message) -> int {
  std::fprintf(stderr, "fusion wrap: error: %s\n(run `fusion wrap --help` for usage)\n", message.c_str());
  return 2;
}

auto WriteFile(const std::string& path, const std::string& text) -> bool {
  std::ofstream out(path, std::ios::binary);
  out << text;
  if (out.flush()) return true;
  std::fprintf(stderr, "fusion wrap: error: cannot write `%s`\n", path.c_str());
  return false;
}

// Runs `argv` and waits; its output goes to ours.
auto RunCommand(const std::vector<std::string>& argv) -> bool {
  pid_t pid = fork();
  if (pid < 0) return false;
  if (pid == 0) {
    std::vector<char*> args;
    for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execvp(args[0], args.data());
    std::fprintf(stderr, "fusion wrap: error: cannot run `%s`: %s\n", args[0], std::strerror(errno));
    _exit(127);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

auto BuildShim(const fusion::wrap::Spec& spec, const std::string& source, const std::string& library) -> bool {
  const char* cxx = std::getenv("CXX");
  std::vector<std::string> argv = {cxx && *cxx ? cxx : "c++", "-std=" + spec.std_version, "-shared", "-fPIC", "-O2", "-w",
                                   "-I" + spec.dir};
  for (const std::string& d : spec.include_dirs) argv.push_back("-I" + d);
  for (const std::string& f : spec.flags) argv.push_back(f);
  argv.push_back("-o");
  argv.push_back(library);
  argv.push_back(source);
  for (const std::string& d : spec.lib_dirs) argv.push_back("-L" + d), argv.push_back("-Wl,-rpath," + d);
  for (const std::string& l : spec.libs) argv.push_back("-l" + l);
  if (RunCommand(argv)) return true;
  std::string line;
  for (const std::string& a : argv) line += (line.empty() ? "" : " ") + a;
  std::fprintf(stderr, "fusion wrap: error: building the shim failed: %s\n", line.c_str());
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  std::string spec_path, out_dir;
  std::vector<std::string> lib_dirs;
  bool build = true;
  for (int i = 1; i < argc; i++) {
    std::string a = argv[i];
    if (a == "-h" || a == "--help") {
      std::fputs(kUsage, stdout);
      return 0;
    }
    if (a == "--no-build") {
      build = false;
    } else if (a == "-o") {
      if (i + 1 >= argc) return UsageError("`-o` needs a directory");
      out_dir = argv[++i];
    } else if (a == "-L") {
      if (i + 1 >= argc) return UsageError("`-L` needs a directory");
      lib_dirs.push_back(std::filesystem::absolute(argv[++i]).string());
    } else if (!a.empty() && a[0] == '-') {
      return UsageError("unknown option `" + a + "`");
    } else if (spec_path.empty()) {
      spec_path = a;
    } else {
      return UsageError("more than one spec (`" + spec_path + "`, `" + a + "`)");
    }
  }
  if (spec_path.empty()) return UsageError("no spec given");
  fusion::wrap::Spec spec;
  if (!fusion::wrap::ParseSpec(spec_path, spec)) return 1;
  if (!out_dir.empty()) spec.output_dir = out_dir;
  spec.lib_dirs.insert(spec.lib_dirs.end(), lib_dirs.begin(), lib_dirs.end());
  std::error_code ec;
  std::filesystem::create_directories(spec.output_dir, ec);
  fusion::wrap::Api api;
  if (!fusion::wrap::Collect(spec, api)) return 1;
  std::string base = spec.output_dir + "/" + spec.name;
  std::string shim = base + "_shim.cpp";
  std::string library = spec.output_dir + "/lib" + fusion::wrap::ShimLib(spec) + ".so";
  if (!WriteFile(shim, fusion::wrap::EmitShim(spec, api)) || !WriteFile(base + ".fu", fusion::wrap::EmitFusion(spec, api)) ||
      !WriteFile(base + ".report", fusion::wrap::EmitReport(spec, api)))
    return 1;
  if (build && !BuildShim(spec, shim, library)) return 1;
  std::fprintf(stderr, "fusion wrap: %zu functions in %s.fu; %zu declarations not translated (listed in %s.report)\n",
               api.fns.size(), base.c_str(), api.skipped.size(), base.c_str());
  return 0;
}
