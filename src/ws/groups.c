/* SPDX-License-Identifier: MIT */
/*
 * Groups: every open connection belongs to the group of its concrete path
 * ("/ws/chat/general"). A hash map from path to group, each group an
 * intrusive doubly linked list of members: join, leave and count are O(1);
 * an empty group is freed.
 */
#include "backplane/backplane.h"
#include "util/mem.h"
#include "ws/ws.h"
#include <stdlib.h>
#include <string.h>

struct t4__group {
    t4__hnode node;
    t4_ws *first;
    size_t count;
    const t4__ws_route *route;
    t4__hist *hist; /* held while the group lives; NULL: the route keeps none */
    size_t len;
    char path[];
};

static t4__hmap groups;

size_t t4__group_key_len(const char *path, size_t len)
{
    if (len > 1 && path[len - 1] == '/')
        len--;
    return len;
}

typedef struct {
    const char *p;
    size_t n;
} key;

static int eq(const t4__hnode *n, const void *k)
{
    const t4__group *g = (const t4__group *)n;
    const key *kk = k;
    return g->len == kk->n && memcmp(g->path, kk->p, kk->n) == 0;
}

t4__group *t4__group_find(const char *path, size_t len)
{
    len = t4__group_key_len(path, len);
    key k = {path, len};
    return (t4__group *)t4__hmap_find(&groups, t4__hash_bytes(path, len), eq, &k);
}

t4__group *t4__group_join(t4_ws *ws)
{
    size_t len = strlen(t4__ws_path(ws));
    t4__group *g = t4__group_find(t4__ws_path(ws), len);
    if (!g) {
        g = calloc(1, sizeof *g + len + 1);
        if (!g)
            return NULL;
        memcpy(g->path, t4__ws_path(ws), len);
        g->len = len;
        if (t4__hmap_insert(&groups, &g->node, t4__hash_bytes(g->path, len)) != 0) {
            free(g);
            return NULL;
        }
        g->route = ws->route;
        if (g->route && g->route->history_size &&
            (g->hist = t4__hist_open(g->path, len, g->route->history_size, g->route->history_ttl)))
            t4__hist_hold(g->hist);
    }
    ws->gprev = NULL;
    ws->gnext = g->first;
    if (g->first)
        g->first->gprev = ws;
    g->first = ws;
    g->count++;
    ws->group = g;
    t4__backplane_presence(g->path, g->len, g->count);
    return g;
}

void t4__group_leave(t4_ws *ws)
{
    t4__group *g = ws->group;
    if (!g)
        return;
    if (ws->gprev)
        ws->gprev->gnext = ws->gnext;
    else
        g->first = ws->gnext;
    if (ws->gnext)
        ws->gnext->gprev = ws->gprev;
    ws->gprev = ws->gnext = NULL;
    ws->group = NULL;
    g->count--;
    t4__backplane_presence(g->path, g->len, g->count);
    if (g->count == 0) {
        t4__hmap_remove(&groups, &g->node);
        if (g->hist)
            t4__hist_release(g->hist);
        free(g);
        if (groups.count == 0)
            t4__hmap_free(&groups);
    }
}

size_t t4__group_count(const t4__group *g)
{
    return g ? g->count : 0;
}

t4_ws *t4__group_first(const t4__group *g)
{
    return g ? g->first : NULL;
}

t4__hist *t4__group_hist(const t4__group *g)
{
    return g ? g->hist : NULL;
}

const t4__ws_route *t4__group_route(const t4__group *g)
{
    return g ? g->route : NULL;
}

void t4__group_each(void (*fn)(t4__group *g, void *arg), void *arg)
{
    for (size_t b = 0; b < groups.nbuckets; b++)
        for (t4__hnode *n = groups.buckets ? groups.buckets[b] : NULL; n; n = n->next)
            fn((t4__group *)n, arg);
}

t4_ws *t4__group_member(const t4__group *g, const char *id)
{
    for (t4_ws *m = t4__group_first(g); id && m; m = m->gnext)
        if (strcmp(m->id, id) == 0)
            return m;
    return NULL;
}
