/* SPDX-License-Identifier: MIT */
/*
 * An intrusive chained hash table: the entry embeds its node, so inserting
 * and removing allocate nothing but the bucket array (which grows by
 * doubling). Keys are compared by the caller's function.
 */
#ifndef T4_UTIL_HMAP_H
#define T4_UTIL_HMAP_H
#include <stddef.h>
#include <stdint.h>

typedef struct t4__hnode {
    struct t4__hnode *next;
    uint64_t hash;
} t4__hnode;

typedef struct {
    t4__hnode **buckets;
    size_t nbuckets; /* power of two */
    size_t count;
} t4__hmap;

uint64_t t4__hash_bytes(const void *p, size_t n);
/* Returns the node whose hash matches and eq(node, key) is true, or NULL. */
t4__hnode *t4__hmap_find(const t4__hmap *m, uint64_t hash, int (*eq)(const t4__hnode *, const void *),
                         const void *key);
int t4__hmap_insert(t4__hmap *m, t4__hnode *node, uint64_t hash); /* 0 or -1 (no memory) */
void t4__hmap_remove(t4__hmap *m, t4__hnode *node);
void t4__hmap_free(t4__hmap *m); /* frees the buckets, not the entries */
#endif
