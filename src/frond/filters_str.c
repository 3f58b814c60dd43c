/* SPDX-License-Identifier: MIT */
/* FROND string filters. */
#include "frond/filters.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int str_out(t4__frs *st, const t4__fexpr *e, t4__fbuf *b, json_t **out)
{
    *out = b->oom ? NULL : t4__fv_str_new(b->p ? b->p : "", b->n);
    t4__fbuf_free(b);
    return *out ? 0 : t4__ff_nomem(st, e);
}

FILTER(t4__ff_escape)
{
    t4__fesc how = ESC_HTML;
    if (ARG_SET(0)) {
        char *s = t4__ff_str(a[0], NULL);
        int bad = !s || t4__fesc_parse(s, &how);
        if (bad) {
            int rc = t4__frs_error(
                st, e->line, e->col,
                "invalid escaping strategy '%s' (valid ones: html, js, url, css, html_attr)", s ? s : "");
            free(s);
            return rc;
        }
        free(s);
    }
    size_t n;
    char *s = t4__ff_str(in, &n);
    if (!s) {
        return t4__ff_nomem(st, e);
    }
    t4__fbuf b = {0};
    t4__fescape(&b, s, n, how);
    free(s);
    *fl = T4F_SAFE;
    return str_out(st, e, &b, out);
}

FILTER(t4__ff_raw)
{
    *out = json_incref(in);
    *fl = T4F_SAFE;
    return 0;
}

enum { CASE_UPPER, CASE_LOWER, CASE_CAPITAL, CASE_TITLE };

static bool is_word_char(unsigned cp)
{
    return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') || (cp >= '0' && cp <= '9') || cp == '\'' ||
           cp >= 0x80;
}

static int change_case(t4__frs *st, const t4__fexpr *e, json_t *in, json_t **out, int mode)
{
    size_t n;
    char *s = t4__ff_str(in, &n);
    if (!s) {
        return t4__ff_nomem(st, e);
    }
    t4__fbuf b = {0};
    unsigned prev = 0;
    bool first = true;
    for (size_t i = 0; i < n;) {
        unsigned cp;
        i += t4__futf8_decode(s + i, n - i, &cp);
        unsigned o;
        switch (mode) {
        case CASE_UPPER:
            o = t4__futf8_upper(cp);
            break;
        case CASE_LOWER:
            o = t4__futf8_lower(cp);
            break;
        case CASE_CAPITAL:
            o = first ? t4__futf8_upper(cp) : t4__futf8_lower(cp);
            break;
        default:
            o = (first || !is_word_char(prev)) ? t4__futf8_upper(cp) : t4__futf8_lower(cp);
            break;
        }
        t4__futf8_put(&b, o);
        prev = cp;
        first = false;
    }
    free(s);
    return str_out(st, e, &b, out);
}

FILTER(t4__ff_upper)
{
    return change_case(st, e, in, out, CASE_UPPER);
}

FILTER(t4__ff_lower)
{
    return change_case(st, e, in, out, CASE_LOWER);
}

FILTER(t4__ff_capitalize)
{
    return change_case(st, e, in, out, CASE_CAPITAL);
}

FILTER(t4__ff_title)
{
    return change_case(st, e, in, out, CASE_TITLE);
}

FILTER(t4__ff_trim)
{
    size_t n;
    char *s = t4__ff_str(in, &n);
    char *chars = ARG_SET(0) ? t4__ff_str(a[0], NULL) : NULL;
    char *side = ARG_SET(1) ? t4__ff_str(a[1], NULL) : NULL;
    static const char ws[] = " \t\n\r\v";
    const char *set = chars ? chars : ws;
    bool with_nul = !chars;
    size_t i = 0, j = n;
    bool left = !side || strcmp(side, "right") != 0, right = !side || strcmp(side, "left") != 0;
    int rc = 0;
    if (side && strcmp(side, "left") && strcmp(side, "right") && strcmp(side, "both")) {
        rc = t4__frs_error(st, e->line, e->col, "trimming side must be \"left\", \"right\" or \"both\"");
    }
    if (!rc && s) {
        while (left && i < j && ((s[i] && strchr(set, s[i])) || (with_nul && !s[i]))) {
            i++;
        }
        while (right && j > i && ((s[j - 1] && strchr(set, s[j - 1])) || (with_nul && !s[j - 1]))) {
            j--;
        }
        *out = t4__fv_str_new(s + i, j - i);
        if (!*out) {
            rc = t4__ff_nomem(st, e);
        }
    } else if (!rc) {
        rc = t4__ff_nomem(st, e);
    }
    free(s);
    free(chars);
    free(side);
    return rc;
}

