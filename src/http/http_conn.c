/* SPDX-License-Identifier: MIT */
/*
 * HTTP/1.1 on a connection: request heads, bodies (Content-Length and
 * chunked), limits, keep-alive and pipelining, dispatch to the router, and
 * the hand-over to WebSocket on an Upgrade.
 *
 * The common request (head and body in one read) is handled with no copy and
 * no allocation: slices point into the read buffer. Only a request split
 * across reads keeps its head and body in the connection's http state.
 */
#include "http/request.h"
#include "http/routes.h"
#include "http/static.h"
#include "runtime/current.h"
#include "server/input_budget.h"
#include "server/output_budget.h"
#include "util/log.h"
#include "ws/handshake.h"
#include <stdlib.h>
#include <string.h>

extern const unsigned char t4__frond_js[];
extern const size_t t4__frond_js_len;

enum { PHASE_HEAD = 0, PHASE_BODY, PHASE_CHUNKED };

struct t4__http_state {
    uint8_t phase;
    size_t last_len;  /* bytes already scanned for the end of the head */
    uint64_t started; /* when the first byte of this request arrived */
    t4__buf head;     /* copy of the head while the body streams in */
    t4__buf body;
    uint64_t remaining;
    t4__chunked chunk;
};

/* Requests of one connection handled in one loop turn; the rest wait for the
 * next turn, so 8000 tiny pipelined requests in one write cannot hold the loop
 * (and every other client) for a hundred milliseconds. */
#define REQUESTS_PER_TURN 64
/* Output one connection's requests may queue in one loop turn before its next
 * request waits for the next turn. Without it, 100 clients each pipelining
 * 64 KiB of requests for a 14 KiB file made the first turn copy 100 MiB, and
 * every other client (answered at the end of that turn) waited ~100 ms. */
#define OUTPUT_PER_TURN (64 * 1024)

static t4__http_state *state(t4__conn *c)
{
    if (!c->http) {
        c->http = calloc(1, sizeof *c->http);
        if (c->http)
            c->http->started = uv_now(&t4__srv->loop);
    }
    return c->http;
}

void t4__http_free(t4__conn *c)
{
    if (c->http) {
        t4__input_free(&c->http->head);
        t4__input_free(&c->http->body);
        free(c->http);
        c->http = NULL;
    }
}

static size_t t4__http_input_held(const t4__conn *c)
{
    return c->http ? c->http->head.cap + c->http->body.cap : 0;
}

static bool t4__http_body_pending(const t4__conn *c)
{
    return c->http && c->http->phase != PHASE_HEAD;
}

static void t4__http_too_slow(t4__conn *c)
{
    t4__http_free(c); /* the partial body's memory goes back now */
    t4__input_free(&c->in);
    t4__http_fail(c, 408, NULL, NULL);
}

/* Whether the next request must wait for this connection's output to drain:
 * a file is being sent, too much output is queued for it, or the server's
 * output budget is spent and some is queued for it. */
static bool output_paused(const t4__conn *c)
{
    if (c->stream)
        return true;
    if (c->out_bytes == 0)
        return false;
    /* TINA4_HTTP_MAX_BACKPRESSURE (256 KiB): a client pipelining faster than
     * it reads gets no further request processed until this drains. A
     * quarter MiB keeps a reading client's socket full; more would only let
     * clients that never read hold more of our memory. */
    return c->out_bytes > t4__srv->cfg.http_max_backpressure || t4__output_over();
}

static void t4__http_reset_clock(t4__conn *c)
{
    if (c->http)
        c->http->started = uv_now(&t4__srv->loop);
}

static void t4__http_on_disconnect(t4__conn *c)
{
    (void)c; /* nothing to notify: HTTP handlers run synchronously */
}

