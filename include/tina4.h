/* SPDX-License-Identifier: MIT */
/*
 * tina4.h -- the one public header of libtina4.
 *
 * HTTP routes and WebSocket routes on one port, with the WebSocket API of the
 * Tina4 chapter: open / message / close events, send, send_json, broadcast
 * (optionally excluding the sender), close, id, params, connection_count,
 * per-connection user data, and push to a path from anywhere.
 *
 * ERROR CONVENTION (every call in this header):
 *   A function returning int returns 0 (or a count >= 0) on success and a
 *   negative T4_E* code on failure; t4_strerror() names it. A NULL argument
 *   or a bad value is T4_EINVAL. A call that fails has no effect, logs one
 *   line, and never aborts a running server. Functions returning pointers
 *   return NULL (and counts 0) when there is nothing to return, a NULL
 *   argument included. Each function's comment lists its errors, the threads
 *   it may be called from, and who owns what it takes and returns.
 *   A pointer with a length (data, len) may be NULL when len is 0: an empty
 *   message or body.
 *
 * THREADS:
 *   One event-loop thread owns every connection and runs every handler.
 *   Only t4_push*() and t4_stop() may be called from other threads.
 *
 * OWNERSHIP:
 *   Strings returned by t4_req_* and t4_ws_* are owned by the request or the
 *   connection and stay valid until the handler returns (t4_req_*) or until
 *   the connection's CLOSE event returns (t4_ws_*).
 *   Functions taking a json_t * STEAL the reference (jansson's "_new"
 *   convention), so `t4_res_json(res, 200, json_pack(...))` does not leak.
 *   A t4_ws * is valid from its OPEN event until its CLOSE event returns.
 *   To reach a connection later (timers, other events) keep its handle
 *   (t4_ws_handle) and look it up with t4_ws_lookup(): a connection that has
 *   gone yields NULL instead of a stranger that reused the memory.
 *
 * Names: t4_ public, t4__ internal, T4_ macros.
 */
#ifndef TINA4_H
#define TINA4_H

#include <jansson.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define T4_VERSION "0.1.0"

#if defined(__GNUC__)
#define T4_API           __attribute__((visibility("default")))
#define T4__PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define T4_API
#define T4__PRINTF(f, a)
#endif

/* ------------------------------------------------------------------ */
/* Errors                                                               */
/* ------------------------------------------------------------------ */

enum {
    T4_OK = 0,
    T4_EINVAL = -1,        /* bad argument (NULL, bad pattern, bad code)      */
    T4_ENOMEM = -2,        /* out of memory                                   */
    T4_ECLOSED = -3,       /* the connection is closing or closed             */
    T4_ETOOBIG = -4,       /* message larger than TINA4_WS_MAX_MESSAGE        */
    T4_EBACKPRESSURE = -5, /* outbound buffer full: peer closed with 1013     */
    T4_ESTATE = -6,        /* call not allowed now (e.g. response already sent) */
    T4_EEXIST = -7,        /* a route with this method and pattern exists     */
    T4_EIO = -8,           /* socket or system error                          */
    T4_ENOTFOUND = -9,     /* no such thing (template, file, handle)          */
    T4_ETHREAD = -10,      /* called from a thread that must not call it      */
};

/* The name of an error code ("T4_ECLOSED: connection closed").
 * Errors: none; an unknown negative code gives "unknown error", any code
 * >= 0 gives "T4_OK: success". Never NULL.
 * Threads: any.
 * Ownership: a static string; do not free it. */
T4_API const char *t4_strerror(int err);

/* ------------------------------------------------------------------ */
/* Types                                                                */
/* ------------------------------------------------------------------ */

typedef struct t4_req t4_req; /* an HTTP request (read-only)          */
typedef struct t4_res t4_res; /* the response being built for it      */
typedef struct t4_ws t4_ws;   /* a WebSocket connection               */

typedef enum {
    T4_WS_OPEN = 1, /* joined its path's group; sends are possible    */
    T4_WS_MESSAGE,  /* a whole message arrived (msg is filled)        */
    T4_WS_CLOSE,    /* left its group; sends return T4_ECLOSED        */
} t4_ws_event;