FILTER(t4__ff_nl2br)
{
    size_t n;
    char *s = t4__ff_str(in, &n);
    if (!s) {
        return t4__ff_nomem(st, e);
    }
    t4__fbuf esc = {0}, b = {0};
    const char *p = s;
    if (!(*fl & T4F_IN_SAFE)) {
        t4__fescape(&esc, s, n, ESC_HTML);
        p = esc.p ? esc.p : "";
        n = esc.n;
    }
    for (size_t i = 0; i < n; i++) {
        if (p[i] == '\r' || p[i] == '\n') {
            t4__fbuf_puts(&b, "<br />");
            t4__fbuf_putc(&b, p[i]);
            if (i + 1 < n && (p[i + 1] == '\r' || p[i + 1] == '\n') && p[i + 1] != p[i]) {
                t4__fbuf_putc(&b, p[++i]);
            }
        } else {
            t4__fbuf_putc(&b, p[i]);
        }
    }
    free(s);
    t4__fbuf_free(&esc);
    *fl = T4F_SAFE;
    return str_out(st, e, &b, out);
}

/* Is the tag at s[0] == '<' one of `allowed` ("<p><br>")? */
static bool tag_allowed(const char *s, size_t n, const char *allowed)
{
    if (!allowed) {
        return false;
    }
    size_t i = 1;
    if (i < n && s[i] == '/') {
        i++;
    }
    char name[64];
    size_t k = 0;
    while (i < n && k < sizeof name - 3 &&
           ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9'))) {
        char c = s[i++];
        name[k++] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
    }
    if (!k) {
        return false;
    }
    char pat[70];
    name[k] = '\0';
    snprintf(pat, sizeof pat, "<%s>", name);
    char *low = strdup(allowed);
    if (!low) {
        return false;
    }
    for (char *c = low; *c; c++) {
        if (*c >= 'A' && *c <= 'Z') {
            *c = (char)(*c + 32);
        }
    }
    bool r = strstr(low, pat) != NULL;
    free(low);
    return r;
}

FILTER(t4__ff_striptags)
{
    size_t n;
    char *s = t4__ff_str(in, &n);
    char *allowed = ARG_SET(0) ? t4__ff_str(a[0], NULL) : NULL;
    if (!s) {
        free(allowed);
        return t4__ff_nomem(st, e);
    }
    t4__fbuf b = {0};
    for (size_t i = 0; i < n;) {
        if (s[i] == '<' && i + 1 < n && !strchr(" \t\n\r", s[i + 1])) {
            size_t j = i + 1;
            char q = 0;
            if (n - i >= 4 && memcmp(s + i, "<!--", 4) == 0) {
                const char *end = memmem(s + i + 4, n - i - 4, "-->", 3);
                j = end ? (size_t)(end - s) + 2 : n - 1;
            } else {
                for (; j < n; j++) {
                    if (q) {
                        if (s[j] == q) {
                            q = 0;
                        }
                    } else if (s[j] == '"' || s[j] == '\'') {
                        q = s[j];
                    } else if (s[j] == '>') {
                        break;
                    }
                }
            }
            size_t end = j < n ? j + 1 : n;
            if (tag_allowed(s + i, end - i, allowed)) {
                t4__fbuf_put(&b, s + i, end - i);
            }
            i = end;
            continue;
        }
        t4__fbuf_putc(&b, s[i++]);
    }
    free(s);
    free(allowed);
    return str_out(st, e, &b, out);
}

