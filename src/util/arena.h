/* SPDX-License-Identifier: MIT */
/*
 * A bump allocator for everything a request needs while its handler runs
 * (decoded strings, params). Reset after each request; the first block is
 * kept, so steady-state requests allocate nothing.
 */
#ifndef T4_UTIL_ARENA_H
#define T4_UTIL_ARENA_H
#include <stddef.h>

typedef struct t4__arena_block t4__arena_block;
typedef struct {
    t4__arena_block *head;
} t4__arena;

void *t4__arena_alloc(t4__arena *a, size_t n);
char *t4__arena_strndup(t4__arena *a, const char *s, size_t n);
void t4__arena_reset(t4__arena *a); /* keeps the first block */
void t4__arena_free(t4__arena *a);
#endif