/* The payload of an event. For MESSAGE, data is NUL-terminated (the NUL is
 * not counted in len) and valid until the handler returns; text messages are
 * valid UTF-8. For CLOSE, code/reason are the peer's close code and reason
 * (1006 / "" when the connection dropped without a close frame). */
typedef struct {
    const char *data;
    size_t len;
    bool binary;
    int code;
    const char *reason;
} t4_msg;

typedef void (*t4_ws_handler)(t4_ws *ws, t4_ws_event ev, t4_msg msg);
typedef void (*t4_http_handler)(t4_req *req, t4_res *res);

/* ------------------------------------------------------------------ */
/* Routes                                                               */
/* ------------------------------------------------------------------ */

/* Registers an HTTP route (t4_route) or a WebSocket route (t4_websocket).
 * Patterns: literal segments, `{name}` (one segment), `{id:int}` (an
 * optionally signed decimal), and a final `{rest:path}` (the rest of the
 * path, slashes included). First registered match wins; one trailing slash
 * in the request is tolerated. Methods: GET, POST, PUT, PATCH, DELETE,
 * OPTIONS, HEAD (upper case).
 * Errors: T4_EINVAL (NULL method, pattern or handler; an unknown method; a
 * pattern that does not start with '/' or does not parse), T4_EEXIST (the
 * same method and pattern again), T4_ENOMEM.
 * Threads: before t4_run (static constructors, main) or on the loop thread;
 * not from other threads while a server runs.
 * Ownership: method and pattern are copied; the route lives as long as the
 * process. */
T4_API int t4_route(const char *method, const char *pattern, t4_http_handler fn);
T4_API int t4_websocket(const char *pattern, t4_ws_handler fn);

/* A guard decides before the upgrade (before the 101), e.g. to check a
 * token or a session cookie. It may read the connection's id, path, params,
 * headers, cookies and remote address, and the path's connection count; it
 * cannot send (sends return T4_ECLOSED). Return 0 to accept, or an HTTP
 * status from 400 to 599 to refuse: the client gets that status, and the
 * handler never sees the connection (no OPEN, no CLOSE). Any other value is
 * logged and refuses with 500. */
typedef int (*t4_ws_guard)(const t4_ws *ws);

/* t4_websocket with a guard (NULL: none).
 * Errors: as t4_websocket.
 * Threads: as t4_websocket.
 * Ownership: as t4_websocket. */
T4_API int t4_websocket_guarded(const char *pattern, t4_ws_handler fn, t4_ws_guard guard);

/* Options of a WebSocket route, by name (zero means the default):
 *   T4_WEBSOCKET_WITH("/ws/gql", gql, .protocols = "graphql-transport-ws")
 * protocols: the subprotocols this route speaks, comma-separated, in order
 * of preference; the first of them that the client offers in
 * Sec-WebSocket-Protocol is selected (t4_ws_protocol). A client that offers
 * none of them gets no Sec-WebSocket-Protocol back (and browsers then fail
 * the connection, as RFC 6455 says). Returns T4_EINVAL for a protocol name
 * that is not an HTTP token.
 * history_size: keep the last this many messages of every concrete path of
 * the route (broadcasts and pushes), each with a position, so a client that
 * reconnects is sent what it missed (docs/RESUME_PROTOCOL.md); 0: no
 * history. history_ttl: seconds a message is kept (0: until pushed out by
 * history_size or TINA4_WS_HISTORY_MEMORY). Clients that do not ask for
 * positions (the tina4.v1 subprotocol, which frond.js offers) receive the
 * same raw messages as on any other route. Positions are machine-wide with
 * workers and cluster-wide with TINA4_WS_BACKPLANE=redis (Redis Streams).
 * presence_events: tina4.v1 members of a path are told when a connection
 * sets its presence (join, then update) and when it leaves, and get the
 * list on joining (see t4_ws_set_presence; frond.js: join/leave events and
 * ws.presence()). */
typedef struct t4_ws_options {
    t4_ws_guard guard;
    const char *protocols;
    size_t history_size;
    unsigned history_ttl;
    bool presence_events;
} t4_ws_options;

/* t4_websocket with options (NULL: none).
 * Errors: as t4_websocket, and T4_EINVAL for a protocol name that is not an
 * HTTP token.
 * Threads: as t4_websocket.
 * Ownership: opts and its strings are copied; the caller keeps them. */
