// `fusion lsp`: the Language Server Protocol over stdin/stdout (JSON-RPC 2.0 with Content-Length
// framing; nlohmann::json). Documents are synchronised whole; each change re-analyses the
// document (analysis.h) and publishes its diagnostics; requests read the latest analysis.
#include "lsp/server.h"

#include <chrono>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>

#include "driver/load.h"

namespace fusion::lsp {

using json = nlohmann::json;

namespace {

auto ToJson(Position p) -> json { return {{"line", p.line}, {"character", p.character}}; }
auto ToJson(const Range& r) -> json { return {{"start", ToJson(r.start)}, {"end", ToJson(r.end)}}; }
auto ToJson(const Location& l) -> json { return {{"uri", UriOfPath(l.path)}, {"range", ToJson(l.range)}}; }
auto PositionOfJson(const json& j) -> Position { return {j.at("line").get<int>(), j.at("character").get<int>()}; }

auto SymbolKind(Symbol::Kind k) -> int {  // the protocol's SymbolKind numbers
  switch (k) {
    case Symbol::Kind::Function: return 12;
    case Symbol::Kind::Struct: return 23;
    case Symbol::Kind::Enum: return 10;
    case Symbol::Kind::EnumMember: return 22;
    case Symbol::Kind::Constant: return 14;
    case Symbol::Kind::Variable: return 13;
    case Symbol::Kind::Field: return 8;
    case Symbol::Kind::TypeAlias: return 26;  // TypeParameter: the nearest there is
    case Symbol::Kind::Opaque: return 5;      // Class
  }
  return 13;
}

auto CompletionKind(Completion::Kind k) -> int {  // CompletionItemKind
  switch (k) {
    case Completion::Kind::Function: return 3;
    case Completion::Kind::Method: return 2;
    case Completion::Kind::Field: return 5;
    case Completion::Kind::Variable: return 6;
    case Completion::Kind::Constant: return 21;
    case Completion::Kind::Struct: return 22;
    case Completion::Kind::Enum: return 13;
    case Completion::Kind::EnumMember: return 20;
    case Completion::Kind::Keyword: return 14;
    case Completion::Kind::Module: return 9;
  }
  return 1;
}

auto SymbolJson(const Symbol& s) -> json {
  json j = {{"name", s.name}, {"detail", s.detail}, {"kind", SymbolKind(s.kind)},
            {"range", ToJson(s.range)}, {"selectionRange", ToJson(s.selection)}};
  if (!s.children.empty()) {
    j["children"] = json::array();
    for (const Symbol& c : s.children) j["children"].push_back(SymbolJson(c));
  }
  return j;
}

}  // namespace

Server::Server(std::istream& in, std::ostream& out, ServerOptions options)
    : in_(in), out_(out), options_(std::move(options)) {}

auto Server::Read(std::string& body) -> bool {
  size_t length = 0;
  std::string line;
  bool any = false;
  while (std::getline(in_, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) {
      if (any) break;
      continue;
    }
    any = true;
    if (line.rfind("Content-Length:", 0) == 0) length = std::stoul(line.substr(15));
  }
  if (!any || length == 0) return false;
  body.resize(length);
  in_.read(body.data(), static_cast<std::streamsize>(length));
  return static_cast<size_t>(in_.gcount()) == length;
}

void Server::Send(const json& message) {
  std::string body = message.dump(-1, ' ', false, json::error_handler_t::replace);
  out_ << "Content-Length: " << body.size() << "\r\n\r\n" << body;
  out_.flush();
}

void Server::Reply(const json& id, const json& result) { Send({{"jsonrpc", "2.0"}, {"id", id}, {"result", result}}); }

void Server::ReplyError(const json& id, int code, const std::string& message) {
  Send({{"jsonrpc", "2.0"}, {"id", id}, {"error", {{"code", code}, {"message", message}}}});
}

void Server::Notify(const std::string& method, const json& params) {
  Send({{"jsonrpc", "2.0"}, {"method", method}, {"params", params}});
}

auto Server::Analyse(const std::string& path) -> const Analysis* {
  auto it = docs_.find(path);
  if (it == docs_.end()) return nullptr;
  Document& doc = it->second;
  if (!doc.analysis) {
    AnalysisOptions options;
    options.include_dirs = options_.include_dirs;
    options.library_dirs = options_.library_dirs;
    options.overlay = &overlay_;
    auto start = std::chrono::steady_clock::now();
    doc.analysis = std::make_unique<Analysis>(path, options);
    last_analysis_us_ = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start).count();
  }
  return doc.analysis.get();
}

void Server::Changed(const std::string& path) {
  for (auto& [p, d] : docs_) d.analysis.reset();  // an import's text may have changed
  const Analysis* a = Analyse(path);
  if (!a) return;
  json diagnostics = json::array();
  for (const Diagnostic& d : a->Diagnostics(path)) {
    json j = {{"range", ToJson(d.range)},
              {"severity", d.severity == diag::Severity::Error ? 1 : d.severity == diag::Severity::Warning ? 2 : 3},
              {"code", d.code},
              {"source", "fusion"},
              {"message", d.message}};
    if (!d.notes.empty()) {
      j["relatedInformation"] = json::array();
      for (const auto& [loc, text] : d.notes) j["relatedInformation"].push_back({{"location", ToJson(loc)}, {"message", text}});
    }
    diagnostics.push_back(std::move(j));
  }
  Notify("textDocument/publishDiagnostics", {{"uri", UriOfPath(path)}, {"diagnostics", diagnostics}});
}

