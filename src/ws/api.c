/* SPDX-License-Identifier: MIT */
/* The public WebSocket connection API (t4_ws_*): the chapter's connection
 * methods in C. Loop thread only (push.c is the cross-thread way in). */
#include "backplane/backplane.h"
#include "util/log.h"
#include "ws/ws.h"
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---------------------------------------------------------------- */
/* Handles: survive the connection safely (a gone connection -> NULL) */
/* ---------------------------------------------------------------- */

static t4__hmap handles;
static uint64_t next_handle = 1;

static int handle_eq(const t4__hnode *n, const void *key)
{
    const t4_ws *ws = (const t4_ws *)((const char *)n - offsetof(t4_ws, hnode));
    return ws->handle == *(const uint64_t *)key;
}

void t4__ws_handle_register(t4_ws *ws)
{
    ws->handle = next_handle++;
    if (t4__hmap_insert(&handles, &ws->hnode, t4__hash_bytes(&ws->handle, sizeof ws->handle)) != 0)
        ws->handle = 0; /* no memory: the connection works, only lookups fail */
}

void t4__ws_handle_unregister(t4_ws *ws)
{
    if (ws->handle) {
        t4__hmap_remove(&handles, &ws->hnode);
        if (handles.count == 0)
            t4__hmap_free(&handles);
    }
}

uint64_t t4_ws_handle(const t4_ws *ws)
{
    return ws ? ws->handle : 0;
}

t4_ws *t4_ws_lookup(uint64_t handle)
{
    if (!handle || !t4__on_loop_thread())
        return NULL;
    t4__hnode *n = t4__hmap_find(&handles, t4__hash_bytes(&handle, sizeof handle), handle_eq, &handle);
    return n ? (t4_ws *)((char *)n - offsetof(t4_ws, hnode)) : NULL;
}

/* ---------------------------------------------------------------- */
/* Sending                                                            */
/* ---------------------------------------------------------------- */

static int check(const t4_ws *ws, const void *data, size_t len, const char *fn)
{
    if (!ws || (len && !data)) {
        t4_log(T4_LOG_ERROR, "%s: NULL connection or data", fn);
        return T4_EINVAL;
    }
    if (!t4__on_loop_thread()) {
        t4_log(T4_LOG_ERROR, "%s: called off the loop thread; use t4_push() from other threads", fn);
        return T4_ETHREAD;
    }
    return 0;
}

static int send_frame(t4_ws *ws, uint8_t opcode, const void *data, size_t len)
{
    if (ws->phase != T4__WS_OPEN)
        return T4_ECLOSED; /* harmless: the peer is gone or going */
    if (len > t4__srv->cfg.ws_max_message) {
        t4_log(T4_LOG_ERROR, "send of %zu bytes refused: over TINA4_WS_MAX_MESSAGE (%zu)", len,
               t4__srv->cfg.ws_max_message);
        return T4_ETOOBIG;
    }
    t4__sbuf *b = t4__ws_text_frame(ws, opcode, data, len);
    if (!b)
        return T4_ENOMEM;
    return t4__ws_queue_frame(ws, b);
}

int t4_ws_send_text(t4_ws *ws, const char *text, size_t len)
{
    int r = check(ws, text, len, "t4_ws_send_text");
    if (r)
        return r;
    if (!t4__utf8_valid((const uint8_t *)text, len)) {
        t4_log(T4_LOG_ERROR, "t4_ws_send_text: text is not valid UTF-8 (send it as binary)");
        return T4_EINVAL;
    }
    return send_frame(ws, T4__WS_OP_TEXT, text, len);
}

int t4_ws_send(t4_ws *ws, const char *text)
{
    return text ? t4_ws_send_text(ws, text, strlen(text)) : check(ws, NULL, 1, "t4_ws_send");
}

int t4_ws_send_binary(t4_ws *ws, const void *data, size_t len)
{
    int r = check(ws, data, len, "t4_ws_send_binary");
    return r ? r : send_frame(ws, T4__WS_OP_BINARY, data, len);
}

int t4_ws_sendf(t4_ws *ws, const char *fmt, ...)
{
    size_t len;
    va_list ap;
    va_start(ap, fmt);
    char *s = t4__vformat(&len, fmt, ap);
    va_end(ap);
    if (!s)
        return fmt ? T4_ENOMEM : T4_EINVAL;
    int r = t4_ws_send_text(ws, s, len);
    free(s);
    return r;
}