T4_API int t4_websocket_with(const char *pattern, t4_ws_handler fn, const t4_ws_options *opts);

/* Declarative registration, like Tina4's decorators: the route exists as
 * soon as the file is linked or loaded (a static constructor). */
#define T4__CAT2(a, b) a##b
#define T4__CAT(a, b)  T4__CAT2(a, b)
#define T4__REGISTER(call)                                                                                   \
    __attribute__((constructor)) static void T4__CAT(t4__register_, __LINE__)(void)                          \
    {                                                                                                        \
        (void)(call);                                                                                        \
    }
#define T4_WEBSOCKET(pattern, fn)                T4__REGISTER(t4_websocket((pattern), (fn)))
#define T4_WEBSOCKET_GUARDED(pattern, fn, guard) T4__REGISTER(t4_websocket_guarded((pattern), (fn), (guard)))
#define T4_WEBSOCKET_WITH(pattern, fn, ...)                                                                  \
    T4__REGISTER(t4_websocket_with((pattern), (fn), &(const t4_ws_options){__VA_ARGS__}))
#define T4_GET(pattern, fn)    T4__REGISTER(t4_route("GET", (pattern), (fn)))
#define T4_POST(pattern, fn)   T4__REGISTER(t4_route("POST", (pattern), (fn)))
#define T4_PUT(pattern, fn)    T4__REGISTER(t4_route("PUT", (pattern), (fn)))
#define T4_PATCH(pattern, fn)  T4__REGISTER(t4_route("PATCH", (pattern), (fn)))
#define T4_DELETE(pattern, fn) T4__REGISTER(t4_route("DELETE", (pattern), (fn)))

/* ------------------------------------------------------------------ */
/* Running                                                              */
/* ------------------------------------------------------------------ */

/* Settings. Zero means "the default" (or the TINA4_* environment variable
 * when t4_config_from_env filled it). Sizes in bytes, times in ms. */
