// For cli.test: a header whose error is at its end (a brace never closed).
struct unclosed {
  int x;
