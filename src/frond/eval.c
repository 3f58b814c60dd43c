/* SPDX-License-Identifier: MIT */
/* FROND expression evaluation (PHP 8 / Twig 3 semantics). */
#include "frond/internal.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

int t4__frs_error(t4__frs *st, int line, int col, const char *fmt, ...)
{
    if (st->err) { /* keep the innermost error */
        return T4_EINVAL;
    }
    va_list ap;
    va_start(ap, fmt);
    char *msg = t4__fvasprintf(fmt, ap);
    va_end(ap);
    st->err = t4__fasprintf("%s:%d:%d: %s", st->tpl ? st->tpl->name : "?", line, col, msg ? msg : "error");
    free(msg);
    return T4_EINVAL;
}

int t4__frs_nomem(t4__frs *st, int line, int col)
{
    size_t max;
    int limit = t4__fbuf_limit(&max);
    if (limit == T4F_LIMIT_STRING) {
        return t4__frs_error(st, line, col, "string longer than %zu MiB (the limit)", max >> 20);
    }
    if (limit == T4F_LIMIT_BYTES) {
        return t4__frs_error(st, line, col, "the render built more than %zu %s of strings (the limit)",
                             max >= (1u << 20) ? max >> 20 : max, max >= (1u << 20) ? "MiB" : "bytes");
    }
    t4__frs_error(st, line, col, "out of memory");
    return T4_ENOMEM;
}

int t4__frs_charge(t4__frs *st, int line, int col, size_t units)
{
    if (units > (size_t)(st->max_steps - st->steps)) {
        st->steps = st->max_steps;
        return t4__frs_error(st, line, col,
                             "more than %ld steps of work (loop iterations, macro calls, includes, "
                             "array items handled / 16) (the limit)",
                             st->max_steps);
    }
    st->steps += (long)units;
    return 0;
}

int t4__frs_step(t4__frs *st, int line, int col)
{
    return t4__frs_charge(st, line, col, 1);
}

static int too_deep(t4__frs *st, const t4__fexpr *e)
{
    return t4__frs_error(st, e->line, e->col, "value nested more than %d levels deep (the limit)",
                         T4F_MAX_DEPTH);
}

static int nomem(t4__frs *st, const t4__fexpr *e)
{
    return t4__frs_nomem(st, e->line, e->col);
}

void t4__fctx_set(json_t *ctx, const char *name, json_t *v, bool safe)
{
    char mark[256];
    snprintf(mark, sizeof mark, "%c%s", T4F_SAFE_MARK, name);
    if (safe) {
        json_object_set_new(ctx, mark, json_true());
    } else {
        json_object_del(ctx, mark);
    }
    json_object_set_new(ctx, name, v ? v : json_null());
}

static bool ctx_safe(json_t *ctx, const char *name)
{
    char mark[256];
    snprintf(mark, sizeof mark, "%c%s", T4F_SAFE_MARK, name);
    return json_object_get(ctx, mark) != NULL;
}

/* The key of a value used as an array/map key (PHP semantics). */
static char *key_of(const json_t *k)
{
    if (json_is_real(k)) {
        return t4__fasprintf("%lld", t4__fv_to_int(k));
    }
    if (json_is_true(k)) {
        return strdup("1");
    }
    if (json_is_false(k)) {
        return strdup("0");
    }
    return t4__fv_str(k);
}

static json_t *attr_get(json_t *obj, json_t *key)
{
    if (json_is_object(obj)) {
        char *k = key_of(key);
        json_t *v = k ? json_object_get(obj, k) : NULL;
        free(k);
        return v;
    }
    if (json_is_array(obj)) {
        long long i;
        if (json_is_integer(key)) {
            i = json_integer_value(key);
        } else if (json_is_real(key) || json_is_boolean(key)) {
            i = t4__fv_to_int(key);
        } else if (!json_is_string(key) || !t4__fv_int_key(json_string_value(key), &i)) {
            return NULL;
        }
        return i >= 0 ? json_array_get(obj, (size_t)i) : NULL;
    }
    return NULL;
}

static const t4__fimport *find_import(t4__frs *st, const char *alias, bool ns)
{
    for (size_t i = st->nimports; i-- > 0;) {
        t4__fimport *im = &st->imports[i];
        if (im->owner == st->tpl && (im->macro == NULL) == ns && strcmp(im->alias, alias) == 0) {
            return im;
        }
    }
    return NULL;
}

