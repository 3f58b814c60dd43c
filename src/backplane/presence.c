/* SPDX-License-Identifier: MIT */
/* Cluster connection counts in memory (see presence.h). Loop thread only. */
#include "backplane/presence.h"
#include "backplane/presence_msg.h"
#include "util/hmap.h"
#include <stdlib.h>
#include <string.h>

typedef struct pentry {
    t4__hnode node;
    struct pentry *dnext; /* local: the dirty list */
    size_t count;
    uint64_t seq;  /* remote: the update that set it */
    uint64_t t;    /* remote: when it went to zero (tombstone) */
    uint64_t mark; /* remote: the snapshot that listed it */
    bool dirty;
    size_t len;
    char path[];
} pentry;

typedef struct {
    const char *p;
    size_t len;
} pkey;

static int peq(const t4__hnode *n, const void *k)
{
    const pentry *e = (const pentry *)n;
    const pkey *key = k;
    return e->len == key->len && memcmp(e->path, key->p, key->len) == 0;
}

static pentry *pm_find(t4__hmap *m, const char *path, size_t len)
{
    pkey k = {path, len};
    return (pentry *)t4__hmap_find(m, t4__hash_bytes(path, len), peq, &k);
}

static pentry *pm_add(t4__hmap *m, const char *path, size_t len)
{
    pentry *e = calloc(1, sizeof *e + len + 1);
    if (!e)
        return NULL;
    memcpy(e->path, path, len);
    e->len = len;
    if (t4__hmap_insert(m, &e->node, t4__hash_bytes(path, len)) != 0) {
        free(e);
        return NULL;
    }
    return e;
}

static void pm_del(t4__hmap *m, pentry *e)
{
    t4__hmap_remove(m, &e->node);
    free(e);
    if (m->count == 0)
        t4__hmap_free(m);
}

/* Calls fn on every entry; fn may delete the entry it is given. */
static void pm_each(t4__hmap *m, void (*fn)(t4__hmap *m, pentry *e, void *arg), void *arg)
{
    for (size_t b = 0; m->buckets && b < m->nbuckets; b++) {
        for (t4__hnode *n = m->buckets[b], *next; n; n = next) {
            next = n->next;
            fn(m, (pentry *)n, arg);
            if (!m->buckets) /* the last entry went and the table with it */
                return;
        }
    }
}

static void pm_free_entry(t4__hmap *m, pentry *e, void *arg)
{
    (void)m, (void)arg;
    free(e);
}

static void pm_clear(t4__hmap *m)
{
    for (size_t b = 0; m->buckets && b < m->nbuckets; b++)
        for (t4__hnode *n = m->buckets[b], *next; n; n = next) {
            next = n->next;
            pm_free_entry(m, (pentry *)n, NULL);
        }
    t4__hmap_free(m);
    m->count = 0;
}

/* ---------------------------------------------------------------- */
/* Local                                                              */
/* ---------------------------------------------------------------- */

static t4__hmap local;
static pentry *dirty;
static uint64_t local_seq;

int t4__pres_local_set(const char *path, size_t len, size_t count)
{
    pentry *e = pm_find(&local, path, len);
    if (!e) {
        if (count == 0)
            return 0;
        if (!(e = pm_add(&local, path, len)))
            return -1;
    }
    e->count = count;
    if (!e->dirty) {
        e->dirty = true;
        e->dnext = dirty;
        dirty = e;
    }
    return 0;
}

bool t4__pres_local_dirty(void)
{
    return dirty != NULL;
}

void t4__pres_local_flush(void (*fn)(const char *path, size_t len, size_t count, uint64_t seq, void *arg),
                          void *arg)
{
    pentry *list = dirty;
    dirty = NULL;
    /* Oldest change first (the list is LIFO): reverse it. */
    pentry *rev = NULL;
    while (list) {
        pentry *next = list->dnext;
        list->dnext = rev;
        rev = list;
        list = next;
    }
    while (rev) {
        pentry *e = rev;
        rev = e->dnext;
        e->dirty = false;
        e->dnext = NULL;
        if (fn)
            fn(e->path, e->len, e->count, ++local_seq, arg);
        if (e->count == 0)
            pm_del(&local, e);
    }
}

