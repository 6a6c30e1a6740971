// The formatter (fmt.h). One pass over the tokens: between two tokens lies a gap of blanks,
// newlines and comments; the output keeps the gap's line breaks (at most one blank line in a
// row) and comments, and replaces its blanks by what the rules below say. Indentation follows
// the brackets: a line that leaves brackets open indents the lines after it by one level until
// they are closed, whatever their number on that line, and a line that starts by closing them
// is back at the level of the line that opened them.
#include "fmt/fmt.h"

#include <algorithm>
#include <set>
#include <vector>

#include "lex/lex.h"
#include "parse/parse.h"

namespace fusion::fmt {

namespace {

using lex::TokenKind;
using K = TokenKind;

auto IsOpener(K k) -> bool { return k == K::LParen || k == K::LBracket || k == K::LBrace; }
auto IsCloser(K k) -> bool { return k == K::RParen || k == K::RBracket || k == K::RBrace; }

// Tokens after which an operator is binary (and a newline ends a statement, as the parser says).
auto EndsOperand(K k) -> bool {
  switch (k) {
    case K::Ident: case K::IntLit: case K::FloatLit: case K::StringLit: case K::CharLit:
    case K::KwTrue: case K::KwFalse: case K::KwNull: case K::RParen: case K::RBracket: case K::RBrace:
      return true;
    default:
      return false;
  }
}
auto EndsStatement(K k) -> bool {
  return EndsOperand(k) || k == K::KwReturn || k == K::KwBreak || k == K::KwContinue;
}

// `<`, `>`, `<<`, `>>`: comparisons and shifts, but also generics (`alloc<T>(n)`) and launch
// configurations (`k<<<g, b>>>(…)`), which the tokens alone do not tell apart: their spacing is
// kept as written (none, or one space).
auto IsAngle(K k) -> bool { return k == K::Less || k == K::Greater || k == K::Shl || k == K::Shr; }

// Operators that may be prefix: `-x`, `!c`, `~m`, `*p`, `&x`, and `*T` in types.
auto MayBePrefix(K k) -> bool { return k == K::Minus || k == K::Bang || k == K::Tilde || k == K::Star || k == K::Amp; }

// One item of a gap: a newline or a comment (with the blanks before it).
struct GapItem {
  bool newline = false;
  std::string_view comment;
  size_t blanks_before = 0;  // columns of blanks before a comment, on its line
};

auto ScanGap(std::string_view gap) -> std::vector<GapItem> {
  std::vector<GapItem> items;
  size_t blanks = 0;
  for (size_t i = 0; i < gap.size();) {
    char c = gap[i];
    if (c == '\n') {
      items.push_back({true, {}, 0});
      blanks = 0;
      i++;
    } else if (c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v') {
      blanks += c == '\t' ? 4 : c == ' ' ? 1 : 0;
      i++;
    } else if (gap.substr(i, 2) == "//" || gap.substr(i, 2) == "#!") {  // `#!`: the first line's (lexer)
      size_t end = gap.find('\n', i);
      if (end == std::string_view::npos) end = gap.size();
      std::string_view text = gap.substr(i, end - i);
      while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r')) text.remove_suffix(1);
      items.push_back({false, text, blanks});
      blanks = 0;
      i = end;
    } else if (gap.substr(i, 2) == "/*") {
      size_t j = i + 2;
      int depth = 1;  // block comments nest, as the lexer reads them
      while (j < gap.size() && depth > 0) {
        if (gap.substr(j, 2) == "*/") depth--, j += 2;
        else if (gap.substr(j, 2) == "/*") depth++, j += 2;
        else j++;
      }
      items.push_back({false, gap.substr(i, j - i), blanks});
      blanks = 0;
      i = j;
    } else {
      i++;  // nothing else lies between tokens
    }
  }
  return items;
}

class Formatter {
 public:
  // `comparisons`: the offsets of the `<`, `>`, `<<` and `>>` tokens that the parser read as
  // operators (the rest are generics and launch configurations). `blocks`: the offsets of the `{`
  // that open statement blocks (the rest open struct literals and declarations' bodies).
  Formatter(const lex::TokenizedBuffer& tokens, std::set<uint32_t> comparisons, std::set<uint32_t> blocks)
      : tokens_(tokens), comparisons_(std::move(comparisons)), blocks_(std::move(blocks)) {}

  auto Run() -> std::string {
    const std::vector<lex::Token>& toks = tokens_.tokens;
    uint32_t prev_end = 0;
    for (size_t i = 0; i < toks.size(); i++) {
      const lex::Token& t = toks[i];
      std::string_view gap = tokens_.text.substr(prev_end, t.offset - prev_end);
      bool had_blank = !gap.empty() && gap.back() != '\n' && (gap.back() == ' ' || gap.back() == '\t');
      Gap(ScanGap(gap), had_blank || (!gap.empty() && gap.find_first_of(" \t") != std::string_view::npos));
      if (t.kind == K::Eof) break;
      offset_ = t.offset;
      Token(t, i);
      prev_end = t.offset + t.length;
      last_offset_ = t.offset;
    }
    EndLine();
    while (!out_.empty() && out_.back() == '\n') out_.pop_back();
    return out_.empty() ? out_ : out_ + "\n";
  }

