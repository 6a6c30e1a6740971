// A small C++ library for tests/lit/wrap: classes, overloads, strings, vectors, optionals, enums,
// exceptions, and things the generator cannot translate.
#pragma once
#include <optional>
#include <string>
#include <vector>

namespace demo {

enum class Color : int { Red = 1, Green = 2, Blue = 4 };

// Counts the Points and Counters alive (a member of each), so that a test sees handles freed.
struct Live {
  Live();
  Live(const Live&);
  ~Live();
  Live& operator=(const Live&) { return *this; }
};
long live_objects();

struct Point {
  double x = 0, y = 0;
  Point() = default;
  Point(double x, double y) : x(x), y(y) {}
  double norm2() const { return x * x + y * y; }

 private:
  Live live_;
};

class Counter {
 public:
  Counter();
  explicit Counter(long start);
  Counter(const std::string& name, long start);
  Counter(Counter&& other) = default;
  Counter(const Counter& other) = default;

  void add(long n);                         // overloads: add_i64, add_str, add_vec_i64
  void add(const std::string& digits);      // throws std::invalid_argument on a non-number
  void add(const std::vector<long>& ns);
  long value() const;
  const std::string& name() const;
  std::string describe(Color c) const;
  std::vector<long> history() const;
  std::optional<long> last() const;         // nullopt before the first add
  std::optional<std::string> label() const;
  void set_label(const std::optional<std::string>& label);
  Color color() const { return color_; }
  void set_color(Color c) { color_ = c; }
  long divide(long by) const;               // throws std::domain_error on 0
  void take(long& into);                    // into += value
  Point position() const { return Point(static_cast<double>(value_), 1.0); }
  void move_to(const Point& p) { value_ = static_cast<long>(p.x); }
  static Counter* global();                 // not translated: who owns the result?
  void consume(std::string&& s);            // not translated: an rvalue reference
  bool operator==(const Counter& o) const { return value_ == o.value_; }  // renamed in the spec
  Counter& operator+=(long n) { add(n); return *this; }  // not translated: an operator
  template <class T> T get() const { return static_cast<T>(value_); }    // a member template
  double scaled(double factor, int digits = 2) const;   // a defaulted parameter that is kept
  long fancy(long n, std::vector<std::string> tags = {}) const;  // one that is left out

 private:
  std::string name_;
  long value_ = 0;
  std::vector<long> history_;
  std::optional<std::string> label_;
  Color color_ = Color::Red;
  Live live_;
};

long sum(const std::vector<long>& xs);
double sum(const std::vector<double>& xs);
std::vector<Counter> make_counters(long n);
long total(const std::vector<Counter>& cs);
std::string greet(const char* who);
long checked(std::optional<long> maybe);      // throws when nullopt
int variadic(int n, ...);                      // not translated: variadic
template <class T> T twice(T x) { return x + x; }  // not translated: a function template

}  // namespace demo
