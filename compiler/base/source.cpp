// Source files: line tables for turning byte offsets into line:col.
#include "base/source.h"

#include <algorithm>

namespace fusion {

SourceFile::SourceFile(std::string path, std::string text)
    : path_(std::move(path)), text_(std::move(text)) {
  line_starts_.push_back(0);
  for (uint32_t i = 0; i < text_.size(); i++)
    if (text_[i] == '\n') line_starts_.push_back(i + 1);
}

auto SourceFile::LineColOf(uint32_t offset) const -> LineCol {
  auto it = std::upper_bound(line_starts_.begin(), line_starts_.end(), offset);
  uint32_t line = static_cast<uint32_t>(it - line_starts_.begin());
  return {line, offset - line_starts_[line - 1] + 1};
}

auto SourceFile::LineText(uint32_t line) const -> std::string_view {
  if (line == 0 || line > line_starts_.size()) return {};
  uint32_t begin = line_starts_[line - 1];
  uint32_t end = line < line_starts_.size() ? line_starts_[line] - 1 : text_.size();
  std::string_view s = std::string_view(text_).substr(begin, end - begin);
  if (!s.empty() && s.back() == '\r') s.remove_suffix(1);
  return s;
}

SourceManager::SourceManager() { files_.push_back(nullptr); }

auto SourceManager::Add(std::string path, std::string text) -> uint32_t {
  files_.push_back(std::make_unique<SourceFile>(std::move(path), std::move(text)));
  return static_cast<uint32_t>(files_.size() - 1);
}

}  // namespace fusion
