// Source files and positions: every token and node carries a SourceLoc into a SourceManager.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace fusion {

struct SourceLoc {
  uint32_t file = 0;    // index into SourceManager; 0 is "no file"
  uint32_t offset = 0;  // byte offset into the file's text
  auto valid() const -> bool { return file != 0; }
};

// A half-open byte range in one file, for underlining.
struct SourceRange {
  SourceLoc begin;
  uint32_t end = 0;  // byte offset one past the last character
};

struct LineCol {
  uint32_t line = 0;  // 1-based
  uint32_t col = 0;   // 1-based, in bytes
};

class SourceFile {
 public:
  SourceFile(std::string path, std::string text);
  auto path() const -> const std::string& { return path_; }
  auto text() const -> std::string_view { return text_; }
  auto LineColOf(uint32_t offset) const -> LineCol;
  // The text of the 1-based line `line`, without its newline.
  auto LineText(uint32_t line) const -> std::string_view;

 private:
  std::string path_;
  std::string text_;
  std::vector<uint32_t> line_starts_;
};

class SourceManager {
 public:
  SourceManager();
  // Adds a file and returns its id (never 0).
  auto Add(std::string path, std::string text) -> uint32_t;
  auto file(uint32_t id) const -> const SourceFile& { return *files_[id]; }
  auto size() const -> size_t { return files_.size(); }
  auto LineColOf(SourceLoc loc) const -> LineCol { return files_[loc.file]->LineColOf(loc.offset); }

 private:
  std::vector<std::unique_ptr<SourceFile>> files_;
};

}  // namespace fusion
