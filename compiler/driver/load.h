// Loading a program: the main file and, transitively, the files it imports.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base/diag.h"
#include "base/source.h"
#include "parse/ast.h"

namespace fusion::driver {

struct LoadOptions {
  std::vector<std::string> include_dirs;  // -I
  std::vector<std::string> library_dirs;  // the installed library directory, after FUSION_PATH
  // When set, receives every import candidate that was looked for and was not a file (the run
  // cache checks that none has appeared since, which would change what an import finds).
  std::vector<std::string>* absent = nullptr;
  // Texts that replace files' contents, by canonical path (`fusion lsp`: an editor's unsaved
  // buffers); a path here is read from here, whether or not the file exists.
  const std::map<std::string, std::string>* overlay = nullptr;
};

// The key of `path` in LoadOptions::overlay.
auto OverlayKey(const std::string& path) -> std::string;

// Reads, lexes and parses `path` and every file it imports (each once). The main file's tree
// comes first. Errors (unreadable files, unresolved imports, syntax errors) go to `diags`.
auto Load(const std::string& path, const LoadOptions& options, SourceManager& sources,
          diag::Consumer& diags) -> std::vector<std::unique_ptr<ast::Tree>>;

// Where `fusion` finds its library (`import "libc"`): beside the executable or in the source tree.
auto DefaultLibraryDirs(const std::string& exe_path) -> std::vector<std::string>;

}  // namespace fusion::driver