static void t4__http_tick(t4__conn *c, uint64_t now)
{
    const t4_config *cfg = &t4__srv->cfg;
    uint64_t active = c->last_read > c->last_write ? c->last_read : c->last_write;
    if (c->http && !c->read_stopped) {
        /* Slowloris: the whole request must arrive within the header timeout
         * of its first byte, and the body must keep flowing. (Not while we
         * paused reading ourselves: then the client is waiting for us.) */
        uint64_t since = c->http->phase == PHASE_HEAD ? c->http->started : c->last_read;
        if (now - since >= cfg->http_header_timeout) {
            t4_log(T4_LOG_INFO, "request timeout: answering 408");
            t4__http_free(c);
            t4__http_fail(c, 408, NULL, NULL);
        }
    } else if (!c->http && c->q_len == 0 && !c->writing && !c->close_after_flush && !c->stream &&
               now - active >= cfg->http_keepalive) {
        /* Idle since the last request arrived or the last response left. */
        t4__conn_close_now(c);
    } else if ((c->q_len > 0 || c->writing) && now - c->last_write >= cfg->http_header_timeout) {
        t4_log(T4_LOG_INFO, "client stopped reading its responses; closing");
        t4__conn_close_now(c); /* output made no progress for a header timeout */
    }
}

/* The embedded browser client, with the validators and conditional answers
 * of a public file (static_bytes.c). */
static void serve_frond_js(t4__conn *c, const t4__http_head *h, t4_res *res)
{
    static t4__static_bytes js; /* the loop thread's; made on first use */
    if (!js.data)
        t4__static_bytes_init(&js, t4__frond_js, t4__frond_js_len, "text/javascript; charset=utf-8");
    const char *cc = t4__srv->cfg.static_cache_control;
    t4__static_serve_bytes(c, h, &js, cc ? cc : "public, max-age=3600", res->keep_alive, res->head_only);
    res->sent = true;
}

/* Runs the handler for one complete request. body may be NULL. */
static void dispatch(t4__conn *c, const t4__http_head *h, char *body, size_t body_len)
{
    t4__server *s = t4__srv;
    t4__arena *a = &s->arena;
    bool keep_alive = h->keep_alive && !s->stopping;
    bool head_only = t4__slice_eq(h->method, "HEAD");

    char *path = t4__arena_alloc(a, h->path.n + 1);
    ssize_t plen = path ? t4__url_decode(path, h->path.p, h->path.n, false) : -1;
    if (plen < 0 || h->path.n == 0 || h->path.p[0] != '/') {
        t4__arena_reset(a);
        t4__http_fail(c, 400, NULL, NULL);
        return;
    }
    t4_req req;
    memset(&req, 0, sizeof req);
    req.conn = c;
    req.head = h;
    req.arena = a;
    req.method = t4__arena_strndup(a, h->method.p, h->method.n);
    req.path = path;
    req.query_string = t4__arena_strndup(a, h->query.p, h->query.n);
    t4_res res;
    memset(&res, 0, sizeof res);
    res.conn = c;
    res.arena = a;
    res.keep_alive = keep_alive;
    res.head_only = head_only;

    /* NUL-terminate the body in place; the byte after it may be the next
     * pipelined request, so it is restored afterwards. Both the loop buffer
     * and t4__buf keep one spare byte past the data. */
    char saved = 0;
    if (body) {
        saved = body[body_len];
        body[body_len] = '\0';
    }
    req.body = body ? body : "";
    req.body_len = body_len;

    void *handler = NULL;
    char allow[128];
    t4__router *routes = t4__routes_http();
    t4__match_result m = T4__MATCH_NONE;
    if (routes)
        m = t4__router_match(routes, req.method, path, (size_t)plen, &handler, req.params, &req.nparams,
                             allow, sizeof allow);
    if (m == T4__MATCH_FOUND) {
        t4__handler_enter(T4__RUN_HTTP, req.method, path, handler);
        ((t4_http_handler)handler)(&req, &res);
        t4__handler_leave();
        if (!res.sent) {
            t4_log(T4_LOG_ERROR, "%s %s: the handler sent no response; answering 500", req.method, path);
            t4_res_text(&res, 500, "Internal Server Error\n");
        }
    } else if (m == T4__MATCH_NONE && (strcmp(path, "/js/frond.js") == 0) &&
               (t4__slice_eq(h->method, "GET") || head_only)) {
        serve_frond_js(c, h, &res);
    } else if (m == T4__MATCH_METHOD) {
        t4_res_header(&res, "Allow", allow);
        t4_res_text(&res, 405, "405 Method Not Allowed\n");
    } else {
        void *ws_handler;
        t4__param p[T4__MAX_PARAMS];
        size_t np;
        t4__router *ws = t4__routes_ws();
        if (ws &&
            t4__router_match(ws, NULL, path, (size_t)plen, &ws_handler, p, &np, NULL, 0) == T4__MATCH_FOUND) {
            /* A WebSocket route reached without an Upgrade. */
            t4_res_header(&res, "Upgrade", "websocket");
            t4_res_header(&res, "Sec-WebSocket-Version", "13");
            t4_res_text(&res, 426, "426 Upgrade Required: this path speaks WebSocket\n");
        } else if (!t4__static_serve(c, h, path, (size_t)plen, keep_alive, head_only)) {
            t4_res_text(&res, 404, "404 Not Found\n"); /* no route, no file in the public folder */
        }
    }
    if (body)
        body[body_len] = saved;
    if (req.json)
        json_decref(req.json);
    t4__arena_reset(a);
    if (!keep_alive)
        t4__conn_close_graceful(c);
}

