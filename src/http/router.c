/* SPDX-License-Identifier: MIT */
/*
 * The router: an ordered list of compiled patterns, matched segment by
 * segment against the decoded request path.
 *
 * A linear scan in registration order is what "first registered match wins"
 * means, and with the tens of routes an application has it costs less than
 * the request parsing; a trie would buy nothing but code.
 */
#include "http/router.h"

#include "tina4.h"

#include <stdlib.h>
#include <string.h>

typedef enum { SEG_LIT, SEG_STR, SEG_INT, SEG_PATH } seg_kind;

typedef struct {
    seg_kind kind;
    const char *text; /* literal text (not NUL-terminated) or param name (NUL-terminated) */
    size_t len;
} segment;

typedef struct {
    char *method;  /* NULL: any method (the WebSocket table) */
    char *pattern; /* a private copy; param names are NUL-terminated inside it */
    void *handler;
    size_t nsegs, nparams;
    segment segs[]; /* the pattern "/" has none */
} route;

struct t4__router {
    route **routes;
    size_t n, cap;
};

t4__router *t4__router_new(void)
{
    return calloc(1, sizeof(t4__router));
}

void t4__router_free(t4__router *r)
{
    if (r == NULL)
        return;
    for (size_t i = 0; i < r->n; i++) {
        free(r->routes[i]->method);
        free(r->routes[i]->pattern);
        free(r->routes[i]);
    }
    free(r->routes);
    free(r);
}

size_t t4__router_count(const t4__router *r)
{
    return r ? r->n : 0;
}

static bool is_tchar(unsigned char c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return true;
    return c != 0 && memchr("!#$%&'*+-.^_`|~", c, 15) != NULL;
}

static bool is_name_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

/* Compiles the pattern copy `p` (modified: names get NUL-terminated) into
 * rt->segs. Returns false for a bad pattern. */
static bool compile(route *rt, char *p)
{
    size_t len = strlen(p);
    if (len == 0 || p[0] != '/')
        return false;
    /* "/a/" is the same route as "/a", since requests get the same tolerance. */
    if (len > 2 && p[len - 1] == '/' && p[len - 2] != '/')
        p[--len] = '\0';
    rt->nsegs = rt->nparams = 0;
    if (len == 1)
        return true;
    size_t i = 1;
    for (;;) {
        size_t a = i;
        while (i < len && p[i] != '/')
            i++;
        size_t b = i; /* the segment is p[a..b) */
        if (a == b)
            return false; /* "//": an empty segment can never match */
        segment *sg = &rt->segs[rt->nsegs];
        if (p[a] == '{') {
            if (p[b - 1] != '}')
                return false; /* unclosed, or text after the '}' */
            size_t ns = a + 1, ne = ns;
            while (ne < b - 1 && is_name_char((unsigned char)p[ne]))
                ne++;
            if (ne == ns)
                return false; /* empty name */
            if (ne == b - 1) {
                sg->kind = SEG_STR;
            } else if (p[ne] == ':') {
                const char *type = p + ne + 1;
                size_t tl = (b - 1) - (ne + 1);
                if (tl == 3 && memcmp(type, "int", 3) == 0)
                    sg->kind = SEG_INT;
                else if (tl == 4 && memcmp(type, "path", 4) == 0)
                    sg->kind = SEG_PATH;
                else
                    return false; /* unknown type */
            } else {
                return false; /* a bad character in the name */
            }
            p[ne] = '\0';
            sg->text = p + ns;
            sg->len = ne - ns;
            if (rt->nparams == T4__MAX_PARAMS)
                return false;
            for (size_t k = 0; k < rt->nsegs; k++)
                if (rt->segs[k].kind != SEG_LIT && strcmp(rt->segs[k].text, sg->text) == 0)
                    return false; /* the same name twice */
            rt->nparams++;
        } else {
            for (size_t k = a; k < b; k++)
                if (p[k] == '{' || p[k] == '}')
                    return false; /* "a{x}" or a stray brace: not supported */
            sg->kind = SEG_LIT;
            sg->text = p + a;
            sg->len = b - a;
        }
        rt->nsegs++;
        if (b == len)
            return true;
        if (sg->kind == SEG_PATH)
            return false; /* {x:path} must be last */
        i = b + 1;
    }
}

static bool same_method(const char *a, const char *b)
{
    if (a == NULL || b == NULL)
        return a == b;
    return strcmp(a, b) == 0;
}

/* Two patterns that match exactly the same paths (names aside) are the same
 * route: the second could never be reached, so it is refused. */
static bool same_shape(const route *a, const route *b)
{
    if (a->nsegs != b->nsegs)
        return false;
    for (size_t i = 0; i < a->nsegs; i++) {
        const segment *x = &a->segs[i], *y = &b->segs[i];
        if (x->kind != y->kind)
            return false;
        if (x->kind == SEG_LIT && (x->len != y->len || memcmp(x->text, y->text, x->len) != 0))
            return false;
    }
    return true;
}