static void query(t4__fbuf *b, json_t *v, const char *prefix, bool *first);

/* One entry of url_encode's query string: "prefix[key]=value", nested
 * arrays and maps recursing, nulls skipped (as PHP's http_build_query). */
static void query_entry(t4__fbuf *b, json_t *item, const char *prefix, const char *key, bool *first)
{
    char *full = prefix ? t4__fasprintf("%s[%s]", prefix, key) : strdup(key);
    if (!full) {
        b->oom = true;
        return;
    }
    if (json_is_array(item) || json_is_object(item)) {
        query(b, item, full, first);
    } else if (!json_is_null(item)) {
        if (!*first) {
            t4__fbuf_putc(b, '&');
        }
        *first = false;
        t4__fescape(b, full, strlen(full), ESC_URL);
        t4__fbuf_putc(b, '=');
        char *s = json_is_false(item) ? strdup("0") : t4__fv_str(item);
        if (s) {
            t4__fescape(b, s, strlen(s), ESC_URL);
        }
        free(s);
    }
    free(full);
}

static void query(t4__fbuf *b, json_t *v, const char *prefix, bool *first)
{
    const char *k;
    json_t *item;
    size_t idx;
    if (json_is_array(v)) {
        json_array_foreach(v, idx, item)
        {
            char key[32];
            snprintf(key, sizeof key, "%zu", idx);
            query_entry(b, item, prefix, key, first);
            if (b->oom) {
                return;
            }
        }
        return;
    }
    json_object_foreach(v, k, item)
    {
        query_entry(b, item, prefix, k, first);
        if (b->oom) {
            return;
        }
    }
}

FILTER(t4__ff_url_encode)
{
    t4__fbuf b = {0};
    if (json_is_array(in) || json_is_object(in)) {
        bool first = true;
        query(&b, in, NULL, &first);
    } else {
        size_t n;
        char *s = t4__ff_str(in, &n);
        if (!s) {
            return t4__ff_nomem(st, e);
        }
        t4__fescape(&b, s, n, ESC_URL);
        free(s);
    }
    return str_out(st, e, &b, out);
}

FILTER(t4__ff_json_encode)
{
    t4__fbuf b = {0};
    t4__fv_json_encode(&b, in, ARG_SET(0) ? (long)t4__fv_to_int(a[0]) : 0);
    return str_out(st, e, &b, out);
}

/* strtr(): at each position the longest key wins. */
FILTER(t4__ff_replace)
{
    if (!ARG(0) || !json_is_object(ARG(0))) {
        if (ARG(0) && json_is_array(ARG(0)) && json_array_size(ARG(0)) == 0) {
            *out = json_incref(in);
            return 0;
        }
        return t4__frs_error(st, e->line, e->col, "the replace filter expects a mapping of replacements");
    }
    size_t n;
    char *s = t4__ff_str(in, &n);
    if (!s) {
        return t4__ff_nomem(st, e);
    }
    t4__fbuf b = {0};
    for (size_t i = 0; i < n;) {
        const char *best = NULL, *k;
        size_t best_len = 0;
        json_t *v, *best_v = NULL;
        json_object_foreach(a[0], k, v)
        {
            size_t kl = strlen(k);
            if (kl && kl > best_len && kl <= n - i && memcmp(s + i, k, kl) == 0) {
                best = k;
                best_len = kl;
                best_v = v;
            }
        }
        if (best) {
            t4__fv_append(&b, best_v);
            i += best_len;
        } else {
            t4__fbuf_putc(&b, s[i++]);
        }
    }
    free(s);
    return str_out(st, e, &b, out);
}

