/* SPDX-License-Identifier: MIT */
/* Per-path message history: rings of positioned messages under one
 * server-wide memory budget (see history.h). */
#include "ws/history.h"
#include "util/random_id.h"
#include <stdlib.h>
#include <string.h>

static t4__hmap paths;
static uint64_t (*epoch_source)(const char *path, size_t len);
static t4__hist_entry *oldest, *newest; /* every entry of every path, by age */
static size_t used, limit = 64u * 1024 * 1024;

void t4__hist_set_epoch_source(uint64_t (*fn)(const char *path, size_t len))
{
    epoch_source = fn;
}

void t4__hist_set_limit(size_t bytes)
{
    limit = bytes;
}

size_t t4__hist_memory(void)
{
    return used;
}

size_t t4__hist_paths(void)
{
    return paths.count;
}

typedef struct {
    const char *p;
    size_t n;
} key;

static int eq(const t4__hnode *n, const void *k)
{
    const t4__hist *h = (const t4__hist *)n;
    const key *kk = k;
    return h->len == kk->n && memcmp(h->path, kk->p, kk->n) == 0;
}

t4__hist *t4__hist_find(const char *path, size_t len)
{
    key k = {path, len};
    return (t4__hist *)t4__hmap_find(&paths, t4__hash_bytes(path, len), eq, &k);
}

static size_t entry_bytes(size_t len)
{
    return sizeof(t4__hist_entry) + len;
}

static size_t hist_bytes(const t4__hist *h)
{
    return sizeof *h + h->len + 1;
}

t4__hist *t4__hist_open(const char *path, size_t len, size_t size, uint64_t ttl_ms)
{
    t4__hist *h = t4__hist_find(path, len);
    if (h)
        return h;
    h = calloc(1, sizeof *h + len + 1);
    if (!h)
        return NULL;
    memcpy(h->path, path, len);
    h->len = len;
    h->size = size ? size : 1;
    h->ttl = ttl_ms;
    if (epoch_source)
        h->epoch = epoch_source(path, len);
    /* A zero epoch is reserved for "no epoch" on the wire. */
    while (h->epoch == 0)
        if (t4__random_bytes(&h->epoch, sizeof h->epoch) != 0) {
            free(h);
            return NULL;
        }
    if (t4__hmap_insert(&paths, &h->node, t4__hash_bytes(path, len)) != 0) {
        free(h);
        return NULL;
    }
    used += hist_bytes(h);
    return h;
}

static void hist_free(t4__hist *h)
{
    t4__hmap_remove(&paths, &h->node);
    if (paths.count == 0)
        t4__hmap_free(&paths);
    used -= hist_bytes(h) + h->cap * sizeof *h->slot;
    free(h->slot);
    free(h);
}

static bool idle(const t4__hist *h)
{
    return h->count == 0 && h->listeners == 0;
}

void t4__hist_hold(t4__hist *h)
{
    h->listeners++;
}

void t4__hist_release(t4__hist *h)
{
    if (h->listeners)
        h->listeners--;
    if (idle(h))
        hist_free(h);
}

/* Removes the oldest entry of h (the caller decides whether h goes too). */
static void drop_oldest(t4__hist *h)
{
    t4__hist_entry *e = h->slot[h->head];
    h->slot[h->head] = NULL;
    h->head = (h->head + 1) % h->cap;
    h->count--;
    if (e->older)
        e->older->newer = e->newer;
    else
        oldest = e->newer;
    if (e->newer)
        e->newer->older = e->older;
    else
        newest = e->older;
    used -= entry_bytes(e->len);
    free(e);
}

/* Grows the ring (doubling, up to size): a path that keeps few messages
 * holds few slots. */
static int grow(t4__hist *h)
{
    size_t ncap = h->cap ? h->cap * 2 : 8;
    if (ncap > h->size)
        ncap = h->size;
    t4__hist_entry **s = calloc(ncap, sizeof *s);
    if (!s)
        return -1;
    for (size_t i = 0; i < h->count; i++)
        s[i] = h->slot[(h->head + i) % h->cap];
    used += (ncap - h->cap) * sizeof *s;
    free(h->slot);
    h->slot = s;
    h->cap = ncap;
    h->head = 0;
    return 0;
}

uint64_t t4__hist_append_at(t4__hist *h, uint64_t epoch, uint64_t offset, uint8_t opcode, const void *data,
                            size_t len, uint64_t now)
{
    if (epoch != h->epoch || offset > h->last + 1) {
        /* Another history, or a hole (a message we never saw): what is
         * kept cannot be followed by this one without a gap. */
        while (h->count)
            drop_oldest(h);
        h->epoch = epoch;
        h->last = offset - 1;
    } else if (offset <= h->last) {
        return 0; /* had it already */
    }
    return t4__hist_append(h, opcode, data, len, now);
}

