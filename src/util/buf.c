/* SPDX-License-Identifier: MIT */
#include "util/buf.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int t4__buf_reserve(t4__buf *b, size_t extra)
{
    if (b->len + extra + 1 <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < b->len + extra + 1)
        cap *= 2;
    char *p = realloc(b->data, cap);
    if (!p)
        return -1;
    b->data = p;
    b->cap = cap;
    return 0;
}

int t4__buf_append(t4__buf *b, const void *p, size_t n)
{
    if (t4__buf_reserve(b, n) != 0)
        return -1;
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

int t4__buf_vappendf(t4__buf *b, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0 || t4__buf_reserve(b, (size_t)n) != 0)
        return -1;
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
    return 0;
}

int t4__buf_appendf(t4__buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = t4__buf_vappendf(b, fmt, ap);
    va_end(ap);
    return r;
}

void t4__buf_consume(t4__buf *b, size_t n)
{
    if (n >= b->len) {
        b->len = 0;
    } else {
        memmove(b->data, b->data + n, b->len - n);
        b->len -= n;
    }
    if (b->data)
        b->data[b->len] = '\0';
}

void t4__buf_free(t4__buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

char *t4__vformat(size_t *len, const char *fmt, va_list ap)
{
    t4__buf b = {0};
    if (!fmt || t4__buf_vappendf(&b, fmt, ap) != 0 || t4__buf_reserve(&b, 0) != 0) {
        t4__buf_free(&b);
        return NULL;
    }
    *len = b.len;
    return b.data;
}