int t4__fin(const json_t *needle, const json_t *hay)
{
    if (json_is_array(hay)) {
        for (size_t i = 0; i < json_array_size(hay); i++) {
            if (t4__fv_loose_eq(needle, json_array_get(hay, i))) {
                return 1;
            }
        }
        return 0;
    }
    if (json_is_object(hay)) {
        const char *k;
        json_t *v;
        json_object_foreach((json_t *)hay, k, v)
        {
            if (t4__fv_loose_eq(needle, v)) {
                return 1;
            }
        }
        return 0;
    }
    if (json_is_string(hay)) {
        if (json_is_array(needle) || json_is_object(needle)) {
            return 0;
        }
        char *n = t4__fv_str(needle);
        int r = n && memmem(json_string_value(hay), json_string_length(hay), n, strlen(n)) != NULL;
        free(n);
        return r;
    }
    return 0;
}

static json_t *num_result_ll(long long v)
{
    return json_integer(v);
}

static int arith(t4__frs *st, const t4__fexpr *e, json_t *a, json_t *b, json_t **out)
{
    bool oka, okb;
    json_t *x = t4__fv_to_number(a, &oka), *y = t4__fv_to_number(b, &okb);
    int rc = 0;
    if (!oka || !okb) {
        json_t *bad = !oka ? a : b;
        if (json_is_array(bad) || json_is_object(bad) || json_is_string(bad)) {
            json_decref(x);
            json_decref(y);
            return t4__frs_error(st, e->line, e->col, "unsupported operand types: %s and %s",
                                 json_is_string(a)    ? "string"
                                 : json_is_integer(a) ? "int"
                                                      : "other",
                                 json_is_string(b)    ? "string"
                                 : json_is_integer(b) ? "int"
                                                      : "other");
        }
    }
    bool ints = json_is_integer(x) && json_is_integer(y);
    long long xi = ints ? json_integer_value(x) : 0, yi = ints ? json_integer_value(y) : 0, r;
    double xd = t4__fv_to_double(x), yd = t4__fv_to_double(y);
    switch (e->op) {
    case OP_ADD:
        *out = ints && !__builtin_add_overflow(xi, yi, &r) ? num_result_ll(r) : json_real(xd + yd);
        break;
    case OP_SUB:
        *out = ints && !__builtin_sub_overflow(xi, yi, &r) ? num_result_ll(r) : json_real(xd - yd);
        break;
    case OP_MUL:
        *out = ints && !__builtin_mul_overflow(xi, yi, &r) ? num_result_ll(r) : json_real(xd * yd);
        break;
    case OP_DIV:
        if (yd == 0) {
            rc = t4__frs_error(st, e->line, e->col, "division by zero");
            break;
        }
        if (ints && !(xi == LLONG_MIN && yi == -1) && xi % yi == 0) {
            *out = json_integer(xi / yi);
        } else {
            *out = json_real(xd / yd);
        }
        break;
    case OP_FDIV:
        if (yd == 0) {
            rc = t4__frs_error(st, e->line, e->col, "division by zero");
            break;
        }
        if (ints && !(xi == LLONG_MIN && yi == -1)) {
            long long q = xi / yi;
            if ((xi % yi != 0) && ((xi < 0) != (yi < 0))) {
                q--;
            }
            *out = json_integer(q);
        } else {
            double q = floor(xd / yd);
            *out = fabs(q) < 9.2e18 ? json_integer((long long)q) : json_real(q);
        }
        break;
    case OP_MOD: {
        long long m = t4__fv_to_int(x), n = t4__fv_to_int(y);
        if (n == 0) {
            rc = t4__frs_error(st, e->line, e->col, "modulo by zero");
            break;
        }
        *out = json_integer(n == -1 ? 0 : m % n);
        break;
    }
    case OP_POW:
        if (ints && yi >= 0) {
            long long acc = 1, base = xi;
            bool ovf = false;
            for (long long k = yi; k > 0 && !ovf; k >>= 1) {
                if (k & 1) {
                    ovf = __builtin_mul_overflow(acc, base, &acc);
                }
                if (k > 1 && !ovf) {
                    ovf = __builtin_mul_overflow(base, base, &base);
                }
            }
            *out = ovf ? json_real(pow(xd, yd)) : json_integer(acc);
        } else {
            *out = json_real(pow(xd, yd));
        }
        break;
    default:
        *out = json_null();
        break;
    }
    json_decref(x);
    json_decref(y);
    if (!rc && !*out) { /* json_real() refuses INF and NAN */
        return t4__frs_error(st, e->line, e->col, "the result is not a finite number");
    }
    return rc;
}

