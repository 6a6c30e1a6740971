// Parses Fusion files with the tree-sitter grammar and reports every syntax error; with --query,
// first compiles a query file (highlights.scm) against the grammar; with --captures, prints what
// the query captures in each file instead of checking it. Built and run by
// tests/lit/editors/tree_sitter_parse.test through editors/tree-sitter-fusion/test/parse_repo.py.
//
// usage: ts_check [--tree] [--query FILE.scm [--captures]] FILE.fu...
// --tree prints each file's syntax tree (S-expression) as well.
// Prints `FILE:LINE:COL: error: ...` for each ERROR or MISSING node (at most 5 a file) and exits
// with 1 if there was any.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tree_sitter/api.h>

const TSLanguage *tree_sitter_fusion(void);

static char *read_file(const char *path, uint32_t *length) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  long size = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *text = malloc((size_t)size + 1);
  if (fread(text, 1, (size_t)size, f) != (size_t)size) size = 0;
  text[size] = '\0';
  fclose(f);
  *length = (uint32_t)size;
  return text;
}

// Reports the syntax errors under `node`; returns how many there are.
static int report_errors(const char *path, TSNode node, int reported) {
  if (!ts_node_has_error(node)) return 0;
  if (ts_node_symbol(node) == (TSSymbol)-1 || ts_node_is_missing(node)) {  // -1: ERROR
    TSPoint p = ts_node_start_point(node);
    if (reported < 5) {
      if (ts_node_is_missing(node))
        printf("%s:%u:%u: error: missing `%s`\n", path, p.row + 1, p.column + 1, ts_node_type(node));
      else
        printf("%s:%u:%u: error: syntax error\n", path, p.row + 1, p.column + 1);
    }
    return 1;
  }
  int count = 0;
  for (uint32_t i = 0; i < ts_node_child_count(node); i++)
    count += report_errors(path, ts_node_child(node, i), reported + count);
  return count;
}

static void print_captures(const char *path, TSQuery *query, TSNode root, const char *text) {
  TSQueryCursor *cursor = ts_query_cursor_new();
  ts_query_cursor_exec(cursor, query, root);
  TSQueryMatch match;
  uint32_t index;
  while (ts_query_cursor_next_capture(cursor, &match, &index)) {
    TSQueryCapture c = match.captures[index];
    // Predicates (#any-of?) are the host's to apply: keep a capture whose pattern has one only when
    // the captured text is among the predicate's strings.
    uint32_t steps_count;
    const TSQueryPredicateStep *steps = ts_query_predicates_for_pattern(query, match.pattern_index, &steps_count);
    uint32_t start = ts_node_start_byte(c.node), end = ts_node_end_byte(c.node);
    if (steps_count > 0) {
      int found = 0;
      for (uint32_t i = 2; i < steps_count; i++) {
        if (steps[i].type != TSQueryPredicateStepTypeString) continue;
        uint32_t len;
        const char *s = ts_query_string_value_for_id(query, steps[i].value_id, &len);
        if (len == end - start && memcmp(s, text + start, len) == 0) found = 1;
      }
      if (!found) continue;
    }
    uint32_t name_len;
    const char *name = ts_query_capture_name_for_id(query, c.index, &name_len);
    TSPoint p = ts_node_start_point(c.node);
    printf("%s:%u:%u: @%.*s `%.*s`\n", path, p.row + 1, p.column + 1, (int)name_len, name,
           (int)(end - start), text + start);
  }
  ts_query_cursor_delete(cursor);
}

int main(int argc, char **argv) {
  const char *query_path = NULL;
  int captures = 0, print_tree = 0;
  int first = 1;
  for (; first < argc && argv[first][0] == '-'; first++) {
    if (strcmp(argv[first], "--query") == 0 && first + 1 < argc) {
      query_path = argv[++first];
    } else if (strcmp(argv[first], "--captures") == 0) {
      captures = 1;
    } else if (strcmp(argv[first], "--tree") == 0) {
      print_tree = 1;
    } else {
      fprintf(stderr, "usage: ts_check [--tree] [--query FILE.scm [--captures]] FILE.fu...\n");
      return 2;
    }
  }
  TSParser *parser = ts_parser_new();
  if (!ts_parser_set_language(parser, tree_sitter_fusion())) {
    printf("error: the runtime does not take the grammar's ABI version %u\n",
           ts_language_version(tree_sitter_fusion()));
    return 1;
  }
  TSQuery *query = NULL;
  if (query_path) {
    uint32_t length;
    char *source = read_file(query_path, &length);
    if (!source) {
      printf("%s: error: cannot read\n", query_path);
      return 1;
    }
    uint32_t offset;
    TSQueryError error;
    query = ts_query_new(tree_sitter_fusion(), source, length, &offset, &error);
    if (!query) {
      static const char *kinds[] = {"none", "syntax", "node type", "field", "capture", "structure", "language"};
      printf("%s: error: invalid query (%s error) at byte %u: %.40s\n", query_path,
             error < 7 ? kinds[error] : "unknown", offset, source + offset);
      return 1;
    }
    free(source);
  }
  int files_with_errors = 0;
  for (int i = first; i < argc; i++) {
    uint32_t length;
    char *text = read_file(argv[i], &length);
    if (!text) {
      printf("%s: error: cannot read\n", argv[i]);
      files_with_errors++;
      continue;
    }
    TSTree *tree = ts_parser_parse_string(parser, NULL, text, length);
    TSNode root = ts_tree_root_node(tree);
    if (print_tree) {
      char *sexp = ts_node_string(root);
      printf("%s\n", sexp);
      free(sexp);
    }
    if (captures && query) {
      print_captures(argv[i], query, root, text);
    } else if (report_errors(argv[i], root, 0) > 0) {
      files_with_errors++;
    }
    ts_tree_delete(tree);
    free(text);
  }
  if (!captures) printf("tree-sitter: %d file(s) parsed, %d with errors\n", argc - first, files_with_errors);
  if (query) ts_query_delete(query);
  ts_parser_delete(parser);
  return files_with_errors > 0;
}
