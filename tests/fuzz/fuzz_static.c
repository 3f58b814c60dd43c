/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the pure part of static files (src/http/static_logic.c):
 * the path check, Range, entity-tag lists, If-Range, HTTP dates and the
 * precondition order, each against an independent reference written here.
 *
 * FUZZ_SOURCES: src/http/static_logic.c src/http/parser.c src/http/mime.c
 *
 * Input layout: byte 0 picks the size of the file (a few interesting sizes
 * or a fuzzed one), bytes 1-4 the mtime and "now" offsets, byte 5 GET/HEAD;
 * the rest is used four ways:
 *   - as a decoded request path: t4__static_path_safe agrees with a
 *     segment-by-segment reference, and a safe path never leaves the folder
 *     when resolved lexically ("." / ".." included);
 *   - as a Range value: t4__range_parse agrees with a reference parser of
 *     RFC 9110 14.1.1 (same outcome, same range), a 206 range lies in the
 *     file, and surrounding whitespace changes nothing;
 *   - as entity-tag lists and dates: strong match implies weak match, the
 *     If-Range verdict follows the strong comparison or the date, a parsed
 *     date formats to IMF-fixdate and parses back to itself;
 *   - as header lines of a GET/HEAD: when the parser accepts the head,
 *     t4__static_evaluate gives what a reference of RFC 9110 13.2.2 gives.
 */
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http/parser.h"
#include "http/static.h"

#include "check.h"

/* ------------------------------------------------------------------ */
/* paths                                                                */
/* ------------------------------------------------------------------ */

static bool ref_path_safe(const char *p, size_t n)
{
    if (n == 0 || p[0] != '/' || n >= PATH_MAX / 2)
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)p[i];
        if (ch < 0x20 || ch == 0x7f || ch == '\\')
            return false;
    }
    /* Segments between slashes: none empty but the last, none starting '.'. */
    size_t start = 1;
    for (size_t i = 1; i <= n; i++) {
        if (i < n && p[i] != '/')
            continue;
        size_t len = i - start;
        if (len == 0 && i < n)
            return false;
        if (len > 0 && p[start] == '.')
            return false;
        start = i + 1;
    }
    return true;
}

/* Lexical resolution of p under a root: how deep it ends (< 0: escaped). */
static long lexical_depth(const char *p, size_t n)
{
    long depth = 0;
    size_t start = 1;
    for (size_t i = 1; i <= n; i++) {
        if (i < n && p[i] != '/')
            continue;
        size_t len = i - start;
        if (len == 2 && p[start] == '.' && p[start + 1] == '.')
            depth--;
        else if (len > 0 && !(len == 1 && p[start] == '.'))
            depth++;
        if (depth < 0)
            return -1;
        start = i + 1;
    }
    return depth;
}

static void fuzz_path(const char *p, size_t n)
{
    bool safe = t4__static_path_safe(p, n);
    CHECK(safe == ref_path_safe(p, n));
    if (safe) {
        CHECK(lexical_depth(p, n) >= 0);
        CHECK(memchr(p, '\0', n) == NULL);
    }
    (void)t4__mime_type("x"); /* linked, trivially */
}

/* ------------------------------------------------------------------ */
/* Range                                                                */
/* ------------------------------------------------------------------ */

static bool ows(char c)
{
    return c == ' ' || c == '\t';
}

/* RFC 9110 14.1.1 with this server's policy: one satisfiable range -> 206;
 * none satisfiable -> 416; several ranges, more than 64, a syntax error or
 * an int-range with last < first -> the whole file; an empty file: whole. */