static size_t on_head(t4__conn *c, char *data, size_t len)
{
    const t4_config *cfg = &t4__srv->cfg;
    t4__http_head h;
    int status = 400;
    size_t last = c->http ? c->http->last_len : 0;
    int r =
        t4__http_parse_head_max(data, len, last, cfg->http_max_header, cfg->http_max_headers, &h, &status);
    if (r == T4__HTTP_INCOMPLETE) {
        t4__http_state *st = state(c);
        if (!st) {
            t4__conn_close_now(c);
            return len;
        }
        st->last_len = len;
        return 0; /* keep the bytes; call again when more arrive */
    }
    if (r < 0) {
        t4__http_free(c);
        t4_log(T4_LOG_DEBUG, "bad request head: answering %d", status);
        t4__http_fail(c, status, NULL, NULL);
        return len;
    }
    size_t head_len = (size_t)r;
    if (h.upgrade_websocket) {
        t4__http_free(c);
        t4__ws_handshake(c, &h);
        return head_len;
    }
    if (h.content_length > 0 && (uint64_t)h.content_length > cfg->http_max_body) {
        t4__http_free(c);
        t4__http_fail(c, 413, NULL, NULL);
        return len;
    }
    bool has_body = h.chunked || h.content_length > 0;
    if (!has_body) {
        t4__http_free(c);
        dispatch(c, &h, NULL, 0);
        return head_len;
    }
    if (!h.chunked && head_len + (size_t)h.content_length <= len) {
        t4__http_free(c);
        dispatch(c, &h, data + head_len, (size_t)h.content_length);
        return head_len + (size_t)h.content_length;
    }
    /* The body streams in over more reads: keep a copy of the head. */
    t4__http_state *st = state(c);
    if (!st || t4__input_append(&st->head, data, head_len) != 0) {
        t4__http_free(c);
        t4__http_fail(c, 503, "Retry-After", "1");
        return len;
    }
    if (h.expect_continue)
        t4__conn_queue_copy(c, "HTTP/1.1 100 Continue\r\n\r\n", 25);
    st->phase = h.chunked ? PHASE_CHUNKED : PHASE_BODY;
    st->remaining = h.chunked ? 0 : (uint64_t)h.content_length;
    return head_len;
}

static void finish_body(t4__conn *c)
{
    t4__http_state *st = c->http;
    t4__http_head h;
    int status;
    /* The head was valid under these limits when it arrived. */
    int r = t4__http_parse_head(st->head.data, st->head.len, 0, t4__srv->cfg.http_max_header, &h, &status);
    if (r <= 0 || t4__input_reserve(&st->body, 1) != 0) {
        t4__conn_close_now(c);
        return;
    }
    c->http = NULL; /* a pipelined request after this one starts fresh */
    dispatch(c, &h, st->body.data ? st->body.data : (char *)"", st->body.len);
    t4__input_free(&st->head);
    t4__input_free(&st->body);
    free(st);
}

