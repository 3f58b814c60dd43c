/* SPDX-License-Identifier: MIT */
/* FROND filters on sequences and mappings (PHP array semantics). */
#include "frond/filters.h"

#include <stdlib.h>
#include <string.h>

FILTER(t4__ff_length)
{
    if (json_is_array(in) || json_is_object(in)) {
        *out = json_integer((json_int_t)t4__fv_count(in));
    } else if (json_is_null(in)) {
        *out = json_integer(0);
    } else {
        size_t n;
        char *s = t4__ff_str(in, &n);
        if (!s) {
            return t4__ff_nomem(st, e);
        }
        *out = json_integer((json_int_t)t4__futf8_len(s, n));
        free(s);
    }
    return 0;
}

typedef struct {
    t4__fbuf *b;
    const char *glue, *last;
    size_t n;
} join_ud;

static int join_item(void *ud, const char *key, size_t idx, json_t *v)
{
    join_ud *j = ud;
    if (idx > 0) {
        t4__fbuf_puts(j->b, j->last && idx + 1 == j->n ? j->last : j->glue);
    }
    t4__fv_append(j->b, v);
    return 0;
}

FILTER(t4__ff_join)
{
    char *glue = ARG_SET(0) ? t4__ff_str(a[0], NULL) : strdup("");
    char *last = ARG_SET(1) ? t4__ff_str(a[1], NULL) : NULL;
    t4__fbuf b = {0};
    if (json_is_array(in) || json_is_object(in)) {
        join_ud j = {&b, glue ? glue : "", last, t4__fv_count(in)};
        t4__fv_iterate(in, join_item, &j);
    } else if (json_is_string(in)) {
        t4__fv_append(&b, in);
    }
    free(glue);
    free(last);
    *out = b.oom ? NULL : t4__fv_str_new(b.p ? b.p : "", b.n);
    t4__fbuf_free(&b);
    return *out ? 0 : t4__ff_nomem(st, e);
}

static json_t *nth_value(json_t *in, bool last)
{
    if (json_is_array(in)) {
        size_t n = json_array_size(in);
        return n ? json_array_get(in, last ? n - 1 : 0) : NULL;
    }
    const char *k;
    json_t *v, *r = NULL;
    json_object_foreach(in, k, v)
    {
        r = v;
        if (!last) {
            break;
        }
    }
    return r;
}

static int first_last(t4__frs *st, const t4__fexpr *e, json_t *in, json_t **out, bool last)
{
    if (json_is_array(in) || json_is_object(in)) {
        json_t *v = nth_value(in, last);
        *out = v ? json_incref(v) : json_null();
        return 0;
    }
    if (json_is_string(in)) {
        const char *s = json_string_value(in);
        size_t n = json_string_length(in);
        if (!n) {
            *out = json_string("");
            return 0;
        }
        size_t chars = t4__futf8_len(s, n);
        size_t from = last ? t4__futf8_offset(s, n, chars - 1) : 0;
        size_t to = last ? n : t4__futf8_offset(s, n, 1);
        *out = t4__fv_str_new(s + from, to - from);
        return 0;
    }
    *out = json_incref(in);
    return 0;
}

FILTER(t4__ff_first)
{
    return first_last(st, e, in, out, false);
}

FILTER(t4__ff_last)
{
    return first_last(st, e, in, out, true);
}

FILTER(t4__ff_reverse)
{
    if (json_is_array(in)) {
        json_t *r = json_array();
        for (size_t i = json_array_size(in); i-- > 0;) {
            json_array_append(r, json_array_get(in, i));
        }
        *out = r;
        return 0;
    }
    if (json_is_object(in)) {
        bool preserve = ARG_SET(0) && t4__fv_truthy(a[0]);
        size_t n = json_object_size(in), i = 0;
        const char **keys = calloc(n ? n : 1, sizeof *keys);
        if (!keys) {
            return t4__ff_nomem(st, e);
        }
        const char *k;
        json_t *v;
        json_object_foreach(in, k, v)
        {
            keys[i++] = k;
        }
        t4__fparr pa;
        t4__fparr_init(&pa);
        while (i-- > 0) {
            json_t *item = json_incref(json_object_get(in, keys[i]));
            if (!preserve && t4__fv_int_key(keys[i], NULL)) {
                t4__fparr_append(&pa, item);
            } else {
                t4__fparr_set(&pa, keys[i], item);
            }
        }
        free(keys);
        *out = t4__fparr_finish(&pa);
        return 0;
    }
    size_t n;
    char *s = t4__ff_str(in, &n);
    if (!s) {
        return t4__ff_nomem(st, e);
    }
    t4__fbuf b = {0};
    size_t chars = t4__futf8_len(s, n);
    for (size_t c = chars; c-- > 0;) {
        size_t from = t4__futf8_offset(s, n, c), to = t4__futf8_offset(s, n, c + 1);
        t4__fbuf_put(&b, s + from, to - from);
    }
    free(s);
    *out = b.oom ? NULL : t4__fv_str_new(b.p ? b.p : "", b.n);
    t4__fbuf_free(&b);
    return *out ? 0 : t4__ff_nomem(st, e);
}

