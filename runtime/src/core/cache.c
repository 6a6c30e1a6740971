// The compiled-kernel cache on disk (fusion/rt_cache.h, docs/cache.md): SHA-256 keys, entries
// checked on read and written by rename, LRU eviction over a size cap, `fusion cache info|clear`.
#include "fusion/rt_cache.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

// --- SHA-256 (FIPS 180-4) -----------------------------------------------------------------------

static const uint32_t kRound[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

static uint32_t rotr(uint32_t x, int n) { return (x >> n) | (x << (32 - n)); }

static void sha256_block(uint32_t s[8], const uint8_t* p) {
  uint32_t w[64];
  for (int i = 0; i < 16; i++)
    w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 | (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
  for (int i = 16; i < 64; i++) {
    uint32_t s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >> 3);
    uint32_t s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >> 10);
    w[i] = w[i - 16] + s0 + w[i - 7] + s1;
  }
  uint32_t a = s[0], b = s[1], c = s[2], d = s[3], e = s[4], f = s[5], g = s[6], h = s[7];
  for (int i = 0; i < 64; i++) {
    uint32_t t1 = h + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + kRound[i] + w[i];
    uint32_t t2 = (rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
    h = g, g = f, f = e, e = d + t1, d = c, c = b, b = a, a = t1 + t2;
  }
  s[0] += a, s[1] += b, s[2] += c, s[3] += d, s[4] += e, s[5] += f, s[6] += g, s[7] += h;
}

void rt_cache_hash_init(rt_cache_hash* h) {
  static const uint32_t init[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                   0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
  memcpy(h->state, init, sizeof init);
  h->bytes = 0;
  h->used = 0;
}

void rt_cache_hash_bytes(rt_cache_hash* h, const void* data, size_t size) {
  const uint8_t* p = data;
  h->bytes += size;
  if (h->used) {
    size_t take = 64 - h->used < size ? 64 - h->used : size;
    memcpy(h->block + h->used, p, take);
    h->used += take, p += take, size -= take;
    if (h->used < 64) return;
    sha256_block(h->state, h->block);
    h->used = 0;
  }
  for (; size >= 64; p += 64, size -= 64) sha256_block(h->state, p);
  memcpy(h->block, p, size);
  h->used = size;
}

void rt_cache_hash_final(rt_cache_hash* h, uint8_t key[RT_CACHE_KEY_SIZE]) {
  uint64_t bits = h->bytes * 8;
  uint8_t pad[72] = {0x80};
  size_t n = (h->used < 56 ? 56 : 120) - h->used;
  for (int i = 0; i < 8; i++) pad[n + (size_t)i] = (uint8_t)(bits >> (56 - 8 * i));
  rt_cache_hash_bytes(h, pad, n + 8);
  for (int i = 0; i < 8; i++)
    for (int j = 0; j < 4; j++) key[4 * i + j] = (uint8_t)(h->state[i] >> (24 - 8 * j));
}

void rt_cache_hash_field(rt_cache_hash* h, const void* data, size_t size) {
  uint8_t len[8];
  for (int i = 0; i < 8; i++) len[i] = (uint8_t)((uint64_t)size >> (8 * i));
  rt_cache_hash_bytes(h, len, sizeof len);
  rt_cache_hash_bytes(h, data, size);
}

void rt_cache_hash_str(rt_cache_hash* h, const char* s) {
  if (!s) {
    rt_cache_hash_field(h, "\xff(null)", 7);  // a length no string of that text has
    rt_cache_hash_bytes(h, "\x01", 1);
    return;
  }
  rt_cache_hash_field(h, s, strlen(s));
}

void rt_cache_hash_file_identity(rt_cache_hash* h, const char* path) {
  char real[PATH_MAX];
  struct stat st;
  rt_cache_hash_str(h, path);
  if (!path || stat(path, &st) != 0 || !realpath(path, real)) {
    rt_cache_hash_str(h, "<missing>");
    return;
  }
  rt_cache_hash_str(h, real);
  uint64_t facts[4] = {(uint64_t)st.st_size, (uint64_t)st.st_mtim.tv_sec, (uint64_t)st.st_mtim.tv_nsec,
                       (uint64_t)st.st_ino};
  rt_cache_hash_field(h, facts, sizeof facts);
}

// --- Included files -----------------------------------------------------------------------------

// A whole file from malloc (NUL-terminated), or NULL.
static char* read_file(const char* path, size_t* size) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return NULL;
  struct stat st;
  char* data = NULL;
  if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (data = malloc((size_t)st.st_size + 1))) {
    size_t got = 0;
    while (got < (size_t)st.st_size) {
      ssize_t n = read(fd, data + got, (size_t)st.st_size - got);
      if (n <= 0) break;
      got += (size_t)n;
    }
    data[got] = 0;
    if (size) *size = got;
  }
  close(fd);
  return data;
}