static t4__range_result ref_range(const char *v, size_t n, uint64_t size, uint64_t *first, uint64_t *last)
{
    if (size == 0)
        return T4__RANGE_IGNORE;
    while (n && ows(*v))
        v++, n--;
    while (n && ows(v[n - 1]))
        n--;
    if (n < 6 || strncasecmp(v, "bytes=", 6) != 0)
        return T4__RANGE_IGNORE;
    size_t i = 6, specs = 0, sat = 0;
    uint64_t f0 = 0, l0 = 0;
    for (;;) {
        /* one list element, up to the next comma */
        size_t e = i;
        while (e < n && v[e] != ',')
            e++;
        size_t a = i, b = e;
        while (a < b && ows(v[a]))
            a++;
        while (b > a && ows(v[b - 1]))
            b--;
        if (a < b) {
            size_t dash = a;
            while (dash < b && v[dash] != '-')
                dash++;
            if (dash == b)
                return T4__RANGE_IGNORE;
            bool has_first = dash > a, has_last = dash + 1 < b;
            if (!has_first && !has_last)
                return T4__RANGE_IGNORE;
            uint64_t x = 0, y = 0;
            for (size_t k = a; k < dash; k++) {
                if (v[k] < '0' || v[k] > '9')
                    return T4__RANGE_IGNORE;
                unsigned d = (unsigned)(v[k] - '0');
                x = x > (UINT64_MAX - d) / 10 ? UINT64_MAX : x * 10 + d;
            }
            for (size_t k = dash + 1; k < b; k++) {
                if (v[k] < '0' || v[k] > '9')
                    return T4__RANGE_IGNORE;
                unsigned d = (unsigned)(v[k] - '0');
                y = y > (UINT64_MAX - d) / 10 ? UINT64_MAX : y * 10 + d;
            }
            if (++specs > 64)
                return T4__RANGE_IGNORE;
            uint64_t f, l;
            bool ok;
            if (!has_first) {
                ok = y > 0;
                f = y >= size ? 0 : size - y;
                l = size - 1;
            } else {
                if (has_last && y < x)
                    return T4__RANGE_IGNORE;
                ok = x < size;
                f = x;
                l = (!has_last || y >= size) ? size - 1 : y;
            }
            if (ok && sat++ == 0) {
                f0 = f;
                l0 = l;
            }
        }
        if (e >= n)
            break;
        i = e + 1;
    }
    if (specs == 0)
        return T4__RANGE_IGNORE;
    if (sat == 0)
        return T4__RANGE_UNSAT;
    if (specs > 1)
        return T4__RANGE_IGNORE;
    *first = f0;
    *last = l0;
    return T4__RANGE_ONE;
}

static char scratch[4200];

static void fuzz_range(const char *v, size_t n, uint64_t size)
{
    uint64_t f = 7, l = 7, rf = 9, rl = 9;
    t4__range_result r = t4__range_parse(v, n, size, &f, &l);
    t4__range_result want = ref_range(v, n, size, &rf, &rl);
    CHECK(r == want);
    if (r == T4__RANGE_ONE) {
        CHECK(f == rf && l == rl);
        CHECK(f <= l && l < size);
    }
    /* Surrounding whitespace changes nothing. */
    if (n + 4 <= sizeof scratch) {
        memcpy(scratch, " \t", 2);
        memcpy(scratch + 2, v, n);
        memcpy(scratch + 2 + n, "\t ", 2);
        uint64_t f2 = 0, l2 = 0;
        CHECK(t4__range_parse(scratch, n + 4, size, &f2, &l2) == r);
        if (r == T4__RANGE_ONE)
            CHECK(f2 == f && l2 == l);
    }
}

/* ------------------------------------------------------------------ */
/* entity tags, If-Range, dates                                         */
/* ------------------------------------------------------------------ */

static void fuzz_validators(const char *v, size_t n, uint64_t size, int64_t mtime)
{
    char etag[T4__ETAG_MAX];
    t4__etag_make(etag, size, mtime, 0);
    CHECK(etag[0] == '"' && etag[strlen(etag) - 1] == '"');

    bool strong = t4__etag_list_match_strong(v, n, etag);
    bool weak = t4__etag_list_match(v, n, etag);
    CHECK(!strong || weak);
    /* Our own tag, alone or after the input as one more list member. */
    CHECK(t4__etag_list_match_strong(etag, strlen(etag), etag));
    if (n + strlen(etag) + 2 < sizeof scratch) {
        int k = snprintf(scratch, sizeof scratch, "%.*s, %s", (int)n, v, etag);
        bool s2 = t4__etag_list_match_strong(scratch, (size_t)k, etag);
        bool w2 = t4__etag_list_match(scratch, (size_t)k, etag);
        CHECK(!s2 || w2);
        size_t a = 0, b = n;
        while (a < b && ows(v[a]))
            a++;
        while (b > a && ows(v[b - 1]))
            b--;
        if (strong && !(b - a == 1 && v[a] == '*'))
            CHECK(s2); /* a matching list stays matching with one more tag ("*" is no list) */
    }

    int64_t t = 0;
    bool is_date = t4__http_date_parse(v, n, &t);
    bool ifr = t4__if_range_match(v, n, etag, mtime);
    size_t a = 0, b = n;
    while (a < b && ows(v[a]))
        a++;
    while (b > a && ows(v[b - 1]))
        b--;
    if (b > a && v[a] == '"')
        CHECK(ifr == (b - a == strlen(etag) && memcmp(v + a, etag, b - a) == 0));
    else if (b - a >= 2 && v[a] == 'W' && v[a + 1] == '/')
        CHECK(!ifr);
    else
        CHECK(ifr == (is_date && t == mtime));

    if (is_date && t >= 0 && t <= 253402300799) {
        char out[32];
        t4__http_date_format(t, out);
        CHECK(strlen(out) == 29);
        int64_t back = -1;
        CHECK(t4__http_date_parse(out, 29, &back) && back == t);
    }
}

/* ------------------------------------------------------------------ */
/* the precondition order (RFC 9110 13.2.2)                             */
/* ------------------------------------------------------------------ */

