/* SPDX-License-Identifier: MIT */
/* FROND number and date filters. */
#include "frond/filters.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* round(precision, method). The precision is clamped to -308..308
 * (T4F_MAX_PLACES): past that a double has no digit left to round, and the
 * clamp keeps 10^precision finite (no NaN from inf / inf or 0 * inf). */
FILTER(t4__ff_round)
{
    long long prec = ARG_SET(0) ? t4__fv_to_int(a[0]) : 0;
    int places = prec < -T4F_MAX_PLACES  ? -T4F_MAX_PLACES
                 : prec > T4F_MAX_PLACES ? T4F_MAX_PLACES
                                         : (int)prec;
    char *method = ARG_SET(1) ? t4__ff_str(a[1], NULL) : strdup("common");
    if (!method) {
        return t4__ff_nomem(st, e);
    }
    double v = t4__fv_to_double(in), r = 0;
    int rc = 0;
    if (strcmp(method, "common") == 0) {
        r = t4__fv_php_round(v, places);
    } else if (strcmp(method, "ceil") == 0 || strcmp(method, "floor") == 0) {
        r = t4__fv_round_dir(v, places, method[0] == 'c');
    } else {
        rc = t4__frs_error(st, e->line, e->col,
                           "the round filter only supports the \"common\", \"ceil\", and \"floor\" methods");
    }
    free(method);
    if (!rc && !isfinite(r)) { /* ceil/floor past the largest double */
        rc = t4__frs_error(st, e->line, e->col, "the result is not a finite number");
    }
    if (!rc) {
        *out = json_real(r);
    }
    return rc;
}

FILTER(t4__ff_abs)
{
    json_t *n = t4__fv_to_number(in, NULL);
    if (json_is_integer(n) && json_integer_value(n) != INT64_MIN) {
        long long x = json_integer_value(n);
        *out = json_integer(x < 0 ? -x : x);
    } else {
        *out = json_real(fabs(t4__fv_to_double(n)));
    }
    json_decref(n);
    return 0;
}

FILTER(t4__ff_number_format)
{
    long long dec = ARG_SET(0) ? t4__fv_to_int(a[0]) : 0;
    char *dp = ARG_SET(1) ? t4__ff_str(a[1], NULL) : strdup(".");
    char *ts = ARG_SET(2) ? t4__ff_str(a[2], NULL) : strdup(",");
    if (!dp || !ts) {
        free(dp);
        free(ts);
        return t4__ff_nomem(st, e);
    }
    if (dec < 0) {
        dec = 0;
    }
    if (dec > 50) {
        dec = 50;
    }
    double v = t4__fv_php_round(t4__fv_to_double(in), (int)dec);
    char num[512];
    snprintf(num, sizeof num, "%.*f", (int)dec, fabs(v));
    bool neg = v < 0;
    if (neg) { /* no "-0" */
        bool zero = true;
        for (char *c = num; *c; c++) {
            if (*c >= '1' && *c <= '9') {
                zero = false;
            }
        }
        neg = !zero;
    }
    char *dot = strchr(num, '.');
    size_t ilen = dot ? (size_t)(dot - num) : strlen(num);
    t4__fbuf b = {0};
    if (neg) {
        t4__fbuf_putc(&b, '-');
    }
    for (size_t i = 0; i < ilen; i++) {
        if (i && (ilen - i) % 3 == 0) {
            t4__fbuf_puts(&b, ts);
        }
        t4__fbuf_putc(&b, num[i]);
    }
    if (dot) {
        t4__fbuf_puts(&b, dp);
        t4__fbuf_puts(&b, dot + 1);
    }
    free(dp);
    free(ts);
    *out = b.oom ? NULL : t4__fv_str_new(b.p ? b.p : "", b.n);
    t4__fbuf_free(&b);
    return *out ? 0 : t4__ff_nomem(st, e);
}

FILTER(t4__ff_date)
{
    time_t t;
    int off;
    if (t4__fdate_parse(in, &t, &off)) {
        char *s = t4__ff_str(in, NULL);
        int rc = t4__frs_error(st, e->line, e->col, "failed to parse date '%s'", s ? s : "");
        free(s);
        return rc;
    }
    char *fmt = ARG_SET(0) ? t4__ff_str(a[0], NULL) : strdup("F j, Y H:i");
    if (!fmt) {
        return t4__ff_nomem(st, e);
    }
    t4__fbuf b = {0};
    t4__fdate_format(&b, fmt, t);
    free(fmt);
    *out = b.oom ? NULL : t4__fv_str_new(b.p ? b.p : "", b.n);
    t4__fbuf_free(&b);
    return *out ? 0 : t4__ff_nomem(st, e);
}