/* JSON values are serialised compactly; the reference is always consumed. */
static char *dump_json(json_t *v, const char *fn)
{
    if (!v) {
        t4_log(T4_LOG_ERROR, "%s: NULL JSON value (did json_pack fail?)", fn);
        return NULL;
    }
    char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    json_decref(v);
    return s;
}

int t4_ws_send_json(t4_ws *ws, json_t *value)
{
    char *s = dump_json(value, "t4_ws_send_json");
    if (!s)
        return T4_EINVAL;
    int r = t4_ws_send_text(ws, s, strlen(s));
    free(s);
    return r;
}

/* ---------------------------------------------------------------- */
/* Broadcast                                                          */
/* ---------------------------------------------------------------- */

static int broadcast(t4_ws *ws, uint8_t opcode, const void *data, size_t len, bool exclude_self,
                     const char *fn)
{
    int r = check(ws, data, len, fn);
    if (r)
        return r;
    /* By path, not by ws->group: in a CLOSE handler the sender has left its
     * group, but its peers should still hear the goodbye. */
    return t4__ws_publish(t4__ws_path(ws), strlen(t4__ws_path(ws)), opcode, data, len,
                          exclude_self ? ws : NULL);
}

int t4_ws_broadcast_text(t4_ws *ws, const char *text, size_t len, bool exclude_self)
{
    if (text && !t4__utf8_valid((const uint8_t *)text, len)) {
        t4_log(T4_LOG_ERROR, "t4_ws_broadcast_text: text is not valid UTF-8");
        return T4_EINVAL;
    }
    return broadcast(ws, T4__WS_OP_TEXT, text, len, exclude_self, "t4_ws_broadcast_text");
}

int t4_ws_broadcast(t4_ws *ws, const char *text, bool exclude_self)
{
    if (!text) { /* a bad argument, not an empty message (as t4_ws_send) */
        t4_log(T4_LOG_ERROR, "t4_ws_broadcast: NULL text");
        return T4_EINVAL;
    }
    return t4_ws_broadcast_text(ws, text, strlen(text), exclude_self);
}

int t4_ws_broadcast_binary(t4_ws *ws, const void *data, size_t len, bool exclude_self)
{
    return broadcast(ws, T4__WS_OP_BINARY, data, len, exclude_self, "t4_ws_broadcast_binary");
}

int t4_ws_broadcast_json(t4_ws *ws, json_t *value, bool exclude_self)
{
    char *s = dump_json(value, "t4_ws_broadcast_json");
    if (!s)
        return T4_EINVAL;
    int r = t4_ws_broadcast_text(ws, s, strlen(s), exclude_self);
    free(s);
    return r;
}

int t4_ws_broadcastf(t4_ws *ws, bool exclude_self, const char *fmt, ...)
{
    size_t len;
    va_list ap;
    va_start(ap, fmt);
    char *s = t4__vformat(&len, fmt, ap);
    va_end(ap);
    if (!s)
        return fmt ? T4_ENOMEM : T4_EINVAL;
    int r = t4_ws_broadcast_text(ws, s, len, exclude_self);
    free(s);
    return r;
}

/* ---------------------------------------------------------------- */
/* Close, identity, params, data                                     */
/* ---------------------------------------------------------------- */

int t4_ws_close(t4_ws *ws, int code, const char *reason)
{
    int r = check(ws, NULL, 0, "t4_ws_close");
    if (r)
        return r;
    if (code == 0)
        code = 1000;
    /* Codes an endpoint may send: 1000-1003, 1007-1014 and 3000-4999. */
    if (!t4__ws_close_code_valid(code)) {
        t4_log(T4_LOG_ERROR, "t4_ws_close: %d is not a close code an endpoint may send", code);
        return T4_EINVAL;
    }
    if (reason && (strlen(reason) > 123 || !t4__utf8_valid((const uint8_t *)reason, strlen(reason)))) {
        t4_log(T4_LOG_ERROR, "t4_ws_close: the reason must be UTF-8 of at most 123 bytes");
        return T4_EINVAL;
    }
    if (ws->phase != T4__WS_OPEN)
        return T4_ECLOSED;
    t4__ws_begin_close(ws, code, reason);
    return 0;
}

