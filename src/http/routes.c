/*
 * Route registration. Routes are usually added by static constructors (the
 * T4_* macros) before main() or when a route module is loaded, so the tables
 * are created on first use and live for the whole process.
 */
#include "http/routes.h"
#include "tina4.h"
#include "util/log.h"
#include <stdlib.h>
#include <string.h>

static t4__router *http_routes, *ws_routes;

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
    return r;
}

int t4_route(const char *method, const char *pattern, t4_http_handler fn)
{
    return add(&http_routes, method, pattern, (void *)fn);
}

int t4_websocket_guarded(const char *pattern, t4_ws_handler fn, t4_ws_guard guard)
{
    if (!fn)
        return add(&ws_routes, NULL, pattern, NULL); /* logs the error */
    /* Lives as long as the route table: the process. */
    t4__ws_route *r = malloc(sizeof *r);
    if (!r)
        return T4_ENOMEM;
    r->fn = fn;
    r->guard = guard;
    int rc = add(&ws_routes, NULL, pattern, r);
    if (rc != 0)
        free(r);
    return rc;
}

int t4_websocket(const char *pattern, t4_ws_handler fn)
{
    return t4_websocket_guarded(pattern, fn, NULL);
}
