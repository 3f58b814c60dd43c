/* SPDX-License-Identifier: MIT */
/* FROND values: jansson values with PHP/Twig semantics (string conversion,
 * truthiness, loose comparison, numeric strings, PHP arrays, json_encode). */
#include "frond/internal.h"

#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

json_t *t4__fv_str_new(const char *s, size_t n)
{
    json_t *j = json_stringn_nocheck(s, n);
    return j;
}

bool t4__fv_truthy(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_NULL:
    case JSON_FALSE:
        return false;
    case JSON_TRUE:
        return true;
    case JSON_INTEGER:
        return json_integer_value(v) != 0;
    case JSON_REAL:
        return json_real_value(v) != 0.0;
    case JSON_STRING: {
        size_t n = json_string_length(v);
        return !(n == 0 || (n == 1 && json_string_value(v)[0] == '0'));
    }
    case JSON_ARRAY:
        return json_array_size(v) > 0;
    case JSON_OBJECT:
        return json_object_size(v) > 0;
    }
    return false;
}

/* PHP's float to string with `precision` significant digits (14 for echo,
 * 17 for var_export); -1 means the shortest round-trip form. */
void t4__fv_float(t4__fbuf *b, double d, int precision)
{
    if (isnan(d)) {
        t4__fbuf_puts(b, "NAN");
        return;
    }
    if (isinf(d)) {
        t4__fbuf_puts(b, d < 0 ? "-INF" : "INF");
        return;
    }
    if (d == 0) {
        t4__fbuf_puts(b, signbit(d) ? "-0" : "0");
        return;
    }
    char tmp[64];
    int prec = precision;
    if (prec < 0) {
        for (prec = 1; prec < 17; prec++) {
            snprintf(tmp, sizeof tmp, "%.*e", prec - 1, d);
            if (strtod(tmp, NULL) == d) {
                break;
            }
        }
    }
    snprintf(tmp, sizeof tmp, "%.*e", prec - 1, d);
    /* tmp: [-]D.DDDDe[+-]XX */
    char digits[40];
    size_t nd = 0;
    const char *s = tmp;
    bool neg = false;
    if (*s == '-') {
        neg = true;
        s++;
    }
    for (; *s && *s != 'e'; s++) {
        if (*s != '.') {
            digits[nd++] = *s;
        }
    }
    int exp10 = atoi(s + 1);
    while (nd > 1 && digits[nd - 1] == '0') {
        nd--;
    }
    digits[nd] = '\0';
    if (neg) {
        t4__fbuf_putc(b, '-');
    }
    if (exp10 < -4 || exp10 >= (precision < 0 ? 17 : prec)) {
        t4__fbuf_putc(b, digits[0]);
        t4__fbuf_putc(b, '.');
        if (nd > 1) {
            t4__fbuf_put(b, digits + 1, nd - 1);
        } else {
            t4__fbuf_putc(b, '0');
        }
        t4__fbuf_printf(b, "E%c%d", exp10 < 0 ? '-' : '+', exp10 < 0 ? -exp10 : exp10);
        return;
    }
    if (exp10 < 0) {
        t4__fbuf_puts(b, "0.");
        for (int i = -1; i > exp10; i--) {
            t4__fbuf_putc(b, '0');
        }
        t4__fbuf_put(b, digits, nd);
        return;
    }
    size_t ip = (size_t)exp10 + 1;
    for (size_t i = 0; i < ip; i++) {
        t4__fbuf_putc(b, i < nd ? digits[i] : '0');
    }
    if (nd > ip) {
        t4__fbuf_putc(b, '.');
        t4__fbuf_put(b, digits + ip, nd - ip);
    }
}

void t4__fv_append(t4__fbuf *b, const json_t *v)
{
    if (!v) { /* e.g. a missing array item: nothing, like null */
        return;
    }
    switch (json_typeof(v)) {
    case JSON_NULL:
    case JSON_FALSE:
        break;
    case JSON_TRUE:
        t4__fbuf_putc(b, '1');
        break;
    case JSON_INTEGER:
        t4__fbuf_printf(b, "%lld", (long long)json_integer_value(v));
        break;
    case JSON_REAL:
        t4__fv_float(b, json_real_value(v), 14);
        break;
    case JSON_STRING:
        t4__fbuf_put(b, json_string_value(v), json_string_length(v));
        break;
    case JSON_ARRAY:
    case JSON_OBJECT:
        t4__fbuf_puts(b, "Array");
        break;
    }
}