typedef struct t4_config {
    const char *host;                 /* TINA4_HOST, "0.0.0.0"                  */
    int port;                         /* TINA4_PORT, 7145 (-1 or TINA4_PORT=0: any free port) */
    size_t http_max_header;           /* TINA4_HTTP_MAX_HEADER, 16 KiB -> 431   */
    size_t http_max_body;             /* TINA4_HTTP_MAX_BODY, 8 MiB -> 413      */
    unsigned http_header_timeout;     /* TINA4_HTTP_HEADER_TIMEOUT, 10 s -> 408 */
    unsigned http_keepalive;          /* TINA4_HTTP_KEEPALIVE_TIMEOUT, 5 s      */
    size_t ws_max_message;            /* TINA4_WS_MAX_MESSAGE, 1 MiB -> 1009    */
    unsigned ws_ping_interval;        /* TINA4_WS_PING_INTERVAL, 30 s           */
    unsigned ws_idle_timeout;         /* TINA4_WS_IDLE_TIMEOUT, 60 s            */
    size_t ws_max_backpressure;       /* TINA4_WS_MAX_BACKPRESSURE, 4 MiB       */
    unsigned ws_close_timeout;        /* TINA4_WS_CLOSE_TIMEOUT, 5 s            */
    bool ws_compression;              /* TINA4_WS_COMPRESSION: permessage-deflate, off */
    size_t ws_compression_min;        /* TINA4_WS_COMPRESSION_MIN, 128: smaller goes plain */
    unsigned shutdown_timeout;        /* TINA4_SHUTDOWN_TIMEOUT, 10 s           */
    size_t max_connections;           /* TINA4_MAX_CONNECTIONS, 100000          */
    size_t max_input_memory;          /* TINA4_MAX_INPUT_MEMORY, 256 MiB: all buffered input */
    size_t max_output_memory;         /* TINA4_MAX_OUTPUT_MEMORY, 256 MiB: all queued output */
    size_t min_data_rate;             /* TINA4_MIN_DATA_RATE, 1 KiB/s: bodies and partial frames */
    unsigned min_data_rate_grace;     /* TINA4_MIN_DATA_RATE_GRACE, 10 s: window of that rate */
    size_t http_max_headers;          /* TINA4_HTTP_MAX_HEADERS, 100 -> 431     */
    size_t template_max_size;         /* TINA4_TEMPLATE_MAX_SIZE, 1 MiB per template file */
    size_t template_max_nodes;        /* TINA4_TEMPLATE_MAX_NODES, 100000 per template */
    const char *ws_allowed_origins;   /* TINA4_WS_ALLOWED_ORIGINS, "" = any    */
    const char *ws_backplane;         /* TINA4_WS_BACKPLANE: unset or "redis"   */
    const char *ws_backplane_url;     /* TINA4_WS_BACKPLANE_URL, redis://localhost:6379 */
    const char *ws_backplane_format;  /* TINA4_WS_BACKPLANE_FORMAT: "json" or "binary" */
    unsigned ws_backplane_heartbeat;  /* TINA4_WS_BACKPLANE_HEARTBEAT, 5 s      */
    size_t ws_backplane_max_queue;    /* TINA4_WS_BACKPLANE_MAX_QUEUE, 8 MiB     */
    const char *ws_backplane_secret;  /* TINA4_WS_BACKPLANE_SECRET: HMAC key, "" = off */
    const char *templates_dir;        /* TINA4_TEMPLATES, "src/templates"       */
    const char *public_dir;           /* TINA4_PUBLIC, "src/public" ("" = off)   */
    const char *static_cache_control; /* TINA4_STATIC_CACHE_CONTROL, "public, max-age=3600" */
    bool debug;                       /* TINA4_DEBUG: error details in 500 pages, template reload */
    int log_level;                    /* TINA4_LOG_LEVEL: 0 error..3 debug, 2   */
    bool quiet_banner;                /* do not print the start-up banner       */
    int workers;                      /* TINA4_WORKERS, 0 or -1 = auto: one per CPU; 1: one process */
    unsigned handler_warn;            /* TINA4_HANDLER_WARN, 1 s: log a handler holding the loop (workers) */
    unsigned handler_kill;            /* TINA4_HANDLER_KILL, 0 = off: replace a worker stuck this long */
    size_t ws_history_memory;         /* TINA4_WS_HISTORY_MEMORY, 64 MiB: all message history */
    const char *tls_cert;             /* TINA4_TLS_CERT: PEM certificate chain; with tls_key: TLS on */
    const char *tls_key;              /* TINA4_TLS_KEY: PEM private key         */
    bool tls_redirect;                /* TINA4_TLS_REDIRECT: plain HTTP on the TLS port gets 308 to https */
    unsigned tls_handshake_timeout;   /* TINA4_TLS_HANDSHAKE_TIMEOUT, 10 s      */
    bool tls_no_ktls;                 /* TINA4_TLS_KTLS=false: never ask for kernel TLS */
    unsigned reload_grace;            /* TINA4_RELOAD_GRACE, 1 s: old workers' WebSockets get 1012 after it */
    size_t http_max_backpressure;     /* TINA4_HTTP_MAX_BACKPRESSURE, 256 KiB: queued output past which
                                         a connection's next request waits */
} t4_config;

/* Loads `.env` from the working directory (the real environment wins) and
 * fills cfg from TINA4_* variables; unset fields keep their defaults.
 * Errors: T4_EINVAL (cfg NULL; or a bad value: one line logged for each,
 * and that field keeps its default).
 * Threads: the main thread, before t4_run (it reads and sets environment
 * variables, which is not thread-safe).
 * Ownership: the string fields point into the environment; they stay valid
 * while the variables are not changed. */
T4_API int t4_config_from_env(t4_config *cfg);

/* Serves until t4_stop() or SIGINT/SIGTERM. cfg NULL means
 * t4_config_from_env(). With workers > 1 this process supervises forked
 * workers and returns when they have stopped.
 * Errors: 0 after a clean shutdown; T4_EINVAL (a bad setting or host, a port
 * outside -1..65535), T4_EIO (the port cannot be bound), T4_ESTATE (a server
 * already runs in this process), T4_ENOMEM.
 * Threads: any one thread, which becomes the loop thread until it returns.
 * Ownership: cfg is copied, but its strings are not: keep them valid until
 * t4_run returns. */
T4_API int t4_run(const t4_config *cfg);

