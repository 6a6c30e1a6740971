// The spec file of `fusion wrap`: one `key value…` per line, `#` comments, a `cxx <<END` block
// (docs/cxx.md). Errors are `spec:line:col: error: …`.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "wrap/wrap.h"

namespace fusion::wrap {

auto Pattern::Matches(const std::string& qualified) const -> bool {
  bool m = is_regex ? std::regex_match(qualified, re) : qualified == text;
  if (m) used = true;
  return m;
}

namespace {

struct Word {
  std::string text;
  int col;
};

// The words of a line, up to a `#` that starts a word. A `/regex/` is one word, spaces and all.
auto Split(const std::string& line) -> std::vector<Word> {
  std::vector<Word> words;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r')) i++;
    if (i >= line.size() || line[i] == '#') break;
    size_t start = i;
    auto space = [&](size_t k) { return k >= line.size() || line[k] == ' ' || line[k] == '\t' || line[k] == '\r'; };
    if (line[i] == '/') {  // a /regex/ may hold spaces: it ends at a `/` before a space or the end
      size_t end = i + 1;
      while (end < line.size() && !(line[end] == '/' && space(end + 1))) end++;
      if (end < line.size()) {
        i = end + 1;
        words.push_back({line.substr(start, i - start), static_cast<int>(start) + 1});
        continue;
      }
    }
    while (!space(i)) i++;
    words.push_back({line.substr(start, i - start), static_cast<int>(start) + 1});
  }
  return words;
}

auto IsIdent(const std::string& n) -> bool {
  bool ident = !n.empty() && !std::isdigit(static_cast<unsigned char>(n[0]));
  for (char ch : n) ident = ident && (std::isalnum(static_cast<unsigned char>(ch)) || ch == '_');
  return ident;
}

class Parser {
 public:
  Parser(const std::string& path, Spec& out) : path_(path), out_(out) {}

  auto Error(int line, int col, const std::string& message) -> bool {
    std::fprintf(stderr, "%s:%d:%d: error: %s\n", path_.c_str(), line, col, message.c_str());
    ok_ = false;
    return false;
  }

  auto Run(std::istream& in) -> bool;

 private:
  void Line(const std::vector<Word>& w, int line, std::istream& in, int& line_no);
  auto MakePattern(const Word& w, int line, Pattern& p) -> bool;
  auto Path(const std::string& p) -> std::string {
    return p.empty() || p[0] == '/' ? p : (std::filesystem::path(out_.dir) / p).lexically_normal().string();
  }

