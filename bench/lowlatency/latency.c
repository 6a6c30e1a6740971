/* Twin of latency.fu: each call of the update timed with clock_gettime(CLOCK_MONOTONIC). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define CALLS 5000000
#define BUCKETS 100000

struct level { int64_t qty, orders; };
struct book { struct level levels[4096]; int64_t best, volume; };

static __attribute__((hot)) int64_t apply(struct book *b, int64_t price, int64_t qty) {
  b->levels[price].qty = qty;
  b->volume += qty;
  if (qty > 0) {
    b->levels[price].orders += 1;
    if (price > b->best) b->best = price;
  } else if (price == b->best) {
    while (b->best > 0 && b->levels[b->best].qty == 0) b->best -= 1;
  }
  return b->best;
}

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int64_t percentile(const int64_t *hist, int64_t total, double p) {
  int64_t want = (int64_t)((double)total * p), seen = 0;
  for (int64_t ns = 0; ns < BUCKETS; ns++) {
    seen += hist[ns];
    if (seen > want) return ns;
  }
  return BUCKETS;
}

int main(void) {
  static struct book book;
  int64_t *hist = calloc(BUCKETS, sizeof *hist);
  uint64_t x = 12345;
  int64_t sum = 0;
  for (int64_t i = 0; i < CALLS; i++) {
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    int64_t price = (int64_t)((x >> 33) & 4095);
    int64_t qty = (int64_t)((x >> 20) & 7);
    int64_t t0 = now_ns();
    sum += apply(&book, price, qty);
    int64_t ns = now_ns() - t0;
    hist[ns < BUCKETS - 1 ? ns : BUCKETS - 1] += 1;
  }
  printf("%lld %lld %lld %lld\n", (long long)sum, (long long)percentile(hist, CALLS, 0.5),
         (long long)percentile(hist, CALLS, 0.99), (long long)percentile(hist, CALLS, 0.999));
  return 0;
}