/* Asks the running server to shut down: stop accepting, close WebSockets
 * with 1001, finish in-flight responses. A call before t4_run makes that run
 * stop at once.
 * Errors: none (returns nothing).
 * Threads: any; not from a signal handler (SIGINT and SIGTERM are already
 * handled by the server).
 * Ownership: nothing is passed. */
T4_API void t4_stop(void);

/* The port actually bound (useful with port -1), or 0 when no server runs.
 * Errors: none.
 * Threads: the loop thread (in a handler); elsewhere the answer may be stale.
 * Ownership: nothing is passed. */
T4_API int t4_bound_port(void);

/* ------------------------------------------------------------------ */
/* HTTP requests                                                        */
/* ------------------------------------------------------------------ */

/* Every t4_req_* call:
 *   Errors: NULL for a NULL req or name, or when the thing is absent.
 *   Threads: the loop thread, inside the handler that got req.
 *   Ownership: req and the strings returned belong to the request and stay
 *   valid until the handler returns; do not free them (copy to keep). */

/* The method ("GET"), the decoded path without the query string, and the
 * raw query string ("" if none). */
T4_API const char *t4_req_method(const t4_req *req);
T4_API const char *t4_req_path(const t4_req *req);
T4_API const char *t4_req_query_string(const t4_req *req);
/* A path parameter, else a query parameter (decoded); NULL if neither. */
T4_API const char *t4_req_param(const t4_req *req, const char *name);
/* A query-string parameter (decoded); path parameters are not looked at. */
T4_API const char *t4_req_query(const t4_req *req, const char *name);
/* The first header of that name (case-insensitive), as sent. */
T4_API const char *t4_req_header(const t4_req *req, const char *name);
/* A cookie from the Cookie header, by exact name. */
T4_API const char *t4_req_cookie(const t4_req *req, const char *name);
/* The peer's IP address as text ("127.0.0.1", "::1"); NULL if the socket is
 * gone. Behind a proxy this is the proxy: read X-Forwarded-For with
 * t4_req_header when you trust it. */
T4_API const char *t4_req_remote_addr(const t4_req *req);
/* The body, NUL-terminated ("" when there is none); *len gets its length
 * if len is non-NULL (0 when req is NULL). */
T4_API const char *t4_req_body(const t4_req *req, size_t *len);
/* The body parsed as JSON; NULL when it is empty or not valid JSON.
 * Ownership: borrowed from the request: do not json_decref it
 * (json_incref to keep it past the handler). */
T4_API json_t *t4_req_json(t4_req *req);
/* A field of an application/x-www-form-urlencoded body (decoded); NULL for
 * another content type. */
T4_API const char *t4_req_form(t4_req *req, const char *name);

/* ------------------------------------------------------------------ */
/* HTTP responses                                                       */
/* ------------------------------------------------------------------ */

/* Adds a response header (sent with the response).
 * Errors: T4_EINVAL (NULL res, name or value; an empty name; a name with ':'
 * or CR/LF; a value with CR/LF), T4_ESTATE (the response was sent),
 * T4_ENOMEM.
 * Threads: the loop thread, inside the handler that got res.
 * Ownership: name and value are copied. */
T4_API int t4_res_header(t4_res *res, const char *name, const char *value);

/* Sends a whole response: exactly one per request. A handler that sends
 * nothing yields 500. t4_res_send takes any body (content_type NULL: no
 * Content-Type header); t4_res_text, t4_res_html and t4_res_json set
 * text/plain, text/html (UTF-8) and application/json; t4_res_printf formats
 * the body.
 * Errors: T4_EINVAL (NULL res, text, html, value or fmt; body NULL with
 * len > 0; status outside 100-999; content_type with CR/LF), T4_ESTATE (a
 * response was already sent), T4_ETOOBIG (a body over 2 GiB), T4_ENOMEM.
 * Threads: the loop thread, inside the handler that got res.
 * Ownership: the body is copied before return. t4_res_json steals value
 * (jansson's "_new" convention), on failure too. */
T4_API int t4_res_send(t4_res *res, int status, const char *content_type, const void *body, size_t len);
T4_API int t4_res_text(t4_res *res, int status, const char *text);
T4_API int t4_res_html(t4_res *res, int status, const char *html);
T4_API int t4_res_json(t4_res *res, int status, json_t *value); /* steals value */
T4_API int t4_res_printf(t4_res *res, int status, const char *content_type, const char *fmt, ...)
    T4__PRINTF(4, 5);

