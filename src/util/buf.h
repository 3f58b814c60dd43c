/* SPDX-License-Identifier: MIT */
/* A growable byte buffer, always NUL-terminated (cap > len). */
#ifndef T4_UTIL_BUF_H
#define T4_UTIL_BUF_H
#include <stdarg.h>
#include <stddef.h>

typedef struct {
    char *data;
    size_t len;
    size_t cap;
} t4__buf;

/* Ensures room for `extra` more bytes plus the NUL. Returns 0 or -1. */
int t4__buf_reserve(t4__buf *b, size_t extra);
int t4__buf_append(t4__buf *b, const void *p, size_t n);
int t4__buf_appendf(t4__buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int t4__buf_vappendf(t4__buf *b, const char *fmt, va_list ap);
/* Drops the first n bytes. */
void t4__buf_consume(t4__buf *b, size_t n);
void t4__buf_free(t4__buf *b);
/* printf into a new malloc'd string; *len gets its length. NULL on failure. */
char *t4__vformat(size_t *len, const char *fmt, va_list ap);
#endif
