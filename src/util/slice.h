/* SPDX-License-Identifier: MIT */
/* A borrowed byte range: the zero-copy currency of the parsers. */
#ifndef T4_UTIL_SLICE_H
#define T4_UTIL_SLICE_H
#include <stddef.h>
#include <string.h>

typedef struct {
    const char *p;
    size_t n;
} t4__slice;

static inline int t4__slice_eq(t4__slice s, const char *lit)
{
    size_t n = strlen(lit);
    return s.n == n && memcmp(s.p, lit, n) == 0;
}
#endif
