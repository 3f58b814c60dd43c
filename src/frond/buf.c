/* Growable string buffer and small string helpers for FROND. */
#include "frond/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool reserve(t4__fbuf *b, size_t extra)
{
    if (b->oom) {
        return false;
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
