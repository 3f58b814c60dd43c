/* SPDX-License-Identifier: MIT */
/*
 * api_server: the test server for the parts of the API the examples do not
 * exercise. Used by the tests in tests/integration.
 *
 * WebSocket
 *   /api/params/{id}     OPEN sends id, path, params (t4_ws_params), param
 *                        lookups, header X-Test, cookie "session", count
 *   /api/room/{name}     a tracked room: OPEN/CLOSE broadcast {"event","count"
 *                        (,"code")}; per-connection data with counted frees;
 *                        messages: "close-me", "replace-data", "sendf", "bin",
 *                        "bin-all", "later", "big:N" (N bytes, then
 *                        "big-result:<return code>"), else broadcast "msg:<text>"
 *                        (binary is broadcast to the others unchanged)
 *   /api/flood           every message broadcast to the path (sender included,
 *                        text stays text, binary stays binary)
 *   /api/joined/{room}   history of 100 (TTL 60 s): OPEN sends "joined:fresh",
 *                        "joined:resumed" or "joined:gap" (t4_ws_join_kind) to the
 *                        connection; messages are broadcast (sender included)
 *   /api/presence/{room} presence events: OPEN sets presence {"name": ?name}
 *                        when the query has a name; messages "who" (sends
 *                        t4_ws_presence), "path-who" (t4_path_presence),
 *                        "rename:<n>" (sets it again), else broadcast
 * HTTP
 *   GET  /stats                      counters (opens, closes, frees, codes, ...)
 *   POST /api/later/fire             sends "later:ok" to every connection that
 *                                    asked "later" and is still there (lookup)
 *   POST /api/push/{target:path}     the body pushed as text to /<target>
 *   POST /api/push-binary/{target:path}  the body pushed as binary
 *   POST /api/thread-push/{target:path}?n=N  N pushes from another thread
 *   GET  /api/hello                  "hello\n" (GET only: 405 for others)
 *   GET  /api/headers                header X-Test and cookie "session"
 *   POST /api/json                   {"got": <the JSON body>} or 400
 *   POST /api/form                   form fields name and city
 *   POST /api/body                   {"len": n, "body": "..."}
 *   GET  /api/count?path=/x          t4_path_connection_count
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tina4.h>
#include <unistd.h>

/* ---------------------------------------------------------------- */
/* Counters                                                           */
/* ---------------------------------------------------------------- */

static long opens, closes, allocs, frees, double_closes, lookup_in_close_null;
static int send_in_close = 1, close_in_close = 1, send_after_close = 1;
static json_t *close_codes; /* [code, ...] in the order CLOSE fired */

typedef struct {
    int closed;
    long serial;
} conn_data;

static void counting_free(void *p)
{
    frees++;
    free(p);
}

static conn_data *new_data(void)
{
    conn_data *d = calloc(1, sizeof *d);
    if (d)
        d->serial = ++allocs;
    return d;
}

#define MAX_LATER 64
static uint64_t later[MAX_LATER];
static int nlater;

static const unsigned char BIN[] = {0x00, 0x01, 0xfe, 0xff};

/* ---------------------------------------------------------------- */
/* WebSocket routes                                                   */
/* ---------------------------------------------------------------- */

static json_t *str_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

static void params_route(t4_ws *ws, t4_ws_event ev, t4_msg msg)
{
    if (ev != T4_WS_OPEN)
        return;
    t4_ws_send_json(
        ws,
        json_pack("{s:s, s:s, s:O, s:o, s:o, s:o, s:o, s:I, s:o}", "id", t4_ws_id(ws), "path", t4_ws_path(ws),
                  "params", t4_ws_params(ws), "param_id", str_or_null(t4_ws_param(ws, "id")), "param_q",
                  str_or_null(t4_ws_param(ws, "q")), "header", str_or_null(t4_ws_header(ws, "X-Test")),
                  "cookie", str_or_null(t4_ws_cookie(ws, "session")), "count",
                  (json_int_t)t4_ws_connection_count(ws), "remote", str_or_null(t4_ws_remote_addr(ws))));
}
T4_WEBSOCKET("/api/params/{id}", params_route)

