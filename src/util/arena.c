/* SPDX-License-Identifier: MIT */
#include "util/arena.h"
#include <stdlib.h>
#include <string.h>

struct t4__arena_block {
    t4__arena_block *next;
    size_t used, cap;
    _Alignas(16) char data[];
};

#define BLOCK 8192

void *t4__arena_alloc(t4__arena *a, size_t n)
{
    n = (n + 15) & ~(size_t)15;
    t4__arena_block *b = a->head;
    if (!b || b->used + n > b->cap) {
        size_t cap = n > BLOCK ? n : BLOCK;
        t4__arena_block *nb = malloc(sizeof *nb + cap);
        if (!nb)
            return NULL;
        nb->used = 0;
        nb->cap = cap;
        nb->next = b;
        a->head = b = nb;
    }
    void *p = b->data + b->used;
    b->used += n;
    return p;
}

char *t4__arena_strndup(t4__arena *a, const char *s, size_t n)
{
    char *p = t4__arena_alloc(a, n + 1);
    if (p) {
        memcpy(p, s, n);
        p[n] = '\0';
    }
    return p;
}

void t4__arena_reset(t4__arena *a)
{
    t4__arena_block *b = a->head;
    if (!b)
        return;
    /* Keep the oldest block (the tail of the list), free the rest. */
    while (b->next) {
        t4__arena_block *next = b->next;
        free(b);
        b = next;
    }
    b->used = 0;
    a->head = b;
}

void t4__arena_free(t4__arena *a)
{
    t4__arena_block *b = a->head;
    while (b) {
        t4__arena_block *next = b->next;
        free(b);
        b = next;
    }
    a->head = NULL;
}
