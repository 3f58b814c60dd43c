/* SPDX-License-Identifier: MIT */
/* Allocation helpers: every allocation in the library goes through these so a
 * failure is handled in one way (the caller gets NULL and answers T4_ENOMEM). */
#ifndef T4_UTIL_MEM_H
#define T4_UTIL_MEM_H
#include <stdlib.h>
#include <string.h>

static inline char *t4__strndup(const char *s, size_t n)
{
    char *p = malloc(n + 1);
    if (p) {
        memcpy(p, s, n);
        p[n] = '\0';
    }
    return p;
}
static inline char *t4__strdup(const char *s)
{
    return t4__strndup(s, strlen(s));
}
#endif
