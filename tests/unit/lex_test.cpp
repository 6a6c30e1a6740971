// Lexer unit tests: token kinds, literal values, newlines, and errors.
#include <gtest/gtest.h>

#include "test_util.h"

namespace fusion {
namespace {

using lex::TokenKind;

auto Kinds(const std::string& text) -> std::vector<TokenKind> {
  testing::Frontend f(text, testing::Frontend::Stop::AfterLex);
  std::vector<TokenKind> out;
  for (const auto& t : f.tokens.tokens) out.push_back(t.kind);
  return out;
}

TEST(Lex, PunctuationLongestMatch) {
  EXPECT_EQ(Kinds("<<= >>= ... .. . -> == = <= <"),
            (std::vector<TokenKind>{TokenKind::ShlEq, TokenKind::ShrEq, TokenKind::Ellipsis, TokenKind::DotDot,
                                    TokenKind::Dot, TokenKind::Arrow, TokenKind::EqEq, TokenKind::Eq,
                                    TokenKind::LessEq, TokenKind::Less, TokenKind::Eof}));
}

TEST(Lex, KeywordsAndIdentifiers) {
  EXPECT_EQ(Kinds("fn let var while whilex _a1"),
            (std::vector<TokenKind>{TokenKind::KwFn, TokenKind::KwLet, TokenKind::KwVar, TokenKind::KwWhile,
                                    TokenKind::Ident, TokenKind::Ident, TokenKind::Eof}));
}

TEST(Lex, IntegerLiterals) {
  testing::Frontend f("42 0xff 0b1010 1_000_000 0o17 18446744073709551615", testing::Frontend::Stop::AfterLex);
  ASSERT_EQ(f.errors(), 0);
  std::vector<uint64_t> values;
  for (const auto& t : f.tokens.tokens)
    if (t.kind == TokenKind::IntLit) values.push_back(t.int_value);
  EXPECT_EQ(values, (std::vector<uint64_t>{42, 255, 10, 1000000, 15, UINT64_MAX}));
}

TEST(Lex, FloatLiteralsAndRanges) {
  testing::Frontend f("1.5 1e-3 2.5E+2 0..10", testing::Frontend::Stop::AfterLex);
  ASSERT_EQ(f.errors(), 0);
  const auto& t = f.tokens.tokens;
  EXPECT_EQ(t[0].kind, TokenKind::FloatLit);
  EXPECT_DOUBLE_EQ(t[0].float_value, 1.5);
  EXPECT_DOUBLE_EQ(t[1].float_value, 1e-3);
  EXPECT_DOUBLE_EQ(t[2].float_value, 250.0);
  EXPECT_EQ(t[3].kind, TokenKind::IntLit);  // `0..10` is 0, .., 10
  EXPECT_EQ(t[4].kind, TokenKind::DotDot);
  EXPECT_EQ(t[5].kind, TokenKind::IntLit);
}

TEST(Lex, StringEscapes) {
  testing::Frontend f(R"("a\n\t\\\"\0\x41")", testing::Frontend::Stop::AfterLex);
  ASSERT_EQ(f.errors(), 0);
  EXPECT_EQ(f.tokens.strings[0], std::string("a\n\t\\\"\0A", 7));
}

TEST(Lex, CharLiteral) {
  testing::Frontend f("'a' '\\n'", testing::Frontend::Stop::AfterLex);
  ASSERT_EQ(f.errors(), 0);
  EXPECT_EQ(f.tokens.tokens[0].int_value, 'a');
  EXPECT_EQ(f.tokens.tokens[1].int_value, '\n');
}

TEST(Lex, NewlineFlag) {
  testing::Frontend f("a\nb /* x\n */ c // d\ne", testing::Frontend::Stop::AfterLex);
  const auto& t = f.tokens.tokens;
  EXPECT_FALSE(t[0].newline_before);
  EXPECT_TRUE(t[1].newline_before);
  EXPECT_TRUE(t[2].newline_before);  // the block comment spans a newline
  EXPECT_TRUE(t[3].newline_before);
}

TEST(Lex, Errors) {
  testing::Frontend f("\"abc\n 12abc $ '' /* x", testing::Frontend::Stop::AfterLex);
  EXPECT_EQ(f.Kinds(), (std::vector<diag::Kind>{diag::Kind::UnterminatedString, diag::Kind::InvalidNumber,
                                                diag::Kind::InvalidCharacter, diag::Kind::CharLiteralLength,
                                                diag::Kind::UnterminatedComment}));
}

TEST(Lex, TooLargeInteger) {
  testing::Frontend f("18446744073709551616", testing::Frontend::Stop::AfterLex);
  EXPECT_EQ(f.Kinds(), std::vector<diag::Kind>{diag::Kind::IntLiteralTooLarge});
}

TEST(Lex, ByteOrderMarkIsSkipped) {
  testing::Frontend f("\xEF\xBB\xBFlet", testing::Frontend::Stop::AfterLex);
  EXPECT_EQ(f.errors(), 0);
  EXPECT_EQ(f.tokens.tokens[0].kind, TokenKind::KwLet);
  EXPECT_EQ(f.tokens.tokens[0].offset, 3u);
}

TEST(Lex, OneErrorPerUtf8Character) {
  // `λ` is two bytes, one character: one error that shows it; bytes that are not UTF-8 are
  // shown in hex, one error each.
  testing::Frontend f("\xCE\xBB \xFF\xC3(", testing::Frontend::Stop::AfterLex);
  EXPECT_EQ(f.Messages(), (std::vector<std::string>{"invalid character `\xCE\xBB` in source",
                                                    "invalid character `\\xFF` in source",
                                                    "invalid character `\\xC3` in source"}));
  EXPECT_EQ(f.tokens.tokens[0].kind, TokenKind::Error);
  EXPECT_EQ(f.tokens.tokens[0].length, 2u);
}

TEST(Lex, NoCascadesInLiterals) {
  // A bad escape in a character literal is one error, not also a length error.
  EXPECT_EQ(testing::Frontend("'\\q'", testing::Frontend::Stop::AfterLex).Kinds(),
            std::vector<diag::Kind>{diag::Kind::InvalidEscape});
  // A `\` that ends the file leaves the string unterminated, which is the one error.
  EXPECT_EQ(testing::Frontend("\"ab\\", testing::Frontend::Stop::AfterLex).Kinds(),
            std::vector<diag::Kind>{diag::Kind::UnterminatedString});
}

TEST(Lex, UnterminatedCommentHidesTheRest) {
  // The parser reports nothing about what the comment swallowed.
  testing::Frontend f("fn f() {\n  let x = /* never closed\n}", testing::Frontend::Stop::AfterParse);
  EXPECT_EQ(f.Kinds(), std::vector<diag::Kind>{diag::Kind::UnterminatedComment});
  EXPECT_TRUE(f.tokens.ends_in_comment);
}

}  // namespace
}  // namespace fusion