FILTER(t4__ff_split)
{
    size_t n, dn;
    char *s = t4__ff_str(in, &n);
    char *d = ARG(0) ? t4__ff_str(a[0], &dn) : strdup("");
    long long limit = ARG_SET(1) ? t4__fv_to_int(a[1]) : 0;
    bool has_limit = ARG_SET(1);
    json_t *arr = json_array();
    if (!s || !d || !arr) {
        free(s);
        free(d);
        json_decref(arr);
        return t4__ff_nomem(st, e);
    }
    if (!d[0]) {
        dn = 0;
        long long size = has_limit && limit > 0 ? limit : 1;
        for (size_t i = 0; i < n;) {
            if (json_array_size(arr) >= T4F_MAX_ITEMS) {
                break;
            }
            size_t j = i + t4__futf8_offset(s + i, n - i, (size_t)size);
            json_array_append_new(arr, t4__fv_str_new(s + i, j - i));
            i = j;
        }
    } else {
        size_t i = 0;
        for (;;) {
            const char *hit = memmem(s + i, n - i, d, dn);
            if (json_array_size(arr) >= T4F_MAX_ITEMS) {
                break;
            }
            if (!hit || (has_limit && limit > 0 && (long long)json_array_size(arr) == limit - 1)) {
                json_array_append_new(arr, t4__fv_str_new(s + i, n - i));
                break;
            }
            json_array_append_new(arr, t4__fv_str_new(s + i, (size_t)(hit - (s + i))));
            i = (size_t)(hit - s) + dn;
        }
        if (has_limit && limit < 0) {
            unsigned long long drop = 0ull - (unsigned long long)limit; /* -limit, LLONG_MIN too */
            for (unsigned long long k = 0; k < drop && json_array_size(arr); k++) {
                json_array_remove(arr, json_array_size(arr) - 1);
            }
        }
    }
    free(s);
    free(d);
    if (json_array_size(arr) >= T4F_MAX_ITEMS) {
        json_decref(arr);
        return t4__frs_error(st, e->line, e->col, "split would give more than %d items (the limit)",
                             T4F_MAX_ITEMS - 1);
    }
    *out = arr;
    return 0;
}

FILTER(t4__ff_spaceless)
{
    size_t n;
    char *s = t4__ff_str(in, &n);
    if (!s) {
        return t4__ff_nomem(st, e);
    }
    t4__fbuf b = {0};
    t4__frs_spaceless(&b, s, n);
    free(s);
    *fl = T4F_SAFE;
    return str_out(st, e, &b, out);
}

