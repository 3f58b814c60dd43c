/* SPDX-License-Identifier: MIT */
/* FROND functions: range(), parent(), block(), include(), max(), min(),
 * cycle(). */
#include "frond/filters.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int t4__frange(t4__frs *st, const t4__fexpr *e, json_t *lo, json_t *hi, json_t *step, json_t **out)
{
    /* letters: range('a', 'e') */
    if (json_is_string(lo) && json_is_string(hi) && json_string_length(lo) >= 1 &&
        json_string_length(hi) >= 1 &&
        !t4__fv_numeric_str(json_string_value(lo), json_string_length(lo), false, NULL) &&
        !t4__fv_numeric_str(json_string_value(hi), json_string_length(hi), false, NULL)) {
        unsigned char a = (unsigned char)json_string_value(lo)[0],
                      b = (unsigned char)json_string_value(hi)[0];
        /* |step| in 1..256: a larger one gives just the first letter. */
        long long s = step ? t4__fv_to_int(step) : 1;
        s = s < -256 || s > 256 ? 256 : s < 0 ? -s : s;
        if (s == 0) {
            s = 1;
        }
        json_t *r = json_array();
        if (a <= b) {
            for (int c = a; c <= b; c += (int)s) {
                char ch = (char)c;
                json_array_append_new(r, json_stringn_nocheck(&ch, 1));
            }
        } else {
            for (int c = a; c >= b; c -= (int)s) {
                char ch = (char)c;
                json_array_append_new(r, json_stringn_nocheck(&ch, 1));
            }
        }
        *out = r;
        return 0;
    }
    json_t *x = t4__fv_to_number(lo, NULL), *y = t4__fv_to_number(hi, NULL);
    json_t *z = step ? t4__fv_to_number(step, NULL) : json_integer(1);
    bool ints = json_is_integer(x) && json_is_integer(y) && json_is_integer(z);
    long long ia = ints ? json_integer_value(x) : 0, ib = ints ? json_integer_value(y) : 0,
              is = ints ? json_integer_value(z) : 0;
    double a = t4__fv_to_double(x), b = t4__fv_to_double(y), s = fabs(t4__fv_to_double(z));
    json_decref(x);
    json_decref(y);
    json_decref(z);
    if (s == 0) {
        return t4__frs_error(st, e->line, e->col, "range() step exceeds the specified range");
    }
    if (!isfinite(a) || !isfinite(b) || !isfinite(s)) {
        return t4__frs_error(st, e->line, e->col, "range() needs finite numbers");
    }
    /* Integers are counted in integers (unsigned: no overflow): as doubles,
     * the ends near +-2^63 would lose their last digits. */
    unsigned long long ua = (unsigned long long)ia, ub = (unsigned long long)ib;
    unsigned long long us = is < 0 ? 0ULL - (unsigned long long)is : (unsigned long long)is;
    unsigned long long span = ia <= ib ? ub - ua : ua - ub;
    if (ints ? span / us > T4F_MAX_ITEMS : !(fabs(b - a) / s <= T4F_MAX_ITEMS)) {
        return t4__frs_error(st, e->line, e->col, "range() is too large (more than %d items)", T4F_MAX_ITEMS);
    }
    long long n = ints ? (long long)(span / us) : (long long)floor(fabs(b - a) / s + 1e-9);
    int rc = t4__frs_charge(st, e->line, e->col, (size_t)n / 16);
    if (rc) {
        return rc;
    }
    json_t *r = json_array();
    for (long long i = 0; i <= n; i++) {
        if (ints) { /* within [ia, ib]: the unsigned sum converts back exactly */
            unsigned long long d = (unsigned long long)i * us;
            json_array_append_new(r, json_integer((long long)(ia <= ib ? ua + d : ua - d)));
        } else {
            json_array_append_new(r, json_real(a <= b ? a + (double)i * s : a - (double)i * s));
        }
    }
    *out = r;
    return 0;
}