typedef struct {
    char *key; /* NULL: list index */
    size_t idx;
    json_t *v;
} kv;

static void merge_sort(kv *v, kv *tmp, size_t n)
{
    if (n < 2) {
        return;
    }
    size_t h = n / 2;
    merge_sort(v, tmp, h);
    merge_sort(v + h, tmp, n - h);
    size_t i = 0, j = h, k = 0;
    while (i < h && j < n) {
        tmp[k++] = t4__fv_compare(v[j].v, v[i].v) < 0 ? v[j++] : v[i++];
    }
    while (i < h) {
        tmp[k++] = v[i++];
    }
    while (j < n) {
        tmp[k++] = v[j++];
    }
    memcpy(v, tmp, n * sizeof *v);
}

static int to_pairs(json_t *in, kv **out, size_t *n)
{
    *n = t4__fv_count(in);
    *out = calloc(*n ? *n : 1, sizeof **out);
    if (!*out) {
        return -1;
    }
    if (json_is_array(in)) {
        for (size_t i = 0; i < *n; i++) {
            (*out)[i] = (kv){NULL, i, json_array_get(in, i)};
        }
    } else {
        const char *k;
        json_t *v;
        size_t i = 0;
        json_object_foreach(in, k, v)
        {
            (*out)[i++] = (kv){(char *)k, 0, v};
        }
    }
    return 0;
}

static void put_pair(t4__fparr *pa, const kv *p)
{
    if (p->key) {
        t4__fparr_set(pa, p->key, json_incref(p->v));
    } else {
        char k[32];
        snprintf(k, sizeof k, "%zu", p->idx);
        t4__fparr_set(pa, k, json_incref(p->v));
    }
}

/* asort(): values in order, keys kept. */
FILTER(t4__ff_sort)
{
    if (!json_is_array(in) && !json_is_object(in)) {
        return t4__frs_error(st, e->line, e->col, "the sort filter only works with arrays");
    }
    kv *v, *tmp;
    size_t n;
    if (to_pairs(in, &v, &n)) {
        return t4__ff_nomem(st, e);
    }
    tmp = calloc(n ? n : 1, sizeof *tmp);
    if (!tmp) {
        free(v);
        return t4__ff_nomem(st, e);
    }
    merge_sort(v, tmp, n);
    t4__fparr pa;
    t4__fparr_init(&pa);
    for (size_t i = 0; i < n; i++) {
        put_pair(&pa, &v[i]);
    }
    free(v);
    free(tmp);
    *out = t4__fparr_finish(&pa);
    return 0;
}

FILTER(t4__ff_keys)
{
    json_t *r = json_array();
    if (json_is_array(in)) {
        for (size_t i = 0; i < json_array_size(in); i++) {
            json_array_append_new(r, json_integer((json_int_t)i));
        }
    } else if (json_is_object(in)) {
        const char *k;
        json_t *v;
        json_object_foreach(in, k, v)
        {
            long long ik;
            json_array_append_new(r, t4__fv_int_key(k, &ik) ? json_integer(ik) : json_string(k));
        }
    }
    *out = r;
    return 0;
}