static size_t t4__http_process(t4__conn *c, char *data, size_t len)
{
    if (c->close_after_flush)
        return len; /* the response that ends this connection is queued */
    t4__http_state *st = c->http;
    if (!st || st->phase == PHASE_HEAD) {
        if (output_paused(c)) {
            /* Later requests wait, unprocessed, in the input buffer (within
             * the input budget) until the output drains: answering them now
             * would let a client that never reads multiply our memory. */
            t4__conn_read_stop(c);
            return 0;
        }
        if (!st) {
            if (t4__conn_turn_spent(c, REQUESTS_PER_TURN, OUTPUT_PER_TURN)) {
                t4__conn_defer_input(c); /* the rest on the next turn */
                return 0;
            }
            c->turn_requests++;
        }
        size_t before = c->out_bytes;
        size_t used = on_head(c, data, len);
        if (c->out_bytes > before) { /* what this request queued (a file streams later, by parts) */
            size_t sum = (size_t)c->turn_output + (c->out_bytes - before);
            c->turn_output = sum > OUTPUT_PER_TURN ? OUTPUT_PER_TURN : (uint32_t)sum;
        }
        return used;
    }
    const t4_config *cfg = &t4__srv->cfg;
    if (st->phase == PHASE_BODY) {
        size_t n = len < st->remaining ? len : (size_t)st->remaining;
        if (t4__input_append(&st->body, data, n) != 0) {
            t4__http_free(c);
            t4__http_fail(c, 503, "Retry-After", "1");
            return len;
        }
        st->remaining -= n;
        if (st->remaining == 0)
            finish_body(c);
        return n;
    }
    /* Chunked: decode in place, keep the decoded bytes. */
    size_t out = len;
    ssize_t r = t4__chunked_decode(&st->chunk, data, &out);
    if (r == T4__HTTP_ERROR) {
        t4__http_free(c);
        t4__http_fail(c, 400, NULL, NULL);
        return len;
    }
    if (st->body.len + out > cfg->http_max_body) {
        t4__http_free(c);
        t4__http_fail(c, 413, NULL, NULL);
        return len;
    }
    if (t4__input_append(&st->body, data, out) != 0) {
        t4__http_free(c);
        t4__http_fail(c, 503, "Retry-After", "1");
        return len;
    }
    if (r == T4__HTTP_INCOMPLETE)
        return len;
    /* Complete: the r bytes after the body (a pipelined request) sit right
     * after the decoded data; move them to the end so "consumed" holds. */
    size_t consumed = len - (size_t)r;
    memmove(data + consumed, data + out, (size_t)r);
    finish_body(c);
    return consumed;
}

static void over_budget(t4__conn *c)
{
    t4__http_fail(c, 503, "Retry-After", "1");
}

static bool drained(t4__conn *c)
{
    if (!c->stream)
        return false;
    t4__static_on_drain(c); /* the next part of a file being sent */
    return c->stream != NULL;
}

static void on_shutdown(t4__conn *c, uint16_t code)
{
    (void)code; /* a WebSocket's */
    if (c->http)
        return; /* a request is arriving: its response says Connection: close */
    if (c->out_bytes == 0 && !c->writing && !c->stream && !c->tp->pending(c))
        t4__conn_close_now(c); /* idle keep-alive: nothing in flight */
    else
        t4__conn_close_graceful(c); /* a response is leaving: let it finish */
}

static void free_all(t4__conn *c)
{
    t4__http_free(c);
    t4__static_free(c);
}

const t4__conn_ops t4__http_ops = {
    .name = "http",
    .process = t4__http_process,
    .input_held = t4__http_input_held,
    .receiving = t4__http_body_pending,
    .too_slow = t4__http_too_slow,
    .over_budget = over_budget,
    .read_resumed = t4__http_reset_clock,
    .drained = drained,
    .disconnected = t4__http_on_disconnect,
    .tick = t4__http_tick,
    .shutdown = on_shutdown,
    .free = free_all,
};
