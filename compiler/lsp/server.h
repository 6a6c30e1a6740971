// `fusion lsp`: the Language Server Protocol over a pair of streams (stdin/stdout in main.cpp).
#pragma once

#include <iosfwd>
#include <map>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

#include "lsp/analysis.h"

namespace fusion::lsp {

struct ServerOptions {
  std::vector<std::string> include_dirs;  // -I
  std::vector<std::string> library_dirs;  // the Fusion library (`import "libc"`)
  std::string version;
};

class Server {
 public:
  Server(std::istream& in, std::ostream& out, ServerOptions options);
  // Serves until `exit`; returns the process's exit code (0 after `shutdown`, else 1).
  auto Run() -> int;
  // How long the last analysis took (bench/lsp reads it from the log).
  auto last_analysis_us() const -> long long { return last_analysis_us_; }

 private:
  struct Document {
    std::unique_ptr<Analysis> analysis;  // null: to be made again (the text changed)
  };
  auto Read(std::string& body) -> bool;
  void Send(const nlohmann::json& message);
  void Reply(const nlohmann::json& id, const nlohmann::json& result);
  void ReplyError(const nlohmann::json& id, int code, const std::string& message);
  void Notify(const std::string& method, const nlohmann::json& params);
  void Handle(const nlohmann::json& message);
  auto Analyse(const std::string& path) -> const Analysis*;
  void Changed(const std::string& path);

  std::istream& in_;
  std::ostream& out_;
  ServerOptions options_;
  std::map<std::string, Document> docs_;         // open documents, by path
  std::map<std::string, std::string> overlay_;   // their texts, by driver::OverlayKey
  bool shutdown_ = false, done_ = false;
  int exit_code_ = 1;
  long long last_analysis_us_ = 0;
};

}  // namespace fusion::lsp
