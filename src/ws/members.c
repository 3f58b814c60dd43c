/* SPDX-License-Identifier: MIT */
/*
 * Presence on a path: a connection that calls t4_ws_set_presence is listed,
 * with that public info, by t4_ws_presence / t4_path_presence until it
 * closes. On a route with .presence_events, tina4.v1 members are told as it
 * happens: "join" (first info), "update" (new info), "leave" (closed), and
 * the welcome carries the list at join time (docs/RESUME_PROTOCOL.md).
 *
 * This instance's connections only: with workers or a backplane each
 * process lists its own.
 */
#include "util/log.h"
#include "util/mem.h"
#include "ws/ws.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A control frame to every open tina4.v1 member of g: one shared frame. */
static void tell(t4__group *g, const char *type, const t4_ws *who)
{
    char *s;
    if (asprintf(&s, "c{\"type\":\"%s\",\"id\":\"%s\",\"info\":%s}", type, who->id, who->presence) < 0)
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
    return 0;
}

void t4__ws_presence_left(t4_ws *ws, t4__group *g)
{
    if (ws->presence && g && events(ws))
        tell(g, "leave", ws);
}

/* [{id, info}, ...] of the members of g that set presence. */
static json_t *list(const t4__group *g)
{
    json_t *a = json_array();
    for (const t4_ws *m = t4__group_first(g); a && m; m = m->gnext) {
        if (!m->presence || m->left)
            continue;
        json_t *info = json_loads(m->presence, JSON_DECODE_ANY, NULL);
        json_array_append_new(a, json_pack("{s:s, s:o}", "id", m->id, "info", info ? info : json_null()));
    }
    return a;
}

char *t4__ws_presence_json(const t4__group *g)
{
    json_t *a = list(g);
    char *s = a ? json_dumps(a, JSON_COMPACT) : NULL;
    json_decref(a);
    return s;
}

json_t *t4_ws_presence(const t4_ws *ws)
{
    if (!ws || !t4__on_loop_thread())
        return NULL;
    return list(t4__group_find(t4__ws_path(ws), strlen(t4__ws_path(ws))));
}

json_t *t4_path_presence(const char *path)
{
    if (!path || !t4__on_loop_thread())
        return NULL;
    size_t len = strlen(path);
    const char *q = memchr(path, '?', len);
    if (q)
        len = (size_t)(q - path);
    return list(t4__group_find(path, t4__group_key_len(path, len)));
}