static void room_route(t4_ws *ws, t4_ws_event ev, t4_msg msg)
{
    if (ev == T4_WS_OPEN) {
        opens++;
        t4_ws_set_data(ws, new_data(), counting_free);
        t4_ws_broadcast_json(ws,
                             json_pack("{s:s, s:I, s:s}", "event", "open", "count",
                                       (json_int_t)t4_ws_connection_count(ws), "id", t4_ws_id(ws)),
                             false);
    } else if (ev == T4_WS_MESSAGE) {
        if (msg.binary) {
            t4_ws_broadcast_binary(ws, msg.data, msg.len, true);
        } else if (strcmp(msg.data, "close-me") == 0) {
            t4_ws_close(ws, 4001, "asked");
            send_after_close = t4_ws_send(ws, "after close");
        } else if (strcmp(msg.data, "replace-data") == 0) {
            t4_ws_set_data(ws, new_data(), counting_free); /* the old one is freed now */
            t4_ws_send(ws, "replaced");
        } else if (strcmp(msg.data, "sendf") == 0) {
            t4_ws_sendf(ws, "%s-%d-%.2f-%05u", "fmt", 42, 1.5, 7u);
        } else if (strcmp(msg.data, "bin") == 0) {
            t4_ws_send_binary(ws, BIN, sizeof BIN);
        } else if (strcmp(msg.data, "bin-all") == 0) {
            t4_ws_broadcast_binary(ws, BIN, sizeof BIN, false);
        } else if (strncmp(msg.data, "big:", 4) == 0) {
            /* sends N bytes, then what t4_ws_send_text returned */
            size_t n = (size_t)strtoul(msg.data + 4, NULL, 10);
            char *big = malloc(n + 1);
            if (big) {
                memset(big, 'x', n);
                int r = t4_ws_send_text(ws, big, n);
                free(big);
                t4_ws_sendf(ws, "big-result:%d", r);
            }
        } else if (strcmp(msg.data, "later") == 0) {
            if (nlater < MAX_LATER)
                later[nlater++] = t4_ws_handle(ws);
            t4_ws_send(ws, "later:registered");
        } else {
            t4_ws_broadcastf(ws, false, "msg:%s", msg.data);
        }
    } else if (ev == T4_WS_CLOSE) {
        closes++;
        conn_data *d = t4_ws_data(ws);
        if (d && d->closed++)
            double_closes++;
        json_array_append_new(close_codes, json_integer(msg.code));
        send_in_close = t4_ws_send(ws, "in close");
        close_in_close = t4_ws_close(ws, 1000, NULL);
        if (t4_ws_lookup(t4_ws_handle(ws)) == NULL)
            lookup_in_close_null++;
        t4_ws_broadcast_json(ws,
                             json_pack("{s:s, s:I, s:i, s:s}", "event", "close", "count",
                                       (json_int_t)t4_ws_connection_count(ws), "code", msg.code, "id",
                                       t4_ws_id(ws)),
                             false);
    }
}
T4_WEBSOCKET("/api/room/{name}", room_route)

static void flood_route(t4_ws *ws, t4_ws_event ev, t4_msg msg)
{
    if (ev == T4_WS_MESSAGE && msg.binary)
        t4_ws_broadcast_binary(ws, msg.data, msg.len, false);
    else if (ev == T4_WS_MESSAGE)
        t4_ws_broadcast_text(ws, msg.data, msg.len, false);
}
T4_WEBSOCKET("/api/flood", flood_route)

/* ---------------------------------------------------------------- */
/* HTTP routes                                                        */
/* ---------------------------------------------------------------- */

static long rss_kb(void)
{
    unsigned long size = 0, resident = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f)
        return -1;
    int n = fscanf(f, "%lu %lu", &size, &resident);
    fclose(f);
    return n == 2 ? (long)(resident * (unsigned long)sysconf(_SC_PAGESIZE) / 1024) : -1;
}

static void stats(t4_req *req, t4_res *res)
{
    t4_res_json(res, 200,
                json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:O, s:i, s:i, s:i, s:I}", "opens",
                          (json_int_t)opens, "closes", (json_int_t)closes, "allocs", (json_int_t)allocs,
                          "frees", (json_int_t)frees, "double_closes", (json_int_t)double_closes,
                          "lookup_in_close_null", (json_int_t)lookup_in_close_null, "close_codes",
                          close_codes, "send_in_close", send_in_close, "close_in_close", close_in_close,
                          "send_after_close", send_after_close, "rss_kb", (json_int_t)rss_kb()));
}
T4_GET("/stats", stats)

/* Upgrade guard: ?token=ok passes, ?token=teapot is refused with 418, no
 * token with 401; the guard sees headers and the remote address. The
 * handler counts what it sees, so a refused upgrade must leave no trace. */
static long guarded_opens, guarded_closes;
static int guard(const t4_ws *ws)
{
    const char *token = t4_ws_param(ws, "token");
    if (!t4_ws_remote_addr(ws) || !t4_ws_id(ws))
        return 500;
    if (t4_ws_send((t4_ws *)ws, "too early") != T4_ECLOSED)
        return 500; /* nothing may be sent before the 101 */
    if (t4_ws_header(ws, "X-Guard-Weird"))
        return 200; /* not a refusal status: the server answers 500 */
    if (!token)
        return 401;
    if (strcmp(token, "teapot") == 0)
        return 418;
    return strcmp(token, "ok") == 0 ? 0 : 403;
}

