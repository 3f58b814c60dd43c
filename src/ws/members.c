/* SPDX-License-Identifier: MIT */
/*
 * Presence on a path: a connection that calls t4_ws_set_presence is listed,
 * with that public info, by t4_ws_presence / t4_path_presence until it
 * closes. On a route with .presence_events, tina4.v1 members are told as it
 * happens: "join" (first info), "update" (new info), "leave" (closed), and
 * the welcome carries the list at join time (docs/RESUME_PROTOCOL.md).
 *
 * Machine- and cluster-wide: every change is also handed to the backplane
 * (the local bus to the other workers, Redis to other instances), and what
 * they report is kept in remote_members.c, listed and told like local
 * members. A crashed worker's entries go when its bus link closes, a
 * crashed instance's when its heartbeats stop.
 */
#include "backplane/backplane.h"
#include "util/log.h"
#include "util/mem.h"
#include "ws/remote_members.h"
#include "ws/ws.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A control frame to every open tina4.v1 member of g: one shared frame. */
static void tell_raw(t4__group *g, const char *type, const char *id, const char *info)
{
    char *s;
    if (!g || asprintf(&s, "c{\"type\":\"%s\",\"id\":\"%s\",\"info\":%s}", type, id, info) < 0)
        return;
    t4__sbuf *f = NULL;
    for (t4_ws *m = t4__group_first(g), *next; m; m = next) {
        next = m->gnext;
        if (!m->v1 || m->phase != T4__WS_OPEN)
            continue;
        if (!f && !(f = t4__ws_frame_new(T4__WS_OP_TEXT, s, strlen(s))))
            break;
        t4__sbuf_ref(f);
        t4__ws_queue_frame(m, f);
    }
    if (f)
        t4__sbuf_release(f);
    free(s);
}

static void tell(t4__group *g, const char *type, const t4_ws *who)
{
    tell_raw(g, type, who->id, who->presence);
}

static bool events(const t4_ws *ws)
{
    return ws->route && ws->route->presence_events;
}

int t4_ws_set_presence(t4_ws *ws, json_t *info)
{
    if (!ws || !info) {
        t4_log(T4_LOG_ERROR, "t4_ws_set_presence: NULL connection or info");
        if (info)
            json_decref(info);
        return T4_EINVAL;
    }
    char *s = json_dumps(info, JSON_COMPACT | JSON_ENCODE_ANY);
    json_decref(info);
    if (!s)
        return T4_ENOMEM;
    if (!t4__on_loop_thread()) {
        free(s);
        return T4_ETHREAD;
    }
    if (ws->left) {
        free(s);
        return T4_ECLOSED;
    }
    bool first = ws->presence == NULL;
    free(ws->presence);
    ws->presence = s;
    if (events(ws))
        tell(ws->group, first ? "join" : "update", ws);
    const char *path = t4__ws_path(ws);
    t4__backplane_member(path, strlen(path), ws->id, s);
    return 0;
}

void t4__ws_presence_left(t4_ws *ws, t4__group *g)
{
    if (!ws->presence)
        return;
    const char *path = t4__ws_path(ws);
    t4__backplane_member(path, strlen(path), ws->id, NULL);
    if (g && events(ws))
        tell(g, "leave", ws);
}

/* ---- What other processes report (backplane.h) ---- */

/* The local group of path when its members are to be told, else NULL. */
static t4__group *listeners(const char *path, size_t plen)
{
    t4__group *g = t4__group_find(path, plen);
    const t4__ws_route *r = t4__group_route(g);
    return r && r->presence_events ? g : NULL;
}

static void told_leave(const char *path, size_t plen, const char *id, const char *info, void *arg)
{
    (void)arg;
    tell_raw(listeners(path, plen), "leave", id, info);
}

void t4__ws_remote_member(const char *origin, const char *path, size_t plen, const char *id, const char *info,
                          size_t ilen)
{
    plen = t4__group_key_len(path, plen);
    if (!info) {
        t4__rmem_del(origin, path, plen, id, told_leave, NULL);
        return;
    }
    json_t *j = json_loadb(info, ilen, JSON_DECODE_ANY, NULL);
    if (!j)
        return; /* it goes into control messages as it is: JSON only */
    json_decref(j);
    int rc = t4__rmem_set(origin, path, plen, id, info, ilen);
    if (rc == 0 || rc == 1) {
        char *copy = strndup(info, ilen);
        if (copy)
            tell_raw(listeners(path, plen), rc == 0 ? "join" : "update", id, copy);
        free(copy);
    }
}

void t4__ws_remote_origin_gone(const char *origin)
{
    size_t n = t4__rmem_drop_origin(origin, told_leave, NULL);
    if (n)
        t4_log(T4_LOG_DEBUG, "presence: %zu member(s) of %s gone with it", n, origin);
}

void t4__ws_remote_mark(const char *origin)
{
    t4__rmem_mark(origin);
}

void t4__ws_remote_sweep(const char *origin)
{
    t4__rmem_sweep(origin, told_leave, NULL);
}

void t4__ws_remote_reset(void)
{
    t4__rmem_reset();
}

typedef struct {
    void (*fn)(const char *path, size_t plen, const char *id, const char *info, void *arg);
    void *arg;
} each_ctx;

static void each_group(t4__group *g, void *arg)
{
    each_ctx *c = arg;
    for (const t4_ws *m = t4__group_first(g); m; m = m->gnext)
        if (m->presence && !m->left) {
            const char *path = t4__ws_path(m);
            c->fn(path, strlen(path), m->id, m->presence, c->arg);
        }
}

void t4__ws_members_each(void (*fn)(const char *path, size_t plen, const char *id, const char *info,
                                    void *arg),
                         void *arg)
{
    each_ctx c = {fn, arg};
    t4__group_each(each_group, &c);
}

static void add(json_t *a, const char *id, const char *info_text)
{
    json_t *info = json_loads(info_text, JSON_DECODE_ANY, NULL);
    json_array_append_new(a, json_pack("{s:s, s:o}", "id", id, "info", info ? info : json_null()));
}

static void add_remote(const char *path, size_t plen, const char *id, const char *info, void *arg)
{
    (void)path, (void)plen;
    add(arg, id, info);
}

/* [{id, info}, ...] of the members of path that set presence: g's (the
 * local group, may be NULL), then the other processes'. */
static json_t *list(const char *path, size_t plen, const t4__group *g)
{
    json_t *a = json_array();
    for (const t4_ws *m = t4__group_first(g); a && m; m = m->gnext)
        if (m->presence && !m->left)
            add(a, m->id, m->presence);
    if (a)
        t4__rmem_each(path, t4__group_key_len(path, plen), add_remote, a);
    return a;
}

char *t4__ws_presence_json(const t4_ws *ws)
{
    json_t *a = list(t4__ws_path(ws), strlen(t4__ws_path(ws)), ws->group);
    char *s = a ? json_dumps(a, JSON_COMPACT) : NULL;
    json_decref(a);
    return s;
}

json_t *t4_ws_presence(const t4_ws *ws)
{
    if (!ws || !t4__on_loop_thread())
        return NULL;
    const char *path = t4__ws_path(ws);
    return list(path, strlen(path), t4__group_find(path, strlen(path)));
}

json_t *t4_path_presence(const char *path)
{
    if (!path || !t4__on_loop_thread())
        return NULL;
    size_t len = strlen(path);
    const char *q = memchr(path, '?', len);
    if (q)
        len = (size_t)(q - path);
    len = t4__group_key_len(path, len);
    return list(path, len, t4__group_find(path, len));
}