char *t4__fv_str(const json_t *v)
{
    t4__fbuf b = {0};
    t4__fv_append(&b, v);
    return t4__fbuf_take(&b);
}

/* PHP 8 numeric strings: [ws][+-](digits[.digits]|.digits)([eE][+-]digits)[ws].
 * allow_trailing: a leading-numeric string ("12abc") counts too. */
bool t4__fv_numeric_str(const char *s, size_t n, bool allow_trailing, json_t **num)
{
    size_t i = 0;
    while (i < n &&
           (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r' || s[i] == '\v' || s[i] == '\f')) {
        i++;
    }
    size_t start = i;
    if (i < n && (s[i] == '+' || s[i] == '-')) {
        i++;
    }
    size_t digits = 0;
    bool is_float = false;
    while (i < n && s[i] >= '0' && s[i] <= '9') {
        i++;
        digits++;
    }
    if (i < n && s[i] == '.') {
        size_t j = i + 1, frac = 0;
        while (j < n && s[j] >= '0' && s[j] <= '9') {
            j++;
            frac++;
        }
        if (digits || frac) {
            is_float = true;
            i = j;
            digits += frac;
        }
    }
    if (!digits) {
        return false;
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        size_t j = i + 1;
        if (j < n && (s[j] == '+' || s[j] == '-')) {
            j++;
        }
        if (j < n && s[j] >= '0' && s[j] <= '9') {
            while (j < n && s[j] >= '0' && s[j] <= '9') {
                j++;
            }
            is_float = true;
            i = j;
        }
    }
    size_t end = i;
    while (i < n &&
           (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r' || s[i] == '\v' || s[i] == '\f')) {
        i++;
    }
    if (i != n && !allow_trailing) {
        return false;
    }
    if (num) {
        char buf[128];
        size_t len = end - start < sizeof buf - 1 ? end - start : sizeof buf - 1;
        memcpy(buf, s + start, len);
        buf[len] = '\0';
        errno = 0;
        long long v = is_float ? 0 : strtoll(buf, NULL, 10);
        if (is_float || errno == ERANGE) {
            /* "1e999": JSON has no INF, so the largest finite number */
            double d = strtod(buf, NULL);
            *num = json_real(isfinite(d) ? d : d > 0 ? DBL_MAX : -DBL_MAX);
        } else {
            *num = json_integer(v);
        }
    }
    return true;
}

/* Number for arithmetic; *ok false when a string is not numeric at all. */
json_t *t4__fv_to_number(const json_t *v, bool *ok)
{
    if (ok) {
        *ok = true;
    }
    switch (json_typeof(v)) {
    case JSON_INTEGER:
    case JSON_REAL:
        return json_copy((json_t *)v);
    case JSON_TRUE:
        return json_integer(1);
    case JSON_STRING: {
        json_t *n = NULL;
        if (t4__fv_numeric_str(json_string_value(v), json_string_length(v), true, &n)) {
            return n;
        }
        if (ok) {
            *ok = false;
        }
        return json_integer(0);
    }
    case JSON_ARRAY:
    case JSON_OBJECT:
        if (ok) {
            *ok = false;
        }
        return json_integer(t4__fv_count(v) ? 1 : 0);
    default:
        return json_integer(0);
    }
}

double t4__fv_to_double(const json_t *v)
{
    json_t *n = t4__fv_to_number(v, NULL);
    double d = json_is_integer(n) ? (double)json_integer_value(n) : json_real_value(n);
    json_decref(n);
    return d;
}

long long t4__fv_to_int(const json_t *v)
{
    json_t *n = t4__fv_to_number(v, NULL);
    long long r;
    if (json_is_integer(n)) {
        r = json_integer_value(n);
    } else {
        double d = json_real_value(n);
        /* out of range (NaN included) is 0; the bounds are -2^63 and 2^63 */
        r = d >= -9223372036854775808.0 && d < 9223372036854775808.0 ? (long long)d : 0;
    }
    json_decref(n);
    return r;
}

bool t4__fv_too_deep(const json_t *v, int levels)
{
    if (!json_is_array(v) && !json_is_object(v)) {
        return false;
    }
    if (levels <= 0) {
        return true;
    }
    if (json_is_array(v)) {
        for (size_t i = 0; i < json_array_size(v); i++) {
            if (t4__fv_too_deep(json_array_get(v, i), levels - 1)) {
                return true;
            }
        }
        return false;
    }
    const char *k;
    json_t *x;
    json_object_foreach((json_t *)v, k, x)
    {
        if (t4__fv_too_deep(x, levels - 1)) {
            return true;
        }
    }
    return false;
}

size_t t4__fv_count(const json_t *v)
{
    if (json_is_array(v)) {
        return json_array_size(v);
    }
    if (json_is_object(v)) {
        return json_object_size(v);
    }
    return 0;
}

bool t4__fv_int_key(const char *k, long long *out)
{
    const char *s = k;
    if (*s == '-') {
        s++;
    }
    if (!*s || (*s == '0' && s[1]) || (k[0] == '-' && *s == '0')) {
        return false;
    }
    for (const char *c = s; *c; c++) {
        if (*c < '0' || *c > '9') {
            return false;
        }
    }
    if (strlen(s) > 18) {
        return false;
    }
    if (out) {
        *out = strtoll(k, NULL, 10);
    }
    return true;
}

bool t4__fv_is_list_obj(const json_t *o)
{
    const char *k;
    json_t *v;
    long long i = 0, got;
    json_object_foreach((json_t *)o, k, v)
    {
        if (!t4__fv_int_key(k, &got) || got != i) {
            return false;
        }
        i++;
    }
    return true;
}

static int cmp_num(double a, double b)
{
    return a < b ? -1 : a > b ? 1 : 0;
}

static bool is_num(const json_t *v)
{
    return json_is_integer(v) || json_is_real(v);
}

static int cmp_numbers(const json_t *a, const json_t *b)
{
    if (json_is_integer(a) && json_is_integer(b)) {
        long long x = json_integer_value(a), y = json_integer_value(b);
        return x < y ? -1 : x > y ? 1 : 0;
    }
    return cmp_num(t4__fv_to_double(a), t4__fv_to_double(b));
}

static int cmp_str(const json_t *a, const json_t *b)
{
    size_t na = json_string_length(a), nb = json_string_length(b);
    int c = memcmp(json_string_value(a), json_string_value(b), na < nb ? na : nb);
    if (c == 0) {
        c = na < nb ? -1 : na > nb ? 1 : 0;
    }
    return c < 0 ? -1 : c > 0 ? 1 : 0;
}

/* PHP 8 <=> (loose). */
int t4__fv_compare(const json_t *a, const json_t *b)
{
    bool bool_a = json_is_boolean(a) || json_is_null(a), bool_b = json_is_boolean(b) || json_is_null(b);
    if (json_is_null(a) && json_is_string(b)) {
        return json_string_length(b) ? -1 : 0;
    }
    if (json_is_null(b) && json_is_string(a)) {
        return json_string_length(a) ? 1 : 0;
    }
    if (bool_a || bool_b) {
        int x = t4__fv_truthy(a), y = t4__fv_truthy(b);
        return x - y;
    }
    if (is_num(a) && is_num(b)) {
        return cmp_numbers(a, b);
    }
    if (json_is_string(a) && json_is_string(b)) {
        json_t *x = NULL, *y = NULL;
        int r;
        if (t4__fv_numeric_str(json_string_value(a), json_string_length(a), false, &x) &&
            t4__fv_numeric_str(json_string_value(b), json_string_length(b), false, &y)) {
            r = cmp_numbers(x, y);
        } else {
            r = cmp_str(a, b);
        }
        json_decref(x);
        json_decref(y);
        return r;
    }
    if ((is_num(a) && json_is_string(b)) || (json_is_string(a) && is_num(b))) {
        const json_t *s = json_is_string(a) ? a : b;
        json_t *n = NULL;
        int r;
        if (t4__fv_numeric_str(json_string_value(s), json_string_length(s), false, &n)) {
            r = json_is_string(a) ? cmp_numbers(n, b) : cmp_numbers(a, n);
        } else {
            char *ns = t4__fv_str(json_is_string(a) ? b : a);
            json_t *nj = json_string_nocheck(ns ? ns : "");
            r = json_is_string(a) ? cmp_str(a, nj) : cmp_str(nj, b);
            json_decref(nj);
            free(ns);
        }
        json_decref(n);
        return r;
    }
    bool arr_a = json_is_array(a) || json_is_object(a), arr_b = json_is_array(b) || json_is_object(b);
    if (arr_a && arr_b) {
        size_t na = t4__fv_count(a), nb = t4__fv_count(b);
        if (na != nb) {
            return na < nb ? -1 : 1;
        }
        if (json_is_array(a) && json_is_array(b)) {
            for (size_t i = 0; i < na; i++) {
                int r = t4__fv_compare(json_array_get(a, i), json_array_get(b, i));
                if (r) {
                    return r;
                }
            }
            return 0;
        }
        return json_equal((json_t *)a, (json_t *)b) ? 0 : 1;
    }
    if (arr_a) {
        return 1;
    }
    if (arr_b) {
        return -1;
    }
    return 0;
}

bool t4__fv_loose_eq(const json_t *a, const json_t *b)
{
    if ((json_is_array(a) || json_is_object(a)) && (json_is_array(b) || json_is_object(b))) {
        if (t4__fv_count(a) != t4__fv_count(b)) {
            return false;
        }
        if (json_is_array(a) && json_is_array(b)) {
            for (size_t i = 0; i < json_array_size(a); i++) {
                if (!t4__fv_loose_eq(json_array_get(a, i), json_array_get(b, i))) {
                    return false;
                }
            }
            return true;
        }
        return json_equal((json_t *)a, (json_t *)b);
    }
    if ((json_is_array(a) || json_is_object(a)) != (json_is_array(b) || json_is_object(b)) &&
        !(json_is_null(a) || json_is_boolean(a) || json_is_null(b) || json_is_boolean(b))) {
        return false;
    }
    return t4__fv_compare(a, b) == 0;
}

/* ---- PHP arrays ---- */

void t4__fparr_init(t4__fparr *a)
{
    a->obj = json_object();
    a->next = 0;
    a->list = true;
}

void t4__fparr_append(t4__fparr *a, json_t *v)
{
    char k[32];
    snprintf(k, sizeof k, "%lld", a->next++);
    json_object_set_new(a->obj, k, v);
}

void t4__fparr_set(t4__fparr *a, const char *key, json_t *v)
{
    long long i;
    if (t4__fv_int_key(key, &i)) {
        if (i != a->next || json_object_get(a->obj, key)) {
            a->list = false;
        }
        if (i >= a->next) {
            a->next = i + 1;
        }
    } else {
        a->list = false;
    }
    /* Twig keys are bytes: keep the ones that are not UTF-8 too. */
    json_object_set_new_nocheck(a->obj, key, v);
}

json_t *t4__fparr_finish(t4__fparr *a)
{
    if (!a->obj) {
        return NULL;
    }
    if (!a->list || !t4__fv_is_list_obj(a->obj)) {
        return a->obj;
    }
    json_t *arr = json_array();
    const char *k;
    json_t *v;
    json_object_foreach(a->obj, k, v)
    {
        json_array_append(arr, v);
    }
    json_decref(a->obj);
    a->obj = NULL;
    return arr;
}

int t4__fv_iterate(json_t *seq, t4__fiter_cb cb, void *ud)
{
    if (json_is_array(seq)) {
        for (size_t i = 0; i < json_array_size(seq); i++) {
            int rc = cb(ud, NULL, i, json_array_get(seq, i));
            if (rc) {
                return rc;
            }
        }
    } else if (json_is_object(seq)) {
        const char *k;
        json_t *v;
        size_t i = 0;
        json_object_foreach(seq, k, v)
        {
            int rc = cb(ud, k, i++, v);
            if (rc) {
                return rc;
            }
        }
    }
    return 0;
}

/* ---- json_encode (PHP's default flags: escaped slashes and unicode) ---- */

static void json_str(t4__fbuf *b, const char *s, size_t n)
{
    t4__fbuf_putc(b, '"');
    for (size_t i = 0; i < n;) {
        unsigned cp;
        size_t k = t4__futf8_decode(s + i, n - i, &cp);
        i += k;
        switch (cp) {
        case '"':
            t4__fbuf_puts(b, "\\\"");
            break;
        case '\\':
            t4__fbuf_puts(b, "\\\\");
            break;
        case '/':
            t4__fbuf_puts(b, "\\/");
            break;
        case '\n':
            t4__fbuf_puts(b, "\\n");
            break;
        case '\r':
            t4__fbuf_puts(b, "\\r");
            break;
        case '\t':
            t4__fbuf_puts(b, "\\t");
            break;
        case '\b':
            t4__fbuf_puts(b, "\\b");
            break;
        case '\f':
            t4__fbuf_puts(b, "\\f");
            break;
        default:
            if (cp < 0x20 || (cp >= 0x80 && cp < 0x10000)) {
                t4__fbuf_printf(b, "\\u%04x", cp);
            } else if (cp >= 0x10000) {
                cp -= 0x10000;
                t4__fbuf_printf(b, "\\u%04x\\u%04x", 0xd800 + (cp >> 10), 0xdc00 + (cp & 0x3ff));
            } else {
                t4__fbuf_putc(b, (char)cp);
            }
        }
    }
    t4__fbuf_putc(b, '"');
}

int t4__fv_json_encode(t4__fbuf *b, const json_t *v, long flags)
{
    switch (json_typeof(v)) {
    case JSON_NULL:
        t4__fbuf_puts(b, "null");
        break;
    case JSON_TRUE:
        t4__fbuf_puts(b, "true");
        break;
    case JSON_FALSE:
        t4__fbuf_puts(b, "false");
        break;
    case JSON_INTEGER:
        t4__fbuf_printf(b, "%lld", (long long)json_integer_value(v));
        break;
    case JSON_REAL: {
        double d = json_real_value(v);
        size_t at = b->n;
        t4__fv_float(b, d, -1);
        for (size_t i = at; b->p && i < b->n; i++) { /* PHP: 1.0e+25 */
            if (b->p[i] == 'E') {
                b->p[i] = 'e';
            }
        }
        break;
    }
    case JSON_STRING:
        json_str(b, json_string_value(v), json_string_length(v));
        break;
    case JSON_ARRAY: {
        t4__fbuf_putc(b, '[');
        for (size_t i = 0; i < json_array_size(v); i++) {
            if (i) {
                t4__fbuf_putc(b, ',');
            }
            t4__fv_json_encode(b, json_array_get(v, i), flags);
        }
        t4__fbuf_putc(b, ']');
        break;
    }
    case JSON_OBJECT: {
        bool list = t4__fv_is_list_obj(v);
        t4__fbuf_putc(b, list ? '[' : '{');
        const char *k;
        json_t *item;
        bool first = true;
        json_object_foreach((json_t *)v, k, item)
        {
            if (!first) {
                t4__fbuf_putc(b, ',');
            }
            first = false;
            if (!list) {
                json_str(b, k, strlen(k));
                t4__fbuf_putc(b, ':');
            }
            t4__fv_json_encode(b, item, flags);
        }
        t4__fbuf_putc(b, list ? ']' : '}');
        break;
    }
    }
    return b->oom ? T4_ENOMEM : 0;
}

/* PHP's round(): pre-rounds to 15 significant digits, halves away from 0.
 * places is clamped to -T4F_MAX_PLACES..T4F_MAX_PLACES: a double has no
 * digit outside 10^-308..10^308 worth rounding at (smaller ones round to 0
 * at 308 places), and 10^places stays finite. Like PHP, a result past the
 * largest double gives v unchanged (round(1.7e308, -308) is 1.7e308). */
double t4__fv_php_round(double v, int places)
{
    if (!isfinite(v) || v == 0.0) {
        return v;
    }
    places = places < -T4F_MAX_PLACES ? -T4F_MAX_PLACES : places > T4F_MAX_PLACES ? T4F_MAX_PLACES : places;
    double f = pow(10.0, places < 0 ? -places : places);
    double t = places >= 0 ? v * f : v / f;
    if (!isfinite(t) || fabs(t) >= 1e15) { /* like PHP: no digit left to round */
        return v;
    }
    char buf[64];
    snprintf(buf, sizeof buf, "%.14e", t);
    double r = round(strtod(buf, NULL)); /* C round(): halves away from zero */
    r = places >= 0 ? r / f : r * f;
    return isfinite(r) ? r : v; /* like PHP: past the largest double, v as it is */
}

/* ceil (up) or floor (!up) at `places` decimals, clamped like
 * t4__fv_php_round(). The result is infinite when it passes the largest
 * double (ceil(1.7e308, -308) is 2e308): the caller reports that. */
double t4__fv_round_dir(double v, int places, bool up)
{
    if (!isfinite(v) || v == 0.0) {
        return v;
    }
    places = places < -T4F_MAX_PLACES ? -T4F_MAX_PLACES : places > T4F_MAX_PLACES ? T4F_MAX_PLACES : places;
    double f = pow(10.0, places < 0 ? -places : places);
    double t = places >= 0 ? v * f : v / f;
    if (!isfinite(t) || fabs(t) >= 0x1p52) { /* already a whole number of units */
        return v;
    }
    if (t == 0.0) { /* underflow: a tiny v still rounds away from 0 one way */
        t = copysign(DBL_MIN, v);
    }
    double r = up ? ceil(t) : floor(t);
    return places >= 0 ? r / f : r * f;
}
