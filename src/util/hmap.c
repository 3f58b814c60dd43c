/* SPDX-License-Identifier: MIT */
#include "util/hmap.h"
#include "util/random_id.h"
#include <stdlib.h>

/* FNV-1a over short keys (paths, 8-byte handles), started from a random
 * per-process seed so a client cannot precompute paths that collide. */
static uint64_t seed;

uint64_t t4__hash_bytes(const void *p, size_t n)
{
    const unsigned char *s = p;
    if (!seed && (t4__random_bytes(&seed, sizeof seed) != 0 || !seed))
        seed = 0xcbf29ce484222325ULL;
    uint64_t h = seed;
    for (size_t i = 0; i < n; i++) {
        h ^= s[i];
        h *= 0x100000001b3ULL;
    }
    return h ^ (h >> 29);
}

t4__hnode *t4__hmap_find(const t4__hmap *m, uint64_t hash, int (*eq)(const t4__hnode *, const void *),
                         const void *key)
{
    if (!m->nbuckets)
        return NULL;
    for (t4__hnode *n = m->buckets[hash & (m->nbuckets - 1)]; n; n = n->next)
        if (n->hash == hash && eq(n, key))
            return n;
    return NULL;
}

static int grow(t4__hmap *m)
{
    size_t nb = m->nbuckets ? m->nbuckets * 2 : 64;
    t4__hnode **b = calloc(nb, sizeof *b);
    if (!b)
        return -1;
    for (size_t i = 0; i < m->nbuckets; i++) {
        t4__hnode *n = m->buckets[i];
        while (n) {
            t4__hnode *next = n->next;
            n->next = b[n->hash & (nb - 1)];
            b[n->hash & (nb - 1)] = n;
            n = next;
        }
    }
    free(m->buckets);
    m->buckets = b;
    m->nbuckets = nb;
    return 0;
}

int t4__hmap_insert(t4__hmap *m, t4__hnode *node, uint64_t hash)
{
    if (m->count + 1 > m->nbuckets && grow(m) != 0)
        return -1;
    node->hash = hash;
    t4__hnode **slot = &m->buckets[hash & (m->nbuckets - 1)];
    node->next = *slot;
    *slot = node;
    m->count++;
    return 0;
}

void t4__hmap_remove(t4__hmap *m, t4__hnode *node)
{
    if (!m->nbuckets)
        return;
    for (t4__hnode **p = &m->buckets[node->hash & (m->nbuckets - 1)]; *p; p = &(*p)->next) {
        if (*p == node) {
            *p = node->next;
            node->next = NULL;
            m->count--;
            return;
        }
    }
}

void t4__hmap_free(t4__hmap *m)
{
    free(m->buckets);
    m->buckets = NULL;
    m->nbuckets = m->count = 0;
}
