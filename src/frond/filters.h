/* SPDX-License-Identifier: MIT */
/* Filter and function implementations shared between the filters_*.c files. */
#ifndef T4_FROND_FILTERS_H
#define T4_FROND_FILTERS_H
#include "frond/internal.h"

#define FILTER(name)                                                                                         \
    int name(t4__frs *st, const t4__fexpr *e, json_t *in, json_t **a, size_t na, json_t **out, unsigned *fl)

#define ARG(i)     ((i) < na ? a[(i)] : NULL)
#define ARG_SET(i) ((i) < na && !json_is_null(a[(i)]))

/* string filters (filters_str.c) */
FILTER(t4__ff_escape);
FILTER(t4__ff_raw);
FILTER(t4__ff_upper);
FILTER(t4__ff_lower);
FILTER(t4__ff_capitalize);
FILTER(t4__ff_title);
FILTER(t4__ff_trim);
FILTER(t4__ff_nl2br);
FILTER(t4__ff_striptags);
FILTER(t4__ff_url_encode);
FILTER(t4__ff_json_encode);
FILTER(t4__ff_replace);
FILTER(t4__ff_split);
FILTER(t4__ff_spaceless);
FILTER(t4__ff_format);
/* collections (filters_arr.c) */
FILTER(t4__ff_length);
FILTER(t4__ff_join);
FILTER(t4__ff_first);
FILTER(t4__ff_last);
FILTER(t4__ff_reverse);
FILTER(t4__ff_sort);
FILTER(t4__ff_keys);
FILTER(t4__ff_slice);
FILTER(t4__ff_merge);
FILTER(t4__ff_batch);
/* numbers and dates (filters_num.c) */
FILTER(t4__ff_round);
FILTER(t4__ff_abs);
FILTER(t4__ff_number_format);
FILTER(t4__ff_date);
FILTER(t4__ff_default);

/* a string made from a value (malloc'd, never NULL unless out of memory) */
char *t4__ff_str(const json_t *v, size_t *len);
int t4__ff_nomem(t4__frs *st, const t4__fexpr *e);
#endif
