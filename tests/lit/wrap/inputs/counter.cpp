// The test library behind counter.h.
#include "counter.h"

#include <cstdarg>
#include <stdexcept>

namespace demo {

static long live = 0;
Live::Live() { live++; }
Live::Live(const Live&) { live++; }
Live::~Live() { live--; }
long live_objects() { return live; }

Counter::Counter() : name_("anonymous") {}
Counter::Counter(long start) : name_("anonymous"), value_(start) {}
Counter::Counter(const std::string& name, long start) : name_(name), value_(start) {}

void Counter::add(long n) {
  value_ += n;
  history_.push_back(n);
}
void Counter::add(const std::string& digits) {
  size_t used = 0;
  long n = 0;
  try {
    n = std::stol(digits, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != digits.size() || digits.empty()) throw std::invalid_argument("not a number: \"" + digits + "\"");
  add(n);
}
void Counter::add(const std::vector<long>& ns) {
  for (long n : ns) add(n);
}
long Counter::value() const { return value_; }
const std::string& Counter::name() const { return name_; }
std::string Counter::describe(Color c) const {
  return name_ + "=" + std::to_string(value_) + (c == Color::Blue ? " (blue)" : c == Color::Green ? " (green)" : " (red)");
}
std::vector<long> Counter::history() const { return history_; }
std::optional<long> Counter::last() const {
  if (history_.empty()) return std::nullopt;
  return history_.back();
}
std::optional<std::string> Counter::label() const { return label_; }
void Counter::set_label(const std::optional<std::string>& label) { label_ = label; }
long Counter::divide(long by) const {
  if (by == 0) throw std::domain_error("division of " + name_ + " by zero");
  return value_ / by;
}
void Counter::take(long& into) { into += value_; }
Counter* Counter::global() {
  static Counter c;
  return &c;
}
void Counter::consume(std::string&& s) { name_ = std::move(s); }
double Counter::scaled(double factor, int digits) const { return static_cast<double>(value_) * factor + digits; }
long Counter::fancy(long n, std::vector<std::string> tags) const { return n + static_cast<long>(tags.size()); }

long sum(const std::vector<long>& xs) {
  long s = 0;
  for (long x : xs) s += x;
  return s;
}
double sum(const std::vector<double>& xs) {
  double s = 0;
  for (double x : xs) s += x;
  return s;
}
std::vector<Counter> make_counters(long n) {
  std::vector<Counter> out;
  for (long i = 0; i < n; i++) out.emplace_back("c" + std::to_string(i), i * 10);
  return out;
}
long total(const std::vector<Counter>& cs) {
  long t = 0;
  for (const Counter& c : cs) t += c.value();
  return t;
}
std::string greet(const char* who) { return std::string("hello, ") + who; }
long checked(std::optional<long> maybe) { return maybe.value(); }
int variadic(int n, ...) { return n; }

}  // namespace demo
