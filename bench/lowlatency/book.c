/* Twin of book.fu: the same order book and updates, in C. */
#include <stdint.h>
#include <stdio.h>

#define UPDATES 200000000

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

int main(void) {
  static struct book book;
  uint64_t x = 12345;
  int64_t sum = 0;
  for (int64_t i = 0; i < UPDATES; i++) {
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    int64_t price = (int64_t)((x >> 33) & 4095);
    int64_t qty = (int64_t)((x >> 20) & 7);
    sum += apply(&book, price, qty);
  }
  printf("%lld %lld\n", (long long)sum, (long long)book.volume);
  return 0;
}
