// FUSION_CHECK: compiler invariants. A failure is a compiler bug, never a user error.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <sstream>

namespace fusion {

// Collects the message of a failed check and aborts when it goes out of scope.
class CheckFailure {
 public:
  CheckFailure(const char* file, int line, const char* cond) {
    out_ << "fusion: internal compiler error: " << file << ":" << line << ": check `" << cond
         << "` failed";
  }
  template <typename T>
  auto operator<<(const T& v) -> CheckFailure& {
    out_ << (first_ ? ": " : "") << v;
    first_ = false;
    return *this;
  }
  [[noreturn]] ~CheckFailure() {
    std::fprintf(stderr, "%s\n", out_.str().c_str());
    std::abort();
  }

 private:
  std::ostringstream out_;
  bool first_ = true;
};

}  // namespace fusion

#define FUSION_CHECK(cond) \
  if (cond) {              \
  } else                   \
    ::fusion::CheckFailure(__FILE__, __LINE__, #cond)

#define FUSION_UNREACHABLE(why) ::fusion::CheckFailure(__FILE__, __LINE__, "unreachable") << why