const char *t4_ws_id(const t4_ws *ws)
{
    return ws ? ws->id : NULL;
}

const char *t4_ws_protocol(const t4_ws *ws)
{
    return ws ? ws->protocol : NULL;
}

t4_ws_join t4_ws_join_kind(const t4_ws *ws)
{
    return ws ? (t4_ws_join)ws->join : T4_WS_JOIN_FRESH;
}

const char *t4_ws_path(const t4_ws *ws)
{
    return ws ? t4__ws_path(ws) : NULL;
}

/* Walks the blob: params, then headers, then cookies (see ws.h). */
enum { SECTION_PARAMS, SECTION_HEADERS, SECTION_COOKIES };

static const char *blob_find(const t4_ws *ws, const char *name, int section)
{
    if (!ws || !name || !ws->blob)
        return NULL;
    const char *p = ws->blob + strlen(ws->blob) + 1; /* after the path */
    unsigned total = (unsigned)ws->nparams + ws->nheaders + ws->ncookies;
    for (unsigned i = 0; i < total; i++) {
        const char *v = p + strlen(p) + 1;
        int sec = i < ws->nparams                            ? SECTION_PARAMS
                  : i < (unsigned)ws->nparams + ws->nheaders ? SECTION_HEADERS
                                                             : SECTION_COOKIES;
        if (sec == section && (sec == SECTION_HEADERS ? strcasecmp(p, name) == 0 : strcmp(p, name) == 0))
            return v;
        p = v + strlen(v) + 1;
    }
    return NULL;
}

const char *t4_ws_param(const t4_ws *ws, const char *name)
{
    return blob_find(ws, name, SECTION_PARAMS);
}

json_t *t4_ws_params(const t4_ws *ws_c)
{
    t4_ws *ws = (t4_ws *)ws_c; /* built once, cached */
    if (!ws)
        return NULL;
    if (!ws->params_json) {
        ws->params_json = json_object();
        const char *p = ws->blob + strlen(ws->blob) + 1;
        for (unsigned i = 0; p && ws->params_json && i < ws->nparams; i++) {
            const char *v = p + strlen(p) + 1;
            if (!json_object_get(ws->params_json, p))
                json_object_set_new(ws->params_json, p, json_string(v));
            p = v + strlen(v) + 1;
        }
    }
    return ws->params_json;
}

const char *t4_ws_remote_addr(const t4_ws *ws_c)
{
    t4_ws *ws = (t4_ws *)ws_c; /* cached on first use */
    if (!ws)
        return NULL;
    if (!ws->remote_addr) {
        char addr[64];
        if (ws->conn->closing || t4__conn_peer_addr(ws->conn, addr, sizeof addr) != 0)
            return NULL;
        ws->remote_addr = strdup(addr);
    }
    return ws->remote_addr;
}

const char *t4_ws_header(const t4_ws *ws, const char *name)
{
    return blob_find(ws, name, SECTION_HEADERS);
}

const char *t4_ws_cookie(const t4_ws *ws, const char *name)
{
    return blob_find(ws, name, SECTION_COOKIES);
}

static size_t count(const char *path, bool cluster)
{
    if (!path || !t4__on_loop_thread())
        return 0;
    size_t len = strlen(path);
    const char *q = memchr(path, '?', len);
    if (q)
        len = (size_t)(q - path);
    len = t4__group_key_len(path, len);
    size_t n = t4__group_count(t4__group_find(path, len));
    return cluster ? n + t4__backplane_remote_count(path, len) : n;
}

size_t t4_path_connection_count(const char *path)
{
    return count(path, true);
}

size_t t4_path_local_connection_count(const char *path)
{
    return count(path, false);
}

size_t t4_ws_connection_count(const t4_ws *ws)
{
    return ws ? count(t4__ws_path(ws), true) : 0;
}

size_t t4_ws_local_connection_count(const t4_ws *ws)
{
    return ws ? count(t4__ws_path(ws), false) : 0;
}

void t4_ws_set_data(t4_ws *ws, void *data, void (*free_fn)(void *))
{
    if (!ws)
        return;
    if (ws->user && ws->user_free && ws->user != data)
        ws->user_free(ws->user);
    ws->user = data;
    ws->user_free = free_fn;
}

void *t4_ws_data(const t4_ws *ws)
{
    return ws ? ws->user : NULL;
}
