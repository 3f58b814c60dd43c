/* SPDX-License-Identifier: MIT */
/* The request and response objects handed to HTTP handlers. */
#ifndef T4_HTTP_REQUEST_H
#define T4_HTTP_REQUEST_H
#include "http/parser.h"
#include "http/router.h"
#include "server/server.h"

/* A decoded name/value list kept in the request arena. */
typedef struct t4__pair {
    struct t4__pair *next;
    const char *name, *value;
} t4__pair;

struct t4_req {
    t4__conn *conn;
    const t4__http_head *head;
    t4__arena *arena;
    const char *method, *path, *query_string;
    t4__param params[T4__MAX_PARAMS];
    size_t nparams;
    const char **param_values; /* decoded, lazily */
    char *body;
    size_t body_len;
    json_t *json;
    bool json_tried, query_parsed, form_parsed, cookies_parsed;
    t4__pair *query, *form, *cookies;
};

typedef struct t4__res_header {
    struct t4__res_header *next;
    const char *name, *value;
} t4__res_header;

struct t4_res {
    t4__conn *conn;
    t4__arena *arena;
    t4__res_header *headers, *headers_tail;
    bool sent;
    bool head_only;
    bool keep_alive;
    int status;
};

/* Lists of decoded pairs (used by requests and WebSocket connections). */
t4__pair *t4__pairs_from_query(t4__arena *a, const char *s, size_t n);
t4__pair *t4__pairs_from_cookies(t4__arena *a, const char *s, size_t n);
const char *t4__pairs_get(const t4__pair *p, const char *name);

const char *t4__status_text(int status);
/* Queues a complete response; returns 0 or a T4_E code. */
int t4__http_write_response(t4__conn *c, int status, const char *content_type, const t4__res_header *extra,
                            const void *body, size_t len, bool head_only, bool keep_alive);
/* The HTTP kind (http_conn.c): what every accepted connection speaks first. */
extern const t4__conn_ops t4__http_ops;
/* Releases a request in progress (its head and body buffers). */
void t4__http_free(t4__conn *c);

/* Answers an error status with a short text body and closes the connection. */
void t4__http_fail(t4__conn *c, int status, const char *extra_header_name, const char *extra_header_value);
#endif