int t4__router_add(t4__router *r, const char *method, const char *pattern, void *handler)
{
    if (r == NULL || pattern == NULL || handler == NULL)
        return T4_EINVAL;
    if (method != NULL) {
        if (method[0] == '\0')
            return T4_EINVAL;
        for (const char *m = method; *m; m++)
            if (!is_tchar((unsigned char)*m))
                return T4_EINVAL;
    }
    /* At most one segment per '/'. */
    size_t maxsegs = 0;
    for (const char *c = pattern; *c; c++)
        maxsegs += *c == '/';
    route *rt = calloc(1, sizeof(route) + maxsegs * sizeof(segment));
    if (rt == NULL)
        return T4_ENOMEM;
    rt->handler = handler;
    rt->pattern = strdup(pattern);
    rt->method = method ? strdup(method) : NULL;
    int err = T4_ENOMEM;
    if (rt->pattern == NULL || (method && rt->method == NULL))
        goto fail;
    err = T4_EINVAL;
    if (!compile(rt, rt->pattern))
        goto fail;
    err = T4_EEXIST;
    for (size_t i = 0; i < r->n; i++)
        if (same_method(r->routes[i]->method, rt->method) && same_shape(r->routes[i], rt))
            goto fail;
    err = T4_ENOMEM;
    if (r->n == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 16;
        route **nr = realloc(r->routes, cap * sizeof(*nr));
        if (nr == NULL)
            goto fail;
        r->routes = nr;
        r->cap = cap;
    }
    r->routes[r->n++] = rt;
    return 0;
fail:
    free(rt->method);
    free(rt->pattern);
    free(rt);
    return err;
}

/* "-12", "+3", "42": an optional sign, then digits only. */
static bool is_int(const char *s, size_t n)
{
    size_t i = (n > 0 && (s[0] == '+' || s[0] == '-')) ? 1 : 0;
    if (i == n)
        return false;
    for (; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

/* Matches path[0..n) (starting with '/', trailing slash already dropped)
 * against one route, filling params (T4__MAX_PARAMS entries). */
static bool match_route(const route *rt, const char *path, size_t n, t4__param *params)
{
    bool done = n == 1; /* "/" has no segments */
    size_t c = 1, np = 0;
    for (size_t i = 0; i < rt->nsegs; i++) {
        const segment *sg = &rt->segs[i];
        if (done)
            return false;
        size_t e = c;
        if (sg->kind == SEG_PATH) {
            e = n;
        } else {
            while (e < n && path[e] != '/')
                e++;
        }
        const char *v = path + c;
        size_t vl = e - c;
        switch (sg->kind) {
        case SEG_LIT:
            if (vl != sg->len || memcmp(v, sg->text, vl) != 0)
                return false;
            break;
        case SEG_INT:
            if (!is_int(v, vl))
                return false;
            break;
        case SEG_STR:
        case SEG_PATH:
            if (vl == 0)
                return false;
            break;
        }
        if (sg->kind != SEG_LIT) {
            params[np].name = sg->text;
            params[np].value = v;
            params[np].value_len = vl;
            np++;
        }
        if (e == n)
            done = true;
        else
            c = e + 1;
    }
    return done;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Builds "GET, HEAD, POST" (sorted, so the answer does not depend on the
 * registration order) from the methods whose routes matched the path. */
static void build_allow(const char **methods, size_t nm, char *allow, size_t cap)
{
    if (allow == NULL || cap == 0)
        return;
    qsort(methods, nm, sizeof(*methods), cmp_str);
    size_t used = 0;
    allow[0] = '\0';
    for (size_t i = 0; i < nm; i++) {
        size_t ml = strlen(methods[i]), sep = used ? 2 : 0;
        if (used + sep + ml + 1 > cap)
            break; /* truncate at a method boundary, never mid-name */
        if (sep)
            memcpy(allow + used, ", ", 2);
        memcpy(allow + used + sep, methods[i], ml + 1);
        used += sep + ml;
    }
}

#define ALLOW_MAX 32

static void allow_add(const char **methods, size_t *nm, const char *m)
{
    for (size_t i = 0; i < *nm; i++)
        if (strcmp(methods[i], m) == 0)
            return;
    if (*nm < ALLOW_MAX)
        methods[(*nm)++] = m;
}

t4__match_result t4__router_match(const t4__router *r, const char *method, const char *path, size_t len,
                                  void **handler, t4__param *params, size_t *nparams, char *allow,
                                  size_t allow_cap)
{
    if (allow && allow_cap)
        allow[0] = '\0';
    if (r == NULL || path == NULL || len == 0 || path[0] != '/')
        return T4__MATCH_NONE;
    /* One trailing slash tolerated, after a non-empty segment: "/a/" is "/a",
     * but "//" is not "/" and "/a//" is not "/a". */
    if (len > 2 && path[len - 1] == '/' && path[len - 2] != '/')
        len--;

    t4__param tmp[T4__MAX_PARAMS];
    const char *methods[ALLOW_MAX];
    size_t nm = 0;
    const route *found = NULL, *head_get = NULL;
    bool is_head = method != NULL && strcmp(method, "HEAD") == 0;
    for (size_t i = 0; i < r->n && found == NULL; i++) {
        const route *rt = r->routes[i];
        if (!match_route(rt, path, len, tmp))
            continue;
        if (method == NULL || rt->method == NULL || strcmp(rt->method, method) == 0)
            found = rt;
        else if (is_head && head_get == NULL && strcmp(rt->method, "GET") == 0)
            head_get = rt; /* used only if no explicit HEAD route matches */
        else
            allow_add(methods, &nm, rt->method);
    }
    if (found == NULL)
        found = head_get;
    if (found == NULL) {
        if (nm == 0)
            return T4__MATCH_NONE;
        for (size_t i = 0; i < nm; i++)
            if (strcmp(methods[i], "GET") == 0) {
                allow_add(methods, &nm, "HEAD");
                break;
            }
        build_allow(methods, nm, allow, allow_cap);
        return T4__MATCH_METHOD;
    }
    /* Re-match the winner so params hold its values, not a later loser's. */
    size_t np = found->nparams;
    match_route(found, path, len, tmp);
    if (params)
        memcpy(params, tmp, np * sizeof(*params));
    if (nparams)
        *nparams = np;
    if (handler)
        *handler = found->handler;
    return T4__MATCH_FOUND;
}
