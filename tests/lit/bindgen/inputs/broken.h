// For cli.test: a header with a syntax error.
int ok(void);
int bad(int x;
