// Files (fusion/rt_string.h, docs/strings.md): `io.open/create/append` never end the program: a
// file that could not be opened records why (f.ok(), f.error()); reading or writing through it
// then ends the program with the path, the system's reason and both places. `io.read_file` and
// `io.write_file` end it at once.
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "str_internal.h"

struct rt_file {
  rt_ref ref;
  FILE* fp;          // NULL: it could not be opened, or it is closed
  char* path;        // as the program named it ("<stdin>" for the standard streams)
  const char* mode;  // "open" (read), "create", "append"
  int err;           // errno of the failed open; 0 when it opened
  bool is_std;       // stdin, stdout, stderr: never closed
  bool at_end;       // a read found the end of the file
  bool closed;       // f.close() was called
  rt_loc opened;     // where it was opened
  char* line;        // getline's buffer, reused from line to line
  size_t line_cap;
  rt_file *prev, *next;  // the open files (g_files)
};

// Every open file, for rt_files_flush. Files are used by one thread at a time (rt_string.h), and
// the list changes only where they open and close.
static rt_file* g_files;

static void link_file(rt_file* f) {
  f->next = g_files;
  if (g_files) g_files->prev = f;
  g_files = f;
}

static void unlink_file(rt_file* f) {
  if (f->prev) f->prev->next = f->next;
  else if (g_files == f) g_files = f->next;
  if (f->next) f->next->prev = f->prev;
  f->prev = f->next = NULL;
}

void rt_files_flush(void) {
  for (rt_file* f = g_files; f; f = f->next) {
    if (!f->fp || ftrylockfile(f->fp) != 0) continue;
    fflush_unlocked(f->fp);
    funlockfile(f->fp);
  }
}

static void file_drop(rt_ref* r) {
  rt_file* f = (rt_file*)r;
  unlink_file(f);
  if (f->fp && !f->is_std && fclose(f->fp) != 0)
    rts_panic(f->opened, "closing `%s` (when its last reference went): %s", f->path, strerror(errno));
  free(f->line);
  free(f->path);
  free(f);
  rts_count(-1);
}

static rt_file* file_new(const char* path, const char* mode, rt_loc loc) {
  rt_file* f = calloc(1, sizeof *f);
  if (!f || !(f->path = strdup(path))) rts_panic(loc, "out of memory for a file");
  f->ref = (rt_ref){1, file_drop};
  rts_count(1);
  f->mode = mode;
  f->opened = loc;
  return f;
}

static rt_ptr open_as(rt_ptr path, const char* mode, const char* fmode, rt_loc loc) {
  const char* p = rts_cstr((rt_str*)path, loc);
  rt_file* f = file_new(p, mode, loc);
  f->fp = fopen(p, fmode);
  if (!f->fp) f->err = errno;
  else link_file(f);
  return f;
}

rt_ptr rt_io_open(rt_ptr path, rt_loc loc) { return open_as(path, "open", "rb", loc); }
rt_ptr rt_io_create(rt_ptr path, rt_loc loc) { return open_as(path, "create", "wb", loc); }
rt_ptr rt_io_append(rt_ptr path, rt_loc loc) { return open_as(path, "append", "ab", loc); }

static rt_ptr std_file(FILE* fp, const char* name, const char* mode, rt_loc loc) {
  rt_file* f = file_new(name, mode, loc);
  f->fp = fp;
  f->is_std = true;
  return f;
}

rt_ptr rt_io_stdin(rt_loc loc) { return std_file(stdin, "<stdin>", "open", loc); }
rt_ptr rt_io_stdout(rt_loc loc) { return std_file(stdout, "<stdout>", "create", loc); }
rt_ptr rt_io_stderr(rt_loc loc) { return std_file(stderr, "<stderr>", "create", loc); }

rt_bool rt_file_ok(rt_ptr fp, rt_loc loc) {
  (void)loc;
  return fp && ((const rt_file*)fp)->err == 0;
}

// "cannot open `data.txt`: No such file or directory", or "" when it opened.
rt_ptr rt_file_error(rt_ptr fp, rt_loc loc) {
  (void)loc;
  const rt_file* f = fp;
  if (!f) return rt_str_copy("the file was never opened", 25);
  if (!f->err) return rt_str_copy("", 0);
  return rts_printf("cannot %s `%s`: %s", f->mode, f->path, strerror(f->err));
}

// The file, ready for `what` (a read or a write), or the end of the program saying why not.
static FILE* usable(rt_file* f, const char* what, bool write, rt_loc loc) {
  if (!f) rts_panic(loc, "%s: the file was never opened (a `file` variable without a value)", what);
  bool writable = strcmp(f->mode, "open") != 0;
  if (!f->err && !f->closed && write == writable) return f->fp;
  char where[600] = "";
  if (f->opened && f->opened->file)
    snprintf(where, sizeof where, " (opened at %s:%d:%d)", f->opened->file, f->opened->line, f->opened->col);
  if (f->err)
    rts_panic(loc, "%s: cannot %s `%s`: %s%s", what, f->mode, f->path, strerror(f->err), where);
  if (f->closed) rts_panic(loc, "%s: `%s` was closed%s", what, f->path, where);
  rts_panic(loc, "%s: `%s` is open for %s%s", what, f->path, writable ? "writing" : "reading", where);
}