FILTER(t4__ff_slice)
{
    long long start = ARG_SET(0) ? t4__fv_to_int(a[0]) : 0;
    bool has_len = ARG_SET(1);
    long long len = has_len ? t4__fv_to_int(a[1]) : 0;
    bool preserve = ARG_SET(2) && t4__fv_truthy(a[2]);
    bool seq = json_is_array(in) || json_is_object(in);
    size_t n = 0;
    char *s = NULL;
    if (seq) {
        n = t4__fv_count(in);
    } else {
        s = t4__ff_str(in, &n);
        if (!s) {
            return t4__ff_nomem(st, e);
        }
        n = t4__futf8_len(s, n);
    }
    long long N = (long long)n;
    if (start < 0) {
        start = N + start < 0 ? 0 : N + start;
    }
    if (start > N) {
        start = N;
    }
    long long end = !has_len ? N : len < 0 ? N + len : start + len;
    if (end > N) {
        end = N;
    }
    if (end < start) {
        end = start;
    }
    if (!seq) {
        size_t bytes = strlen(s);
        size_t from = t4__futf8_offset(s, bytes, (size_t)start), to = t4__futf8_offset(s, bytes, (size_t)end);
        *out = t4__fv_str_new(s + from, to - from);
        free(s);
        return 0;
    }
    kv *v;
    if (to_pairs(in, &v, &n)) {
        return t4__ff_nomem(st, e);
    }
    t4__fparr pa;
    t4__fparr_init(&pa);
    for (long long i = start; i < end; i++) {
        const kv *p = &v[i];
        if (preserve || (p->key && !t4__fv_int_key(p->key, NULL))) {
            put_pair(&pa, p);
        } else {
            t4__fparr_append(&pa, json_incref(p->v));
        }
    }
    free(v);
    *out = t4__fparr_finish(&pa);
    return 0;
}

/* array_merge(): integer keys are renumbered, string keys overwrite. */
FILTER(t4__ff_merge)
{
    json_t *b = ARG(0);
    if (!(json_is_array(in) || json_is_object(in)) || !b || !(json_is_array(b) || json_is_object(b))) {
        return t4__frs_error(st, e->line, e->col, "the merge filter only works with arrays or mappings");
    }
    if (t4__fv_count(in) + t4__fv_count(b) > T4F_MAX_ITEMS) {
        return t4__frs_error(st, e->line, e->col, "merge would give more than %d items (the limit)",
                             T4F_MAX_ITEMS);
    }
    t4__fparr pa;
    t4__fparr_init(&pa);
    json_t *src[2] = {in, b};
    for (int s = 0; s < 2; s++) {
        kv *v;
        size_t n;
        if (to_pairs(src[s], &v, &n)) {
            json_decref(pa.obj);
            return t4__ff_nomem(st, e);
        }
        for (size_t i = 0; i < n; i++) {
            if (!v[i].key || t4__fv_int_key(v[i].key, NULL)) {
                t4__fparr_append(&pa, json_incref(v[i].v));
            } else {
                t4__fparr_set(&pa, v[i].key, json_incref(v[i].v));
            }
        }
        free(v);
    }
    *out = t4__fparr_finish(&pa);
    return 0;
}

FILTER(t4__ff_batch)
{
    long long size = ARG(0) ? t4__fv_to_int(a[0]) : 0;
    if (size < 1) {
        return t4__frs_error(st, e->line, e->col, "the batch size must be at least 1");
    }
    bool fill = ARG_SET(1);
    if (t4__fv_too_deep(in, T4F_MAX_DEPTH - 1)) {
        return t4__frs_error(st, e->line, e->col, "value nested more than %d levels deep (the limit)",
                             T4F_MAX_DEPTH);
    }
    if (fill && size > T4F_MAX_ITEMS) {
        return t4__frs_error(st, e->line, e->col, "the batch size must be at most %d to fill", T4F_MAX_ITEMS);
    }
    bool preserve = !(ARG(2) && !t4__fv_truthy(a[2]));
    kv *v;
    size_t n;
    if (!json_is_array(in) && !json_is_object(in)) {
        *out = json_array();
        return 0;
    }
    if (to_pairs(in, &v, &n)) {
        return t4__ff_nomem(st, e);
    }
    json_t *r = json_array();
    for (size_t i = 0; i < n; i += (size_t)size) {
        t4__fparr pa;
        t4__fparr_init(&pa);
        size_t end = i + (size_t)size < n ? i + (size_t)size : n;
        for (size_t k = i; k < end; k++) {
            if (preserve) {
                put_pair(&pa, &v[k]);
            } else {
                t4__fparr_append(&pa, json_incref(v[k].v));
            }
        }
        if (fill) {
            for (size_t k = end; k < i + (size_t)size; k++) {
                t4__fparr_append(&pa, json_incref(a[1]));
            }
        }
        json_array_append_new(r, t4__fparr_finish(&pa));
    }
    free(v);
    *out = r;
    return 0;
}
