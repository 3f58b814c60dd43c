/* SPDX-License-Identifier: MIT */
/* Other processes' presence entries (remote_members.h): path -> a short
 * list of entries; lists are scanned, which suits rooms of people. */
#include "ws/remote_members.h"
#include "util/hmap.h"
#include <stdlib.h>
#include <string.h>

typedef struct entry {
    struct entry *next;
    bool stale; /* marked for a snapshot and not seen in it yet */
    char origin[T4__RMEM_ORIGIN_MAX + 1];
    char id[T4__RMEM_ID_MAX + 1];
    char *info;
} entry;

typedef struct {
    t4__hnode node;
    entry *first;
    size_t len;
    char path[];
} prec;

static t4__hmap paths;
static size_t total;

typedef struct {
    const char *p;
    size_t n;
} key;

static int eq(const t4__hnode *n, const void *k)
{
    const prec *r = (const prec *)n;
    const key *kk = k;
    return r->len == kk->n && memcmp(r->path, kk->p, kk->n) == 0;
}

static prec *find(const char *path, size_t plen)
{
    key k = {path, plen};
    return (prec *)t4__hmap_find(&paths, t4__hash_bytes(path, plen), eq, &k);
}

static void prec_free_if_empty(prec *r)
{
    if (r->first)
        return;
    t4__hmap_remove(&paths, &r->node);
    free(r);
    if (paths.count == 0)
        t4__hmap_free(&paths);
}

int t4__rmem_set(const char *origin, const char *path, size_t plen, const char *id, const char *info,
                 size_t ilen)
{
    if (strlen(origin) > T4__RMEM_ORIGIN_MAX || strlen(id) > T4__RMEM_ID_MAX)
        return -1;
    prec *r = find(path, plen);
    if (!r) {
        if (!(r = calloc(1, sizeof *r + plen + 1)))
            return -1;
        memcpy(r->path, path, plen);
        r->len = plen;
        if (t4__hmap_insert(&paths, &r->node, t4__hash_bytes(path, plen)) != 0) {
            free(r);
            return -1;
        }
    }
    entry *e = r->first;
    while (e && strcmp(e->id, id) != 0)
        e = e->next;
    if (e && strlen(e->info) == ilen && memcmp(e->info, info, ilen) == 0 && strcmp(e->origin, origin) == 0) {
        e->stale = false;
        return 2;
    }
    char *copy = malloc(ilen + 1);
    if (!copy) {
        prec_free_if_empty(r);
        return -1;
    }
    memcpy(copy, info, ilen);
    copy[ilen] = '\0';
    int rc = 1;
    if (!e) {
        if (!(e = calloc(1, sizeof *e))) {
            free(copy);
            prec_free_if_empty(r);
            return -1;
        }
        e->next = r->first;
        r->first = e;
        total++;
        rc = 0;
    }
    free(e->info);
    e->info = copy;
    e->stale = false;
    strcpy(e->origin, origin);
    strcpy(e->id, id);
    return rc;
}

/* Removes the entries of r that pick() chooses; returns how many. */
static size_t remove_where(prec *r, bool (*pick)(const entry *, const void *), const void *arg,
                           t4__rmem_fn fn, void *fnarg)
{
    size_t n = 0;
    for (entry **pp = &r->first; *pp;) {
        entry *e = *pp;
        if (!pick(e, arg)) {
            pp = &e->next;
            continue;
        }
        *pp = e->next;
        if (fn)
            fn(r->path, r->len, e->id, e->info, fnarg);
        free(e->info);
        free(e);
        total--;
        n++;
    }
    return n;
}

typedef struct {
    const char *origin, *id;
} who;

static bool is_who(const entry *e, const void *arg)
{
    const who *w = arg;
    return strcmp(e->id, w->id) == 0 && strcmp(e->origin, w->origin) == 0;
}

static bool of_origin(const entry *e, const void *arg)
{
    return strcmp(e->origin, arg) == 0;
}

static bool stale_of(const entry *e, const void *arg)
{
    return e->stale && strcmp(e->origin, arg) == 0;
}

bool t4__rmem_del(const char *origin, const char *path, size_t plen, const char *id, t4__rmem_fn fn,
                  void *arg)
{
    prec *r = find(path, plen);
    if (!r)
        return false;
    who w = {origin, id};
    size_t n = remove_where(r, is_who, &w, fn, arg);
    prec_free_if_empty(r);
    return n > 0;
}

/* Runs remove_where on every path (a path emptied is freed). */
static size_t remove_all(bool (*pick)(const entry *, const void *), const void *arg, t4__rmem_fn fn,
                         void *fnarg)
{
    size_t n = 0;
    for (size_t b = 0; b < paths.nbuckets; b++) {
        for (t4__hnode *h = paths.buckets ? paths.buckets[b] : NULL, *next; h; h = next) {
            next = h->next;
            prec *r = (prec *)h;
            n += remove_where(r, pick, arg, fn, fnarg);
            prec_free_if_empty(r);
            if (!paths.buckets)
                return n; /* the last one went: the table is gone */
        }
    }
    return n;
}

size_t t4__rmem_drop_origin(const char *origin, t4__rmem_fn fn, void *arg)
{
    return remove_all(of_origin, origin, fn, arg);
}

void t4__rmem_mark(const char *origin)
{
    for (size_t b = 0; b < paths.nbuckets; b++)
        for (t4__hnode *h = paths.buckets ? paths.buckets[b] : NULL; h; h = h->next)
            for (entry *e = ((prec *)h)->first; e; e = e->next)
                if (strcmp(e->origin, origin) == 0)
                    e->stale = true;
}

size_t t4__rmem_sweep(const char *origin, t4__rmem_fn fn, void *arg)
{
    return remove_all(stale_of, origin, fn, arg);
}

void t4__rmem_each(const char *path, size_t plen, t4__rmem_fn fn, void *arg)
{
    prec *r = find(path, plen);
    for (entry *e = r ? r->first : NULL; e; e = e->next)
        fn(r->path, r->len, e->id, e->info, arg);
}

size_t t4__rmem_count(void)
{
    return total;
}

static bool any(const entry *e, const void *arg)
{
    (void)e, (void)arg;
    return true;
}

void t4__rmem_reset(void)
{
    remove_all(any, NULL, NULL, NULL);
}