/* ------------------------------------------------------------------ */
/* Frond templates (Twig-compatible)                                    */
/* ------------------------------------------------------------------ */

/* Renders the template `name` from TINA4_TEMPLATES (default src/templates)
 * with ctx as its context (NULL means {}). Parsed templates are cached; with
 * TINA4_DEBUG on, a changed file is re-read.
 * Errors: NULL, after logging the error (template name, line and column):
 * name NULL, a missing template, a syntax or render error.
 * Threads: any (calls are serialised).
 * Ownership: steals ctx, on failure too; returns a malloc'd string that the
 * caller frees with free(). */
T4_API char *t4_render(const char *name, json_t *ctx);
/* The same for template source text (it may include/extend files).
 * Errors: as t4_render (source NULL: NULL).
 * Threads: any (calls are serialised).
 * Ownership: as t4_render. */
T4_API char *t4_render_string(const char *source, json_t *ctx);
/* Sends the rendered template as text/html (the chapter's
 * response(template("chat.html", room=room))). A template that is missing
 * or fails is a 500: with TINA4_DEBUG on its body shows the error,
 * otherwise a plain error page; either way one log line.
 * Errors: T4_EINVAL (NULL res or name: nothing sent); when rendering fails,
 * the code of the failure (T4_ENOTFOUND for a missing template) after the
 * 500 was sent; then as t4_res_send.
 * Threads: the loop thread, inside the handler that got res.
 * Ownership: steals ctx, on failure too. */
T4_API int t4_res_template(t4_res *res, int status, const char *name, json_t *ctx);

/* ------------------------------------------------------------------ */
/* WebSocket connections                                                */
/* ------------------------------------------------------------------ */

/* Every t4_ws_* call takes a connection that is valid from its OPEN event
 * until its CLOSE event returns (see t4_ws_handle to keep one longer).
 *   Threads: the loop thread: inside a WebSocket or HTTP handler, a guard,
 *   or anything else the loop runs. Other threads use t4_push*.
 *   Ownership: strings and JSON returned belong to the connection: valid
 *   until its CLOSE event returns; do not free them. */

/* Sends to this connection only: text (NUL-terminated for t4_ws_send), text
 * with a length, binary, printf-formatted text, or a JSON value as compact
 * text. Text must be valid UTF-8.
 * Errors: T4_EINVAL (NULL ws, text, fmt or value; data NULL with len > 0;
 * text not UTF-8), T4_ECLOSED (the connection is closing or closed: a
 * harmless no-op), T4_ETOOBIG (larger than TINA4_WS_MAX_MESSAGE: the limit
 * holds both ways), T4_EBACKPRESSURE (the outbound buffer was full: the
 * connection is being closed with 1013), T4_ETHREAD, T4_ENOMEM.
 * Threads: the loop thread.
 * Ownership: data is copied before return; t4_ws_send_json steals value,
 * on failure too. */
T4_API int t4_ws_send(t4_ws *ws, const char *text);
T4_API int t4_ws_send_text(t4_ws *ws, const char *text, size_t len);
T4_API int t4_ws_send_binary(t4_ws *ws, const void *data, size_t len);
T4_API int t4_ws_sendf(t4_ws *ws, const char *fmt, ...) T4__PRINTF(2, 3);
T4_API int t4_ws_send_json(t4_ws *ws, json_t *value); /* steals value */

/* To every open connection on the same concrete path as ws (the sender
 * included unless exclude_self), and through the backplane to the other
 * instances when one is configured. Works in the sender's CLOSE event too.
 * The frame is encoded once and shared. Returns the number of local
 * connections it was queued for.
 * Errors: T4_EINVAL (NULL ws, text, fmt or value; data NULL with len > 0;
 * text not UTF-8), T4_ETOOBIG (over TINA4_WS_MAX_MESSAGE), T4_ETHREAD,
 * T4_ENOMEM.
 * Threads: the loop thread.
 * Ownership: data is copied before return; t4_ws_broadcast_json steals
 * value, on failure too. */