static int binary(t4__frs *st, const t4__fexpr *e, json_t **out, unsigned *flags)
{
    json_t *a = NULL, *b = NULL;
    unsigned fa = 0, fb = 0;
    int rc;
    if (e->op == OP_AND || e->op == OP_OR) {
        if ((rc = t4__frs_eval(st, e->a, &a, &fa))) {
            return rc;
        }
        bool ta = t4__fv_truthy(a);
        json_decref(a);
        if ((e->op == OP_AND && !ta) || (e->op == OP_OR && ta)) {
            *out = json_boolean(ta);
            return 0;
        }
        if ((rc = t4__frs_eval(st, e->b, &b, &fb))) {
            return rc;
        }
        *out = json_boolean(t4__fv_truthy(b));
        json_decref(b);
        return 0;
    }
    if (e->op == OP_COALESCE) {
        if ((rc = t4__frs_eval(st, e->a, &a, &fa))) {
            return rc;
        }
        if (!(fa & T4F_UNDEF) && !json_is_null(a)) {
            *out = a;
            *flags = fa & (T4F_SAFE | T4F_CONST);
            return 0;
        }
        json_decref(a);
        return t4__frs_eval(st, e->b, out, flags);
    }
    if ((rc = t4__frs_eval(st, e->a, &a, &fa)) || (rc = t4__frs_eval(st, e->b, &b, &fb))) {
        json_decref(a);
        return rc;
    }
    switch (e->op) {
    case OP_EQ:
        *out = json_boolean(t4__fv_loose_eq(a, b));
        break;
    case OP_NE:
        *out = json_boolean(!t4__fv_loose_eq(a, b));
        break;
    case OP_LT:
        *out = json_boolean(t4__fv_compare(a, b) < 0);
        break;
    case OP_GT:
        *out = json_boolean(t4__fv_compare(a, b) > 0);
        break;
    case OP_LE:
        *out = json_boolean(t4__fv_compare(a, b) <= 0);
        break;
    case OP_GE:
        *out = json_boolean(t4__fv_compare(a, b) >= 0);
        break;
    case OP_CMP:
        *out = json_integer(t4__fv_compare(a, b));
        break;
    case OP_IN:
    case OP_NOTIN:
        if ((rc = t4__frs_charge(st, e->line, e->col, t4__fv_count(b) / 16))) {
            break;
        }
        *out = json_boolean(t4__fin(a, b) == (e->op == OP_IN));
        break;
    case OP_STARTS:
    case OP_ENDS: {
        bool r = false;
        if (json_is_string(a) && json_is_string(b)) {
            size_t na = json_string_length(a), nb = json_string_length(b);
            const char *sa = json_string_value(a), *sb = json_string_value(b);
            r = nb <= na && memcmp(e->op == OP_STARTS ? sa : sa + na - nb, sb, nb) == 0;
        }
        *out = json_boolean(r);
        break;
    }
    case OP_CONCAT: {
        t4__fbuf buf = {0};
        t4__fv_append(&buf, a);
        t4__fv_append(&buf, b);
        *out = buf.oom ? NULL : t4__fv_str_new(buf.p ? buf.p : "", buf.n);
        t4__fbuf_free(&buf);
        break;
    }
    case OP_RANGE:
        rc = t4__frange(st, e, a, b, NULL, out);
        break;
    default:
        rc = arith(st, e, a, b, out);
        break;
    }
    json_decref(a);
    json_decref(b);
    if (!rc && !*out) {
        return nomem(st, e);
    }
    return rc;
}

static int eval_args(t4__frs *st, const t4__fexpr *e, json_t ***out)
{
    *out = calloc(e->nargs ? e->nargs : 1, sizeof **out);
    if (!*out) {
        return nomem(st, e);
    }
    for (size_t i = 0; i < e->nargs; i++) {
        unsigned f = 0;
        int rc = t4__frs_eval(st, e->args[i], &(*out)[i], &f);
        if (rc) {
            return rc;
        }
    }
    return 0;
}

static void free_args(json_t **args, size_t n)
{
    if (!args) {
        return;
    }
    for (size_t i = 0; i < n; i++) {
        json_decref(args[i]);
    }
    free(args);
}

