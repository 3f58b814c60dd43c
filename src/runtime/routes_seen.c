/* SPDX-License-Identifier: MIT */
/* The routes as registered, and naming the running one (see routes_seen.h). */
#include "runtime/routes_seen.h"
#include "http/routes.h"
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    char *method; /* NULL: WebSocket */
    char *pattern;
    const void *key; /* the handler the call sites record */
} seen;

/* Filled by static constructors (and route modules loaded before t4_run);
 * read-only once serving, which is what lets a signal handler read it. */
static seen *table;
static size_t table_len, table_cap;

void t4__routes_seen_add(const char *method, const char *pattern, const void *handler)
{
    if (table_len == table_cap) {
        size_t ncap = table_cap ? table_cap * 2 : 32;
        seen *t = realloc(table, ncap * sizeof *t);
        if (!t)
            return; /* only reports lose the pattern: they show the path */
        table = t;
        table_cap = ncap;
    }
    seen *e = &table[table_len];
    e->method = method ? strdup(method) : NULL;
    e->pattern = strdup(pattern);
    e->key = method ? handler : (const void *)((const t4__ws_route *)handler)->fn;
    if (e->pattern && (e->method || !method))
        table_len++;
    else {
        free(e->method);
        free(e->pattern);
    }
}

/* Whether path could have matched pattern (segments; {x} one non-empty
 * segment, {x:path} the rest; one trailing slash tolerated). Enough to tell
 * apart the patterns one handler serves; the router is the authority. */
static bool could_match(const char *pat, const char *path)
{
    size_t plen = strnlen(path, 4096);
    if (plen > 1 && path[plen - 1] == '/')
        plen--;
    const char *pe = path + plen;
    while (*pat && path < pe) {
        if (*pat == '/' && *path == '/') {
            pat++, path++;
            continue;
        }
        if (*pat == '{') {
            const char *close = strchr(pat, '}');
            if (!close)
                return false;
            if (close - pat > 5 && strncmp(close - 5, ":path", 5) == 0)
                return true;
            const char *seg = path;
            while (path < pe && *path != '/')
                path++;
            if (path == seg)
                return false;
            pat = close + 1;
            continue;
        }
        if (*pat != *path)
            return false;
        pat++, path++;
    }
    if (*pat == '/' && pat[1] == '\0')
        pat++;
    return *pat == '\0' && path == pe;
}

static const seen *find(const t4__running *r)
{
    const char *method = r->method, *path = r->path;
    bool http = r->kind == T4__RUN_HTTP;
    const seen *any = NULL, *by_path = NULL;
    for (size_t i = 0; i < table_len; i++) {
        const seen *e = &table[i];
        if (e->key != r->fn || (e->method != NULL) != http)
            continue;
        if (!any)
            any = e;
        bool ok = path && could_match(e->pattern, path);
        if (ok && (!http || (method && strcmp(e->method, method) == 0)))
            return e;
        if (ok && !by_path)
            by_path = e;
    }
    return by_path ? by_path : any;
}

static size_t put(char *out, size_t cap, size_t n, const char *s)
{
    while (s && *s && n + 1 < cap)
        out[n++] = *s++;
    out[n] = '\0';
    return n;
}

size_t t4__routes_seen_describe(const t4__running *r, char *out, size_t cap)
{
    if (cap == 0)
        return 0;
    out[0] = '\0';
    const seen *e = find(r);
    const char *what = e ? e->pattern : r->path;
    size_t n = 0;
    if (r->kind == T4__RUN_HTTP) {
        n = put(out, cap, n, "HTTP ");
        n = put(out, cap, n, r->method ? r->method : "?");
        n = put(out, cap, n, " ");
        n = put(out, cap, n, what ? what : "?");
    } else {
        n = put(out, cap, n, "WS ");
        n = put(out, cap, n, what ? what : "?");
        n = put(out, cap, n, " ");
        n = put(out, cap, n, t4__run_event_name(r->kind));
    }
    return n;
}
