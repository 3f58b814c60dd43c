/* SPDX-License-Identifier: MIT */
/*
 * The router: method + pattern -> handler. One table for HTTP routes and one
 * for WebSocket routes. Patterns: literal segments, {name}, {name:int},
 * and a final {name:path} that takes the rest of the path (slashes included).
 * First registered match wins. One trailing slash in the request is
 * tolerated ("/a/b/" matches "/a/b"). Matching is against the DECODED path.
 */
#ifndef T4_HTTP_ROUTER_H
#define T4_HTTP_ROUTER_H
#include <stdbool.h>
#include <stddef.h>

#define T4__MAX_PARAMS 16

typedef struct {
    const char *name;  /* NUL-terminated, owned by the route */
    const char *value; /* points into the matched path, NOT NUL-terminated */
    size_t value_len;
} t4__param;

typedef struct t4__router t4__router;

typedef enum {
    T4__MATCH_FOUND = 0,
    T4__MATCH_NONE = 1,   /* 404 */
    T4__MATCH_METHOD = 2, /* 405: the path matches under other methods */
} t4__match_result;

t4__router *t4__router_new(void);
void t4__router_free(t4__router *r);
/* method may be NULL for the WebSocket table. Returns 0, T4_EINVAL (bad pattern:
 * not starting with '/', unclosed '{', empty name, unknown type, {x:path} not
 * last, more than T4__MAX_PARAMS), T4_EEXIST (same method + pattern). */
int t4__router_add(t4__router *r, const char *method, const char *pattern, void *handler);
/* Matches path[0..len) (decoded). HEAD falls back to GET routes. On FOUND fills
 * *handler, params[] and *nparams. On METHOD fills allow ("GET, HEAD, POST"),
 * truncated to allow_cap. allow may be NULL. method NULL = any (WebSocket). */
t4__match_result t4__router_match(const t4__router *r, const char *method, const char *path, size_t len,
                                  void **handler, t4__param *params, size_t *nparams, char *allow,
                                  size_t allow_cap);
/* The number of routes (for the banner and tests). */
size_t t4__router_count(const t4__router *r);
#endif
