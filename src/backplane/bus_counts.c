/* SPDX-License-Identifier: MIT */
/* Connection counts on the local bus (see bus_counts.h). */
#include "backplane/bus_counts.h"
#include "util/hmap.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    t4__hnode node;
    char *path;
    size_t len;
    size_t local;
    size_t sum;    /* of peer[] */
    size_t peer[]; /* one per slot (this worker's own stays 0) */
} entry;

static t4__hmap map;
static int slots;

static int eq(const t4__hnode *n, const void *key)
{
    const entry *e = (const entry *)n;
    const struct {
        const char *p;
        size_t n;
    } *k = key;
    return e->len == k->n && memcmp(e->path, k->p, k->n) == 0;
}

static entry *find(const char *path, size_t len, uint64_t *hash)
{
    struct {
        const char *p;
        size_t n;
    } k = {path, len};
    *hash = t4__hash_bytes(path, len);
    return (entry *)t4__hmap_find(&map, *hash, eq, &k);
}

static entry *get(const char *path, size_t len)
{
    uint64_t h;
    entry *e = find(path, len, &h);
    if (e)
        return e;
    e = calloc(1, sizeof *e + (size_t)slots * sizeof e->peer[0]);
    if (!e)
        return NULL;
    e->path = malloc(len + 1);
    if (!e->path || t4__hmap_insert(&map, &e->node, h) != 0) {
        free(e->path);
        free(e);
        return NULL;
    }
    memcpy(e->path, path, len);
    e->path[len] = '\0';
    e->len = len;
    return e;
}

static void drop_if_empty(entry *e)
{
    if (e->local || e->sum)
        return;
    t4__hmap_remove(&map, &e->node);
    free(e->path);
    free(e);
}

int t4__busc_init(int nslots)
{
    t4__busc_free();
    slots = nslots;
    return 0;
}

void t4__busc_free(void)
{
    for (size_t i = 0; i < map.nbuckets; i++)
        for (t4__hnode *n = map.buckets[i], *next; n; n = next) {
            next = n->next;
            free(((entry *)n)->path);
            free(n);
        }
    t4__hmap_free(&map);
    memset(&map, 0, sizeof map);
}

int t4__busc_set_local(const char *path, size_t len, size_t count)
{
    uint64_t h;
    entry *e = count ? get(path, len) : find(path, len, &h);
    if (!e)
        return count ? -1 : 0;
    e->local = count;
    drop_if_empty(e);
    return 0;
}

int t4__busc_set_peer(int slot, const char *path, size_t len, size_t count)
{
    if (slot < 0 || slot >= slots)
        return 0;
    uint64_t h;
    entry *e = count ? get(path, len) : find(path, len, &h);
    if (!e)
        return count ? -1 : 0;
    e->sum = e->sum - e->peer[slot] + count;
    e->peer[slot] = count;
    drop_if_empty(e);
    return 0;
}

void t4__busc_clear_peer(int slot)
{
    if (slot < 0 || slot >= slots)
        return;
    for (size_t i = 0; i < map.nbuckets; i++)
        for (t4__hnode *n = map.buckets[i], *next; n; n = next) {
            next = n->next;
            entry *e = (entry *)n;
            e->sum -= e->peer[slot];
            e->peer[slot] = 0;
            drop_if_empty(e);
        }
}

size_t t4__busc_remote(const char *path, size_t len)
{
    uint64_t h;
    const entry *e = find(path, len, &h);
    return e ? e->sum : 0;
}

void t4__busc_foreach_local(void (*fn)(const char *path, size_t len, size_t count, void *arg), void *arg)
{
    for (size_t i = 0; i < map.nbuckets; i++)
        for (t4__hnode *n = map.buckets[i]; n; n = n->next) {
            const entry *e = (const entry *)n;
            if (e->local)
                fn(e->path, e->len, e->local, arg);
        }
}
