// Loading a program: reading files, resolving `import` paths, parsing each file once.
#include "driver/load.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "lex/lex.h"
#include "parse/parse.h"

namespace fusion::driver {

namespace fs = std::filesystem;

namespace {

auto ReadFile(const std::string& path, std::string& out, std::string& error) -> bool {
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    error = "is a directory";
    return false;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = std::strerror(errno);
    return false;
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  out = ss.str();
  return true;
}

auto WithExtension(const std::string& p) -> std::string {
  return fs::path(p).extension() == ".fu" ? p : p + ".fu";
}

class Loader {
 public:
  Loader(const LoadOptions& options, SourceManager& sources, diag::Consumer& diags)
      : options_(options), sources_(sources), diags_(diags) {}

  auto LoadAll(const std::string& main_path) -> std::vector<std::unique_ptr<ast::Tree>> {
    std::string text, error;
    if (!Read(main_path, text, error)) {
      diags_.Report(diag::Kind::CannotReadFile, SourceLoc{}, {main_path, error});
      return {};
    }
    LoadFile(main_path, std::move(text), /*is_main=*/true);
    return std::move(trees_);
  }

 private:
  void LoadFile(const std::string& path, std::string text, bool is_main) {
    std::error_code ec;
    std::string key = fs::weakly_canonical(path, ec).string();
    loaded_[key] = true;
    uint32_t id = sources_.Add(path, std::move(text));
    lex::TokenizedBuffer tokens = lex::Lex(sources_, id, diags_);
    auto tree = std::make_unique<ast::Tree>(parse::Parse(tokens, diags_));
    ast::Tree* raw = tree.get();
    trees_.push_back(std::move(tree));
    for (ast::Decl* d : raw->decls)
      if (auto* imp = ast::As<ast::ImportDecl>(d)) Import(path, imp);
    (void)is_main;
  }

  void Import(const std::string& from, ast::ImportDecl* imp) {
    std::vector<std::string> tried;
    std::vector<std::string> candidates;
    std::string rel = WithExtension(imp->path);
    if (fs::path(rel).is_absolute()) {
      candidates.push_back(rel);
    } else {
      candidates.push_back((fs::path(from).parent_path() / rel).string());
      for (const std::string& d : options_.include_dirs) candidates.push_back((fs::path(d) / rel).string());
      if (const char* env = std::getenv("FUSION_PATH")) {
        std::stringstream ss(env);
        std::string dir;
        while (std::getline(ss, dir, ':'))
          if (!dir.empty()) candidates.push_back((fs::path(dir) / rel).string());
      }
      for (const std::string& d : options_.library_dirs) candidates.push_back((fs::path(d) / rel).string());
    }
    std::error_code from_ec;
    std::string from_key = fs::weakly_canonical(from, from_ec).string();
    for (const std::string& c : candidates) {
      std::error_code ec;
      bool in_overlay = options_.overlay && options_.overlay->count(OverlayKey(c));
      if (!in_overlay && !fs::is_regular_file(c, ec)) {
        tried.push_back("`" + c + "`");
        if (options_.absent) options_.absent->push_back(c);
        continue;
      }
      std::string key = fs::weakly_canonical(c, ec).string();
      // A file never imports itself: `import "mpi"` in a program named mpi.fu means the library.
      if (key == from_key) {
        tried.push_back("`" + c + "` (the importing file itself)");
        continue;
      }
      if (loaded_.count(key)) return;  // each file once
      std::string text, error;
      if (!Read(c, text, error)) {
        diags_.Report(diag::Kind::CannotReadFile, imp->range, {c, error});
        return;
      }
      size_t index = trees_.size();
      LoadFile(c, std::move(text), false);
      if (!trees_[index]->stmts.empty())
        diags_.Report(diag::Kind::ImportHasStatements, imp->range, {c});
      return;
    }
    std::string list;
    for (size_t i = 0; i < tried.size(); i++) list += (i ? ", " : "") + tried[i];
    diags_.Report(diag::Kind::ImportNotFound, imp->range, {imp->path, list});
  }

  auto Read(const std::string& path, std::string& out, std::string& error) -> bool {
    if (options_.overlay) {
      auto it = options_.overlay->find(OverlayKey(path));
      if (it != options_.overlay->end()) return out = it->second, true;
    }
    return ReadFile(path, out, error);
  }

  const LoadOptions& options_;
  SourceManager& sources_;
  diag::Consumer& diags_;
  std::vector<std::unique_ptr<ast::Tree>> trees_;
  std::map<std::string, bool> loaded_;
};

}  // namespace

auto Load(const std::string& path, const LoadOptions& options, SourceManager& sources,
          diag::Consumer& diags) -> std::vector<std::unique_ptr<ast::Tree>> {
  return Loader(options, sources, diags).LoadAll(path);
}

auto OverlayKey(const std::string& path) -> std::string {
  std::error_code ec;
  fs::path p = fs::weakly_canonical(fs::absolute(path, ec), ec);
  return ec ? path : p.string();
}

auto DefaultLibraryDirs(const std::string& exe_path) -> std::vector<std::string> {
  std::vector<std::string> dirs;
  std::error_code ec;
  fs::path installed = fs::path(exe_path).parent_path() / ".." / "lib" / "fusion";
  if (fs::is_directory(installed, ec)) dirs.push_back(installed.lexically_normal().string());
#ifdef FUSION_SOURCE_LIB_DIR
  dirs.push_back(FUSION_SOURCE_LIB_DIR);
#endif
  return dirs;
}

}  // namespace fusion::driver
