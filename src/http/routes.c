/* SPDX-License-Identifier: MIT */
/*
 * Route registration. Routes are usually added by static constructors (the
 * T4_* macros) before main() or when a route module is loaded, so the tables
 * are created on first use and live for the whole process.
 */
#include "http/routes.h"
#include "runtime/routes_seen.h"
#include "tina4.h"
#include "util/log.h"
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static t4__router *http_routes, *ws_routes;
static bool history_routes; /* some WebSocket route keeps history */

t4__router *t4__routes_http(void)
{
    return http_routes;
}

t4__router *t4__routes_ws(void)
{
    return ws_routes;
}

size_t t4__routes_http_count(void)
{
    return http_routes ? t4__router_count(http_routes) : 0;
}

size_t t4__routes_ws_count(void)
{
    return ws_routes ? t4__router_count(ws_routes) : 0;
}

static int valid_method(const char *m)
{
    static const char *const known[] = {"GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD"};
    for (size_t i = 0; i < sizeof known / sizeof *known; i++)
        if (strcmp(m, known[i]) == 0)
            return 1;
    return 0;
}

static int add(t4__router **table, const char *method, const char *pattern, void *fn)
{
    if (!pattern || !fn || (method && !valid_method(method))) {
        t4_log(T4_LOG_ERROR, "route %s %s: invalid method, pattern or handler", method ? method : "WS",
               pattern ? pattern : "(null)");
        return T4_EINVAL;
    }
    if (!*table && !(*table = t4__router_new()))
        return T4_ENOMEM;
    int r = t4__router_add(*table, method, pattern, fn);
    if (r == T4_EINVAL)
        t4_log(T4_LOG_ERROR, "route %s %s: invalid pattern", method ? method : "WS", pattern);
    else if (r == T4_EEXIST)
        t4_log(T4_LOG_ERROR, "route %s %s: already registered", method ? method : "WS", pattern);
    else if (r == 0)
        t4__routes_seen_add(method, pattern, fn); /* names the route in crash reports */
    return r;
}

int t4_route(const char *method, const char *pattern, t4_http_handler fn)
{
    if (!method) { /* add() reads a NULL method as a WebSocket route */
        t4_log(T4_LOG_ERROR, "route (null) %s: NULL method", pattern ? pattern : "(null)");
        return T4_EINVAL;
    }
    return add(&http_routes, method, pattern, (void *)fn);
}

/* "a, b,c" -> {"a", "b", "c", NULL}; NULL if a name is not an HTTP token. */
static char **split_protocols(const char *list)
{
    size_t n = 1;
    for (const char *p = list; *p; p++)
        n += *p == ',';
    char **out = calloc(n + 1, sizeof *out);
    size_t k = 0;
    const char *p = list;
    while (out && *p) {
        while (*p == ' ' || *p == ',')
            p++;
        const char *e = p;
        while (*e && *e != ',' && *e != ' ')
            e++;
        bool token = e > p;
        for (const char *q = p; q < e; q++)
            token = token && (unsigned char)*q > 32 && (unsigned char)*q < 127 &&
                    !strchr("()<>@;:\\\"/[]?={}", *q);
        const char *after = e;
        while (*after == ' ')
            after++;
        if (e > p && (!token || (*after && *after != ','))) {
            for (size_t i = 0; i < k; i++)
                free(out[i]);
            free(out);
            return NULL;
        }
        if (e > p && !(out[k++] = strndup(p, (size_t)(e - p)))) {
            for (size_t i = 0; i + 1 < k; i++)
                free(out[i]);
            free(out);
            return NULL;
        }
        p = after;
    }
    return out;
}

int t4_websocket_with(const char *pattern, t4_ws_handler fn, const t4_ws_options *opts)
{
    if (!fn)
        return add(&ws_routes, NULL, pattern, NULL); /* logs the error */
    /* Lives as long as the route table: the process. */
    t4__ws_route *r = calloc(1, sizeof *r);
    if (!r)
        return T4_ENOMEM;
    r->fn = fn;
    r->guard = opts ? opts->guard : NULL;
    r->history_size = opts ? opts->history_size : 0;
    r->history_ttl = opts ? (uint64_t)opts->history_ttl * 1000 : 0;
    r->presence_events = opts && opts->presence_events;
    if (opts && opts->protocols && !(r->protocols = split_protocols(opts->protocols))) {
        t4_log(T4_LOG_ERROR, "route WS %s: protocols \"%s\": each must be an HTTP token",
               pattern ? pattern : "(null)", opts->protocols);
        free(r);
        return T4_EINVAL;
    }
    int rc = add(&ws_routes, NULL, pattern, r);
    if (rc == 0 && r->history_size)
        history_routes = true;
    if (rc != 0) {
        for (char **p = r->protocols; p && *p; p++)
            free(*p);
        free(r->protocols);
        free(r);
    }
    return rc;
}

bool t4__routes_ws_history(void)
{
    return history_routes;
}

const t4__ws_route *t4__routes_ws_for(const char *path, size_t len)
{
    void *handler = NULL;
    t4__param params[T4__MAX_PARAMS];
    size_t n = 0;
    if (!ws_routes ||
        t4__router_match(ws_routes, NULL, path, len, &handler, params, &n, NULL, 0) != T4__MATCH_FOUND)
        return NULL;
    return handler;
}

int t4_websocket_guarded(const char *pattern, t4_ws_handler fn, t4_ws_guard guard)
{
    t4_ws_options o = {.guard = guard};
    return t4_websocket_with(pattern, fn, &o);
}

int t4_websocket(const char *pattern, t4_ws_handler fn)
{
    return t4_websocket_with(pattern, fn, NULL);
}
