/* SPDX-License-Identifier: MIT */
/* Growable string buffer and small string helpers for FROND. */
#include "frond/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The string budget of the render running on this thread. */
static _Thread_local struct {
    bool on;
    size_t used, max;
    int hit; /* the limit that made a buffer fail */
} budget;

void t4__fbuf_budget_start(size_t max_bytes)
{
    budget.on = true;
    budget.used = 0;
    budget.max = max_bytes < T4F_MAX_BYTES ? max_bytes : T4F_MAX_BYTES;
    budget.hit = 0;
}

void t4__fbuf_budget_stop(void)
{
    budget.on = false;
}

int t4__fbuf_limit(size_t *max)
{
    int hit = budget.hit;
    budget.hit = 0;
    *max = hit == T4F_LIMIT_STRING ? T4F_MAX_STRING : budget.max;
    return hit;
}

static bool reserve(t4__fbuf *b, size_t extra)
{
    if (b->oom) {
        return false;
    }
    if (extra > T4F_MAX_STRING - b->n || (budget.on && extra > budget.max - budget.used)) {
        budget.hit = extra > T4F_MAX_STRING - b->n ? T4F_LIMIT_STRING : T4F_LIMIT_BYTES;
        b->oom = true;
        return false;
    }
    if (budget.on) {
        budget.used += extra;
    }
    if (b->n + extra + 1 <= b->cap) {
        return true;
    }
    size_t cap = b->cap ? b->cap : 64;
    while (cap < b->n + extra + 1) {
        cap *= 2;
    }
    char *p = realloc(b->p, cap);
    if (!p) {
        b->oom = true;
        return false;
    }
    b->p = p;
    b->cap = cap;
    return true;
}

void t4__fbuf_put(t4__fbuf *b, const char *s, size_t n)
{
    if (!reserve(b, n)) {
        return;
    }
    if (n) {
        memcpy(b->p + b->n, s, n);
    }
    b->n += n;
    b->p[b->n] = '\0';
}

void t4__fbuf_fill(t4__fbuf *b, char c, size_t n)
{
    if (!reserve(b, n)) {
        return;
    }
    memset(b->p + b->n, c, n);
    b->n += n;
    b->p[b->n] = '\0';
}

void t4__fbuf_puts(t4__fbuf *b, const char *s)
{
    t4__fbuf_put(b, s, strlen(s));
}

void t4__fbuf_putc(t4__fbuf *b, char c)
{
    t4__fbuf_put(b, &c, 1);
}

void t4__fbuf_printf(t4__fbuf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = t4__fvasprintf(fmt, ap);
    va_end(ap);
    if (!s) {
        b->oom = true;
        return;
    }
    t4__fbuf_puts(b, s);
    free(s);
}

char *t4__fbuf_take(t4__fbuf *b)
{
    if (b->oom) {
        t4__fbuf_free(b);
        return NULL;
    }
    if (!b->p) {
        reserve(b, 0);
        if (!b->p) {
            return NULL;
        }
        b->p[0] = '\0';
    }
    char *p = b->p;
    b->p = NULL;
    b->n = b->cap = 0;
    return p;
}

void t4__fbuf_free(t4__fbuf *b)
{
    free(b->p);
    b->p = NULL;
    b->n = b->cap = 0;
    b->oom = false;
}

char *t4__fstrndup(const char *s, size_t n)
{
    char *p = malloc(n + 1);
    if (p) {
        memcpy(p, s, n);
        p[n] = '\0';
    }
    return p;
}

char *t4__fvasprintf(const char *fmt, va_list ap)
{
    va_list cp;
    va_copy(cp, ap);
    int n = vsnprintf(NULL, 0, fmt, cp);
    va_end(cp);
    if (n < 0) {
        return NULL;
    }
    char *p = malloc((size_t)n + 1);
    if (p) {
        vsnprintf(p, (size_t)n + 1, fmt, ap);
    }
    return p;
}

char *t4__fasprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *p = t4__fvasprintf(fmt, ap);
    va_end(ap);
    return p;
}