enum { MAX_INCLUDE_DEPTH = 64, MAX_INCLUDED = 4096 };

typedef struct include_walk {
  rt_cache_hash* h;
  const char* const* dirs;
  size_t dir_count;
  char** seen;  // the files already added, by path
  size_t seen_count;
} include_walk;

static void hash_includes_of(include_walk* w, const char* text, const char* self_dir, int depth);

// Adds the file `name` (quoted or not) names, found as the preprocessor would.
static void hash_include(include_walk* w, const char* name, bool quoted, const char* self_dir, int depth) {
  char path[2 * PATH_MAX + 2] = "";
  size_t tries = w->dir_count + 1;
  for (size_t i = 0; i < tries && !path[0]; i++) {
    const char* dir = i == 0 ? (quoted ? self_dir : NULL) : w->dirs[i - 1];
    char candidate[2 * PATH_MAX + 2];
    if (name[0] == '/') snprintf(candidate, sizeof candidate, "%s", name);
    else if (!dir) continue;
    else snprintf(candidate, sizeof candidate, "%s/%s", dir, name);
    struct stat st;
    if (stat(candidate, &st) == 0 && S_ISREG(st.st_mode)) snprintf(path, sizeof path, "%s", candidate);
  }
  rt_cache_hash_str(w->h, name);
  if (!path[0]) {
    rt_cache_hash_str(w->h, "<not found>");
    return;
  }
  rt_cache_hash_str(w->h, path);
  for (size_t i = 0; i < w->seen_count; i++)
    if (strcmp(w->seen[i], path) == 0) return;  // its contents are in the key already
  size_t size = 0;
  char* text = read_file(path, &size);
  rt_cache_hash_field(w->h, text ? text : "", text ? size : 0);
  if (text && w->seen_count < MAX_INCLUDED && depth < MAX_INCLUDE_DEPTH) {
    char** grown = realloc(w->seen, (w->seen_count + 1) * sizeof *grown);
    if (grown) {
      w->seen = grown;
      w->seen[w->seen_count++] = strdup(path);
      char* slash = strrchr(path, '/');
      if (slash) *slash = 0;
      hash_includes_of(w, text, slash ? path : ".", depth + 1);
    }
  }
  free(text);
}

// Every `# include "name"` and `# include <name>` line of `text`.
static void hash_includes_of(include_walk* w, const char* text, const char* self_dir, int depth) {
  for (const char* line = text; line && *line; line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
    const char* p = line;
    while (*p == ' ' || *p == '\t') p++;
    if (*p++ != '#') continue;
    while (*p == ' ' || *p == '\t') p++;
    if (strncmp(p, "include", 7) != 0) continue;
    p += 7;
    while (*p == ' ' || *p == '\t') p++;
    char close = *p == '"' ? '"' : *p == '<' ? '>' : 0;
    if (!close) continue;  // a computed include: not followed
    const char* end = strchr(p + 1, close);
    const char* eol = strchr(p, '\n');
    if (!end || (eol && end > eol) || end - p - 1 >= PATH_MAX) continue;
    char name[PATH_MAX];
    snprintf(name, sizeof name, "%.*s", (int)(end - p - 1), p + 1);
    hash_include(w, name, close == '"', self_dir, depth);
  }
}

void rt_cache_hash_includes(rt_cache_hash* h, const char* source, const char* source_dir, const char* const* dirs,
                            size_t dir_count) {
  include_walk w = {h, dirs, dir_count, NULL, 0};
  hash_includes_of(&w, source ? source : "", source_dir, 0);
  for (size_t i = 0; i < w.seen_count; i++) free(w.seen[i]);
  free(w.seen);
}

