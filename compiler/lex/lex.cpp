// The lexer: identifiers, keywords, numbers, strings, punctuation, comments.
#include "lex/lex.h"

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <unordered_map>

namespace fusion::lex {

auto Spelling(TokenKind kind) -> const char* {
  static const char* kSpellings[] = {
#define TOKEN(name, spelling) spelling,
#include "lex/token_kinds.def"
  };
  return kSpellings[static_cast<int>(kind)];
}

auto Describe(TokenKind kind) -> std::string {
  if (kind <= TokenKind::CharLit) return Spelling(kind);
  return std::string("`") + Spelling(kind) + "`";
}

auto CompoundAssignBase(TokenKind kind) -> TokenKind {
  switch (kind) {
    case TokenKind::PlusEq: return TokenKind::Plus;
    case TokenKind::MinusEq: return TokenKind::Minus;
    case TokenKind::StarEq: return TokenKind::Star;
    case TokenKind::SlashEq: return TokenKind::Slash;
    case TokenKind::PercentEq: return TokenKind::Percent;
    case TokenKind::AmpEq: return TokenKind::Amp;
    case TokenKind::PipeEq: return TokenKind::Pipe;
    case TokenKind::CaretEq: return TokenKind::Caret;
    case TokenKind::ShlEq: return TokenKind::Shl;
    case TokenKind::ShrEq: return TokenKind::Shr;
    default: return TokenKind::Eq;
  }
}

namespace {

auto KeywordTable() -> const std::unordered_map<std::string_view, TokenKind>& {
  static const auto* table = new std::unordered_map<std::string_view, TokenKind>{
#define KEYWORD(name, spelling) {spelling, TokenKind::name},
#include "lex/token_kinds.def"
  };
  return *table;
}

auto IsIdentStart(char c) -> bool { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
auto IsDigit(char c) -> bool { return c >= '0' && c <= '9'; }
auto IsIdentChar(char c) -> bool { return IsIdentStart(c) || IsDigit(c); }
auto HexValue(char c) -> int {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The length of the well-formed UTF-8 character that `s` starts with, or 0.
auto Utf8Length(std::string_view s) -> uint32_t {
  auto byte = [&](size_t i) { return i < s.size() ? static_cast<unsigned char>(s[i]) : 0; };
  unsigned char lead = byte(0);
  uint32_t n = lead < 0x80 ? 1 : lead >= 0xC2 && lead <= 0xDF ? 2 : lead >= 0xE0 && lead <= 0xEF ? 3
             : lead >= 0xF0 && lead <= 0xF4 ? 4 : 0;
  for (uint32_t i = 1; i < n; i++)
    if ((byte(i) & 0xC0) != 0x80) return 0;
  // Overlong forms, surrogates and code points past U+10FFFF.
  if ((lead == 0xE0 && byte(1) < 0xA0) || (lead == 0xED && byte(1) > 0x9F) ||
      (lead == 0xF0 && byte(1) < 0x90) || (lead == 0xF4 && byte(1) > 0x8F))
    return 0;
  return n;
}

class Lexer {
 public:
  Lexer(const SourceManager& sources, uint32_t file, diag::Consumer& diags)
      : diags_(diags), file_(file), text_(sources.file(file).text()) {
    buf_.file = file;
    buf_.text = text_;
  }

  auto Run() -> TokenizedBuffer {
    if (text_.starts_with("\xEF\xBB\xBF")) pos_ = 3;  // a UTF-8 byte order mark
    // A first line `#!/usr/bin/env -S fusion run`, so that a script runs as `./prog.fu`: a comment.
    if (text_.substr(pos_, 2) == "#!") {
      size_t end = text_.find('\n', pos_);
      pos_ = static_cast<uint32_t>(end == std::string_view::npos ? text_.size() : end);
    }
    while (true) {
      bool newline = SkipSpaceAndComments();
      Token tok;
      tok.newline_before = newline;
      tok.offset = pos_;
      if (pos_ >= text_.size()) {
        tok.kind = TokenKind::Eof;
        buf_.tokens.push_back(tok);
        break;
      }
      LexOne(tok);
      tok.length = pos_ - tok.offset;
      buf_.tokens.push_back(tok);
    }
    return std::move(buf_);
  }

 private:
  void Error(diag::Kind kind, uint32_t begin, uint32_t end, std::vector<std::string> args = {}) {
    diags_.Report(kind, SourceRange{{file_, begin}, end}, std::move(args));
  }
  auto Peek(uint32_t ahead = 0) const -> char {
    return pos_ + ahead < text_.size() ? text_[pos_ + ahead] : '\0';
  }

  // Skips blanks and comments; returns whether a newline was crossed.
  auto SkipSpaceAndComments() -> bool {
    bool newline = false;
    while (pos_ < text_.size()) {
      char c = text_[pos_];
      if (c == '\n') {
        newline = true;
        pos_++;
      } else if (c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v') {
        pos_++;
      } else if (c == '/' && Peek(1) == '/') {
        while (pos_ < text_.size() && text_[pos_] != '\n') pos_++;
      } else if (c == '/' && Peek(1) == '*') {
        uint32_t begin = pos_;
        pos_ += 2;
        int depth = 1;  // block comments nest
        while (pos_ < text_.size() && depth > 0) {
          if (text_[pos_] == '*' && Peek(1) == '/') {
            depth--;
            pos_ += 2;
          } else if (text_[pos_] == '/' && Peek(1) == '*') {
            depth++;
            pos_ += 2;
          } else {
            if (text_[pos_] == '\n') newline = true;
            pos_++;
          }
        }
        if (depth > 0) {
          Error(diag::Kind::UnterminatedComment, begin, begin + 2);
          buf_.ends_in_comment = true;
        }
      } else {
        break;
      }
    }
    return newline;
  }

  void LexOne(Token& tok) {
    char c = text_[pos_];
    if (IsIdentStart(c)) return LexIdent(tok);
    if (IsDigit(c)) return LexNumber(tok);
    if (c == '"') return LexString(tok);
    if (c == '\'') return LexChar(tok);
    LexPunct(tok);
  }

  void LexIdent(Token& tok) {
    while (pos_ < text_.size() && IsIdentChar(text_[pos_])) pos_++;
    std::string_view word = text_.substr(tok.offset, pos_ - tok.offset);
    auto it = KeywordTable().find(word);
    tok.kind = it != KeywordTable().end() ? it->second : TokenKind::Ident;
  }

  void LexNumber(Token& tok) {
    int base = 10;
    if (Peek() == '0' && (Peek(1) == 'x' || Peek(1) == 'X')) base = 16;
    if (Peek() == '0' && (Peek(1) == 'b' || Peek(1) == 'B')) base = 2;
    if (Peek() == '0' && (Peek(1) == 'o' || Peek(1) == 'O')) base = 8;
    if (base != 10) pos_ += 2;
    std::string digits;
    bool is_float = false;
    auto take_digits = [&](bool hex) {
      while (pos_ < text_.size()) {
        char d = text_[pos_];
        if (d == '_') {
          pos_++;
        } else if (IsDigit(d) || (hex && HexValue(d) >= 0)) {
          digits += d;
          pos_++;
        } else {
          break;
        }
      }
    };
    take_digits(base == 16);
    if (base == 10) {
      // A '.' is a decimal point only when a digit follows: `0..10` is a range.
      if (Peek() == '.' && IsDigit(Peek(1))) {
        is_float = true;
        digits += '.';
        pos_++;
        take_digits(false);
      }
      if ((Peek() == 'e' || Peek() == 'E') &&
          (IsDigit(Peek(1)) || ((Peek(1) == '+' || Peek(1) == '-') && IsDigit(Peek(2))))) {
        is_float = true;
        digits += 'e';
        pos_++;
        if (Peek() == '+' || Peek() == '-') digits += text_[pos_++];
        take_digits(false);
      }
    }
    // Letters glued to a number (`12abc`, `0x`) make it invalid.
    bool bad = digits.empty();
    while (pos_ < text_.size() && IsIdentChar(text_[pos_])) {
      bad = true;
      pos_++;
    }
    std::string spelled(text_.substr(tok.offset, pos_ - tok.offset));
    if (bad) {
      Error(diag::Kind::InvalidNumber, tok.offset, pos_, {spelled});
      tok.kind = TokenKind::IntLit;
      return;
    }
    for (char d : digits)
      if (base != 16 && d != '.' && d != 'e' && d != '+' && d != '-' && (d - '0') >= base) {
        Error(diag::Kind::InvalidNumber, tok.offset, pos_, {spelled});
        tok.kind = TokenKind::IntLit;
        return;
      }
    if (is_float) {
      tok.kind = TokenKind::FloatLit;
      tok.float_value = std::strtod(digits.c_str(), nullptr);
      return;
    }
    tok.kind = TokenKind::IntLit;
    uint64_t value = 0;
    for (char d : digits) {
      uint64_t v = static_cast<uint64_t>(HexValue(d));
      if (value > (UINT64_MAX - v) / static_cast<uint64_t>(base)) {
        Error(diag::Kind::IntLiteralTooLarge, tok.offset, pos_, {spelled});
        return;
      }
      value = value * base + v;
    }
    tok.int_value = value;
  }

  // Reads one character of a string or char literal at pos_, handling escapes.
  auto ReadChar(std::string& out) -> void {
    char c = text_[pos_];
    if (c != '\\') {
      out += c;
      pos_++;
      return;
    }
    uint32_t begin = pos_;
    pos_++;
    char e = Peek();
    pos_++;
    switch (e) {
      case 'n': out += '\n'; return;
      case 't': out += '\t'; return;
      case 'r': out += '\r'; return;
      case '0': out += '\0'; return;
      case '\\': out += '\\'; return;
      case '"': out += '"'; return;
      case '\'': out += '\''; return;
      case 'x': {
        int hi = HexValue(Peek()), lo = HexValue(Peek(1));
        if (hi >= 0 && lo >= 0) {
          out += static_cast<char>(hi * 16 + lo);
          pos_ += 2;
          return;
        }
        break;
      }
      default:
        break;
    }
    if (e == '\n' || pos_ > text_.size()) {
      pos_--;  // a `\` ending the line or file: the literal is unterminated, which the caller reports
      return;
    }
    if (e == '\0') pos_--;
    Error(diag::Kind::InvalidEscape, begin, pos_, {std::string(text_.substr(begin, pos_ - begin))});
  }

  void LexString(Token& tok) {
    pos_++;
    std::string value;
    while (pos_ < text_.size() && text_[pos_] != '"' && text_[pos_] != '\n') ReadChar(value);
    if (pos_ >= text_.size() || text_[pos_] != '"') {
      Error(diag::Kind::UnterminatedString, tok.offset, tok.offset + 1);
    } else {
      pos_++;
    }
    tok.kind = TokenKind::StringLit;
    tok.string_index = static_cast<uint32_t>(buf_.strings.size());
    buf_.strings.push_back(std::move(value));
  }

  void LexChar(Token& tok) {
    pos_++;
    int errors = diags_.error_count();
    std::string value;
    while (pos_ < text_.size() && text_[pos_] != '\'' && text_[pos_] != '\n') ReadChar(value);
    tok.kind = TokenKind::CharLit;
    if (pos_ >= text_.size() || text_[pos_] != '\'') {
      Error(diag::Kind::UnterminatedChar, tok.offset, tok.offset + 1);
      return;
    }
    pos_++;
    if (value.size() != 1) {
      // After a bad escape the length is no news.
      if (diags_.error_count() == errors) Error(diag::Kind::CharLiteralLength, tok.offset, pos_);
      return;
    }
    tok.int_value = static_cast<unsigned char>(value[0]);
  }

  void LexPunct(Token& tok) {
    // Longest match first.
    static constexpr struct {
      const char* text;
      TokenKind kind;
    } kPuncts[] = {
        {"...", TokenKind::Ellipsis}, {"<<=", TokenKind::ShlEq},   {">>=", TokenKind::ShrEq},
        {"..", TokenKind::DotDot},    {"->", TokenKind::Arrow},    {"==", TokenKind::EqEq},
        {"!=", TokenKind::NotEq},     {"<=", TokenKind::LessEq},   {">=", TokenKind::GreaterEq},
        {"&&", TokenKind::AmpAmp},    {"||", TokenKind::PipePipe}, {"<<", TokenKind::Shl},
        {">>", TokenKind::Shr},       {"+=", TokenKind::PlusEq},   {"-=", TokenKind::MinusEq},
        {"*=", TokenKind::StarEq},    {"/=", TokenKind::SlashEq},  {"%=", TokenKind::PercentEq},
        {"&=", TokenKind::AmpEq},     {"|=", TokenKind::PipeEq},   {"^=", TokenKind::CaretEq},
        {"(", TokenKind::LParen},     {")", TokenKind::RParen},    {"{", TokenKind::LBrace},
        {"}", TokenKind::RBrace},     {"[", TokenKind::LBracket},  {"]", TokenKind::RBracket},
        {",", TokenKind::Comma},      {";", TokenKind::Semi},      {":", TokenKind::Colon},
        {".", TokenKind::Dot},        {"@", TokenKind::At},        {"=", TokenKind::Eq},
        {"<", TokenKind::Less},       {">", TokenKind::Greater},   {"+", TokenKind::Plus},
        {"-", TokenKind::Minus},      {"*", TokenKind::Star},      {"/", TokenKind::Slash},
        {"%", TokenKind::Percent},    {"&", TokenKind::Amp},       {"|", TokenKind::Pipe},
        {"^", TokenKind::Caret},      {"~", TokenKind::Tilde},     {"!", TokenKind::Bang},
    };
    std::string_view rest = text_.substr(pos_);
    for (const auto& p : kPuncts) {
      if (rest.starts_with(p.text)) {
        tok.kind = p.kind;
        pos_ += static_cast<uint32_t>(std::strlen(p.text));
        return;
      }
    }
    // One error for a whole UTF-8 character (shown as itself); other bytes are shown in hex.
    unsigned char c = static_cast<unsigned char>(text_[pos_]);
    uint32_t length = Utf8Length(text_.substr(pos_));
    char shown[8];
    if (length > 1)
      std::snprintf(shown, sizeof shown, "%.*s", static_cast<int>(length), text_.data() + pos_);
    else if (c >= 0x21 && c < 0x7f)
      std::snprintf(shown, sizeof shown, "%c", c);
    else
      std::snprintf(shown, sizeof shown, "\\x%02X", c);
    if (length == 0) length = 1;
    Error(diag::Kind::InvalidCharacter, pos_, pos_ + length, {shown});
    tok.kind = TokenKind::Error;
    pos_ += length;
  }

  diag::Consumer& diags_;
  uint32_t file_;
  std::string_view text_;
  uint32_t pos_ = 0;
  TokenizedBuffer buf_;
};

}  // namespace

auto Lex(const SourceManager& sources, uint32_t file, diag::Consumer& diags) -> TokenizedBuffer {
  return Lexer(sources, file, diags).Run();
}

}  // namespace fusion::lex
