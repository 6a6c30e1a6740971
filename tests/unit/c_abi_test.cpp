// The x86-64 SysV classification of Fusion types (sema/c_abi.cpp), checked against the psABI's
// rules and what clang does for the same C declarations; and the checker's FFI rules.
#include <gtest/gtest.h>

#include "sema/c_abi.h"
#include "test_util.h"

namespace fusion {
namespace {

using diag::Kind;
using Cls = sema::Eightbyte::Class;
using PKind = sema::CPassing::Kind;

// Declares `decl` (which must define a type named T) and classifies T.
auto Classify(const std::string& decl) -> sema::CPassing {
  testing::Frontend f(decl + "\nvar probe: T");
  EXPECT_EQ(f.errors(), 0) << decl;
  auto* let = ast::As<ast::Let>(f.tree->stmts.back());
  return sema::ClassifyC(let->type);
}

// "I" integer, "S" SSE, one letter per eightbyte; "M" memory; "" ignored.
auto Shape(const sema::CPassing& p) -> std::string {
  if (p.kind == PKind::Memory) return "M";
  std::string s;
  for (int i = 0; i < p.count; i++) s += p.parts[i].cls == Cls::Integer ? "I" : "S";
  return s;
}

TEST(CAbi, Scalars) {
  EXPECT_EQ(Shape(Classify("type T = i8")), "I");
  EXPECT_EQ(Shape(Classify("type T = *void")), "I");
  EXPECT_EQ(Shape(Classify("type T = fn(i32) -> i32")), "I");
  EXPECT_EQ(Shape(Classify("type T = f32")), "S");
  EXPECT_EQ(Shape(Classify("type T = f64")), "S");
  EXPECT_EQ(Shape(Classify("enum T: u16 { A }")), "I");
}

TEST(CAbi, SmallStructsMergeByEightbyte) {
  EXPECT_EQ(Shape(Classify("struct T { a: i32, f: f32 }")), "I");     // int wins the eightbyte
  EXPECT_EQ(Shape(Classify("struct T { a: f32, b: f32 }")), "S");
  EXPECT_EQ(Shape(Classify("struct T { d: f64, l: i64 }")), "SI");
  EXPECT_EQ(Shape(Classify("struct T { l: i64, d: f64 }")), "IS");
  EXPECT_EQ(Shape(Classify("struct T { a: f32, b: f32, c: f32 }")), "SS");
  EXPECT_EQ(Shape(Classify("struct T { c: i8, d: f64 }")), "IS");
  EXPECT_EQ(Shape(Classify("struct T { v: [f32; 3], n: i32 }")), "SI");  // arrays count element by element
  EXPECT_EQ(Shape(Classify("union T { d: f64, f: [f32; 2] }")), "S");
  EXPECT_EQ(Shape(Classify("union T { d: [f64; 2], i: [i32; 4] }")), "II");
  EXPECT_EQ(Shape(Classify("struct In { f: f32 }\nstruct T { a: In, b: In, c: i32 }")), "SI");
}

TEST(CAbi, LargeStructsGoByMemory) {
  EXPECT_EQ(Shape(Classify("struct T { a: u8, d: f64, u: u32 }")), "M");  // 24 bytes
  EXPECT_EQ(Shape(Classify("struct T { c: [i8; 17] }")), "M");
  EXPECT_EQ(Shape(Classify("union T { d: [f64; 3], i: i64 }")), "M");
}

TEST(CAbi, EightbyteTypesFollowClang) {
  sema::CPassing p = Classify("struct T { a: f32, b: f32, c: f32 }");
  ASSERT_EQ(p.count, 2);
  EXPECT_TRUE(p.parts[0].float_lo && p.parts[0].float_hi);  // <2 x float>
  EXPECT_TRUE(p.parts[1].float_lo && !p.parts[1].float_hi);  // float
  EXPECT_EQ(p.parts[1].size, 4);
  sema::CPassing q = Classify("struct T { a: u8, b: u8, c: u8 }");
  ASSERT_EQ(q.count, 1);
  EXPECT_EQ(q.parts[0].size, 3);  // i24, as clang passes it
  sema::CPassing r = Classify("struct T { a: i32, b: i32, c: i32 }");
  ASSERT_EQ(r.count, 2);
  EXPECT_EQ(r.parts[1].size, 4);  // { i64, i32 }
}

TEST(CAbi, HalfFloatsAreSse) {
  EXPECT_EQ(Shape(Classify("type T = f16")), "S");
  EXPECT_EQ(Shape(Classify("type T = bf16")), "S");
  sema::CPassing p = Classify("struct T { a: f16, b: f16, c: f16 }");  // <3 x half>, clang's <4 x half>
  ASSERT_EQ(p.count, 1);
  EXPECT_TRUE(p.parts[0].has_half);
  EXPECT_EQ(p.parts[0].size, 6);
  // { double, <4 x half> }: clang says { double, bfloat }; either puts the bf16 in the low bits
  // of the second SSE register (the rest of the eightbyte is padding).
  sema::CPassing q = Classify("struct T { d: f64, a: bf16 }");
  ASSERT_EQ(Shape(q), "SS");
  EXPECT_TRUE(q.parts[0].has_double && !q.parts[0].has_half);
  EXPECT_TRUE(q.parts[1].has_half);
  EXPECT_EQ(q.parts[1].size, 8);
  EXPECT_EQ(Shape(Classify("struct T { a: f16, i: i32 }")), "I");  // an integer shares the eightbyte
}

TEST(CAbi, EmptyStructIsIgnored) { EXPECT_EQ(Classify("struct T {}").kind, PKind::Ignore); }

auto KindsOf(const std::string& text) -> std::vector<Kind> { return testing::Frontend(text).Kinds(); }

TEST(CheckFfi, ExternCallsNeedUnsafeUnlessSafe) {
  EXPECT_EQ(KindsOf("extern \"m\" { fn cos(x: f64) -> f64; }\nlet c = cos(1.0)"),
            (std::vector<Kind>{Kind::NeedsUnsafe, Kind::NoteExternNotSafe}));
  EXPECT_EQ(KindsOf("extern \"m\" { safe fn cos(x: f64) -> f64; }\nlet c = cos(1.0)"), std::vector<Kind>{});
  EXPECT_EQ(KindsOf("extern \"m\" { fn cos(x: f64) -> f64; }\nunsafe { let c = cos(1.0) }"), std::vector<Kind>{});
}

TEST(CheckFfi, FunctionsAreFunctionPointers) {
  testing::Frontend f("fn add(a: i32, b: i32) -> i32 { return a + b }\nlet p = add\nlet q: fn(i32, i32) -> i32 = add");
  ASSERT_EQ(f.errors(), 0);
  auto* p = ast::As<ast::Let>(f.tree->stmts[0]);
  EXPECT_EQ(sema::ToString(p->type), "fn(i32, i32) -> i32");
  EXPECT_EQ(KindsOf("fn f(a: i32) {}\nlet q: fn(i64) = f"), std::vector<Kind>{Kind::TypeMismatch});
  EXPECT_EQ(KindsOf("let q: fn(i32) -> i32 = null\nlet r = q(1)"), std::vector<Kind>{Kind::NeedsUnsafe});
}

TEST(CheckFfi, VariadicExtras) {
  const char* decl = "struct P { a: i32 }\nextern { fn printf(f: cstring, ...) -> i32; }\n";
  EXPECT_EQ(KindsOf(std::string(decl) + "unsafe { printf(\"%d %f\", 1, 2.5) }"), std::vector<Kind>{});
  EXPECT_EQ(KindsOf(std::string(decl) + "unsafe { printf(\"%d\", P { a: 1 }) }"), std::vector<Kind>{Kind::VariadicAggregate});
  EXPECT_EQ(KindsOf(std::string(decl) + "unsafe { printf() }"),
            (std::vector<Kind>{Kind::VariadicArgCount, Kind::NoteDeclaredHere}));
}

TEST(CheckFfi, LayoutAttribute) {
  EXPECT_EQ(KindsOf("@layout(size: 16, align: 8) struct S { a: i32, b: f64 }"), std::vector<Kind>{});
  EXPECT_EQ(KindsOf("@layout(size: 12) struct S { a: i32, b: f64 }"),
            (std::vector<Kind>{Kind::LayoutMismatch, Kind::NoteLayoutFields}));
}

TEST(CheckFfi, SizeofTakesItsContextType) {
  testing::Frontend f("let a: usize = sizeof(i64)\nlet b = sizeof(i64)");
  ASSERT_EQ(f.errors(), 0);
  EXPECT_EQ(sema::ToString(ast::As<ast::Let>(f.tree->stmts[0])->type), "usize");
  EXPECT_EQ(sema::ToString(ast::As<ast::Let>(f.tree->stmts[1])->type), "u64");
}

}  // namespace
}  // namespace fusion