int t4__hist_prime(t4__hist *h, uint64_t epoch, const t4__hist_item *items, size_t n, uint64_t now)
{
    if (n == 0)
        return 0;
    uint64_t rmax = items[n - 1].offset;
    /* What we hold past the stored copy (arrived live meanwhile) is kept and
     * re-appended after it; the rest is the same messages, or another epoch. */
    size_t keep = 0;
    t4__hist_item *saved = NULL;
    if (h->epoch == epoch && h->count && h->last > rmax) {
        if (t4__hist_first(h) > rmax + 1)
            return 0; /* a hole between the stored copy and what we hold */
        keep = (size_t)(h->last - rmax);
        if (!(saved = calloc(keep, sizeof *saved)))
            return -1;
        for (size_t i = 0; i < keep; i++) {
            const t4__hist_entry *e = t4__hist_at(h, rmax + 1 + i);
            saved[i] = (t4__hist_item){e->offset, e->opcode, NULL, e->len};
            char *copy = malloc(e->len ? e->len : 1);
            if (!copy) {
                while (i--)
                    free((void *)saved[i].data);
                free(saved);
                return -1;
            }
            memcpy(copy, e->data, e->len);
            saved[i].data = copy;
        }
    } else if (h->epoch == epoch && h->last > rmax) {
        return 0; /* nothing kept here, but newer than the copy: stays as it is */
    }
    while (h->count)
        drop_oldest(h);
    h->epoch = epoch;
    h->last = items[0].offset - 1;
    for (size_t i = 0; i < n; i++)
        t4__hist_append_at(h, epoch, items[i].offset, items[i].opcode, items[i].data, items[i].len, now);
    for (size_t i = 0; i < keep; i++) {
        t4__hist_append_at(h, epoch, saved[i].offset, saved[i].opcode, saved[i].data, saved[i].len, now);
        free((void *)saved[i].data);
    }
    free(saved);
    return 0;
}

uint64_t t4__hist_append(t4__hist *h, uint8_t opcode, const void *data, size_t len, uint64_t now)
{
    uint64_t off = ++h->last;
    t4__hist_expire(h, now);
    if (h->count == h->size)
        drop_oldest(h);
    if (entry_bytes(len) + hist_bytes(h) > limit)
        goto lost;
    if (h->count == h->cap && grow(h) != 0)
        goto lost;
    t4__hist_entry *e = malloc(entry_bytes(len));
    if (!e)
        goto lost;
    e->h = h;
    e->offset = off;
    e->at = now;
    e->opcode = opcode;
    e->len = len;
    if (len)
        memcpy(e->data, data, len);
    e->newer = NULL;
    e->older = newest;
    if (newest)
        newest->newer = e;
    else
        oldest = e;
    newest = e;
    h->slot[(h->head + h->count) % h->cap] = e;
    h->count++;
    used += entry_bytes(len);
    /* Over budget: the oldest history of the whole server goes first. The
     * new entry is the newest, so it is reached last and stays. */
    while (used > limit && oldest && oldest != e) {
        t4__hist *o = oldest->h;
        drop_oldest(o);
        if (o != h && idle(o))
            hist_free(o);
    }
    return off;
lost:
    /* Not kept; whatever was kept before it can no longer be followed
     * without a hole, so it goes too: a resume across it must see a gap. */
    while (h->count)
        drop_oldest(h);
    return 0;
}

void t4__hist_expire(t4__hist *h, uint64_t now)
{
    if (!h->ttl)
        return;
    while (h->count && now - h->slot[h->head]->at >= h->ttl)
        drop_oldest(h);
}

void t4__hist_expire_all(uint64_t now)
{
    for (size_t b = 0; b < paths.nbuckets; b++) {
        for (t4__hnode *n = paths.buckets ? paths.buckets[b] : NULL, *next; n; n = next) {
            next = n->next;
            t4__hist *h = (t4__hist *)n;
            t4__hist_expire(h, now);
            if (idle(h))
                hist_free(h);
            if (!paths.buckets)
                return; /* the last one went: the table is gone */
        }
    }
}

const t4__hist_entry *t4__hist_at(const t4__hist *h, uint64_t offset)
{
    if (!h->count || offset < t4__hist_first(h) || offset > h->last)
        return NULL;
    return h->slot[(h->head + (size_t)(offset - t4__hist_first(h))) % h->cap];
}

long long t4__hist_missed(const t4__hist *h, uint64_t epoch, uint64_t offset)
{
    if (epoch != h->epoch || offset > h->last)
        return -1;
    if (offset == h->last)
        return 0;
    if (offset + 1 < t4__hist_first(h))
        return -1;
    return (long long)(h->last - offset);
}

void t4__hist_reset(void)
{
    for (size_t b = 0; b < paths.nbuckets; b++) {
        for (t4__hnode *n = paths.buckets ? paths.buckets[b] : NULL, *next; n; n = next) {
            next = n->next;
            t4__hist *h = (t4__hist *)n;
            while (h->count)
                drop_oldest(h);
            h->listeners = 0;
            hist_free(h);
            if (!paths.buckets)
                return;
        }
    }
}

void t4__hist_each(void (*fn)(t4__hist *h, void *arg), void *arg)
{
    for (size_t b = 0; b < paths.nbuckets; b++)
        for (t4__hnode *n = paths.buckets ? paths.buckets[b] : NULL; n; n = n->next)
            fn((t4__hist *)n, arg);
}