T4_API int t4_ws_broadcast(t4_ws *ws, const char *text, bool exclude_self);
T4_API int t4_ws_broadcast_text(t4_ws *ws, const char *text, size_t len, bool exclude_self);
T4_API int t4_ws_broadcast_binary(t4_ws *ws, const void *data, size_t len, bool exclude_self);
T4_API int t4_ws_broadcast_json(t4_ws *ws, json_t *value, bool exclude_self); /* steals */
T4_API int t4_ws_broadcastf(t4_ws *ws, bool exclude_self, const char *fmt, ...) T4__PRINTF(3, 4);

/* Starts the close handshake (code 1000 if 0; reason may be NULL). The
 * CLOSE event follows once.
 * Errors: T4_EINVAL (NULL ws; a code an endpoint may not send: only
 * 1000-1003, 1007-1014 and 3000-4999; a reason over 123 bytes or not
 * UTF-8), T4_ECLOSED (already closing or closed), T4_ETHREAD.
 * Threads: the loop thread.
 * Ownership: reason is copied. */
T4_API int t4_ws_close(t4_ws *ws, int code, const char *reason);

/* The connection's id: 32 lowercase hex characters from a CSPRNG, unique
 * per connection (the chapter's ws.id).
 * Errors: NULL for a NULL ws. */
T4_API const char *t4_ws_id(const t4_ws *ws);
/* The subprotocol selected in the handshake (see t4_ws_options).
 * Errors: NULL for a NULL ws, or when none was selected. */
T4_API const char *t4_ws_protocol(const t4_ws *ws);
/* The concrete path the client connected to ("/ws/chat/lobby"): its group
 * for broadcasts, pushes and counts.
 * Errors: NULL for a NULL ws. */
T4_API const char *t4_ws_path(const t4_ws *ws);
/* A path parameter, else a decoded query parameter (the path wins a clash).
 * Errors: NULL for a NULL ws or name, or when there is none. */
T4_API const char *t4_ws_param(const t4_ws *ws, const char *name);
/* The path parameters as a JSON object of strings.
 * Errors: NULL for a NULL ws.
 * Ownership: borrowed, owned by the connection: do not json_decref it. */
T4_API json_t *t4_ws_params(const t4_ws *ws);
/* A header of the upgrade request (case-insensitive), or a cookie of it
 * (exact name).
 * Errors: NULL for a NULL ws or name, or when there is none. */
T4_API const char *t4_ws_header(const t4_ws *ws, const char *name);
T4_API const char *t4_ws_cookie(const t4_ws *ws, const char *name);
/* The peer's IP address as text (see t4_req_remote_addr); read once, it is
 * kept for the connection's life.
 * Errors: NULL for a NULL ws, or when first asked after the socket closed. */
T4_API const char *t4_ws_remote_addr(const t4_ws *ws);
/* Open connections on the concrete path of ws, or on path (query string
 * ignored, one trailing slash tolerated): across the cluster when a
 * backplane is configured, else on this instance.
 * Errors: 0 for a NULL ws or path, and off the loop thread. */
T4_API size_t t4_ws_connection_count(const t4_ws *ws);
T4_API size_t t4_path_connection_count(const char *path);
/* The same, counting this instance only.
 * Errors: 0 for a NULL ws or path, and off the loop thread. */
T4_API size_t t4_ws_local_connection_count(const t4_ws *ws);
T4_API size_t t4_path_local_connection_count(const char *path);

/* How this connection joined (readable from its OPEN event on): fresh, or
 * a client reconnecting with the position it stopped at, that was sent
 * every message it missed before OPEN (RESUMED), or whose missed messages
 * are no longer kept, or belong to an older history (GAP: it gets live
 * messages only and was told so).
 * Errors: T4_WS_JOIN_FRESH for a NULL ws.
 * Threads: the loop thread (handlers).
 * Ownership: nothing to free. */
typedef enum { T4_WS_JOIN_FRESH = 0, T4_WS_JOIN_RESUMED, T4_WS_JOIN_GAP } t4_ws_join;
T4_API t4_ws_join t4_ws_join_kind(const t4_ws *ws);