// --- Payload fields -----------------------------------------------------------------------------

void rt_cache_buf_add(rt_cache_buf* b, const void* data, size_t size) {
  size_t need = b->size + 8 + size;
  if (need > b->cap) {
    size_t cap = b->cap ? b->cap : 256;
    while (cap < need) cap *= 2;
    char* grown = realloc(b->data, cap);
    if (!grown) abort();
    b->data = grown, b->cap = cap;
  }
  for (int i = 0; i < 8; i++) b->data[b->size++] = (char)((uint64_t)size >> (8 * i));
  if (size) memcpy(b->data + b->size, data, size);
  b->size += size;
}

bool rt_cache_buf_next(const char** at, const char* end, const char** field, size_t* size) {
  if (end - *at < 8) return false;
  uint64_t n = 0;
  for (int i = 0; i < 8; i++) n |= (uint64_t)(uint8_t)(*at)[i] << (8 * i);
  if (n > (uint64_t)(end - *at - 8)) return false;
  *field = *at + 8;
  *size = (size_t)n;
  *at += 8 + n;
  return true;
}

// --- The directory ------------------------------------------------------------------------------

bool rt_cache_dir(char* buf, size_t size) {
  const char* env = getenv("FUSION_CACHE");
  if (env && (strcmp(env, "off") == 0 || strcmp(env, "0") == 0)) return false;
  if (env && *env && strcmp(env, "on") != 0 && strcmp(env, "1") != 0)
    return snprintf(buf, size, "%s", env) < (int)size;
  const char* xdg = getenv("XDG_CACHE_HOME");
  if (xdg && *xdg == '/') return snprintf(buf, size, "%s/fusion", xdg) < (int)size;
  const char* home = getenv("HOME");
  if (home && *home) return snprintf(buf, size, "%s/.cache/fusion", home) < (int)size;
  return false;
}

static uint64_t cache_cap(void) {
  const char* env = getenv("FUSION_CACHE_MAX");
  if (!env || !*env) return 1ull << 30;
  char* end;
  unsigned long long n = strtoull(env, &end, 10);
  return end == env ? 1ull << 30 : (uint64_t)n;
}

static bool logging(void) {
  const char* env = getenv("FUSION_CACHE_LOG");
  return env && *env && strcmp(env, "0") != 0;
}

static void hex(const uint8_t key[RT_CACHE_KEY_SIZE], char out[2 * RT_CACHE_KEY_SIZE + 1]) {
  for (int i = 0; i < RT_CACHE_KEY_SIZE; i++) snprintf(out + 2 * i, 3, "%02x", key[i]);
}

// One line per event, for tests: `fusion cache: hit nvrtc 3fa2b1c0d9e8`.
static void log_event(const char* event, const char* kind, const char* key_hex) {
  if (logging()) fprintf(stderr, "fusion cache: %s %s %.12s\n", event, kind, key_hex);
}

// mkdir -p for `path` (modified in place and restored).
static bool make_dirs(char* path) {
  for (char* p = path + 1;; p++) {
    if (*p != '/' && *p) continue;
    char saved = *p;
    *p = 0;
    bool ok = mkdir(path, 0755) == 0 || errno == EEXIST;
    *p = saved;
    if (!ok) return false;
    if (!saved) return true;
  }
}

// --- Entries ------------------------------------------------------------------------------------

// An entry: this header, then the payload.
enum { HEADER_SIZE = 8 + 8 + RT_CACHE_KEY_SIZE + RT_CACHE_KEY_SIZE };
static const char kMagic[8] = "FUCACHE1";  // the format; a new one misses every old entry

static void put_u64(uint8_t* p, uint64_t v) {
  for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_u64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; i++) v |= (uint64_t)p[i] << (8 * i);
  return v;
}

static void checksum(const void* data, size_t size, uint8_t out[RT_CACHE_KEY_SIZE]) {
  rt_cache_hash h;
  rt_cache_hash_init(&h);
  rt_cache_hash_bytes(&h, data, size);
  rt_cache_hash_final(&h, out);
}

