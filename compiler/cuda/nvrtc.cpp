// CUDA C kernels through NVRTC: loading the library, compiling each `extern cuda` source, turning
// NVRTC's log into Fusion diagnostics, and checking each declaration against its PTX entry.
#include "cuda/nvrtc.h"


#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>

#include "fusion/rt_cache.h"
#include "fusion/rt_nvrtc.h"
#include "parse/ast.h"
#include "sema/types.h"

namespace fusion::cuda {

// --- The library (fusion/rt_nvrtc.h, shared with the runtime's gpu.compile_cuda) ---------------

auto Nvrtc::Get(std::string& error) -> Nvrtc* {
  static Nvrtc instance;
  const char* why = nullptr;
  if (rt_nvrtc_version(&why)) return &instance;
  error = why ? why : "cannot load NVRTC";
  return nullptr;
}

auto Nvrtc::Compile(const std::string& source, const std::string& name, const std::vector<std::string>& options,
                    const std::vector<std::string>& name_exprs, NvrtcOutput& out, std::string& error) -> bool {
  std::vector<const char*> opts, names;
  for (const std::string& o : options) opts.push_back(o.c_str());
  for (const std::string& e : name_exprs) names.push_back(e.c_str());
  rt_nvrtc_result r;
  rt_nvrtc_compile(source.c_str(), name.c_str(), opts.data(), static_cast<int>(opts.size()), names.data(),
                   static_cast<int>(names.size()), &r);
  if (r.status < 0) {
    error = r.error;
    rt_nvrtc_result_free(&r);
    return false;
  }
  out.ok = r.status == 0;
  out.log = r.log ? r.log : "";
  if (out.ok) {
    out.ptx = r.ptx;
    for (int i = 0; i < r.lowered_count; i++) out.lowered.push_back(r.lowered[i]);
  }
  rt_nvrtc_result_free(&r);
  return true;
}

// --- The PTX's parameters -----------------------------------------------------------------------

namespace {

// A parameter as the PTX declares it, or as a Fusion type passes it.
struct ParamShape {
  enum Kind { Int, Float, Bytes } kind = Int;
  uint64_t size = 0;
  bool pointer = false;  // `.ptr` in the PTX (NVRTC writes it only sometimes); a Fusion pointer
};

auto Describe(const ParamShape& p) -> std::string {
  std::string what = p.kind == ParamShape::Float ? "a float" : p.kind == ParamShape::Bytes ? "a struct" : "an integer";
  if (p.pointer) what = "a pointer";
  return what + " of " + std::to_string(p.size) + " byte" + (p.size == 1 ? "" : "s");
}

// The parameters of `.entry NAME(...)` in `ptx`; false when there is no such entry.
auto EntryParams(const std::string& ptx, const std::string& entry, std::vector<ParamShape>& out) -> bool {
  int count = rt_nvrtc_entry_params(ptx.c_str(), entry.c_str(), nullptr, 0);
  if (count < 0) return false;
  std::vector<rt_nvrtc_param> params(static_cast<size_t>(count));
  rt_nvrtc_entry_params(ptx.c_str(), entry.c_str(), params.data(), count);
  for (const rt_nvrtc_param& p : params) {
    ParamShape shape;
    shape.kind = p.kind == 'f' ? ParamShape::Float : p.kind == 's' ? ParamShape::Bytes : ParamShape::Int;
    shape.size = p.size;
    shape.pointer = p.pointer;
    out.push_back(shape);
  }
  return true;
}

auto ShapeOf(const sema::Type* t) -> ParamShape {
  using sema::TypeKind;
  ParamShape s;
  s.size = t->size;
  if (t->IsFloat()) s.kind = ParamShape::Float;
  else if (t->kind == TypeKind::Struct || t->kind == TypeKind::Array) s.kind = ParamShape::Bytes;
  s.pointer = t->kind == TypeKind::Pointer || t->kind == TypeKind::FnPtr || t->kind == TypeKind::CString;
  return s;
}

// Whether a Fusion parameter can receive what the PTX entry's parameter takes.
auto Matches(const ParamShape& fusion, const ParamShape& ptx) -> bool {
  if (fusion.size != ptx.size) return false;
  if (ptx.pointer && !fusion.pointer) return false;
  if (fusion.kind == ParamShape::Bytes || ptx.kind == ParamShape::Bytes)
    return fusion.kind == ptx.kind || (ptx.kind == ParamShape::Bytes && !fusion.pointer);
  return fusion.kind == ptx.kind;
}

// --- Diagnostics from NVRTC's log ---------------------------------------------------------------

// Where a CUDA source's text is: a file added to the SourceManager, or a string literal in Fusion
// source (whose raw text is mapped back through its escapes), or nowhere better than the block.
struct SourcePlace {
  uint32_t file = 0;            // the .cu file's id, or the Fusion file holding the literal
  uint32_t literal_begin = 0;   // offset of the literal's opening quote (literal sources)
  bool literal = false;
  SourceRange fallback;
};

// The byte offset in `text` (a file's) of 1-based line and column.
auto OffsetOf(std::string_view text, int line, int col) -> uint32_t {
  size_t at = 0;
  for (int l = 1; l < line && at < text.size(); l++) {
    size_t nl = text.find('\n', at);
    if (nl == std::string_view::npos) break;
    at = nl + 1;
  }
  return static_cast<uint32_t>(std::min(text.size(), at + static_cast<size_t>(col > 0 ? col - 1 : 0)));
}

// The raw offset, in the Fusion file, of decoded offset `target` of the literal starting at `begin`.
auto LiteralOffset(std::string_view file_text, uint32_t begin, size_t target) -> uint32_t {
  size_t raw = begin + 1, decoded = 0;  // past the quote
  while (raw < file_text.size() && decoded < target && file_text[raw] != '"') {
    if (file_text[raw] == '\\' && raw + 1 < file_text.size()) {
      char c = file_text[raw + 1];
      raw += c == 'x' ? 4 : 2;
    } else {
      raw++;
    }
    decoded++;
  }
  return static_cast<uint32_t>(raw);
}

void ReportLog(const std::string& log, const std::string& source, const SourcePlace& place,
               const std::vector<ast::FnDecl*>& kernels, SourceManager& sources, diag::Consumer& diags) {
  std::stringstream in(log);
  std::string line;
  std::vector<std::string> lines;
  while (std::getline(in, line)) lines.push_back(line);
  struct Message {
    int line, col;
    bool warning;
    std::string text;
  };
  std::vector<Message> messages;
  for (size_t i = 0; i < lines.size(); i++) {
    // NAME(LINE): error: MESSAGE, then the line (indented by two) and a caret under the spot.
    const std::string& l = lines[i];
    size_t open = l.find("): ");
    size_t paren = open == std::string::npos ? std::string::npos : l.rfind('(', open);
    if (paren == std::string::npos) continue;
    int lineno = std::atoi(l.c_str() + paren + 1);
    std::string rest = l.substr(open + 3);
    bool warning = rest.rfind("warning", 0) == 0;
    bool error = rest.rfind("error", 0) == 0 || rest.rfind("catastrophic error", 0) == 0;
    if (lineno <= 0 || (!warning && !error)) continue;
    std::string message = rest.substr(rest.find(':') + 1);
    while (!message.empty() && message[0] == ' ') message.erase(0, 1);
    int col = 1;
    if (i + 2 < lines.size()) {
      size_t caret = lines[i + 2].find('^');
      if (caret != std::string::npos && lines[i + 2].find_first_not_of(" ^") == std::string::npos)
        col = static_cast<int>(caret >= 2 ? caret - 1 : 1);
    }
    messages.push_back({lineno, col, warning, message});
  }
  // A name expression NVRTC cannot resolve (`fill` for a template) fails the whole compilation
  // with messages about code NVRTC added: report it at the declaration instead, and drop them.
  std::vector<int> name_lines;
  for (const Message& m : messages) {
    size_t at = m.text.find("Input name expression was:");
    if (at == std::string::npos) continue;
    std::string expr = m.text.substr(at + 26);
    expr.erase(0, expr.find_first_not_of(" \""));
    expr.erase(expr.find_last_not_of(" \"") + 1);
    for (ast::FnDecl* k : kernels)
      if (k->cuda_name == expr)
        diags.Report(diag::Kind::CudaNoKernel, k->name_range,
                     {expr, k->cuda_name == k->name ? "; a C++ kernel is named with @cuda_name(\"ns::name<T>\")" : ""});
    name_lines.push_back(m.line);
  }
  bool any = !name_lines.empty();
  for (const Message& m : messages) {
    if (std::find(name_lines.begin(), name_lines.end(), m.line) != name_lines.end()) continue;
    SourceRange range = place.fallback;
    if (place.file && !place.literal) {
      uint32_t off = OffsetOf(sources.file(place.file).text(), m.line, m.col);
      range = {{place.file, off}, off + 1};
    } else if (place.literal) {
      uint32_t off = LiteralOffset(sources.file(place.file).text(), place.literal_begin, OffsetOf(source, m.line, m.col));
      range = {{place.file, off}, off + 1};
    }
    diags.Report(m.warning ? diag::Kind::CudaWarning : diag::Kind::CudaError, range, {m.text});
    any = true;
  }
  if (!any && !log.empty()) diags.Report(diag::Kind::CudaError, place.fallback, {"NVRTC failed: " + log});
}

auto DirOf(const std::string& path) -> std::string {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? "." : path.substr(0, slash);
}

// --- The cache (docs/cache.md) ------------------------------------------------------------------

// The cache key of one compilation: the library NVRTC would be loaded from (identified without
// loading it, so that a hit needs no NVRTC), the source's name and text, the options (the
// architecture among them), the name expressions, and every header the source includes, looked
// for as NVRTC would (the source's own directory for a file, then the -I directories).
auto CompileKey(const std::string& text, const std::string& name, const std::string& file_dir,
                const std::vector<std::string>& options, const std::vector<std::string>& names)
    -> std::vector<uint8_t> {
  rt_cache_hash h;
  rt_cache_hash_init(&h);
  rt_cache_hash_str(&h, "fusion extern cuda entry 1: ptx, log, lowered names");
  rt_nvrtc_hash_identity(&h);
  rt_cache_hash_str(&h, name.c_str());
  rt_cache_hash_str(&h, text.c_str());
  std::vector<const char*> dirs;
  for (const std::string& o : options) {
    rt_cache_hash_str(&h, o.c_str());
    if (o.rfind("-I", 0) == 0) dirs.push_back(o.c_str() + 2);
  }
  for (const std::string& n : names) rt_cache_hash_str(&h, n.c_str());
  rt_cache_hash_includes(&h, text.c_str(), file_dir.empty() ? nullptr : file_dir.c_str(), dirs.data(), dirs.size());
  std::vector<uint8_t> key(RT_CACHE_KEY_SIZE);
  rt_cache_hash_final(&h, key.data());
  return key;
}

// A cached compilation (only successful ones are stored), or false.
auto Lookup(const std::vector<uint8_t>& key, size_t names, NvrtcOutput& out) -> bool {
  size_t size = 0;
  char* payload = static_cast<char*>(rt_cache_get("nvrtc", key.data(), &size));
  if (!payload) return false;
  const char *at = payload, *end = payload + size, *field;
  size_t len;
  bool ok = rt_cache_buf_next(&at, end, &field, &len);
  if (ok) out.ptx.assign(field, len);
  ok = ok && rt_cache_buf_next(&at, end, &field, &len);
  if (ok) out.log.assign(field, len);
  for (size_t i = 0; ok && i < names; i++)
    if ((ok = rt_cache_buf_next(&at, end, &field, &len))) out.lowered.emplace_back(field, len);
  std::free(payload);
  out.ok = ok;
  return ok;
}

void Store(const std::vector<uint8_t>& key, const NvrtcOutput& out) {
  rt_cache_buf buf = {};
  rt_cache_buf_add(&buf, out.ptx.data(), out.ptx.size());
  rt_cache_buf_add(&buf, out.log.data(), out.log.size());
  for (const std::string& l : out.lowered) rt_cache_buf_add(&buf, l.data(), l.size());
  rt_cache_put("nvrtc", key.data(), buf.data, buf.size);
  std::free(buf.data);
}

}  // namespace

auto CompileCudaKernels(sema::CheckedModule& module, SourceManager& sources, diag::Consumer& diags,
                        const CudaOptions& options) -> std::vector<std::string> {
  std::vector<std::string> ptx;
  if (module.cuda_kernels.empty()) return ptx;
  std::string error;
  Nvrtc* nvrtc = nullptr;  // loaded on the first cache miss
  // One compilation per source: a file (by its resolved path) or a source expression.
  std::map<std::string, std::vector<ast::FnDecl*>> by_file;
  std::map<const ast::Expr*, std::vector<ast::FnDecl*>> by_expr;
  std::vector<std::pair<std::string, const ast::Expr*>> order;
  for (ast::FnDecl* k : module.cuda_kernels) {
    if (k->cuda_source) {
      if (by_expr[k->cuda_source].empty()) order.push_back({"", k->cuda_source});
      by_expr[k->cuda_source].push_back(k);
      continue;
    }
    std::string path = k->cuda_path;
    if (path.empty() || path[0] != '/') {
      std::string dir = DirOf(sources.file(k->cuda_range.begin.file).path());
      if (dir != ".") path = dir + "/" + path;
    }
    if (by_file[path].empty()) order.push_back({path, nullptr});
    by_file[path].push_back(k);
  }
  std::vector<std::string> opts = {"-arch=compute_" + options.gpu_arch.substr(options.gpu_arch.find('_') + 1),
                                   "-std=c++17"};
  for (const std::string& dir : options.include_dirs) opts.push_back("-I" + dir);
  const char* home = std::getenv("CUDA_HOME");
  opts.push_back(std::string("-I") + (home && *home ? home : "/usr/local/cuda") + "/include");

  for (auto& [path, expr] : order) {
    std::vector<ast::FnDecl*>& kernels = expr ? by_expr[expr] : by_file[path];
    ast::FnDecl* first = kernels[0];
    SourcePlace place;
    place.fallback = first->cuda_range;
    std::string text, name;
    if (expr) {
      if (first->cuda_text.empty() && !expr->type) continue;  // the checker reported it
      text = first->cuda_text;
      name = "cuda source of `" + first->name + "`";
      // A literal, or a const whose initializer is one: messages point into it.
      const ast::Expr* lit = expr;
      if (auto* n = ast::As<ast::Name>(expr))
        if (auto* c = ast::As<ast::ConstDecl>(n->decl)) lit = c->init;
      if (ast::As<ast::StringLit>(lit)) {
        place.literal = true;
        place.file = lit->range.begin.file;
        place.literal_begin = lit->range.begin.offset;
        name = sources.file(place.file).path();
      }
    } else {
      std::ifstream in(path, std::ios::binary);
      if (!in) {
        diags.Report(diag::Kind::CudaFileUnreadable, first->cuda_range, {path, std::strerror(errno)});
        continue;
      }
      std::stringstream buffer;
      buffer << in.rdbuf();
      text = buffer.str();
      name = path;
      place.file = sources.Add(path, text);
    }
    std::vector<std::string> names;
    for (ast::FnDecl* k : kernels) names.push_back(k->cuda_name);
    std::vector<std::string> source_opts = opts;
    if (!expr) source_opts.push_back("-I" + DirOf(path));
    NvrtcOutput out;
    std::vector<uint8_t> key = CompileKey(text, name, expr ? "" : DirOf(path), source_opts, names);
    if (!Lookup(key, names.size(), out)) {
      out = NvrtcOutput();
      if (!nvrtc && !(nvrtc = Nvrtc::Get(error))) {
        diags.Report(diag::Kind::NvrtcUnavailable, module.cuda_kernels[0]->cuda_range, {error});
        return ptx;
      }
      if (!nvrtc->Compile(text, name, source_opts, names, out, error)) {
        diags.Report(diag::Kind::NvrtcUnavailable, first->cuda_range, {error});
        continue;
      }
      if (out.ok) Store(key, out);
    }
    if (!out.log.empty() || !out.ok) ReportLog(out.log, text, place, kernels, sources, diags);
    if (!out.ok) continue;
    int index = static_cast<int>(ptx.size());
    ptx.push_back(out.ptx);
    for (size_t i = 0; i < kernels.size(); i++) {
      ast::FnDecl* k = kernels[i];
      std::vector<ParamShape> params;
      if (out.lowered[i].empty() || !EntryParams(out.ptx, out.lowered[i], params)) {
        diags.Report(diag::Kind::CudaNoKernel, k->name_range,
                     {k->cuda_name, k->cuda_name == k->name ? "; a C++ kernel is named with @cuda_name(\"ns::name<T>\")" : ""});
        continue;
      }
      k->cuda_module = index;
      k->cuda_entry = out.lowered[i];
      if (params.size() != k->params.size()) {
        diags.Report(diag::Kind::CudaParamCount, k->name_range,
                     {k->name, std::to_string(params.size()), std::to_string(k->params.size())});
        continue;
      }
      for (size_t p = 0; p < params.size(); p++) {
        const sema::Type* t = k->params[p]->type;
        if (!t || t->IsError()) continue;
        ParamShape mine = ShapeOf(t);
        if (!Matches(mine, params[p]))
          diags.Report(diag::Kind::CudaParamType, k->params[p]->range,
                       {k->params[p]->name, sema::ToString(t), Describe(mine), std::to_string(p + 1), Describe(params[p])});
      }
    }
  }
  return ptx;
}

}  // namespace fusion::cuda
