// Strings and files (docs/strings.md): literals as static rt_str objects, operators, the methods
// and `io.*` functions of base/string_api.def as runtime calls (fusion/rt_string.h), `format`,
// `s += t`, and `for line in x.lines()`. Strings and files are counted references
// (lower/lower_ref.cpp).
#include "base/check.h"
#include "lower/lowerer.h"

namespace fusion::lower {

namespace {

using B = ast::Builtin;

struct StringApiFn {
  const char* prefix;  // the runtime function's: rt_str_, rt_file_, rt_io_
  const char* name;
  B kind;
  const char* params;
};
constexpr StringApiFn kStringApi[] = {
#define STRING_METHOD(name, kind, result, params) {"rt_str_", #name, B::kind, params},
#define FILE_METHOD(name, kind, result, params) {"rt_file_", #name, B::kind, params},
#define IO_FN(name, kind, result, params) {"rt_io_", #name, B::kind, params},
#include "base/string_api.def"
};

auto FindStringApi(B kind) -> const StringApiFn& {
  for (const StringApiFn& f : kStringApi)
    if (f.kind == kind) return f;
  FUSION_CHECK(false) << "not a string API builtin";
  return kStringApi[0];
}

}  // namespace

// A literal's object, of the layout fusion/rt_string.h gives: static (refs -1), never freed.
auto Lowerer::StringObject(const std::string& text) -> llvm::Constant* {
  auto it = string_objects_.find(text);
  if (it != string_objects_.end()) return it->second;
  llvm::Type* i64 = b_.getInt64Ty();
  llvm::Type* ptr = b_.getPtrTy();
  auto* ty = llvm::StructType::get(ctx_, {i64, ptr, i64, ptr, ptr, i64, ptr});
  llvm::Constant* null = llvm::ConstantPointerNull::get(b_.getPtrTy());
  auto* init = llvm::ConstantStruct::get(
      ty, {b_.getInt64(-1), null, b_.getInt64(static_cast<int64_t>(text.size())), StringConst(text), null,
           b_.getInt64(0), null});
  auto* g = new llvm::GlobalVariable(*mod_, ty, true, llvm::GlobalValue::PrivateLinkage, init, ".string");
  g->setAlignment(llvm::Align(8));
  return string_objects_[text] = g;
}

// print/eprint (stream 1, 2) and format (stream 0): each value, one space between them.
void Lowerer::LowerFormatArgs(const ast::Call* e, int stream) {
  llvm::Value* s = b_.getInt32(stream);
  for (size_t i = 0; i < e->args.size(); i++) {
    if (i > 0) b_.CreateCall(Runtime("rt_print_sep"), {s});
    const ast::Expr* a = e->args[i];
    llvm::Value* v = LowerExpr(a);
    if (a->type->IsVector()) {  // [1.0, 2.0, 3.0, 4.0]: each lane as a scalar prints
      b_.CreateCall(Runtime("rt_print_str"), {s, StringConst("[")});
      for (uint64_t lane = 0; lane < a->type->count; lane++) {
        if (lane > 0) b_.CreateCall(Runtime("rt_print_str"), {s, StringConst(", ")});
        FormatScalar(b_.CreateExtractElement(v, lane), a->type->elem, s);
      }
      b_.CreateCall(Runtime("rt_print_str"), {s, StringConst("]")});
      continue;
    }
    FormatScalar(v, a->type, s);
    ReleaseIfOwned(a, v);
  }
}

// One value of `print` or `format` into stream `s`.
void Lowerer::FormatScalar(llvm::Value* v, const Type* t, llvm::Value* s) {
  switch (t->kind) {
    case TypeKind::Int:
    case TypeKind::Enum: {
      const Type* it = t->kind == TypeKind::Enum ? t->backing : t;
      llvm::Value* wide = IntCast(v, it, b_.getInt64Ty());
      b_.CreateCall(Runtime(it->is_signed ? "rt_print_i64" : "rt_print_u64"), {s, wide});
      break;
    }
    case TypeKind::Float:
      if (t->IsHalf()) {  // as its exact f64 value, printed with the digits that read back as t
        v = FloatCast(v, t, m_.types->f64());
        b_.CreateCall(Runtime(t->is_bfloat ? "rt_print_bf16" : "rt_print_f16"), {s, v});
        break;
      }
      b_.CreateCall(Runtime(t->bits == 32 ? "rt_print_f32" : "rt_print_f64"), {s, v});
      break;
    case TypeKind::Bool:
      b_.CreateCall(Runtime("rt_print_bool"), {s, v});
      break;
    case TypeKind::CString:
      b_.CreateCall(Runtime("rt_print_str"), {s, v});
      break;
    case TypeKind::Pointer:
    case TypeKind::FnPtr:
      b_.CreateCall(Runtime("rt_print_ptr"), {s, v});
      break;
    case TypeKind::String:
      b_.CreateCall(Runtime("rt_print_string"), {s, v});
      break;
    case TypeKind::Tensor:
      b_.CreateCall(Runtime("rt_tensor_print"), {s, v});
      break;
    default:
      FUSION_UNREACHABLE("print of " << sema::ToString(t));
  }
}

auto Lowerer::LowerStringCall(const ast::Call* e) -> llvm::Value* {
  if (e->builtin == B::StrLen) {
    llvm::Value* s = LowerExpr(e->self);
    llvm::Value* n = StringLen(s);
    ReleaseIfOwned(e->self, s);
    return n;
  }
  const StringApiFn& fn = FindStringApi(e->builtin);
  std::vector<llvm::Value*> args;
  std::vector<std::pair<const ast::Expr*, llvm::Value*>> borrowed;
  if (e->self) {
    args.push_back(LowerExpr(e->self));
    borrowed.emplace_back(e->self, args.back());
  }
  for (size_t i = 0; i < e->args.size(); i++) {
    const ast::Expr* a = e->args[i];
    if (fn.params[i] == 'I') {
      args.push_back(IntCast(LowerExpr(a), a->type, b_.getInt64Ty()));
    } else {
      args.push_back(LowerExpr(a));
      borrowed.emplace_back(a, args.back());
    }
  }
  args.push_back(PanicLoc(e->range));
  std::string runtime_name = std::string(fn.prefix) + fn.name;
  llvm::Value* r = b_.CreateCall(Runtime(runtime_name.c_str()), args);
  // The C string of a temporary (`arg(1).cstr()`) points into it: the temporary is kept until
  // its block ends (or this call runs again), in a slot of its own.
  if (e->builtin == B::StrCstr && OwnsRef(e->self)) {
    KeepUntilBlockEnd(args[0], "cstr.keep");
    borrowed.erase(borrowed.begin());
  }
  for (auto [a, v] : borrowed) ReleaseIfOwned(a, v);
  return r->getType()->isVoidTy() ? nullptr : r;
}

// a + b (a new string), comparisons by content.
auto Lowerer::LowerStringBinary(const ast::Binary* e) -> llvm::Value* {
  llvm::Value* a = LowerExpr(e->lhs);
  llvm::Value* b = LowerExpr(e->rhs);
  llvm::Value* r = nullptr;
  switch (e->op) {
    case TokenKind::Plus: r = b_.CreateCall(Runtime("rt_str_concat"), {a, b}); break;
    case TokenKind::EqEq: r = b_.CreateCall(Runtime("rt_str_equal"), {a, b}); break;
    case TokenKind::NotEq: r = b_.CreateNot(b_.CreateCall(Runtime("rt_str_equal"), {a, b})); break;
    default: {
      llvm::Value* c = b_.CreateCall(Runtime("rt_str_compare"), {a, b});
      llvm::Value* zero = b_.getInt32(0);
      switch (e->op) {
        case TokenKind::Less: r = b_.CreateICmpSLT(c, zero); break;
        case TokenKind::LessEq: r = b_.CreateICmpSLE(c, zero); break;
        case TokenKind::Greater: r = b_.CreateICmpSGT(c, zero); break;
        case TokenKind::GreaterEq: r = b_.CreateICmpSGE(c, zero); break;
        default: FUSION_UNREACHABLE("string operator " << lex::Spelling(e->op));
      }
    }
  }
  ReleaseIfOwned(e->lhs, a);
  ReleaseIfOwned(e->rhs, b);
  return r;
}

// A string's length and bytes, read from its rt_str as code that loops over a string would want
// (fusion/rt_string.h: `len` at 16, `data` at 24).
auto Lowerer::StringLen(llvm::Value* s) -> llvm::Value* {
  return b_.CreateLoad(b_.getInt64Ty(), b_.CreateConstInBoundsGEP1_64(b_.getInt8Ty(), s, 16), "len");
}

// s[i]: the byte, bounds-checked here (the runtime's rt_str_byte reports a bad index).
auto Lowerer::LowerStringIndex(const ast::Index* e) -> llvm::Value* {
  llvm::Value* s = LowerExpr(e->base);
  llvm::Value* i = IntCast(LowerExpr(e->index), e->index->type, b_.getInt64Ty());
  llvm::Value* loc = PanicLoc(e->range);
  FailIf(b_.CreateICmpUGE(i, StringLen(s)), Runtime(e->index->type->is_signed ? "rt_str_byte" : "rt_str_byte_u"), {s, i, loc});
  llvm::Value* data = b_.CreateLoad(b_.getPtrTy(), b_.CreateConstInBoundsGEP1_64(b_.getInt8Ty(), s, 24), "data");
  llvm::Value* byte = b_.CreateLoad(b_.getInt8Ty(), b_.CreateInBoundsGEP(b_.getInt8Ty(), data, i));
  ReleaseIfOwned(e->base, s);
  return byte;
}

// s += t, which appends in place when `s` holds the only reference.
void Lowerer::LowerStringAppend(const ast::Assign* a) {
  llvm::Value* slot = LowerAddr(a->target);
  llvm::Value* t = LowerExpr(a->value);
  llvm::Value* s = b_.CreateLoad(b_.getPtrTy(), slot);
  b_.CreateStore(b_.CreateCall(Runtime("rt_str_append"), {s, t}), slot);
  ReleaseIfOwned(a->value, t);
}

// for line in s.lines() / f.lines(): each line a new string, released at the end of its turn.
void Lowerer::LowerLinesFor(const ast::For* s) {
  auto* call = As<ast::Call>(s->start);
  bool of_string = call->builtin == B::StrLines;
  // The string or file is kept for the loop (a temporary one too) in a slot of the enclosing
  // block (so that a `return` in the loop releases it), released after the loop.
  llvm::Value* source_slot = RefSlot("lines.source");
  llvm::Value* source = OwnedRef(call->self);
  b_.CreateStore(source, source_slot);
  llvm::Value* pos = nullptr;
  if (of_string) {
    pos = EntryAlloca(b_.getInt64Ty(), "lines.pos");
    b_.CreateStore(b_.getInt64(0), pos);
  }
  llvm::Value* loc = PanicLoc(call->range);
  llvm::Value* var = RefSlot(s->name);  // released with the enclosing block, and at each turn
  locals_[s] = var;
  DeclareLocal(var, s->name, s->type, s->name_range);
  auto* cond_bb = llvm::BasicBlock::Create(ctx_, "lines.next", fn_);
  auto* body_bb = llvm::BasicBlock::Create(ctx_, "lines.body", fn_);
  auto* end_bb = llvm::BasicBlock::Create(ctx_, "lines.end", fn_);
  b_.CreateBr(cond_bb);
  b_.SetInsertPoint(cond_bb);
  llvm::Value* line = of_string ? b_.CreateCall(Runtime("rt_str_next_line"), {source, pos})
                                : b_.CreateCall(Runtime("rt_file_next_line"), {source, loc});
  StoreRef(var, line);
  b_.CreateCondBr(b_.CreateIsNull(line), end_bb, body_bb);
  LowerLoopBody(s->body, body_bb, cond_bb, end_bb);
  b_.SetInsertPoint(end_bb);
  StoreRef(source_slot, llvm::ConstantPointerNull::get(b_.getPtrTy()));
}

}  // namespace fusion::lower
