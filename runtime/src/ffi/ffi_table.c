// The intern table that type descriptors and signatures share: chained, grown at 3/4 load.
#include <stdlib.h>

#include "ffi_internal.h"

rtffi_entry* rtffi_table_chain(const rtffi_table* table, uint64_t hash) {
  return table->nbuckets ? table->buckets[hash & (table->nbuckets - 1)] : NULL;
}

bool rtffi_table_insert(rtffi_table* table, rtffi_entry* e) {
  if (table->count + 1 > table->nbuckets / 4 * 3) {
    size_t n = table->nbuckets ? table->nbuckets * 2 : 64;  // a power of two
    rtffi_entry** buckets = calloc(n, sizeof *buckets);
    if (!buckets) return false;
    for (size_t i = 0; i < table->nbuckets; i++) {
      for (rtffi_entry* x = table->buckets[i]; x;) {
        rtffi_entry* next = x->next;
        x->next = buckets[x->hash & (n - 1)];
        buckets[x->hash & (n - 1)] = x;
        x = next;
      }
    }
    free(table->buckets);
    table->buckets = buckets;
    table->nbuckets = n;
  }
  e->next = table->buckets[e->hash & (table->nbuckets - 1)];
  table->buckets[e->hash & (table->nbuckets - 1)] = e;
  table->count++;
  return true;
}