 private:
  // The gap before a token: its newlines (at most one blank line kept, none at the start of the
  // file) and comments. `spaced`: it had blanks, for the tokens whose spacing is kept as written.
  void Gap(const std::vector<GapItem>& items, bool spaced) {
    spaced_ = spaced;
    int newlines = 0;
    for (const GapItem& g : items) {
      if (g.newline) {
        if (newlines == 0) EndLine();
        newlines++;
        continue;
      }
      if (line_.empty()) {
        if ((newlines >= 2 || blank_pending_) && !out_.empty() && !AfterOpeningLine()) out_ += "\n";
        blank_pending_ = false;
        line_indent_ = BaseIndent() + (continued_ ? 4 : 0);
        line_ = std::string(g.comment);
      } else {
        line_ += std::string(std::max<size_t>(g.blanks_before, 1), ' ');
        line_ += g.comment;
      }
      last_ = K::Eof;  // after a comment: no token rule applies
      after_comment_ = true;
      newlines = 0;
    }
    if (newlines >= 2 && !out_.empty()) blank_pending_ = true;
  }

  void Token(const lex::Token& t, size_t index) {
    K k = t.kind;
    std::string_view text = tokens_.TokenText(t);
    if (line_.empty()) {
      // A new line: its leading closers first, then its indentation.
      if (blank_pending_ && !IsCloser(k) && !AfterOpeningLine()) out_ += "\n";
      blank_pending_ = false;
      size_t j = index;
      while (j < tokens_.tokens.size() && IsCloser(tokens_.tokens[j].kind) &&
             (j == index || !tokens_.tokens[j].newline_before)) {
        Close();
        j++;
      }
      closed_ahead_ = j - index;
      line_base_ = BaseIndent();
      line_indent_ = line_base_ + (continued_ && !IsCloser(k) ? 4 : 0);
      line_ = std::string(text);
    } else {
      if (after_comment_ || Space(last_, k)) line_ += " ";
      if (open_cols_.size() > 0 && open_cols_.back() == -1) open_cols_.back() = line_indent_ + static_cast<int>(line_.size());
      line_ += text;
      if (IsCloser(k) && closed_ahead_ == 0) Close();
    }
    if (closed_ahead_ > 0 && IsCloser(k)) closed_ahead_--;
    if (IsOpener(k)) {
      line_open_++;
      // The column of the token after it, if any on this line; a statement block's lines are one
      // level in wherever its `{` is (kBlockCol), as when it ends its line.
      open_cols_.push_back(blocks_.count(offset_) ? kBlockCol : -1);
    }
    // Whether this token, as the last of a line, leaves the statement open.
    unary_ = MayBePrefix(k) && !EndsOperand(last_) && !(IsAngle(last_) && generic_close_);
    // A `>` that is no comparison closes a generic (`tensor<i64>`): an operand ends there.
    generic_close_ = (k == K::Greater || k == K::Shr) && !comparisons_.count(offset_);
    before_last_ = last_;
    last_ = k;
    last_code_ = k;
    line_has_code_ = true;
    after_comment_ = false;
  }

  void Close() {
    if (line_open_ > 0) {
      line_open_--;
      open_cols_.pop_back();
      return;
    }
    if (levels_.empty()) return;
    // Closed inside a line: what this line opens from here on is relative to the statement that
    // opened it (`fn f(a: T,\n     b: U) {` opens its body at `fn`'s level).
    if (!line_.empty()) line_base_ = levels_.back().base;
    levels_.pop_back();
  }

  // Whether the last line written ends with `{` (no blank line goes after it).
  auto AfterOpeningLine() const -> bool { return out_.size() >= 2 && out_[out_.size() - 2] == '{'; }

  // The indentation of a line in the brackets open now: where the innermost level says.
  auto BaseIndent() const -> int { return levels_.empty() ? 0 : levels_.back().indent; }

  void EndLine() {
    if (line_.empty()) return;
    out_ += std::string(std::max(line_indent_, 0), ' ') + line_ + "\n";
    line_.clear();
    // The next line continues the statement when this one ended on an operator (not inside the
    // brackets it opened, which indent by themselves).
    if (line_has_code_)
      continued_ = line_open_ == 0 && !EndsStatement(last_code_) && !IsOpener(last_code_) && last_code_ != K::Comma &&
                   last_code_ != K::Semi && !generic_close_;
    line_has_code_ = false;
    // Brackets left open: the lines after align with the token after the innermost of them, or
    // when it ended the line or opens a statement block, indent one level more than this line's
    // statement.
    // Each bracket is a level of its own, so that the lines after an inner one closes are indented
    // by the outer one (`{ for … { print(a,` then `b) }`: the next line is in the first block).
    for (int col : open_cols_) levels_.push_back({col >= 0 ? col : line_base_ + 4, line_base_});
    line_open_ = 0;
    open_cols_.clear();
    closed_ahead_ = 0;
    after_comment_ = false;
    last_ = K::Eof;
  }