uint64_t t4__pres_local_seq(void)
{
    return local_seq;
}

uint64_t t4__pres_local_next_seq(void)
{
    return ++local_seq;
}

typedef struct {
    void (*fn)(const char *, size_t, size_t, void *);
    void *arg;
} each_ctx;

static void local_each(t4__hmap *m, pentry *e, void *arg)
{
    (void)m;
    each_ctx *c = arg;
    if (e->count)
        c->fn(e->path, e->len, e->count, c->arg);
}

void t4__pres_local_foreach(void (*fn)(const char *path, size_t len, size_t count, void *arg), void *arg)
{
    each_ctx c = {fn, arg};
    pm_each(&local, local_each, &c);
}

/* ---------------------------------------------------------------- */
/* Remote                                                             */
/* ---------------------------------------------------------------- */

typedef struct inst {
    struct inst *next;
    char id[40];
    uint64_t seq;      /* highest sequence number applied */
    uint64_t snap_seq; /* the last snapshot applied */
    uint64_t last_seen;
    t4__hmap paths;
} inst;

static inst *insts;
static t4__hmap agg; /* path -> sum over instances */

/* Sums saturate at T4__PRES_SUM_MAX instead of wrapping (and differences
 * stop at 0): whatever other instances claim, a count never turns into a
 * huge or "negative" number, and the caller can add the local count. With
 * every entry at most T4__PRES_COUNT_MAX the sums are exact in practice. */
static size_t sat_add(size_t a, size_t b)
{
    return a > T4__PRES_SUM_MAX - b || b > T4__PRES_SUM_MAX ? T4__PRES_SUM_MAX : a + b;
}

static void agg_add(const char *path, size_t len, size_t add, size_t sub)
{
    if (add == sub)
        return;
    pentry *e = pm_find(&agg, path, len);
    if (!e) {
        if (add < sub || !(e = pm_add(&agg, path, len)))
            return;
    }
    size_t sum = sat_add(e->count, add);
    e->count = sum >= sub ? sum - sub : 0;
    if (e->count == 0)
        pm_del(&agg, e);
}

static inst *inst_find(const char *id)
{
    for (inst *i = insts; i; i = i->next)
        if (strcmp(i->id, id) == 0)
            return i;
    return NULL;
}

static inst *inst_get(const char *id, uint64_t now)
{
    inst *i = inst_find(id);
    if (!i && strlen(id) < sizeof i->id && (i = calloc(1, sizeof *i)) != NULL) {
        strcpy(i->id, id);
        i->next = insts;
        insts = i;
    }
    if (i && now > i->last_seen)
        i->last_seen = now;
    return i;
}

static void (*drop_hook)(const char *id);

void t4__pres_set_drop_hook(void (*fn)(const char *id))
{
    drop_hook = fn;
}

static void inst_drop(inst *dead)
{
    if (drop_hook)
        drop_hook(dead->id);
    for (inst **p = &insts; *p; p = &(*p)->next) {
        if (*p == dead) {
            *p = dead->next;
            break;
        }
    }
    for (size_t b = 0; dead->paths.buckets && b < dead->paths.nbuckets; b++)
        for (t4__hnode *n = dead->paths.buckets[b]; n; n = n->next) {
            pentry *e = (pentry *)n;
            agg_add(e->path, e->len, 0, e->count);
        }
    pm_clear(&dead->paths);
    free(dead);
}

static void remote_set(inst *i, const char *path, size_t len, size_t count, uint64_t seq, uint64_t now)
{
    if (count > T4__PRES_COUNT_MAX) /* the parsers refuse it; never trusted here either */
        count = T4__PRES_COUNT_MAX;
    pentry *e = pm_find(&i->paths, path, len);
    if (!e && !(e = pm_add(&i->paths, path, len)))
        return;
    agg_add(path, len, count, e->count);
    e->count = count;
    e->seq = seq;
    e->t = now;
}