static int call_fn(t4__frs *st, const t4__fexpr *e, json_t *in, unsigned in_flags, json_t **out,
                   unsigned *flags)
{
    json_t **args = NULL;
    int rc = eval_args(st, e, &args);
    if (!rc) {
        *flags = (in_flags & (T4F_SAFE | T4F_CONST)) ? T4F_IN_SAFE : 0;
        rc = e->fn(st, e, in, args, e->nargs, out, flags);
        *flags &= ~T4F_IN_SAFE;
        if (!rc && !*out) {
            rc = nomem(st, e);
        }
        /* Arrays in and out: the work of sort, merge, range()... */
        size_t items = t4__fv_count(in) + (rc ? 0 : t4__fv_count(*out));
        for (size_t i = 0; i < e->nargs; i++) {
            items += t4__fv_count(args[i]);
        }
        if (!rc && (rc = t4__frs_charge(st, e->line, e->col, items / 16))) {
            json_decref(*out);
            *out = NULL;
        }
    }
    free_args(args, e->nargs);
    return rc;
}

static int eval_filter(t4__frs *st, const t4__fexpr *e, json_t **out, unsigned *flags)
{
    json_t *in = NULL;
    unsigned fin = 0;
    int rc = t4__frs_eval(st, e->a, &in, &fin);
    if (rc) {
        return rc;
    }
    if (strcmp(e->name, "default") == 0) {
        if ((fin & T4F_UNDEF) || t4__ftest_empty(in)) {
            json_decref(in);
            if (e->nargs == 0) {
                *out = json_string("");
                return 0;
            }
            rc = t4__frs_eval(st, e->args[0], out, flags);
            *flags = 0;
            return rc;
        }
        *out = in;
        *flags = 0;
        return 0;
    }
    if (strcmp(e->name, "raw") == 0) {
        *out = in;
        *flags = T4F_SAFE;
        return 0;
    }
    rc = call_fn(st, e, in, fin, out, flags);
    json_decref(in);
    return rc;
}