static rt_ptr read_rest(FILE* fp, const char* what, const char* path, rt_loc loc) {
  size_t cap = 4096, len = 0;
  char* buf = malloc(cap);
  if (!buf) rts_panic(loc, "%s: out of memory reading `%s`", what, path);
  for (;;) {
    if (len == cap) {
      char* more = realloc(buf, cap *= 2);
      if (!more) rts_panic(loc, "%s: out of memory reading `%s`", what, path);
      buf = more;
    }
    size_t n = fread(buf + len, 1, cap - len, fp);
    len += n;
    if (n == 0) break;
  }
  if (ferror(fp)) rts_panic(loc, "%s: cannot read `%s`: %s", what, path, strerror(errno));
  return rt_str_adopt(buf, (int64_t)len);
}

rt_ptr rt_file_read_all(rt_ptr fp, rt_loc loc) {
  rt_file* f = (rt_file*)fp;
  FILE* in = usable(f, "read_all", false, loc);
  rt_ptr s = read_rest(in, "read_all", f->path, loc);
  f->at_end = true;
  return s;
}

// The next line without its "\n" (or "\r\n"); NULL at the end of the file.
static rt_ptr next_line(rt_file* f, const char* what, rt_loc loc) {
  FILE* fp = usable(f, what, false, loc);
  errno = 0;
  ssize_t n = getline(&f->line, &f->line_cap, fp);
  if (n < 0) {
    if (ferror(fp)) rts_panic(loc, "%s: cannot read `%s`: %s", what, f->path, strerror(errno));
    f->at_end = true;
    return NULL;
  }
  if (n > 0 && f->line[n - 1] == '\n') n--;
  if (n > 0 && f->line[n - 1] == '\r') n--;
  return rt_str_copy(f->line, n);
}

rt_ptr rt_file_read_line(rt_ptr fp, rt_loc loc) {
  rt_ptr s = next_line((rt_file*)fp, "read_line", loc);
  return s ? s : rt_str_copy("", 0);
}

rt_ptr rt_file_next_line(rt_ptr fp, rt_loc loc) { return next_line((rt_file*)fp, "lines", loc); }

rt_bool rt_file_at_end(rt_ptr fp, rt_loc loc) {
  (void)loc;
  return !fp || ((const rt_file*)fp)->at_end;
}

rt_void rt_file_write(rt_ptr fp, rt_ptr sp, rt_loc loc) {
  rt_file* f = (rt_file*)fp;
  const rt_str* s = sp;
  FILE* out = usable(f, "write", true, loc);
  if (rt_print_muted && f->is_std) return;
  if (fwrite(s->data, 1, (size_t)s->len, out) != (size_t)s->len)
    rts_panic(loc, "write: cannot write to `%s`: %s", f->path, strerror(errno));
}

rt_void rt_file_close(rt_ptr fp, rt_loc loc) {
  rt_file* f = (rt_file*)fp;
  if (!f || f->err || f->closed) return;  // closing what never opened, or twice, is harmless
  f->closed = true;
  if (f->is_std) {
    fflush(f->fp);
    return;
  }
  FILE* c = f->fp;
  f->fp = NULL;
  unlink_file(f);
  if (fclose(c) != 0) rts_panic(loc, "close: cannot write `%s`: %s", f->path, strerror(errno));
}

rt_ptr rt_io_read_file(rt_ptr path, rt_loc loc) {
  const char* p = rts_cstr((rt_str*)path, loc);
  FILE* fp = fopen(p, "rb");
  if (!fp) rts_panic(loc, "read_file: cannot open `%s`: %s", p, strerror(errno));
  rt_ptr s = read_rest(fp, "read_file", p, loc);
  fclose(fp);
  return s;
}

rt_void rt_io_write_file(rt_ptr path, rt_ptr sp, rt_loc loc) {
  const char* p = rts_cstr((rt_str*)path, loc);
  const rt_str* s = sp;
  FILE* fp = fopen(p, "wb");
  if (!fp) rts_panic(loc, "write_file: cannot create `%s`: %s", p, strerror(errno));
  bool ok = fwrite(s->data, 1, (size_t)s->len, fp) == (size_t)s->len;
  int err = errno;
  if (fclose(fp) != 0 && ok) ok = false, err = errno;
  if (!ok) rts_panic(loc, "write_file: cannot write `%s`: %s", p, strerror(err));
}

rt_bool rt_io_exists(rt_ptr path, rt_loc loc) { return access(rts_cstr((rt_str*)path, loc), F_OK) == 0; }
