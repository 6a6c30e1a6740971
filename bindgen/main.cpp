// fusion-bindgen: the program behind `fusion bindgen` (the driver runs it from beside itself, so
// that libclang is loaded only by this command).
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <regex>

#include "bindgen/bindgen.h"

namespace {

constexpr const char* kUsage = R"(usage: fusion bindgen HEADER... [options] -o OUT.fu

Turns C headers into Fusion declarations: functions (in one extern block), structs and unions
(each with @layout from clang's record layout), enums (with flat constants), typedefs, opaque
types, function-pointer types, and #define constants that clang can evaluate. What cannot be
translated is listed, with the reason, in a comment at the top of the output.

options:
  -I DIR            add an include directory
  -D NAME[=VALUE]   define a macro
  --lib NAME        the library of the extern block (`extern "NAME" { ... }`); without it,
                    `extern { ... }` (symbols of the running program)
  --allow REGEX     translate only declarations whose C name matches (repeatable), and what they
                    need; without it, everything declared in the named headers
  --block REGEX     leave out declarations whose C name matches (repeatable)
  --also-from REGEX  translate the declarations of headers whose path matches too, as if the
                    named headers had them (`bits/mathcalls\.h$` for math.h; repeatable)
  --no-follow       translate only the named headers, not also the headers they #include from
                    their own directory (curl.h's easy.h) (see docs/bindgen.md)
  --safe REGEX      declare matching functions `safe fn` (callable outside `unsafe`); only those
                    without pointer parameters and not variadic, which no argument can make
                    misbehave (repeatable)
  --noalloc REGEX   declare matching functions `@noalloc`, so that @noalloc Fusion functions may
                    call them: a promise that the C function never allocates, which nothing
                    checks (repeatable)
  --on-load FN      put @on_load(FN) on the extern block
  --layout-probe P  also write P.c and P.fu, which print every record's size, alignment and field
                    offsets as clang and as Fusion compute them (their outputs must be equal)
  -o FILE           where to write (`-` for stdout)
)";

auto UsageError(const std::string& message) -> int {
  std::fprintf(stderr, "fusion bindgen: error: %s\n(run `fusion bindgen --help` for usage)\n", message.c_str());
  return 2;
}

auto WriteFile(const std::string& path, const std::string& text) -> bool {
  std::ofstream out(path, std::ios::binary);
  out << text;
  if (out.flush()) return true;
  std::fprintf(stderr, "fusion bindgen: error: cannot write `%s`\n", path.c_str());
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  fusion::bindgen::Options o;
  for (int i = 1; i < argc; i++) {
    std::string a = argv[i];
    auto value = [&](std::string& into) -> bool {
      if (i + 1 >= argc) return false;
      into = argv[++i];
      return true;
    };
    if (a == "-h" || a == "--help") {
      std::fputs(kUsage, stdout);
      return 0;
    }
    if (a == "--no-follow") {
      o.follow = false;
      o.command.push_back(a);
      continue;
    }
    std::string v;
    if (a == "-o" || a == "-I" || a == "-D" || a == "--lib" || a == "--allow" || a == "--block" || a == "--on-load" || a == "--also-from" || a == "--safe" ||
        a == "--noalloc" || a == "--layout-probe") {
      if (!value(v)) return UsageError("`" + a + "` needs an argument");
    } else if (a.size() > 2 && (a.rfind("-I", 0) == 0 || a.rfind("-D", 0) == 0)) {
      v = a.substr(2);
      a = a.substr(0, 2);
    } else if (!a.empty() && a[0] == '-') {
      return UsageError("unknown option `" + a + "`");
    } else {
      o.headers.push_back(a);
      o.command.push_back(a);
      continue;
    }
    if (a == "-o") { o.output = v; continue; }
    if (a == "--layout-probe") { o.layout_probe = v; continue; }
    o.command.push_back(a);
    o.command.push_back(v);
    if (a == "-I") o.include_dirs.push_back(v);
    else if (a == "-D") o.defines.push_back(v);
    else if (a == "--lib") o.lib = v;
    else if (a == "--on-load") o.on_load = v;
    else {
      try {
        std::regex check(v);
      } catch (const std::regex_error& e) {
        return UsageError("`" + a + " " + v + "`: not a regular expression (" + e.what() + ")");
      }
      (a == "--allow"     ? o.allow
       : a == "--block"   ? o.block
       : a == "--safe"    ? o.safe
       : a == "--noalloc" ? o.noalloc
                          : o.also_from)
          .push_back(v);
    }
  }
  if (o.headers.empty()) return UsageError("no header given");
  if (o.output.empty()) return UsageError("no output file (-o FILE, or -o - for stdout)");
  if (o.output == "-" && !o.layout_probe.empty())
    return UsageError("--layout-probe needs the bindings in a file (-o FILE), which its Fusion half imports");
  for (const std::string& h : o.headers) {
    if (!std::ifstream(h)) {
      bool found = false;
      for (const std::string& d : o.include_dirs) found |= static_cast<bool>(std::ifstream(d + "/" + h));
      if (!found) {
        std::fprintf(stderr, "fusion bindgen: error: cannot read header `%s`\n", h.c_str());
        return 1;
      }
    }
  }
  fusion::bindgen::Collection collection;
  if (!fusion::bindgen::Collect(o, collection)) return 1;
  for (const std::string& h : collection.not_followed)
    std::fprintf(stderr, "fusion bindgen: note: not translated: %s, whose directory is an include directory; name it, or --also-from REGEX\n", h.c_str());
  std::string text = fusion::bindgen::Emit(collection, o);
  if (o.output == "-") {
    std::fwrite(text.data(), 1, text.size(), stdout);
    return 0;
  }
  if (!WriteFile(o.output, text)) return 1;
  if (!o.layout_probe.empty()) {
    std::string c_text, fusion_text;
    fusion::bindgen::EmitLayoutProbe(collection, o, std::filesystem::absolute(o.output).string(), c_text, fusion_text);
    if (!WriteFile(o.layout_probe + ".c", c_text) || !WriteFile(o.layout_probe + ".fu", fusion_text)) return 1;
  }
  return 0;
}
