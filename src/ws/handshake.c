/* SPDX-License-Identifier: MIT */
/* The opening handshake: check the Upgrade (handshake_logic.c), pick the route, answer 101. */
#include "ws/handshake.h"
#include "http/request.h"
#include "http/routes.h"
#include "runtime/current.h"
#include "util/log.h"
#include "util/mem.h"
#include "ws/deflate.h"
#include "ws/v1.h"
#include "ws/ws.h"
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static bool handshake_only(t4__slice name)
{
    static const char *const names[] = {"Upgrade", "Connection", "Sec-WebSocket-Key", "Sec-WebSocket-Version",
                                        "Sec-WebSocket-Extensions"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        if (name.n == strlen(names[i]) && strncasecmp(name.p, names[i], name.n) == 0)
            return true;
    return false;
}

/* The route's first subprotocol (its order of preference) that the client
 * offers; else tina4.v1 (positions and resume, v1.h) when offered: every
 * route speaks it, so frond.js can offer it anywhere. */
static const char *select_protocol(const t4__ws_route *route, const t4__http_head *h)
{
    for (char **p = route->protocols; p && *p; p++)
        if (t4__ws_client_offers(h, *p))
            return *p;
    return t4__ws_client_offers(h, T4__V1_PROTOCOL) ? T4__V1_PROTOCOL : NULL;
}

typedef struct {
    t4__buf *blob;
    const t4__param *params;
    size_t nparams;
    uint16_t added;
    bool failed;
} blob_ctx;

/* A connection keeps at most this many query pairs and cookies: its
 * counters are 16-bit, and nobody needs more. */
#define MAX_PAIRS 1000

static void add_query(const char *name, const char *value, void *arg)
{
    blob_ctx *bc = arg;
    if (bc->added >= MAX_PAIRS)
        return;
    for (size_t i = 0; i < bc->nparams; i++)
        if (strcmp(bc->params[i].name, name) == 0)
            return; /* a path parameter wins a clash */
    if (t4__buf_append(bc->blob, name, strlen(name) + 1) ||
        t4__buf_append(bc->blob, value, strlen(value) + 1))
        bc->failed = true;
    else
        bc->added++;
}

void t4__ws_handshake(t4__conn *c, const t4__http_head *h)
{
    t4__server *s = t4__srv;
    int refused = t4__ws_upgrade_check(h, s->cfg.ws_allowed_origins);
    if (refused == 426) {
        t4__http_fail(c, 426, "Sec-WebSocket-Version", "13");
        return;
    }
    if (refused) {
        if (refused == 403)
            t4_log(T4_LOG_INFO, "WebSocket upgrade refused: origin not in TINA4_WS_ALLOWED_ORIGINS");
        t4__http_fail(c, refused, NULL, NULL);
        return;
    }
    const t4__http_header *key = t4__http_find_header(h, "Sec-WebSocket-Key");
    /* Stopping: 503. A worker retiring at a reload still upgrades what it
     * accepted before (its clients' requests were on the way): the
     * WebSocket gets 1012 with the others when the grace ends, and its
     * client reconnects at once, to a new worker. */
    if (s->stopping && (!s->retiring || s->websockets_closed)) {
        t4__http_fail(c, 503, NULL, NULL);
        return;
    }
    /* The decoded path lives in the request arena only while the blob is
     * built; the connection keeps its own copy at the head of the blob. */
    t4__arena *arena = &s->arena;
    char *path = t4__arena_alloc(arena, h->path.n + 1);
    ssize_t plen = path ? t4__url_decode(path, h->path.p, h->path.n, false) : -1;
    void *handler = NULL;
    t4__param params[T4__MAX_PARAMS];
    size_t nparams = 0;
    t4__router *routes = t4__routes_ws();
    if (plen <= 0 || path[0] != '/') {
        t4__arena_reset(arena);
        t4__http_fail(c, 400, NULL, NULL);
        return;
    }
    if (!routes || t4__router_match(routes, NULL, path, (size_t)plen, &handler, params, &nparams, NULL, 0) !=
                       T4__MATCH_FOUND) {
        t4__arena_reset(arena);
        t4__http_fail(c, 404, NULL, NULL);
        return;
    }

    t4_ws *ws = calloc(1, sizeof *ws);
    t4__buf blob = {0};
    bool ok = ws != NULL && t4__random_id(ws->id) == 0;
    /* One allocation per connection for everything kept from the request:
     * the concrete path, then params (path params, then query pairs not
     * shadowed by them), headers and cookies as NUL-separated pairs. */
    size_t key_len = t4__group_key_len(path, (size_t)plen);
    ok = ok && t4__buf_reserve(&blob, 256) == 0 && t4__buf_append(&blob, path, key_len) == 0 &&
         t4__buf_append(&blob, "", 1) == 0;
    for (size_t i = 0; ok && i < nparams; i++) {
        ok = t4__buf_append(&blob, params[i].name, strlen(params[i].name) + 1) == 0 &&
             t4__buf_append(&blob, params[i].value, params[i].value_len) == 0 &&
             t4__buf_append(&blob, "", 1) == 0;
    }
    blob_ctx bc = {&blob, params, nparams, 0, false};
    if (ok && h->query.n)
        t4__parse_query(h->query.p, h->query.n, add_query, &bc);
    ok = ok && !bc.failed;
    uint16_t nheaders = 0;
    for (size_t i = 0; ok && i < h->num_headers; i++) {
        const t4__http_header *hd = &h->headers[i];
        if (handshake_only(hd->name))
            continue; /* mechanics of the upgrade: of no use to the app */
        ok = t4__buf_append(&blob, hd->name.p, hd->name.n) == 0 && t4__buf_append(&blob, "", 1) == 0 &&
             t4__buf_append(&blob, hd->value.p, hd->value.n) == 0 && t4__buf_append(&blob, "", 1) == 0;
        nheaders++;
    }
    blob_ctx cc = {&blob, NULL, 0, 0, false};
    const t4__http_header *cookie = t4__http_find_header(h, "Cookie");
    if (ok && cookie)
        t4__parse_cookies(cookie->value.p, cookie->value.n, add_query, &cc);
    ok = ok && !cc.failed;
    t4__arena_reset(arena);
    if (!ok) {
        t4_log(T4_LOG_ERROR, "out of memory in the WebSocket handshake");
        free(ws);
        t4__buf_free(&blob);
        t4__http_fail(c, 503, NULL, NULL);
        return;
    }
    /* Give back the slack of the doubling buffer: it lives as long as the
     * connection (idle memory per connection is a measured target). */
    char *exact = realloc(blob.data, blob.len);
    ws->blob = exact ? exact : blob.data;
    ws->nparams = (uint16_t)(nparams + bc.added);
    ws->nheaders = nheaders;
    ws->ncookies = cc.added;
    ws->conn = c;
    const t4__ws_route *route = handler;
    ws->handler = route->fn;
    ws->route = route;
    ws->last_ping = uv_now(&s->loop);
    ws->protocol = select_protocol(route, h);
    ws->v1 = ws->protocol && strcmp(ws->protocol, T4__V1_PROTOCOL) == 0;
    if (route->guard) {
        /* Not open yet: the guard can read everything but send nothing. */
        ws->phase = T4__WS_CLOSED;
        t4__handler_enter(T4__RUN_WS_GUARD, NULL, t4__ws_path(ws), (const void *)route->fn);
        int verdict = route->guard(ws);
        t4__handler_leave();
        ws->phase = T4__WS_OPEN;
        if (verdict != 0) {
            if (verdict < 400 || verdict > 599) {
                t4_log(T4_LOG_ERROR,
                       "WebSocket guard for %s returned %d (expected 0 or 400-599): refusing with 500",
                       t4__ws_path(ws), verdict);
                verdict = 500;
            }
            if (ws->params_json)
                json_decref(ws->params_json);
            free(ws->remote_addr);
            free(ws->blob);
            free(ws);
            t4__http_fail(c, verdict, NULL, NULL);
            return;
        }
    }

    char accept[29];
    t4__ws_accept_key(key->value.p, key->value.n, accept);
    char ext[160];
    size_t ext_len = 0;
    if (s->cfg.ws_compression)
        ws->pmd_wbits = (unsigned)t4__ws_negotiate_deflate(h, ext, sizeof ext, &ext_len) & 15u;
    char proto[300] = "";
    if (ws->protocol)
        snprintf(proto, sizeof proto, "Sec-WebSocket-Protocol: %.250s\r\n", ws->protocol);
    char resp[640];
    int n = snprintf(resp, sizeof resp,
                     "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                     "Sec-WebSocket-Accept: %s\r\n%s%.*s\r\n",
                     accept, proto, (int)ext_len, ext);
    if (t4__conn_queue_copy(c, resp, (size_t)n) != 0 || !t4__group_join(ws)) {
        free(ws->blob);
        free(ws);
        t4__conn_close_now(c);
        return;
    }
    c->ops = &t4__ws_ops;
    c->ws = ws;
    t4__ws_handle_register(ws);
    if (ws->v1)
        t4__ws_resume_join(ws, h); /* before OPEN: it can read t4_ws_join_kind */
    t4_msg none = {0};
    t4__handler_enter(T4__RUN_WS_OPEN, NULL, t4__ws_path(ws), (const void *)ws->handler);
    ws->handler(ws, T4_WS_OPEN, none);
    t4__handler_leave();
}