/* Presence: public info about a connection (a name, an avatar), listed
 * for everyone on its path from this call until it closes. Calling it
 * again replaces it. Connections that never call it are not listed.
 * Errors: 0, T4_EINVAL (NULL ws or info), T4_ENOMEM, T4_ETHREAD (off the
 * loop thread), T4_ECLOSED (closing connection).
 * Threads: the loop thread (handlers).
 * Ownership: steals info (any JSON value), also on error. */
T4_API int t4_ws_set_presence(t4_ws *ws, json_t *info);
/* [{"id": t4_ws_id, "info": ...}, ...] of the connections with presence on
 * the connection's path / on a concrete path: machine-wide with workers,
 * cluster-wide with TINA4_WS_BACKPLANE=redis (other processes' members as
 * last reported; those of a crashed process drop out, see the README).
 * Errors: NULL for a NULL ws or path, and off the loop thread.
 * Threads: the loop thread.
 * Ownership: a new reference: json_decref it. */
T4_API json_t *t4_ws_presence(const t4_ws *ws);
T4_API json_t *t4_path_presence(const char *path);

/* Attaches user data to the connection. free_fn (may be NULL) runs once
 * after the CLOSE event, so nothing tracked per user can leak; setting new
 * data runs the old data's free_fn at once.
 * Errors: a NULL ws has no effect (data stays the caller's).
 * Ownership: the connection owns data when free_fn is given. */
T4_API void t4_ws_set_data(t4_ws *ws, void *data, void (*free_fn)(void *));
/* The data set by t4_ws_set_data.
 * Errors: NULL for a NULL ws, or when none was set. */
T4_API void *t4_ws_data(const t4_ws *ws);

/* A handle keeps a connection beyond one event: store the number, and look
 * the connection up when needed (timers, other connections' events). A
 * connection that has gone yields NULL, never a stranger that reused its
 * memory.
 * Errors: t4_ws_handle: 0 for a NULL ws. t4_ws_lookup: NULL for 0, an
 * unknown handle, a connection in or after its CLOSE event, or off the loop
 * thread.
 * Threads: the loop thread.
 * Ownership: the t4_ws returned is valid until its CLOSE event returns. */
T4_API uint64_t t4_ws_handle(const t4_ws *ws);
T4_API t4_ws *t4_ws_lookup(uint64_t handle);

/* ------------------------------------------------------------------ */
/* Push to a path (any thread)                                          */
/* ------------------------------------------------------------------ */

/* Delivers to every open connection on exactly this concrete path (query
 * string ignored, one trailing slash tolerated), and through the backplane
 * to the other instances when one is configured (the chapter's
 * push_to_websocket). On the loop thread it is delivered at once and
 * returns the number of local recipients; from another thread it is queued
 * (returns 0) and delivered on the next loop turn, in call order. Nobody
 * listening is not an error (returns 0).
 * Errors: T4_EINVAL (path NULL or not starting with '/'; NULL text, fmt or
 * value; data NULL with len > 0; text not UTF-8), T4_ETOOBIG (over
 * TINA4_WS_MAX_MESSAGE), T4_ESTATE (no server is running to deliver it),
 * T4_ENOMEM.
 * Threads: any.
 * Ownership: path and data are copied before return; t4_push_json steals
 * value, on failure too. */
T4_API int t4_push(const char *path, const char *text);
T4_API int t4_push_text(const char *path, const char *text, size_t len);
T4_API int t4_push_binary(const char *path, const void *data, size_t len);
T4_API int t4_push_json(const char *path, json_t *value); /* steals */
T4_API int t4_pushf(const char *path, const char *fmt, ...) T4__PRINTF(2, 3);

/* ------------------------------------------------------------------ */
/* Logging                                                              */
/* ------------------------------------------------------------------ */

enum { T4_LOG_ERROR = 0, T4_LOG_WARN = 1, T4_LOG_INFO = 2, T4_LOG_DEBUG = 3 };

/* Writes one line to stderr (UTC time, level, message) when level is at
 * most TINA4_LOG_LEVEL; levels outside 0-3 are clamped.
 * Errors: none; a NULL fmt is ignored.
 * Threads: any (lines from threads do not interleave).
 * Ownership: nothing is kept. */
T4_API void t4_log(int level, const char *fmt, ...) T4__PRINTF(2, 3);

#ifdef __cplusplus
}
#endif
#endif /* TINA4_H */