static void guarded(t4_ws *ws, t4_ws_event ev, t4_msg msg)
{
    if (ev == T4_WS_OPEN) {
        guarded_opens++;
        t4_ws_sendf(ws, "welcome %s", t4_ws_param(ws, "token"));
    } else if (ev == T4_WS_CLOSE) {
        guarded_closes++;
    }
}
T4_WEBSOCKET_GUARDED("/api/guarded", guarded, guard)

/* Subprotocols: the route speaks v2.chat then v1.chat (its preference). */
static void proto_route(t4_ws *ws, t4_ws_event ev, t4_msg msg)
{
    if (ev == T4_WS_OPEN)
        t4_ws_sendf(ws, "protocol=%s", t4_ws_protocol(ws) ? t4_ws_protocol(ws) : "(none)");
}
T4_WEBSOCKET_WITH("/api/proto", proto_route, .protocols = "v2.chat, v1.chat")

static void joined_route(t4_ws *ws, t4_ws_event ev, t4_msg msg)
{
    static const char *const kind[] = {"joined:fresh", "joined:resumed", "joined:gap"};
    if (ev == T4_WS_OPEN)
        t4_ws_send(ws, kind[t4_ws_join_kind(ws)]);
    else if (ev == T4_WS_MESSAGE)
        t4_ws_broadcast_text(ws, msg.data, msg.len, false);
}
T4_WEBSOCKET_WITH("/api/joined/{room}", joined_route, .history_size = 100, .history_ttl = 60)

static int bad_protocols_rc = 1;
__attribute__((constructor)) static void register_bad_protocols(void)
{
    t4_ws_options o = {.protocols = "good, not a token"};
    bad_protocols_rc = t4_websocket_with("/api/badproto", proto_route, &o);
}

static void guarded_stats(t4_req *req, t4_res *res)
{
    t4_res_json(res, 200,
                json_pack("{s:I, s:I, s:i}", "opens", (json_int_t)guarded_opens, "closes",
                          (json_int_t)guarded_closes, "bad_protocols_rc", bad_protocols_rc));
}
T4_GET("/api/guarded/stats", guarded_stats)

static void later_fire(t4_req *req, t4_res *res)
{
    int found = 0, gone = 0;
    for (int i = 0; i < nlater; i++) {
        t4_ws *ws = t4_ws_lookup(later[i]);
        if (ws && t4_ws_send(ws, "later:ok") == 0)
            found++;
        else
            gone++;
    }
    nlater = 0;
    t4_res_json(res, 200, json_pack("{s:i, s:i}", "found", found, "gone", gone));
}
T4_POST("/api/later/fire", later_fire)

static void push_text(t4_req *req, t4_res *res)
{
    char path[1024];
    snprintf(path, sizeof path, "/%s", t4_req_param(req, "target"));
    size_t len;
    const char *body = t4_req_body(req, &len);
    int n = t4_push_text(path, body, len);
    t4_res_json(res, n < 0 ? 400 : 200, json_pack("{s:i}", "delivered", n));
}
T4_POST("/api/push/{target:path}", push_text)

static void push_binary(t4_req *req, t4_res *res)
{
    char path[1024];
    snprintf(path, sizeof path, "/%s", t4_req_param(req, "target"));
    size_t len;
    const char *body = t4_req_body(req, &len);
    int n = t4_push_binary(path, body, len);
    t4_res_json(res, n < 0 ? 400 : 200, json_pack("{s:i}", "delivered", n));
}
T4_POST("/api/push-binary/{target:path}", push_binary)

typedef struct {
    char path[1024];
    int n;
    int results[64];
    int on_loop; /* what t4_ws_* says off the loop thread */
} thread_job;

static void *pusher(void *arg)
{
    thread_job *job = arg;
    for (int i = 0; i < job->n; i++)
        job->results[i] = t4_pushf(job->path, "thread:%d", i);
    job->on_loop = (int)t4_path_connection_count(job->path); /* 0 off the loop */
    return NULL;
}

static void thread_push(t4_req *req, t4_res *res)
{
    thread_job *job = calloc(1, sizeof *job);
    if (!job) {
        t4_res_text(res, 500, "no memory\n");
        return;
    }
    snprintf(job->path, sizeof job->path, "/%s", t4_req_param(req, "target"));
    const char *n = t4_req_query(req, "n");
    job->n = n ? atoi(n) : 1;
    if (job->n < 0 || job->n > 64)
        job->n = 64;
    pthread_t t;
    if (pthread_create(&t, NULL, pusher, job) != 0) {
        free(job);
        t4_res_text(res, 500, "no thread\n");
        return;
    }
    pthread_join(t, NULL); /* the pushes are queued; delivery comes on a later loop turn */
    json_t *results = json_array();
    for (int i = 0; i < job->n; i++)
        json_array_append_new(results, json_integer(job->results[i]));
    t4_res_json(res, 200, json_pack("{s:o, s:i}", "results", results, "count_off_loop", job->on_loop));
    free(job);
}
T4_POST("/api/thread-push/{target:path}", thread_push)