/* PHP's sprintf(). */
FILTER(t4__ff_format)
{
    size_t n;
    char *f = t4__ff_str(in, &n);
    if (!f) {
        return t4__ff_nomem(st, e);
    }
    t4__fbuf b = {0};
    size_t next = 0;
    int rc = 0;
    for (size_t i = 0; i < n && !rc; i++) {
        if (f[i] != '%') {
            t4__fbuf_putc(&b, f[i]);
            continue;
        }
        if (++i >= n) {
            break;
        }
        if (f[i] == '%') {
            t4__fbuf_putc(&b, '%');
            continue;
        }
        size_t argi = next, j = i, num = 0;
        while (j < n && f[j] >= '0' && f[j] <= '9') {
            num = num * 10 + (size_t)(f[j++] - '0');
        }
        if (j < n && f[j] == '$' && num > 0) {
            argi = num - 1;
            i = j + 1;
        } else {
            next++;
        }
        bool left = false, plus = false;
        char pad = ' ';
        for (; i < n; i++) {
            if (f[i] == '-') {
                left = true;
            } else if (f[i] == '+') {
                plus = true;
            } else if (f[i] == '0') {
                pad = '0';
            } else if (f[i] == ' ') {
                pad = ' ';
            } else if (f[i] == '\'' && i + 1 < n) {
                pad = f[++i];
            } else {
                break;
            }
        }
        /* Saturated (no overflow); the string limit bounds the padding. */
        int width = 0, prec = -1;
        while (i < n && f[i] >= '0' && f[i] <= '9') {
            width = width < T4F_MAX_ITEMS * 100 ? width * 10 + (f[i] - '0') : width;
            i++;
        }
        if (i < n && f[i] == '.') {
            prec = 0;
            for (i++; i < n && f[i] >= '0' && f[i] <= '9'; i++) {
                prec = prec < T4F_MAX_ITEMS * 100 ? prec * 10 + (f[i] - '0') : prec;
            }
        }
        int fprec = prec < 0 ? 6 : prec > 53 ? 53 : prec; /* PHP's maximum for floats */
        if (i >= n) {
            break;
        }
        char conv = f[i];
        if (argi >= na) {
            rc = t4__frs_error(st, e->line, e->col, "format: too few arguments");
            break;
        }
        json_t *v = a[argi];
        char tmp[512];
        tmp[0] = '\0';
        char *heap = NULL;
        const char *body = tmp;
        switch (conv) {
        case 'd':
        case 'i': {
            long long x = t4__fv_to_int(v);
            snprintf(tmp, sizeof tmp, plus && x >= 0 ? "+%lld" : "%lld", x);
            break;
        }
        case 'u':
            snprintf(tmp, sizeof tmp, "%llu", (unsigned long long)t4__fv_to_int(v));
            break;
        case 'x':
            snprintf(tmp, sizeof tmp, "%llx", (unsigned long long)t4__fv_to_int(v));
            break;
        case 'X':
            snprintf(tmp, sizeof tmp, "%llX", (unsigned long long)t4__fv_to_int(v));
            break;
        case 'o':
            snprintf(tmp, sizeof tmp, "%llo", (unsigned long long)t4__fv_to_int(v));
            break;
        case 'c':
            tmp[0] = (char)t4__fv_to_int(v), tmp[1] = '\0';
            break;
        case 'b': {
            unsigned long long x = (unsigned long long)t4__fv_to_int(v);
            char r[70];
            int k = 0;
            do {
                r[k++] = (char)('0' + (x & 1));
                x >>= 1;
            } while (x);
            for (int q = 0; q < k; q++) {
                tmp[q] = r[k - 1 - q];
            }
            tmp[k] = '\0';
            break;
        }
        case 'f':
        case 'F': {
            double x = t4__fv_to_double(v);
            snprintf(tmp, sizeof tmp, plus && x >= 0 ? "+%.*f" : "%.*f", fprec, x);
            break;
        }
        case 'e':
        case 'E': {
            double x = t4__fv_to_double(v);
            char c[64];
            snprintf(c, sizeof c, "%.*e", fprec, x);
            char *ep = strchr(c, 'e');
            if (ep) {
                int ex = atoi(ep + 1);
                *ep = '\0';
                snprintf(tmp, sizeof tmp, "%s%s%c%c%d", plus && x >= 0 ? "+" : "", c, conv,
                         ex < 0 ? '-' : '+', ex < 0 ? -ex : ex);
            }
            break;
        }
        case 'g':
        case 'G':
            snprintf(tmp, sizeof tmp, conv == 'g' ? "%.*g" : "%.*G", fprec, t4__fv_to_double(v));
            break;
        case 's': {
            size_t len;
            heap = t4__ff_str(v, &len);
            if (!heap) {
                rc = t4__ff_nomem(st, e);
                break;
            }
            if (prec >= 0 && (size_t)prec < len) {
                heap[prec] = '\0';
            }
            body = heap;
            break;
        }
        default:
            rc = t4__frs_error(st, e->line, e->col, "format: unknown conversion '%c'", conv);
            break;
        }
        if (rc) {
            free(heap);
            break;
        }
        size_t bl = strlen(body);
        size_t padn = (size_t)width > bl ? (size_t)width - bl : 0;
        if (left) {
            t4__fbuf_puts(&b, body);
            t4__fbuf_fill(&b, pad == '0' ? ' ' : pad, padn);
        } else {
            if (pad == '0' && (body[0] == '-' || body[0] == '+') && conv != 's') {
                t4__fbuf_putc(&b, body[0]);
                body++;
            }
            t4__fbuf_fill(&b, pad, padn);
            t4__fbuf_puts(&b, body);
        }
        free(heap);
    }
    free(f);
    if (rc) {
        t4__fbuf_free(&b);
        return rc;
    }
    return str_out(st, e, &b, out);
}