void* rt_cache_get(const char* kind, const uint8_t key[RT_CACHE_KEY_SIZE], size_t* size) {
  char dir[PATH_MAX], path[PATH_MAX + 100], key_hex[2 * RT_CACHE_KEY_SIZE + 1];
  if (!rt_cache_dir(dir, sizeof dir)) return NULL;
  hex(key, key_hex);
  snprintf(path, sizeof path, "%s/%s/%s", dir, kind, key_hex);
  size_t length = 0;
  uint8_t* data = (uint8_t*)read_file(path, &length);
  if (!data) {
    log_event("miss", kind, key_hex);
    return NULL;
  }
  uint8_t sum[RT_CACHE_KEY_SIZE];
  bool ok = length >= HEADER_SIZE && memcmp(data, kMagic, 8) == 0 && get_u64(data + 8) == length - HEADER_SIZE &&
            memcmp(data + 16, key, RT_CACHE_KEY_SIZE) == 0;
  if (ok) {
    checksum(data + HEADER_SIZE, length - HEADER_SIZE, sum);
    ok = memcmp(data + 16 + RT_CACHE_KEY_SIZE, sum, RT_CACHE_KEY_SIZE) == 0;
  }
  if (!ok) {  // truncated, corrupt or not ours: rebuilt by the caller, then replaced
    unlink(path);
    free(data);
    log_event("rebuilt", kind, key_hex);
    return NULL;
  }
  utimensat(AT_FDCWD, path, NULL, 0);  // just used: last to be evicted
  memmove(data, data + HEADER_SIZE, length - HEADER_SIZE + 1);
  *size = length - HEADER_SIZE;
  log_event("hit", kind, key_hex);
  return data;
}

static bool write_all(int fd, const void* data, size_t size) {
  const char* p = data;
  while (size) {
    ssize_t n = write(fd, p, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    p += n, size -= (size_t)n;
  }
  return true;
}

static void evict(const char* dir);

bool rt_cache_put(const char* kind, const uint8_t key[RT_CACHE_KEY_SIZE], const void* data, size_t size) {
  char dir[PATH_MAX], folder[PATH_MAX + 40], path[PATH_MAX + 120], tmp[PATH_MAX + 160];
  char key_hex[2 * RT_CACHE_KEY_SIZE + 1];
  if (!rt_cache_dir(dir, sizeof dir)) return false;
  hex(key, key_hex);
  snprintf(folder, sizeof folder, "%s/%s", dir, kind);
  snprintf(path, sizeof path, "%s/%s", folder, key_hex);
  static unsigned counter;
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  snprintf(tmp, sizeof tmp, "%s/.tmp.%.16s.%d.%u.%ld", folder, key_hex, (int)getpid(),
           __atomic_fetch_add(&counter, 1, __ATOMIC_RELAXED), (long)now.tv_nsec);
  uint8_t header[HEADER_SIZE];
  memcpy(header, kMagic, 8);
  put_u64(header + 8, size);
  memcpy(header + 16, key, RT_CACHE_KEY_SIZE);
  checksum(data, size, header + 16 + RT_CACHE_KEY_SIZE);
  int fd = make_dirs(folder) ? open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644) : -1;
  bool ok = fd >= 0 && write_all(fd, header, sizeof header) && write_all(fd, data, size);
  if (fd >= 0) ok = close(fd) == 0 && ok;
  ok = ok && rename(tmp, path) == 0;  // atomic: readers see the old entry, none, or this one whole
  if (!ok) {
    if (fd >= 0) unlink(tmp);
    log_event("unwritable", kind, key_hex);
    return false;
  }
  log_event("stored", kind, key_hex);
  evict(dir);
  return true;
}

// --- Walking the entries ------------------------------------------------------------------------

typedef struct entry_file {
  char path[PATH_MAX + 400];
  char kind[64];
  char key_hex[2 * RT_CACHE_KEY_SIZE + 1];
  uint64_t size;
  struct timespec used;
  bool temporary;  // a write under way, or left by a process that died
  bool directory;  // an entry of several files (the run cache's DIR/run/KEY/: manifest, executable)
  bool busy;       // a directory entry being written (its `lock` is held): counted, never removed
} entry_file;

static bool is_key_name(const char* name) {
  if (strlen(name) != 2 * RT_CACHE_KEY_SIZE) return false;
  for (const char* p = name; *p; p++)
    if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f'))) return false;
  return true;
}