void Server::Handle(const json& m) {
  std::string method = m.value("method", "");
  bool is_request = m.contains("id");
  json id = is_request ? m["id"] : json();
  const json params = m.value("params", json::object());
  if (method == "initialize") {
    json caps = {
        {"textDocumentSync", {{"openClose", true}, {"change", 1}, {"save", {{"includeText", false}}}}},
        {"hoverProvider", true},
        {"definitionProvider", true},
        {"referencesProvider", true},
        {"documentSymbolProvider", true},
        {"completionProvider", {{"triggerCharacters", {"."}}}},
        {"signatureHelpProvider", {{"triggerCharacters", {"(", ","}}}},
    };
    return Reply(id, {{"capabilities", caps}, {"serverInfo", {{"name", "fusion lsp"}, {"version", options_.version}}}});
  }
  if (method == "shutdown") {
    shutdown_ = true;
    return Reply(id, nullptr);
  }
  if (method == "exit") {
    exit_code_ = shutdown_ ? 0 : 1;
    done_ = true;
    return;
  }
  if (method == "initialized" || method == "$/cancelRequest" || method == "$/setTrace" || method == "workspace/didChangeConfiguration")
    return;
  if (method == "textDocument/didOpen" || method == "textDocument/didChange" || method == "textDocument/didClose" ||
      method == "textDocument/didSave") {
    const json& td = params.at("textDocument");
    std::string path = PathOfUri(td.at("uri").get<std::string>());
    std::string key = driver::OverlayKey(path);
    if (method == "textDocument/didClose") {
      docs_.erase(path);
      overlay_.erase(key);
      for (auto& [p, d] : docs_) d.analysis.reset();
      Notify("textDocument/publishDiagnostics", {{"uri", td.at("uri")}, {"diagnostics", json::array()}});
      return;
    }
    if (method == "textDocument/didOpen") overlay_[key] = td.at("text").get<std::string>();
    if (method == "textDocument/didChange") {
      const json& changes = params.at("contentChanges");
      if (!changes.empty()) overlay_[key] = changes.back().at("text").get<std::string>();  // full sync
    }
    docs_[path];
    return Changed(path);
  }
  if (method.rfind("textDocument/", 0) == 0 && is_request) {
    std::string path = PathOfUri(params.at("textDocument").at("uri").get<std::string>());
    const Analysis* a = Analyse(path);
    if (!a) return Reply(id, nullptr);
    Position pos = params.contains("position") ? PositionOfJson(params["position"]) : Position{};
    if (method == "textDocument/hover") {
      auto text = a->Hover(pos);
      if (!text) return Reply(id, nullptr);
      return Reply(id, {{"contents", {{"kind", "markdown"}, {"value", *text}}}});
    }
    if (method == "textDocument/definition") {
      auto loc = a->Definition(pos);
      return Reply(id, loc ? ToJson(*loc) : json(nullptr));
    }
    if (method == "textDocument/references") {
      bool decl = params.contains("context") && params["context"].value("includeDeclaration", false);
      json result = json::array();
      for (const Location& l : a->References(pos, decl)) result.push_back(ToJson(l));
      return Reply(id, result);
    }
    if (method == "textDocument/documentSymbol") {
      json result = json::array();
      for (const Symbol& s : a->Symbols()) result.push_back(SymbolJson(s));
      return Reply(id, result);
    }
    if (method == "textDocument/completion") {
      json items = json::array();
      for (const Completion& c : a->Complete(pos))
        items.push_back({{"label", c.label}, {"kind", CompletionKind(c.kind)}, {"detail", c.detail}});
      return Reply(id, {{"isIncomplete", false}, {"items", items}});
    }
    if (method == "textDocument/signatureHelp") {
      auto sig = a->SignatureHelp(pos);
      if (!sig) return Reply(id, nullptr);
      json ps = json::array();
      for (auto [b, e] : sig->params) ps.push_back({{"label", {b, e}}});
      return Reply(id, {{"signatures", {{{"label", sig->label}, {"parameters", ps}}}},
                        {"activeSignature", 0},
                        {"activeParameter", sig->active}});
    }
  }
  if (is_request) ReplyError(id, -32601, "method not supported: " + method);
}

auto Server::Run() -> int {
  std::string body;
  while (!done_ && Read(body)) {
    json m = json::parse(body, nullptr, false);
    if (m.is_discarded()) {
      Send({{"jsonrpc", "2.0"}, {"id", nullptr}, {"error", {{"code", -32700}, {"message", "parse error"}}}});
      continue;
    }
    try {
      Handle(m);
    } catch (const json::exception& e) {
      if (m.contains("id")) ReplyError(m["id"], -32602, std::string("invalid params: ") + e.what());
    }
  }
  return done_ ? exit_code_ : 1;
}

}  // namespace fusion::lsp