void t4__pres_remote_update(const char *id, uint64_t seq, const char *path, size_t len, size_t count,
                            uint64_t now)
{
    inst *i = inst_get(id, now);
    if (!i || seq <= i->snap_seq)
        return;
    pentry *e = pm_find(&i->paths, path, len);
    if (e && e->seq >= seq)
        return;
    remote_set(i, path, len, count, seq, now);
    if (seq > i->seq)
        i->seq = seq;
}

static inst *snap;      /* the instance whose snapshot is being applied */
static uint64_t snap_s; /* its sequence number */
static uint64_t snap_now;
static uint64_t snap_gen;

void t4__pres_snapshot_begin(const char *id, uint64_t seq, uint64_t now)
{
    inst *i = inst_get(id, now);
    snap = i && seq > i->snap_seq ? i : NULL;
    snap_s = seq;
    snap_now = now;
    snap_gen++;
}

void t4__pres_snapshot_add(const char *path, size_t len, size_t count)
{
    if (!snap)
        return;
    pentry *e = pm_find(&snap->paths, path, len);
    if (e && e->seq > snap_s) {
        e->mark = snap_gen; /* newer than the snapshot: keep ours */
        return;
    }
    remote_set(snap, path, len, count, snap_s, snap_now);
    if ((e = pm_find(&snap->paths, path, len)))
        e->mark = snap_gen;
}

static void snap_sweep(t4__hmap *m, pentry *e, void *arg)
{
    (void)m, (void)arg;
    if (e->mark != snap_gen && e->seq <= snap_s && e->count) {
        agg_add(e->path, e->len, 0, e->count);
        e->count = 0;
        e->seq = snap_s;
        e->t = snap_now;
    }
}

void t4__pres_snapshot_end(void)
{
    if (!snap)
        return;
    pm_each(&snap->paths, snap_sweep, NULL);
    snap->snap_seq = snap_s;
    if (snap_s > snap->seq)
        snap->seq = snap_s;
    snap = NULL;
}

bool t4__pres_remote_seen(const char *id, uint64_t seq, uint64_t now)
{
    inst *i = inst_find(id);
    if (!i) {
        inst_get(id, now);
        return true;
    }
    if (now > i->last_seen)
        i->last_seen = now;
    return seq > i->seq || i->snap_seq == 0;
}

void t4__pres_remote_forget(const char *id)
{
    inst *i = inst_find(id);
    if (i)
        inst_drop(i);
}

typedef struct {
    uint64_t now, tomb_age;
} tomb_ctx;

static void tomb_sweep(t4__hmap *m, pentry *e, void *arg)
{
    const tomb_ctx *c = arg;
    if (e->count == 0 && c->now - e->t > c->tomb_age)
        pm_del(m, e);
}

size_t t4__pres_remote_expire(uint64_t now, uint64_t max_age, uint64_t tomb_age)
{
    size_t dropped = 0;
    tomb_ctx c = {now, tomb_age};
    for (inst *i = insts, *next; i; i = next) {
        next = i->next;
        if (now - i->last_seen > max_age) {
            inst_drop(i);
            dropped++;
        } else {
            pm_each(&i->paths, tomb_sweep, &c);
        }
    }
    return dropped;
}

size_t t4__pres_remote_count(const char *path, size_t len)
{
    pentry *e = pm_find(&agg, path, len);
    return e ? e->count : 0;
}

size_t t4__pres_remote_instances(void)
{
    size_t n = 0;
    for (inst *i = insts; i; i = i->next)
        n++;
    return n;
}

void t4__pres_clear(void)
{
    while (insts)
        inst_drop(insts);
    pm_clear(&agg);
    pm_clear(&local);
    dirty = NULL;
    snap = NULL;
}