// A directory entry's name: a key in hex of 16 to 64 digits (the run cache's are 32).
static bool is_dir_key_name(const char* name) {
  size_t n = strlen(name);
  if (n < 16 || n > 2 * RT_CACHE_KEY_SIZE) return false;
  for (const char* p = name; *p; p++)
    if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f'))) return false;
  return true;
}

// A directory entry's size (its files') and last use (its manifest's time, which a hit renews),
// and whether it is being written (a process, perhaps this one, holds its `lock`).
static bool dir_entry_size(entry_file* f) {
  char lock[PATH_MAX + 420], manifest[PATH_MAX + 420];
  snprintf(lock, sizeof lock, "%s/lock", f->path);
  int fd = open(lock, O_RDONLY | O_CLOEXEC);
  if (fd >= 0) {
    f->busy = flock(fd, LOCK_EX | LOCK_NB) != 0;
    close(fd);
  }
  DIR* d = opendir(f->path);
  if (!d) return false;
  struct dirent* e;
  f->size = 0;
  f->directory = true;
  struct stat st;
  while ((e = readdir(d))) {
    if (e->d_name[0] == '.' && (!e->d_name[1] || (e->d_name[1] == '.' && !e->d_name[2]))) continue;
    if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode)) f->size += (uint64_t)st.st_size;
  }
  closedir(d);
  snprintf(manifest, sizeof manifest, "%s/manifest", f->path);
  if (stat(manifest, &st) != 0 && stat(f->path, &st) != 0) return false;
  f->used = st.st_mtim;
  return true;
}

// Removes an entry: a file, or a directory entry's files and then the directory.
static int remove_entry(const entry_file* f) {
  if (!f->directory) return unlink(f->path);
  DIR* d = opendir(f->path);
  if (!d) return -1;
  struct dirent* e;
  while ((e = readdir(d)))
    if (!(e->d_name[0] == '.' && (!e->d_name[1] || (e->d_name[1] == '.' && !e->d_name[2]))))
      unlinkat(dirfd(d), e->d_name, 0);
  closedir(d);
  return rmdir(f->path);
}

// Every entry and temporary file under `dir` (in its kind folders), in a malloc'd array.
static entry_file* list_entries(const char* dir, size_t* count) {
  entry_file* out = NULL;
  size_t n = 0, cap = 0;
  DIR* top = opendir(dir);
  struct dirent* k;
  while (top && (k = readdir(top))) {
    if (k->d_name[0] == '.' || strlen(k->d_name) >= 64) continue;
    char folder[PATH_MAX + 80];
    snprintf(folder, sizeof folder, "%s/%s", dir, k->d_name);
    DIR* sub = opendir(folder);
    struct dirent* e;
    while (sub && (e = readdir(sub))) {
      bool temporary = strncmp(e->d_name, ".tmp.", 5) == 0;
      if (!temporary && !is_key_name(e->d_name) && !is_dir_key_name(e->d_name)) continue;
      entry_file f = {.temporary = temporary};
      snprintf(f.path, sizeof f.path, "%s/%s", folder, e->d_name);
      struct stat st;
      if (stat(f.path, &st) != 0) continue;
      snprintf(f.kind, sizeof f.kind, "%s", k->d_name);
      snprintf(f.key_hex, sizeof f.key_hex, "%.*s", 2 * RT_CACHE_KEY_SIZE, temporary ? "" : e->d_name);
      if (S_ISDIR(st.st_mode) && !temporary && is_dir_key_name(e->d_name)) {
        if (!dir_entry_size(&f)) continue;
      } else if (S_ISREG(st.st_mode) && (temporary || is_key_name(e->d_name))) {
        f.size = (uint64_t)st.st_size;
        f.used = st.st_mtim;
      } else {
        continue;
      }
      if (n == cap) {
        cap = cap ? 2 * cap : 64;
        entry_file* grown = realloc(out, cap * sizeof *out);
        if (!grown) break;
        out = grown;
      }
      out[n++] = f;
    }
    if (sub) closedir(sub);
  }
  if (top) closedir(top);
  *count = n;
  return out;
}