static void hello(t4_req *req, t4_res *res)
{
    t4_res_text(res, 200, "hello\n");
}
T4_GET("/api/hello", hello)

static void headers(t4_req *req, t4_res *res)
{
    t4_res_header(res, "X-Reply", "yes");
    t4_res_json(res, 200,
                json_pack("{s:o, s:o, s:s, s:s, s:o}", "x_test", str_or_null(t4_req_header(req, "x-test")),
                          "cookie", str_or_null(t4_req_cookie(req, "session")), "method", t4_req_method(req),
                          "path", t4_req_path(req), "remote", str_or_null(t4_req_remote_addr(req))));
}
T4_GET("/api/headers", headers)

static void echo_json(t4_req *req, t4_res *res)
{
    json_t *j = t4_req_json(req);
    if (!j) {
        t4_res_json(res, 400, json_pack("{s:s}", "error", "invalid JSON"));
        return;
    }
    t4_res_json(res, 200, json_pack("{s:O}", "got", j));
}
T4_POST("/api/json", echo_json)

static void form(t4_req *req, t4_res *res)
{
    t4_res_json(res, 200,
                json_pack("{s:o, s:o}", "name", str_or_null(t4_req_form(req, "name")), "city",
                          str_or_null(t4_req_form(req, "city"))));
}
T4_POST("/api/form", form)

static void body(t4_req *req, t4_res *res)
{
    size_t len;
    const char *b = t4_req_body(req, &len);
    t4_res_json(res, 200, json_pack("{s:I, s:s%}", "len", (json_int_t)len, "body", b, len));
}
T4_POST("/api/body", body)

/* /api/big?n=BYTES answers that many bytes and counts the answers, which
 * /api/big/served reports: how many requests of a pipelining client that
 * does not read the server processed. */
static long big_served;
static void big(t4_req *req, t4_res *res)
{
    const char *q = t4_req_query(req, "n");
    size_t n = q ? (size_t)strtoul(q, NULL, 10) : 0;
    if (n > 4 * 1024 * 1024)
        n = 4 * 1024 * 1024;
    char *b = malloc(n ? n : 1);
    if (!b) {
        t4_res_send(res, 500, "text/plain", "oom", 3);
        return;
    }
    memset(b, 'b', n);
    big_served++;
    t4_res_send(res, 200, "application/octet-stream", b, n);
    free(b);
}
T4_GET("/api/big", big)

static void big_served_count(t4_req *req, t4_res *res)
{
    (void)req;
    t4_res_json(res, 200, json_pack("{s:I}", "served", (json_int_t)big_served));
}
T4_GET("/api/big/served", big_served_count)

static void count(t4_req *req, t4_res *res)
{
    const char *p = t4_req_query(req, "path");
    t4_res_json(res, 200, json_pack("{s:I}", "count", (json_int_t)t4_path_connection_count(p ? p : "/")));
}
T4_GET("/api/count", count)

int main(void)
{
    close_codes = json_array();
    int r = t4_run(NULL);
    json_decref(close_codes);
    return r == 0 ? 0 : 1;
}

static void presence_route(t4_ws *ws, t4_ws_event ev, t4_msg msg)
{
    if (ev == T4_WS_OPEN && t4_ws_param(ws, "name")) {
        t4_ws_set_presence(ws, json_pack("{s:s}", "name", t4_ws_param(ws, "name")));
    } else if (ev == T4_WS_MESSAGE && strcmp(msg.data, "who") == 0) {
        t4_ws_send_json(ws, t4_ws_presence(ws));
    } else if (ev == T4_WS_MESSAGE && strcmp(msg.data, "path-who") == 0) {
        t4_ws_send_json(ws, t4_path_presence(t4_ws_path(ws)));
    } else if (ev == T4_WS_MESSAGE && strncmp(msg.data, "rename:", 7) == 0) {
        t4_ws_set_presence(ws, json_pack("{s:s}", "name", msg.data + 7));
    } else if (ev == T4_WS_MESSAGE) {
        t4_ws_broadcast_text(ws, msg.data, msg.len, false);
    }
}
T4_WEBSOCKET_WITH("/api/presence/{room}", presence_route, .history_size = 10, .presence_events = true)
