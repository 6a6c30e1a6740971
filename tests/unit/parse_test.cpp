// Parser unit tests: tree shapes (through the AST dump), statement ends, recovery.
#include <gtest/gtest.h>

#include "test_util.h"

namespace fusion {
namespace {

auto DumpOf(const std::string& text) -> std::string {
  testing::Frontend f(text, testing::Frontend::Stop::AfterParse);
  EXPECT_EQ(f.errors(), 0) << text;
  return ast::Dump(*f.tree);
}

TEST(Parse, PrintOnePlusTwo) {
  EXPECT_EQ(DumpOf("print(1 + 2)"),
            "ExprStmt\n  Call\n    Name print\n    Binary +\n      IntLit 1\n      IntLit 2\n");
}

TEST(Parse, Precedence) {
  // * binds tighter than +, `as` tighter than *, prefix tighter than `as`.
  EXPECT_EQ(DumpOf("x = a + b * c as f64"),
            "Assign =\n  Name x\n  Binary +\n    Name a\n    Binary *\n      Name b\n      Cast\n"
            "        Name c\n        NamedType f64\n");
  EXPECT_EQ(DumpOf("y = -a as u8"), "Assign =\n  Name y\n  Cast\n    Unary -\n      Name a\n    NamedType u8\n");
  EXPECT_EQ(DumpOf("z = a || b && c == d"),
            "Assign =\n  Name z\n  Binary ||\n    Name a\n    Binary &&\n      Name b\n      Binary ==\n"
            "        Name c\n        Name d\n");
}

TEST(Parse, NewlineEndsStatement) {
  // `-b` on its own line is a new statement, as in Go.
  EXPECT_EQ(DumpOf("let x = a\n-b"), "Let let x\n  Name a\nExprStmt\n  Unary -\n    Name b\n");
  // Inside parentheses newlines do not matter.
  EXPECT_EQ(DumpOf("f(a,\n b)"), "ExprStmt\n  Call\n    Name f\n    Name a\n    Name b\n");
  // An operator at the end of a line continues the expression.
  EXPECT_EQ(DumpOf("let y = a +\n b"), "Let let y\n  Binary +\n    Name a\n    Name b\n");
}

TEST(Parse, StructLiteralNotInCondition) {
  EXPECT_EQ(DumpOf("if x { y = 1 }"), "If\n  Name x\n  Block\n    Assign =\n      Name y\n      IntLit 1\n");
  EXPECT_EQ(DumpOf("let v = V { x: 1, y: 2 }"),
            "Let let v\n  StructLit\n    NamedType V\n    x:\n      IntLit 1\n    y:\n      IntLit 2\n");
}

TEST(Parse, Declarations) {
  std::string d = DumpOf("struct V { x: f64, y: [i32; 4] }\nfn f(a: *V) -> i32 { return 0 }\nconst N: i64 = 3;");
  EXPECT_NE(d.find("StructDecl V"), std::string::npos);
  EXPECT_NE(d.find("ArrayType"), std::string::npos);
  EXPECT_NE(d.find("FnDecl f"), std::string::npos);
  EXPECT_NE(d.find("PointerType"), std::string::npos);
  EXPECT_NE(d.find("ConstDecl N"), std::string::npos);
}

TEST(Parse, ForAndArrays) {
  EXPECT_EQ(DumpOf("for i in 0..n { a[i] = [0; 4][1] }"),
            "For i\n  IntLit 0\n  Name n\n  Block\n    Assign =\n      Index\n        Name a\n        Name i\n"
            "      Index\n        ArrayRepeat\n          IntLit 0\n          IntLit 4\n        IntLit 1\n");
}

TEST(Parse, GenericAlloc) {
  EXPECT_EQ(DumpOf("let p = alloc<i32>(4)"), "Let let p\n  Call\n    Name alloc\n    NamedType i32\n    IntLit 4\n");
}

TEST(Parse, RecoversAndReportsEveryError) {
  testing::Frontend f("let = 1\nlet y = (2\nfn g( {\nprint(3)", testing::Frontend::Stop::AfterParse);
  EXPECT_GE(f.errors(), 3);
}

TEST(Parse, DeepNestingIsAnErrorNotACrash) {
  std::string deep(10000, '(');
  testing::Frontend f("let x = " + deep + "1" + std::string(10000, ')'), testing::Frontend::Stop::AfterParse);
  EXPECT_EQ(f.Kinds(), std::vector<diag::Kind>{diag::Kind::NestingTooDeep});
}

TEST(Parse, ElseMustBeOnTheSameLine) {
  testing::Frontend f("if a { }\nelse { }", testing::Frontend::Stop::AfterParse);
  EXPECT_GE(f.errors(), 1);
}

TEST(Parse, LongChainsCountAsNesting) {
  // `1 + 1 + …` builds a tree as deep as it is long, without recursing in the parser.
  auto sum = [](int terms) {
    std::string s = "let x = 1";
    for (int i = 1; i < terms; i++) s += " + 1";
    return s;
  };
  EXPECT_EQ(testing::Frontend(sum(256), testing::Frontend::Stop::AfterParse).errors(), 0);
  EXPECT_EQ(testing::Frontend(sum(100000), testing::Frontend::Stop::AfterParse).Kinds(),
            std::vector<diag::Kind>{diag::Kind::NestingTooDeep});
  std::string casts = "let x = 1";
  std::string fields = "let x = a";
  for (int i = 0; i < 100000; i++) casts += " as i64", fields += ".b";
  EXPECT_EQ(testing::Frontend(casts, testing::Frontend::Stop::AfterParse).Kinds(),
            std::vector<diag::Kind>{diag::Kind::NestingTooDeep});
  EXPECT_EQ(testing::Frontend(fields, testing::Frontend::Stop::AfterParse).Kinds(),
            std::vector<diag::Kind>{diag::Kind::NestingTooDeep});
}

TEST(Parse, NestingCountsLevelsNotParserFunctions) {
  // 255 parentheses around an initializer make 256 levels: accepted.
  auto parens = [](int n) { return "let x = " + std::string(n, '(') + "1" + std::string(n, ')'); };
  EXPECT_EQ(testing::Frontend(parens(255), testing::Frontend::Stop::AfterParse).errors(), 0);
  EXPECT_EQ(testing::Frontend(parens(256), testing::Frontend::Stop::AfterParse).Kinds(),
            std::vector<diag::Kind>{diag::Kind::NestingTooDeep});
  std::string blocks = std::string(256, '{') + std::string(256, '}');
  EXPECT_EQ(testing::Frontend(blocks, testing::Frontend::Stop::AfterParse).errors(), 0);
}

TEST(Parse, ErrorAtLineStartKeepsTheNextDeclaration) {
  // The body is missing; the next line's `fn` starts the next declaration, not skipped.
  testing::Frontend f("fn f() -> i32\nfn g() { return 1 +\n}", testing::Frontend::Stop::AfterParse);
  EXPECT_EQ(f.Kinds(), (std::vector<diag::Kind>{diag::Kind::ExpectedToken, diag::Kind::ExpectedExpr}));
  EXPECT_EQ(ast::Dump(*f.tree), "FnDecl f\n  NamedType i32\nFnDecl g\n  Block\n    Return\n");
}

TEST(Parse, StrayBraceDoesNotSkipTheNextLine) {
  testing::Frontend f("}\nfn g() {\n  fn inner() {}\n}", testing::Frontend::Stop::AfterParse);
  EXPECT_EQ(f.Kinds(), (std::vector<diag::Kind>{diag::Kind::ExpectedDecl, diag::Kind::DeclInsideFn}));
}

TEST(Parse, AttributesOnlyOnFunctionsAndStructs) {
  testing::Frontend f("@a const C = 1\n@b enum E { X }\n@c fn f() {}", testing::Frontend::Stop::AfterParse);
  EXPECT_EQ(f.Kinds(), (std::vector<diag::Kind>{diag::Kind::UnknownAttribute, diag::Kind::UnknownAttribute}));
}

TEST(Parse, ErrorAtEndOfFilePointsAfterTheLastToken) {
  testing::Frontend f("let x = (1 + 2\n\n", testing::Frontend::Stop::AfterParse);
  ASSERT_EQ(f.errors(), 1);
  EXPECT_EQ(f.diags->diagnostics()[0].range.begin.offset, 14u);
}

}  // namespace
}  // namespace fusion