int t4__frs_eval(t4__frs *st, const t4__fexpr *e, json_t **out, unsigned *flags)
{
    unsigned dummy;
    if (!flags) {
        flags = &dummy;
    }
    *flags = 0;
    *out = NULL;
    int rc = 0;
    switch (e->kind) {
    case E_LIT:
        *out = json_incref(e->lit);
        *flags = T4F_CONST;
        return 0;
    case E_CAPTURED:
        *out = st->captured ? json_incref(st->captured) : json_string("");
        *flags = T4F_SAFE;
        return *out ? 0 : nomem(st, e);
    case E_NAME: {
        if (strcmp(e->name, "_self") == 0) {
            *out = json_string(st->tpl->name);
            return *out ? 0 : nomem(st, e);
        }
        if (strcmp(e->name, "_context") == 0) {
            *out = json_object();
            const char *k;
            json_t *v;
            json_object_foreach(st->ctx, k, v)
            {
                if (k[0] != T4F_SAFE_MARK) {
                    json_object_set(*out, k, v);
                }
            }
            return 0;
        }
        json_t *v = json_object_get(st->ctx, e->name);
        if (!v) {
            *out = json_null();
            *flags = T4F_UNDEF;
            return 0;
        }
        *out = json_incref(v);
        if (ctx_safe(st->ctx, e->name)) {
            *flags = T4F_SAFE;
        }
        return 0;
    }
    case E_ARRAY: {
        json_t *arr = json_array();
        if (!arr) {
            return nomem(st, e);
        }
        for (size_t i = 0; i < e->nargs; i++) {
            json_t *v;
            if ((rc = t4__frs_eval(st, e->args[i], &v, NULL))) {
                json_decref(arr);
                return rc;
            }
            if (t4__fv_too_deep(v, T4F_MAX_DEPTH - 1)) {
                json_decref(v);
                json_decref(arr);
                return too_deep(st, e);
            }
            json_array_append_new(arr, v);
        }
        *out = arr;
        return 0;
    }
    case E_MAP: {
        t4__fparr pa;
        t4__fparr_init(&pa);
        for (size_t i = 0; i + 1 < e->nargs; i += 2) {
            json_t *k, *v;
            if ((rc = t4__frs_eval(st, e->args[i], &k, NULL))) {
                break;
            }
            char *ks = key_of(k);
            json_decref(k);
            if (!ks) {
                rc = nomem(st, e);
                break;
            }
            if ((rc = t4__frs_eval(st, e->args[i + 1], &v, NULL))) {
                free(ks);
                break;
            }
            if (t4__fv_too_deep(v, T4F_MAX_DEPTH - 1)) {
                json_decref(v);
                free(ks);
                rc = too_deep(st, e);
                break;
            }
            t4__fparr_set(&pa, ks, v);
            free(ks);
        }
        if (rc) {
            json_decref(pa.obj);
            return rc;
        }
        *out = t4__fparr_finish(&pa);
        return *out ? 0 : nomem(st, e);
    }
    case E_ATTR: {
        if (e->call && e->a->kind == E_NAME) {
            const t4__fimport *im = find_import(st, e->a->name, true);
            if (im) {
                char *mname = t4__fv_str(e->b->lit);
                rc = mname ? t4__frs_call_macro(st, e, im->target, mname, e->args, e->nargs, out)
                           : nomem(st, e);
                free(mname);
                *flags = T4F_SAFE;
                return rc;
            }
        }
        json_t *obj, *key;
        unsigned fo = 0;
        if ((rc = t4__frs_eval(st, e->a, &obj, &fo))) {
            return rc;
        }
        if ((rc = t4__frs_eval(st, e->b, &key, NULL))) {
            json_decref(obj);
            return rc;
        }
        json_t *v = attr_get(obj, key);
        json_decref(key);
        if (v) {
            *out = json_incref(v);
        } else {
            *out = json_null();
            *flags = T4F_UNDEF;
        }
        json_decref(obj);
        return 0;
    }
    case E_BIN:
        return binary(st, e, out, flags);
    case E_UN: {
        json_t *a;
        if ((rc = t4__frs_eval(st, e->a, &a, NULL))) {
            return rc;
        }
        if (e->op == OP_NOT) {
            *out = json_boolean(!t4__fv_truthy(a));
        } else {
            bool ok;
            json_t *n = t4__fv_to_number(a, &ok);
            if (!ok && json_is_string(a)) {
                json_decref(n);
                json_decref(a);
                return t4__frs_error(st, e->line, e->col, "unsupported operand type for unary minus");
            }
            if (e->op == OP_NEG) {
                if (json_is_integer(n) && json_integer_value(n) != LLONG_MIN) {
                    *out = json_integer(-json_integer_value(n));
                } else {
                    *out = json_real(-t4__fv_to_double(n));
                }
                json_decref(n);
            } else {
                *out = n;
            }
        }
        json_decref(a);
        return *out ? 0 : nomem(st, e);
    }
    case E_COND: {
        json_t *c;
        unsigned fc = 0;
        if ((rc = t4__frs_eval(st, e->a, &c, &fc))) {
            return rc;
        }
        bool t = t4__fv_truthy(c);
        if (t && !e->b) {
            *out = c;
            *flags = fc & (T4F_SAFE | T4F_CONST);
            return 0;
        }
        json_decref(c);
        rc = t4__frs_eval(st, t ? e->b : e->c, out, flags);
        *flags &= ~T4F_UNDEF;
        return rc;
    }
    case E_FILTER:
        return eval_filter(st, e, out, flags);
    case E_TEST: {
        json_t *in;
        unsigned fin = 0;
        if ((rc = t4__frs_eval(st, e->a, &in, &fin))) {
            return rc;
        }
        if (strcmp(e->name, "defined") == 0) {
            *out = json_boolean(!(fin & T4F_UNDEF));
            json_decref(in);
            return 0;
        }
        rc = call_fn(st, e, in, 0, out, flags);
        json_decref(in);
        return rc;
    }
    case E_FUNC:
        if (strcmp(e->name, "parent") == 0) {
            *flags = T4F_SAFE;
            return t4__frs_parent(st, e, out);
        }
        return call_fn(st, e, NULL, 0, out, flags);
    case E_MACRO: {
        const t4__fimport *im = find_import(st, e->name, false);
        if (!im) {
            return t4__frs_error(st, e->line, e->col, "macro '%s' is not imported here", e->name);
        }
        *flags = T4F_SAFE;
        return t4__frs_call_macro(st, e, im->target, im->macro, e->args, e->nargs, out);
    }
    }
    return t4__frs_error(st, e->line, e->col, "bad expression");
}