  // Whether one space goes between `p` and `t` on a line.
  auto Space(K p, K t) const -> bool {
    if (p == K::LParen || p == K::LBracket) return false;
    if (t == K::RParen || t == K::RBracket) return false;
    if (t == K::Comma || t == K::Semi) return false;
    if (p == K::Comma || p == K::Semi) return true;
    if (t == K::Dot || p == K::Dot || t == K::DotDot || p == K::DotDot) return false;
    if (t == K::Colon) return false;
    if (p == K::Colon) return true;
    if (p == K::At) return false;
    if (p == K::LBrace && t == K::RBrace) return false;
    if (MayBePrefix(p) && unary_) return false;  // `-x`, `*p`, `&a[0]`, `!(c)`, `*[T; N]`
    if ((IsAngle(p) && comparisons_.count(last_offset_)) || (IsAngle(t) && comparisons_.count(offset_))) return true;
    if (p == K::Greater && generic_close_ && t == K::Eq) return true;  // `let t: tensor<f32> = …`
    if (IsAngle(p) || IsAngle(t)) return spaced_;
    // A call or an index; but `extern cuda (SOURCE)`, where `cuda` is no callee.
    if (t == K::LParen) return !(p == K::Ident || p == K::RParen || p == K::RBracket || p == K::KwFn) || before_last_ == K::KwExtern;
    if (t == K::LBracket) return !(p == K::Ident || p == K::RParen || p == K::RBracket);
    return true;
  }

  const lex::TokenizedBuffer& tokens_;
  std::set<uint32_t> comparisons_;
  std::set<uint32_t> blocks_;
  uint32_t offset_ = 0, last_offset_ = 0;  // of the token being placed, and of the one before
  std::string out_;
  std::string line_;      // the line being built, without its indentation
  int line_indent_ = 0;
  int line_base_ = 0;  // the indentation of the statement this line is in (less a continuation's)
  struct Level {  // a bracket a line left open
    int indent;  // the column of the lines inside it
    int base;    // the indentation of the statement whose line opened it
  };
  std::vector<Level> levels_;
  // This line's open brackets: the column after each (-1: none yet; kBlockCol: a `{`, whose lines
  // indent one level).
  static constexpr int kBlockCol = -2;
  std::vector<int> open_cols_;
  int line_open_ = 0;        // brackets opened on this line and still open
  size_t closed_ahead_ = 0;  // leading closers of this line already applied
  bool continued_ = false;   // this line continues the statement of the line before
  bool blank_pending_ = false;
  bool after_comment_ = false;
  bool spaced_ = false;
  bool unary_ = false;       // the last token is a prefix operator
  K last_ = K::Eof;       // the last token on this line, Eof after a comment (no spacing rule)
  K last_code_ = K::Eof;  // the last token of the last line with code
  K before_last_ = K::Eof;
  bool generic_close_ = false;  // the last token is a `>` that closes a generic
  bool line_has_code_ = false;
};

}  // namespace

auto Format(const SourceManager& sources, uint32_t file, diag::Consumer& diags, std::string& out) -> bool {
  int before = diags.error_count();
  lex::TokenizedBuffer tokens = lex::Lex(sources, file, diags);
  ast::Tree tree = parse::Parse(tokens, diags);
  if (diags.error_count() > before) return false;  // what does not parse is not formatted
  std::set<uint32_t> comparisons, blocks;
  for (const auto& node : tree.nodes) {
    if (auto* b = ast::As<ast::Binary>(node.get()); b && IsAngle(b->op)) comparisons.insert(b->op_range.begin.offset);
    if (auto* b = ast::As<ast::Block>(node.get())) blocks.insert(b->range.begin.offset);
  }
  // A `>>`, `>=` or `>>=` whose first `>` closes type arguments is two tokens, as the parser read it.
  if (!tree.split_closers.empty()) {
    std::set<uint32_t> split(tree.split_closers.begin(), tree.split_closers.end());
    std::vector<lex::Token> toks;
    toks.reserve(tokens.tokens.size() + split.size());
    for (lex::Token t : tokens.tokens) {
      // `>>=` may close two lists: its rest `>=` is split again.
      while (split.count(t.offset) && t.length >= 2) {
        lex::Token close = t;
        close.kind = K::Greater;
        close.length = 1;
        toks.push_back(close);
        t.kind = t.kind == K::Shr ? K::Greater : t.kind == K::GreaterEq ? K::Eq : K::GreaterEq;
        t.offset += 1;
        t.length -= 1;
        t.newline_before = false;
      }
      toks.push_back(t);
    }
    tokens.tokens = std::move(toks);
  }
  out = Formatter(tokens, std::move(comparisons), std::move(blocks)).Run();
  return true;
}

}  // namespace fusion::fmt