static bool named(const t4__http_header *x, const char *name)
{
    size_t n = strlen(name);
    return x->name.n == n && strncasecmp(x->name.p, name, n) == 0;
}

static size_t count(const t4__http_head *h, const char *name, const t4__http_header **one)
{
    size_t c = 0;
    for (size_t i = 0; i < h->num_headers; i++)
        if (named(&h->headers[i], name)) {
            if (c++ == 0)
                *one = &h->headers[i];
        }
    return c;
}

static bool any_matches(const t4__http_head *h, const char *name, const char *etag, bool strong)
{
    for (size_t i = 0; i < h->num_headers; i++) {
        const t4__http_header *x = &h->headers[i];
        if (named(x, name) && (strong ? t4__etag_list_match_strong(x->value.p, x->value.n, etag)
                                      : t4__etag_list_match(x->value.p, x->value.n, etag)))
            return true;
    }
    return false;
}

static int ref_evaluate(const t4__http_head *h, bool get, const char *etag, int64_t mtime, uint64_t size,
                        int64_t now, uint64_t *first, uint64_t *last)
{
    const t4__http_header *x = NULL;
    int64_t d;
    if (count(h, "If-Match", &x) > 0) {
        if (!any_matches(h, "If-Match", etag, true))
            return 412;
    } else if (count(h, "If-Unmodified-Since", &x) == 1 && t4__http_date_parse(x->value.p, x->value.n, &d) &&
               mtime > d) {
        return 412;
    }
    if (count(h, "If-None-Match", &x) > 0) {
        if (any_matches(h, "If-None-Match", etag, false))
            return 304;
    } else if (count(h, "If-Modified-Since", &x) == 1 && t4__http_date_parse(x->value.p, x->value.n, &d) &&
               d <= now && mtime <= d) {
        return 304;
    }
    *first = 0;
    *last = size ? size - 1 : 0;
    if (!get || count(h, "Range", &x) != 1)
        return 200;
    const t4__http_header *range = x, *ir = NULL;
    size_t nir = count(h, "If-Range", &ir);
    if (nir > 1 || (nir == 1 && !t4__if_range_match(ir->value.p, ir->value.n, etag, mtime)))
        return 200;
    t4__range_result r = ref_range(range->value.p, range->value.n, size, first, last);
    if (r == T4__RANGE_UNSAT)
        return 416;
    if (r == T4__RANGE_IGNORE) {
        *first = 0;
        *last = size ? size - 1 : 0;
        return 200;
    }
    return 206;
}

static char req[8192];
static t4__http_head head;

static void fuzz_evaluate(const char *lines, size_t n, bool get, uint64_t size, int64_t mtime, int64_t now)
{
    int k = snprintf(req, sizeof req, "%s /f HTTP/1.1\r\nHost: h\r\n", get ? "GET" : "HEAD");
    if ((size_t)k + n + 2 > sizeof req)
        return;
    memcpy(req + k, lines, n);
    memcpy(req + k + n, "\r\n", 2);
    size_t len = (size_t)k + n + 2;
    int st = 0;
    int r = t4__http_parse_head(req, len, 0, sizeof req, &head, &st);
    if (r <= 0)
        return;
    char etag[T4__ETAG_MAX];
    t4__etag_make(etag, size, mtime, 0);
    uint64_t f = 1, l = 1, rf = 2, rl = 2;
    int got = t4__static_evaluate(&head, get, etag, mtime, size, now, &f, &l);
    int want = ref_evaluate(&head, get, etag, mtime, size, now, &rf, &rl);
    CHECK(got == want);
    CHECK(got == 200 || got == 206 || got == 304 || got == 412 || got == 416);
    if (got == 206) {
        CHECK(get && f == rf && l == rl && f <= l && l < size);
    }
    if (got == 200)
        CHECK(f == 0 && l == (size ? size - 1 : 0));
    if (!get)
        CHECK(got == 200 || got == 304 || got == 412);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint64_t sizes[8] = {0, 1, 2, 10, 100, 65536, UINT64_MAX, 0};
    if (size < 6)
        return 0;
    uint64_t fsize = sizes[data[0] & 7];
    if ((data[0] & 7) == 7)
        fsize = (uint64_t)data[0] * 977 + data[1];
    /* mtime and now around 2020, a few days apart either way. */
    int64_t mtime = 1577836800 + ((int64_t)data[1] << 8 | data[2]) * 17;
    int64_t now = mtime + ((int64_t)(int8_t)data[3] * 3600) + (int64_t)(int8_t)data[4];
    bool get = (data[5] & 1) == 0;
    const char *in = (const char *)data + 6;
    size_t n = size - 6;

    fuzz_path(in, n);
    fuzz_range(in, n, fsize);
    fuzz_validators(in, n, fsize, mtime);
    fuzz_evaluate(in, n, get, fsize, mtime, now);
    return 0;
}
