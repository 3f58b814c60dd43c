/* SPDX-License-Identifier: MIT */
/* Parser state shared by parser.c (tags) and expr.c (expressions). */
#ifndef T4_FROND_PARSE_H
#define T4_FROND_PARSE_H
#include "frond/internal.h"

typedef struct {
    const char *name;
    t4__ftoks *t;
    size_t i;
    char **err;
    t4__ftpl *tpl;
    t4__fesc esc;      /* current autoescape strategy */
    char **from_names; /* callables imported with {% from %} */
    size_t nfrom;
    int block_depth;
    int depth;        /* nesting guard */
    size_t nodes;     /* tree nodes made so far (tags, text, expression parts) */
    size_t max_nodes; /* TINA4_TEMPLATE_MAX_NODES */
    bool over;        /* max_nodes passed: that error is the one reported */
} t4__fp;

/* Arrays of the tree grow by doubling without storing a capacity: one of n
 * items has room for the next unless n is 0 or a power of two (growing one
 * slot at a time costs O(n^2) copies on a 100000-item array). */
static inline size_t t4__fp_grow(size_t n)
{
    return (n & (n - 1)) == 0 ? (n ? 2 * n : 1) : 0;
}

t4__ftok *t4__fp_tok(t4__fp *p);
bool t4__fp_is(t4__fp *p, t4__ftok_type type, const char *s);
bool t4__fp_accept(t4__fp *p, t4__ftok_type type, const char *s);
int t4__fp_expect(t4__fp *p, t4__ftok_type type, const char *s);
int t4__fp_fail(t4__fp *p, const t4__ftok *at, const char *fmt, ...) T4__PRINTF(3, 4);
int t4__fp_unexpected(t4__fp *p);
int t4__fp_expr(t4__fp *p, t4__fexpr **out);
int t4__fp_filter_chain(t4__fp *p, t4__fexpr *base, t4__fexpr **out, bool leading_bar);
/* Counts one more tree node; false (and the error set) past max_nodes. */
bool t4__fp_node(t4__fp *p, const t4__ftok *at);
/* A new expression node, counted; NULL when out of memory or past the
 * node limit (then t4__fp_oom() keeps the limit's error). */
t4__fexpr *t4__fexpr_new(t4__fp *p, t4__fexpr_kind kind, const t4__ftok *at);
int t4__fp_oom(t4__fp *p);

#endif