static int older_first(const void* a, const void* b) {
  const entry_file *x = a, *y = b;
  if (x->used.tv_sec != y->used.tv_sec) return x->used.tv_sec < y->used.tv_sec ? -1 : 1;
  if (x->used.tv_nsec != y->used.tv_nsec) return x->used.tv_nsec < y->used.tv_nsec ? -1 : 1;
  return strcmp(x->path, y->path);
}

// Deletes the least recently used entries while the total is over the cap, and temporary files
// more than an hour old (their writer died).
static void evict(const char* dir) {
  size_t n = 0;
  entry_file* files = list_entries(dir, &n);
  uint64_t total = 0, cap = cache_cap();
  time_t stale = time(NULL) - 3600;
  for (size_t i = 0; i < n; i++) {
    if (files[i].temporary && files[i].used.tv_sec < stale && unlink(files[i].path) == 0) files[i].size = 0;
    total += files[i].size;
  }
  if (total > cap) {
    qsort(files, n, sizeof *files, older_first);
    for (size_t i = 0; i < n && total > cap; i++) {
      if (files[i].temporary || files[i].busy) continue;
      if (remove_entry(&files[i]) == 0 || errno == ENOENT) {
        total -= files[i].size;
        log_event("evicted", files[i].kind, files[i].key_hex);
      }
    }
  }
  free(files);
}

void rt_cache_trim(void) {
  char dir[PATH_MAX];
  if (rt_cache_dir(dir, sizeof dir)) evict(dir);
}

// --- fusion cache info|clear --------------------------------------------------------------------

static int cache_info(const char* dir) {
  size_t n = 0;
  entry_file* files = list_entries(dir, &n);
  uint64_t total = 0;
  size_t entries = 0;
  char kinds[512] = "";
  // Entries per kind, in the order the kinds first appear.
  for (size_t i = 0; i < n; i++) {
    total += files[i].size;
    if (files[i].temporary) continue;
    entries++;
    bool counted = false;
    for (size_t j = 0; j < i; j++) counted |= !files[j].temporary && strcmp(files[j].kind, files[i].kind) == 0;
    if (counted) continue;
    size_t same = 0;
    for (size_t j = i; j < n; j++) same += !files[j].temporary && strcmp(files[j].kind, files[i].kind) == 0;
    size_t used = strlen(kinds);
    snprintf(kinds + used, sizeof kinds - used, "%s%s %zu", used ? ", " : "", files[i].kind, same);
  }
  free(files);
  printf("directory: %s\n", dir);
  printf("entries:   %zu%s%s%s\n", entries, kinds[0] ? " (" : "", kinds, kinds[0] ? ")" : "");
  printf("size:      %llu bytes\n", (unsigned long long)total);
  printf("cap:       %llu bytes%s\n", (unsigned long long)cache_cap(),
         getenv("FUSION_CACHE_MAX") && *getenv("FUSION_CACHE_MAX") ? " (FUSION_CACHE_MAX)" : " (the default)");
  return 0;
}

static int cache_clear(const char* dir) {
  size_t n = 0, removed = 0;
  entry_file* files = list_entries(dir, &n);
  uint64_t bytes = 0;
  for (size_t i = 0; i < n; i++)
    if (!files[i].busy && remove_entry(&files[i]) == 0 && !files[i].temporary) removed++, bytes += files[i].size;
  free(files);
  printf("removed %zu entr%s (%llu bytes) from %s\n", removed, removed == 1 ? "y" : "ies", (unsigned long long)bytes,
         dir);
  return 0;
}

int rt_cache_command(int argc, char** argv) {
  const char* what = argc >= 1 ? argv[0] : "";
  if (argc != 1 || (strcmp(what, "info") != 0 && strcmp(what, "clear") != 0)) {
    fprintf(stderr, "fusion: error: usage: fusion cache info|clear\n(run `fusion --help` for usage)\n");
    return 2;
  }
  char dir[PATH_MAX];
  if (!rt_cache_dir(dir, sizeof dir)) {
    printf("the cache is off (FUSION_CACHE=off, or neither XDG_CACHE_HOME nor HOME is set)\n");
    return 0;
  }
  return strcmp(what, "info") == 0 ? cache_info(dir) : cache_clear(dir);
}
