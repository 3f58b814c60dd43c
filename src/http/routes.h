/* SPDX-License-Identifier: MIT */
/* The process-wide route tables that T4_GET / T4_WEBSOCKET etc. fill. */
#ifndef T4_HTTP_ROUTES_H
#define T4_HTTP_ROUTES_H
#include "http/router.h"
#include "tina4.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What a WebSocket route's table entry points to. */
typedef struct {
    t4_ws_handler fn;
    t4_ws_guard guard;    /* NULL: every upgrade is accepted */
    char **protocols;     /* NULL-terminated, in order of preference; NULL: none */
    size_t history_size;  /* messages kept per concrete path, 0: no history */
    uint64_t history_ttl; /* ms, 0: no limit */
    bool presence_events; /* join/update/leave told to tina4.v1 members */
} t4__ws_route;

t4__router *t4__routes_http(void); /* NULL until the first route is added */
t4__router *t4__routes_ws(void);
size_t t4__routes_http_count(void);
size_t t4__routes_ws_count(void);
/* The WebSocket route a concrete path belongs to, or NULL. */
const t4__ws_route *t4__routes_ws_for(const char *path, size_t len);
/* Whether any WebSocket route keeps history (a push then looks up its route). */
bool t4__routes_ws_history(void);
#endif