static FILTER(f_range)
{
    if (na < 2) {
        return t4__frs_error(st, e->line, e->col, "range() needs a low and a high value");
    }
    return t4__frange(st, e, a[0], a[1], na > 2 ? a[2] : NULL, out);
}

static FILTER(f_parent)
{
    return t4__frs_parent(st, e, out); /* eval.c calls it directly */
}

static FILTER(f_block)
{
    if (na < 1) {
        return t4__frs_error(st, e->line, e->col, "block() needs a block name");
    }
    char *name = t4__fv_str(a[0]);
    if (!name) {
        return t4__ff_nomem(st, e);
    }
    int rc = t4__frs_block(st, e, name, out);
    free(name);
    *fl = T4F_SAFE;
    return rc;
}

/* include(template, variables = {}, with_context = true, ignore_missing = false) */
static FILTER(f_include)
{
    if (na < 1) {
        return t4__frs_error(st, e->line, e->col, "include() needs a template name");
    }
    t4__fbuf buf = {0}, *saved = st->out;
    st->out = &buf;
    bool only = na > 2 && !t4__fv_truthy(a[2]);
    bool ignore = na > 3 && t4__fv_truthy(a[3]);
    int rc = t4__frs_include(st, e, a[0], na > 1 ? a[1] : NULL, only, ignore);
    st->out = saved;
    *out = rc || buf.oom ? NULL : t4__fv_str_new(buf.p ? buf.p : "", buf.n);
    t4__fbuf_free(&buf);
    *fl = T4F_SAFE;
    return rc ? rc : *out ? 0 : t4__ff_nomem(st, e);
}

static int minmax(t4__frs *st, const t4__fexpr *e, json_t **a, size_t na, json_t **out, int sign)
{
    json_t *best = NULL;
    if (na == 1 && (json_is_array(a[0]) || json_is_object(a[0]))) {
        size_t idx;
        json_t *v;
        const char *k;
        if (json_is_array(a[0])) {
            json_array_foreach(a[0], idx, v)
            {
                if (!best || t4__fv_compare(v, best) * sign > 0) {
                    best = v;
                }
            }
        } else {
            json_object_foreach(a[0], k, v)
            {
                if (!best || t4__fv_compare(v, best) * sign > 0) {
                    best = v;
                }
            }
        }
    } else {
        for (size_t i = 0; i < na; i++) {
            if (!best || t4__fv_compare(a[i], best) * sign > 0) {
                best = a[i];
            }
        }
    }
    if (!best) {
        return t4__frs_error(st, e->line, e->col, "%s() needs at least one value", sign > 0 ? "max" : "min");
    }
    *out = json_incref(best);
    return 0;
}

static FILTER(f_max)
{
    return minmax(st, e, a, na, out, 1);
}

static FILTER(f_min)
{
    return minmax(st, e, a, na, out, -1);
}

static FILTER(f_cycle)
{
    if (na < 2 || !json_is_array(a[0]) || json_array_size(a[0]) == 0) {
        return t4__frs_error(st, e->line, e->col, "cycle() needs a non-empty sequence and a position");
    }
    long long n = (long long)json_array_size(a[0]), pos = t4__fv_to_int(a[1]) % n;
    if (pos < 0) {
        pos += n;
    }
    *out = json_incref(json_array_get(a[0], (size_t)pos));
    return 0;
}

static const struct {
    const char *name;
    t4__ffn fn;
} funcs[] = {
    {"range", f_range}, {"parent", f_parent}, {"block", f_block}, {"include", f_include},
    {"max", f_max},     {"min", f_min},       {"cycle", f_cycle},
};

t4__ffn t4__ffunc_find(const char *name)
{
    for (size_t i = 0; i < sizeof funcs / sizeof *funcs; i++) {
        if (strcmp(funcs[i].name, name) == 0) {
            return funcs[i].fn;
        }
    }
    return NULL;
}
