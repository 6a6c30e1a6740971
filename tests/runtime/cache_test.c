// The kernel cache (rt_cache.h): SHA-256 against FIPS vectors, store and load, a truncated, a
// corrupt and a misplaced entry rebuilt, eviction under a cap, included headers in the key.
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fusion/rt_cache.h"
#include "test_check.h"

static void hex_of(const void* data, size_t size, char out[65]) {
  rt_cache_hash h;
  uint8_t key[32];
  rt_cache_hash_init(&h);
  rt_cache_hash_bytes(&h, data, size);
  rt_cache_hash_final(&h, key);
  for (int i = 0; i < 32; i++) snprintf(out + 2 * i, 3, "%02x", key[i]);
}

static void key_of(const char* text, uint8_t key[32]) {
  rt_cache_hash h;
  rt_cache_hash_init(&h);
  rt_cache_hash_str(&h, text);
  rt_cache_hash_final(&h, key);
}

static void write_text(const char* path, const char* text) {
  FILE* f = fopen(path, "w");
  fputs(text, f);
  fclose(f);
}

static void test_sha256(void) {
  char out[65];
  hex_of("abc", 3, out);
  CHECK(strcmp(out, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad") == 0, "%s", out);
  hex_of("", 0, out);
  CHECK(strcmp(out, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855") == 0, "%s", out);
  const char* two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";  // 56 bytes: two blocks of padding
  hex_of(two, strlen(two), out);
  CHECK(strcmp(out, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1") == 0, "%s", out);
  char million[1001];
  memset(million, 'a', sizeof million);
  rt_cache_hash h;
  uint8_t key[32];
  rt_cache_hash_init(&h);
  for (int i = 0; i < 1000; i++) rt_cache_hash_bytes(&h, million, i % 2 ? 999 : 1001);  // uneven pieces
  rt_cache_hash_final(&h, key);
  CHECK(key[0] == 0xcd && key[1] == 0xc7 && key[31] == 0xd0, "a million a's: %02x%02x..%02x", key[0], key[1], key[31]);
}

static void test_store_and_check(const char* dir) {
  uint8_t key[32], other[32];
  key_of("one", key);
  key_of("two", other);
  size_t size = 0;
  CHECK(!rt_cache_get("test", key, &size), "a miss before any store");
  CHECK(rt_cache_put("test", key, "payload", 7), "stored");
  char* got = rt_cache_get("test", key, &size);
  CHECK(got && size == 7 && memcmp(got, "payload", 7) == 0, "the payload back");
  free(got);
  char path[4200], key_hex[65];
  for (int i = 0; i < 32; i++) snprintf(key_hex + 2 * i, 3, "%02x", key[i]);
  snprintf(path, sizeof path, "%s/test/%s", dir, key_hex);
  // Truncated: the payload is shorter than its header says.
  CHECK(truncate(path, 80) == 0, "truncate");
  CHECK(!rt_cache_get("test", key, &size), "a truncated entry is not trusted");
  CHECK(access(path, F_OK) != 0, "and is deleted");
  // Corrupt: one byte of the payload changed.
  rt_cache_put("test", key, "payload", 7);
  FILE* f = fopen(path, "r+");
  fseek(f, -2, SEEK_END);
  fputc('X', f);
  fclose(f);
  CHECK(!rt_cache_get("test", key, &size), "a corrupt entry is not trusted");
  // Another key's entry under this key's name.
  rt_cache_put("test", other, "payload", 7);
  char other_path[4200];
  for (int i = 0; i < 32; i++) snprintf(key_hex + 2 * i, 3, "%02x", other[i]);
  snprintf(other_path, sizeof other_path, "%s/test/%s", dir, key_hex);
  CHECK(rename(other_path, path) == 0, "rename");
  CHECK(!rt_cache_get("test", key, &size), "another key's entry is not trusted");
}

static void test_eviction(const char* dir) {
  char big[1000];
  memset(big, 'x', sizeof big);
  setenv("FUSION_CACHE_MAX", "2500", 1);
  uint8_t a[32], b[32], c[32];
  key_of("a", a), key_of("b", b), key_of("c", c);
  size_t size;
  rt_cache_put("evict", a, big, sizeof big);
  usleep(20000);
  rt_cache_put("evict", b, big, sizeof big);
  usleep(20000);
  free(rt_cache_get("evict", a, &size));  // a is now the most recently used
  usleep(20000);
  rt_cache_put("evict", c, big, sizeof big);  // over 2500 bytes: b goes
  void* pa = rt_cache_get("evict", a, &size);
  void* pb = rt_cache_get("evict", b, &size);
  void* pc = rt_cache_get("evict", c, &size);
  CHECK(pa && !pb && pc, "the least recently used went: a %p b %p c %p", pa, pb, pc);
  free(pa), free(pb), free(pc);
  unsetenv("FUSION_CACHE_MAX");
  (void)dir;
}

static void test_includes(const char* dir) {
  char inc[4200], header[4300], nested[4300];
  snprintf(inc, sizeof inc, "%s/inc", dir);
  mkdir(inc, 0755);
  snprintf(header, sizeof header, "%s/h.cuh", inc);
  snprintf(nested, sizeof nested, "%s/nested.cuh", inc);
  write_text(header, "#include \"nested.cuh\"\n#define A 1\n");
  write_text(nested, "#define B 2\n");
  const char* dirs[] = {inc};
  const char* source = "  #  include <h.cuh>\n#include HEADER\n__global__ void k() {}\n";
  uint8_t k1[32], k2[32], k3[32];
  for (int round = 0; round < 3; round++) {
    if (round == 1) write_text(nested, "#define B 3\n");  // a header of a header changed
    if (round == 2) write_text(nested, "#define B 3\n");  // the same again
    rt_cache_hash h;
    rt_cache_hash_init(&h);
    rt_cache_hash_includes(&h, source, NULL, dirs, 1);
    rt_cache_hash_final(&h, round == 0 ? k1 : round == 1 ? k2 : k3);
  }
  CHECK(memcmp(k1, k2, 32) != 0, "a changed nested header changes the key");
  CHECK(memcmp(k2, k3, 32) == 0, "the same headers give the same key");
}

int main(void) {
  char dir[] = "/tmp/fusion-cache-test-XXXXXX";
  if (!mkdtemp(dir)) return 1;
  setenv("FUSION_CACHE", dir, 1);
  test_sha256();
  test_store_and_check(dir);
  test_eviction(dir);
  test_includes(dir);
  char command[200];
  snprintf(command, sizeof command, "rm -rf '%s'", dir);
  if (system(command) != 0) return 1;
  return finish("cache_test");
}