  std::string path_;
  Spec& out_;
  bool ok_ = true;
};

auto Parser::MakePattern(const Word& w, int line, Pattern& p) -> bool {
  p.text = w.text;
  p.pos = {line, w.col};
  if (w.text.size() >= 2 && w.text.front() == '/' && w.text.back() == '/') {
    p.is_regex = true;
    try {
      p.re = std::regex(w.text.substr(1, w.text.size() - 2));
    } catch (const std::regex_error& e) {
      return Error(line, w.col, "`" + w.text + "` is not a regular expression: " + e.what());
    }
  }
  return true;
}

void Parser::Line(const std::vector<Word>& w, int line, std::istream& in, int& line_no) {
  const std::string& key = w[0].text;
  auto need = [&](size_t min, size_t max, const char* what) -> bool {
    if (w.size() - 1 < min) {
      int col = w.back().col + static_cast<int>(w.back().text.size()) + 1;
      return Error(line, col, "`" + key + "` needs " + what);
    }
    if (w.size() - 1 > max) return Error(line, w[max + 1].col, "`" + key + "` takes " + what + "; unexpected `" + w[max + 1].text + "`");
    return true;
  };
  auto rest = [&](std::vector<std::string>& into, bool is_path) {
    if (!need(1, 1000, "at least one value")) return;
    for (size_t i = 1; i < w.size(); i++) into.push_back(is_path ? Path(w[i].text) : w[i].text);
  };
  auto patterns = [&](std::vector<Pattern>& into) {
    if (!need(1, 1000, "at least one name or /regex/")) return;
    for (size_t i = 1; i < w.size(); i++) {
      Pattern p;
      if (MakePattern(w[i], line, p)) into.push_back(std::move(p));
    }
  };
  if (key == "name") {
    if (!need(1, 1, "one name")) return;
    const std::string& n = w[1].text;
    if (!IsIdent(n)) return void(Error(line, w[1].col, "`name` must be an identifier (letters, digits, `_`), not `" + n + "`"));
    out_.name = n;
  } else if (key == "header") {
    rest(out_.headers, false);
  } else if (key == "include") {
    rest(out_.include_dirs, true);
  } else if (key == "flags") {
    rest(out_.flags, false);
  } else if (key == "link") {
    rest(out_.libs, false);
  } else if (key == "libdir") {
    rest(out_.lib_dirs, true);
  } else if (key == "std") {
    if (need(1, 1, "one standard (`c++17`)")) out_.std_version = w[1].text;
  } else if (key == "output") {
    if (need(1, 1, "one directory")) out_.output_dir = Path(w[1].text);
  } else if (key == "class") {
    patterns(out_.classes);
  } else if (key == "function") {
    patterns(out_.functions);
  } else if (key == "method") {
    patterns(out_.methods);
  } else if (key == "enum") {
    patterns(out_.enums);
  } else if (key == "skip") {
    patterns(out_.skips);
  } else if (key == "unsafe") {
    patterns(out_.unsafes);
  } else if (key == "rename") {
    // rename PATTERN = NAME
    if (w.size() != 4 || w[2].text != "=") {
      int col = w.size() > 2 ? w[2].col : w.back().col + static_cast<int>(w.back().text.size()) + 1;
      return void(Error(line, col, "expected `rename NAME = NEW_NAME`"));
    }
    if (!IsIdent(w[3].text)) return void(Error(line, w[3].col, "a new name must be an identifier (letters, digits, `_`), not `" + w[3].text + "`"));
    Rename r;
    if (MakePattern(w[1], line, r.pattern)) {
      r.name = w[3].text;
      out_.renames.push_back(std::move(r));
    }
  } else if (key == "missing") {
    // missing TEXT…: the rest of the line, its words joined by one space
    if (!need(1, 1000, "a message (`missing libfoo is not installed: apt-get install libfoo-dev`)")) return;
    out_.missing.clear();
    for (size_t i = 1; i < w.size(); i++) out_.missing += (i > 1 ? " " : "") + w[i].text;
  } else if (key == "catch") {
    if (need(2, 2, "a C++ exception type and the member that gives its message")) out_.catches.push_back({w[1].text, w[2].text});
  } else if (key == "cxx") {
    // cxx <<END, then C++ lines up to a line that is END
    if (w.size() != 2 || w[1].text.rfind("<<", 0) != 0 || w[1].text.size() == 2)
      return void(Error(line, w.size() > 1 ? w[1].col : w[0].col + 4, "expected `cxx <<END` (and the C++ lines, then a line `END`)"));
    std::string end = w[1].text.substr(2);
    out_.cxx_line = line + 1;
    std::string text;
    while (std::getline(in, text)) {
      line_no++;
      std::string trimmed = text;
      while (!trimmed.empty() && (trimmed.back() == ' ' || trimmed.back() == '\r')) trimmed.pop_back();
      if (trimmed == end) return;
      out_.cxx += text + "\n";
    }
    Error(line, w[1].col, "the `cxx` block is never closed by a line `" + end + "`");
  } else {
    Error(line, w[0].col, "unknown key `" + key + "` (expected name, header, include, flags, link, libdir, std, output, missing, class, method, function, enum, skip, rename, catch or cxx)");
  }
}

auto Parser::Run(std::istream& in) -> bool {
  std::string text;
  int line_no = 0;
  while (std::getline(in, text)) {
    line_no++;
    std::vector<Word> w = Split(text);
    if (!w.empty()) Line(w, line_no, in, line_no);
  }
  if (out_.name.empty()) Error(line_no + 1, 1, "the spec has no `name` (the C symbols' prefix and the output files' stem)");
  if (out_.headers.empty()) Error(line_no + 1, 1, "the spec names no `header`");
  return ok_;
}

}  // namespace

auto ParseSpec(const std::string& path, Spec& out) -> bool {
  std::ifstream in(path);
  if (!in) {
    std::fprintf(stderr, "fusion wrap: error: cannot read spec `%s`\n", path.c_str());
    return false;
  }
  out.path = path;
  out.file = std::filesystem::path(path).filename().string();
  std::filesystem::path dir = std::filesystem::path(path).parent_path();
  out.dir = dir.empty() ? "." : dir.string();
  out.output_dir = out.dir;
  Parser parser(path, out);
  return parser.Run(in);
}

}  // namespace fusion::wrap
