// Checker unit tests: types of expressions, untyped literals, layout, unsafe, errors.
#include <gtest/gtest.h>

#include "test_util.h"

namespace fusion {
namespace {

using diag::Kind;

auto KindsOf(const std::string& text) -> std::vector<Kind> { return testing::Frontend(text).Kinds(); }

TEST(Check, CleanProgram) {
  testing::Frontend f("fn add(a: i32, b: i32) -> i32 { return a + b }\nprint(add(1, 2))");
  EXPECT_EQ(f.errors(), 0);
  EXPECT_TRUE(f.checked.script);
}

TEST(Check, UntypedLiteralsTakeTheirContext) {
  testing::Frontend f("let a: u8 = 200\nlet b = 7\nlet c: f32 = 1\nlet d = a + 1");
  ASSERT_EQ(f.errors(), 0);
  auto* b = ast::As<ast::Let>(f.tree->stmts[1]);
  auto* c = ast::As<ast::Let>(f.tree->stmts[2]);
  auto* d = ast::As<ast::Let>(f.tree->stmts[3]);
  EXPECT_EQ(sema::ToString(b->type), "i64");
  EXPECT_EQ(sema::ToString(c->type), "f32");
  EXPECT_EQ(sema::ToString(d->type), "u8");
}

TEST(Check, LiteralOutOfRange) {
  EXPECT_EQ(KindsOf("let a: u8 = 256"), std::vector<Kind>{Kind::LiteralOutOfRange});
  EXPECT_EQ(KindsOf("let a: u32 = -1"), std::vector<Kind>{Kind::LiteralOutOfRange});
  EXPECT_EQ(KindsOf("let a: i8 = -128"), std::vector<Kind>{});
}

TEST(Check, NoImplicitConversions) {
  EXPECT_EQ(KindsOf("let a: i32 = 1\nlet b: i64 = a"), std::vector<Kind>{Kind::TypeMismatch});
  EXPECT_EQ(KindsOf("let a: i32 = 1\nlet b = a + 1.5"), std::vector<Kind>{Kind::TypeMismatch});
}

TEST(Check, StructLayoutMatchesC) {
  testing::Frontend f(
      "struct S { a: u8, b: i32, c: u8, d: f64, e: [u16; 3] }\n"
      "const SZ = sizeof(S)\nconst AL = alignof(S)\nconst OD = offsetof(S, d)\nconst OE = offsetof(S, e)");
  ASSERT_EQ(f.errors(), 0);
  std::map<std::string, uint64_t> values;
  for (auto& [decl, v] : f.checked.const_values) values[decl->name] = v.int_bits;
  EXPECT_EQ(values["SZ"], 32u);  // as clang: 0 a, 4 b, 8 c, 16 d, 24 e (6 bytes), pad to 32
  EXPECT_EQ(values["AL"], 8u);
  EXPECT_EQ(values["OD"], 16u);
  EXPECT_EQ(values["OE"], 24u);
}

TEST(Check, RecursiveStructByValue) {
  EXPECT_EQ(KindsOf("struct A { b: B }\nstruct B { a: A }"), std::vector<Kind>{Kind::RecursiveType});
  EXPECT_EQ(KindsOf("struct N { next: *N, v: i32 }"), std::vector<Kind>{});
}

TEST(Check, UnsafeIsEnforced) {
  EXPECT_EQ(KindsOf("let p = alloc<i32>(1)\nlet x = *p"), std::vector<Kind>{Kind::NeedsUnsafe});
  EXPECT_EQ(KindsOf("let p = alloc<i32>(1)\nunsafe { p[0] = 1; free(p) }"), std::vector<Kind>{});
  EXPECT_EQ(KindsOf("let p = alloc<i32>(2)\nlet q = p + 1"), std::vector<Kind>{Kind::NeedsUnsafe});
  EXPECT_EQ(KindsOf("unsafe fn f() {}\nf()"), std::vector<Kind>{Kind::NeedsUnsafe});
  EXPECT_EQ(KindsOf("unsafe fn f() {}\nunsafe fn g() { f() }"), std::vector<Kind>{});
}

TEST(Check, Immutability) {
  EXPECT_EQ(KindsOf("let x = 1\nx = 2"), (std::vector<Kind>{Kind::AssignImmutable, Kind::NoteDeclaredHere}));
  EXPECT_EQ(KindsOf("var x = 1\nx = 2"), std::vector<Kind>{});
}

TEST(Check, MissingReturn) {
  EXPECT_EQ(KindsOf("fn f(x: i32) -> i32 { if x > 0 { return 1 } }"), std::vector<Kind>{Kind::MissingReturn});
  EXPECT_EQ(KindsOf("fn f(x: i32) -> i32 { if x > 0 { return 1 } else { return 2 } }"), std::vector<Kind>{});
  EXPECT_EQ(KindsOf("fn f() -> i32 { panic(\"no\") }"), std::vector<Kind>{});
}

TEST(Check, EveryErrorIsReported) {
  EXPECT_EQ(KindsOf("let a = b\nlet c: i32 = true\nbreak"),
            (std::vector<Kind>{Kind::UndeclaredName, Kind::TypeMismatch, Kind::BreakOutsideLoop}));
}

TEST(Check, ScriptAndMainConflict) {
  EXPECT_EQ(KindsOf("fn main() {}\nprint(1)"), std::vector<Kind>{Kind::ScriptAndMain});
}

TEST(Check, ConstantArrayIndexOutOfBounds) {
  EXPECT_EQ(KindsOf("var a: [i32; 4]\na[4] = 1"), std::vector<Kind>{Kind::IndexOutOfBounds});
}

TEST(Check, EnumMembers) {
  testing::Frontend f("enum E: u8 { A = 1, B, C = 10 }\nconst X = E.B as i32");
  ASSERT_EQ(f.errors(), 0);
  for (auto& [decl, v] : f.checked.const_values)
    if (decl->name == "X") {
      EXPECT_EQ(v.int_bits, 2u);
    }
}

TEST(Check, NoCascadeAfterASyntaxError) {
  // The parser reports the missing initializer; the checker says nothing more about it.
  EXPECT_EQ(KindsOf("let x = )\nconst C = )\nfn f() -> i32 { return ) }\nprint(x)"),
            (std::vector<Kind>{Kind::ExpectedExpr, Kind::ExpectedExpr, Kind::ExpectedExpr}));
  EXPECT_EQ(KindsOf("const C = 1 / 0"), std::vector<Kind>{Kind::ConstDivZero});
  EXPECT_EQ(KindsOf("const C: i32 = true"), std::vector<Kind>{Kind::TypeMismatch});
  EXPECT_EQ(KindsOf("var b = true\nb += 1"), std::vector<Kind>{Kind::TypeMismatch});
}

TEST(Check, ArrayLiteralLength) {
  EXPECT_EQ(KindsOf("let a: [i32; 4] = [1, 2, 3]"), std::vector<Kind>{Kind::ArrayLength});
  EXPECT_EQ(KindsOf("let a: [i32; 0] = []"), std::vector<Kind>{});
}

TEST(Check, ConstantsAreImmutable) {
  EXPECT_EQ(KindsOf("const C = 1\nC = 2"), (std::vector<Kind>{Kind::AssignImmutable, Kind::NoteDeclaredHere}));
  EXPECT_EQ(KindsOf("const C = 1\nlet p = &C"), std::vector<Kind>{Kind::AddrOfConst});
  EXPECT_EQ(KindsOf("static S: i32 = 1\nS = 2\nlet p = &S"), std::vector<Kind>{});
}

TEST(Check, TypeNamesAndBuiltinsAreNotValues) {
  EXPECT_EQ(KindsOf("let x = i32"), std::vector<Kind>{Kind::NotAValue});
  EXPECT_EQ(KindsOf("let x = f64(1)"), std::vector<Kind>{Kind::NotAValue});
  EXPECT_EQ(KindsOf("let f = sqrt"), std::vector<Kind>{Kind::NotSupportedYet});
}

TEST(Check, LongDeclarationChainsAreAnErrorNotACrash) {
  std::string text;
  for (int i = 0; i < 100000; i++)
    text += "const C" + std::to_string(i) + " = C" + std::to_string(i + 1) + " + 1\n";
  text += "const C100000 = 0";
  EXPECT_EQ(KindsOf(text), std::vector<Kind>{Kind::DependencyTooDeep});
  std::string fine;
  for (int i = 0; i < 300; i++) fine += "type T" + std::to_string(i) + " = T" + std::to_string(i + 1) + "\n";
  fine += "type T300 = i32\nlet x: T0 = 1";
  EXPECT_EQ(KindsOf(fine), std::vector<Kind>{});
}

TEST(Check, RedefinitionNotesPointAtNames) {
  testing::Frontend f("struct P { a: i32 }\nstruct P { b: i32 }");
  ASSERT_EQ(f.Kinds(), (std::vector<Kind>{Kind::Redefinition, Kind::NotePreviousDef}));
  EXPECT_EQ(f.diags->diagnostics()[0].range.begin.offset, 27u);  // the second `P`
  EXPECT_EQ(f.diags->diagnostics()[1].range.begin.offset, 7u);   // the first `P`
}

}  // namespace
}  // namespace fusion
