/* SPDX-License-Identifier: MIT */
/*
 * The pure part of static files (see static.h): Range, entity tags, HTTP
 * dates, the path check and the precondition order of RFC 9110 13.2.2. No
 * server state, no I/O: unit-tested and fuzzed (tests/fuzz/fuzz_static.c)
 * on their own; static.c does the serving.
 */
#include "http/static.h"
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define MAX_RANGE_SPECS 64

static bool is_ows(char ch)
{
    return ch == ' ' || ch == '\t';
}

static void trim(const char **p, size_t *n)
{
    while (*n > 0 && is_ows(**p)) {
        (*p)++;
        (*n)--;
    }
    while (*n > 0 && is_ows((*p)[*n - 1]))
        (*n)--;
}

/* Decimal digits at s[0..n) into *out, saturating at UINT64_MAX.
 * Returns how many digits were read. */
static size_t parse_u64(const char *s, size_t n, uint64_t *out)
{
    size_t i = 0;
    uint64_t v = 0;
    while (i < n && s[i] >= '0' && s[i] <= '9') {
        unsigned d = (unsigned)(s[i] - '0');
        v = v > (UINT64_MAX - d) / 10 ? UINT64_MAX : v * 10 + d;
        i++;
    }
    *out = v;
    return i;
}

t4__range_result t4__range_parse(const char *v, size_t n, uint64_t size, uint64_t *first, uint64_t *last)
{
    if (size == 0)
        return T4__RANGE_IGNORE; /* an empty file is sent whole (200, no body) */
    trim(&v, &n);
    if (n < 6 || strncasecmp(v, "bytes=", 6) != 0)
        return T4__RANGE_IGNORE;
    size_t i = 6;
    unsigned specs = 0, satisfiable = 0;
    uint64_t f0 = 0, l0 = 0;
    while (i < n) {
        while (i < n && (is_ows(v[i]) || v[i] == ','))
            i++; /* list separators; empty elements are allowed */
        if (i >= n)
            break;
        uint64_t a, b;
        size_t da = parse_u64(v + i, n - i, &a);
        i += da;
        if (i >= n || v[i] != '-')
            return T4__RANGE_IGNORE;
        i++;
        size_t db = parse_u64(v + i, n - i, &b);
        i += db;
        if (da == 0 && db == 0)
            return T4__RANGE_IGNORE; /* "-" alone */
        while (i < n && is_ows(v[i]))
            i++;
        if (i < n && v[i] != ',')
            return T4__RANGE_IGNORE;
        if (++specs > MAX_RANGE_SPECS)
            return T4__RANGE_IGNORE;
        uint64_t f, l;
        bool ok;
        if (da == 0) { /* suffix: the last b bytes */
            ok = b > 0;
            f = b >= size ? 0 : size - b;
            l = size - 1;
        } else {
            if (db > 0 && b < a)
                return T4__RANGE_IGNORE; /* invalid: the whole header is ignored */
            ok = a < size;
            f = a;
            l = (db == 0 || b >= size) ? size - 1 : b;
        }
        if (ok && satisfiable++ == 0) {
            f0 = f;
            l0 = l;
        }
    }
    if (specs == 0)
        return T4__RANGE_IGNORE;
    if (satisfiable == 0)
        return T4__RANGE_UNSAT;
    if (specs > 1)
        return T4__RANGE_IGNORE; /* several ranges: the whole file (no multipart) */
    *first = f0;
    *last = l0;
    return T4__RANGE_ONE;
}

void t4__etag_make(char *out, uint64_t size, int64_t mtime_sec, long mtime_nsec)
{
    uint64_t ns = (uint64_t)mtime_sec * 1000000000u + (uint64_t)mtime_nsec;
    snprintf(out, T4__ETAG_MAX, "\"%" PRIx64 "-%" PRIx64 "\"", size, ns);
}

/* "*" or 1#entity-tag. weak: W/"x" matches "x" (If-None-Match); otherwise
 * a weak tag never matches (If-Match, RFC 9110 13.1.1 and 8.8.3.2). A
 * malformed list matches nothing. */
static bool etag_list_match(const char *v, size_t n, const char *etag, bool weak)
{
    trim(&v, &n);
    if (n == 1 && v[0] == '*')
        return true;
    size_t elen = strlen(etag), i = 0;
    while (i < n) {
        while (i < n && (is_ows(v[i]) || v[i] == ','))
            i++;
        if (i >= n)
            break;
        bool is_weak = false;
        if (n - i >= 2 && v[i] == 'W' && v[i + 1] == '/') {
            i += 2;
            is_weak = true;
        }
        if (i >= n || v[i] != '"')
            return false;
        size_t start = i++;
        while (i < n && v[i] != '"')
            i++;
        if (i >= n)
            return false;
        i++;
        if ((weak || !is_weak) && i - start == elen && memcmp(v + start, etag, elen) == 0)
            return true;
        while (i < n && is_ows(v[i]))
            i++;
        if (i < n && v[i] != ',')
            return false;
    }
    return false;
}

bool t4__etag_list_match(const char *v, size_t n, const char *etag)
{
    return etag_list_match(v, n, etag, true);
}

bool t4__etag_list_match_strong(const char *v, size_t n, const char *etag)
{
    return etag_list_match(v, n, etag, false);
}

bool t4__if_range_match(const char *v, size_t n, const char *etag, int64_t mtime_sec)
{
    trim(&v, &n);
    if (n == 0)
        return false;
    if (v[0] == '"') /* strong comparison */
        return n == strlen(etag) && memcmp(v, etag, n) == 0;
    if (v[0] == 'W' && n > 1 && v[1] == '/')
        return false; /* a weak validator never matches If-Range */
    int64_t t;
    return t4__http_date_parse(v, n, &t) && t == mtime_sec;
}

static const char month_names[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                        "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
static const char day_names[7][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};

typedef struct {
    const char *p;
    size_t n, i;
} cursor;

static bool cur_char(cursor *c, char ch)
{
    if (c->i < c->n && c->p[c->i] == ch) {
        c->i++;
        return true;
    }
    return false;
}

/* Exactly `digits` digits (or 1..2 when digits is 0). */
static bool cur_num(cursor *c, int digits, int *out)
{
    int v = 0, k = 0, max = digits ? digits : 2;
    while (k < max && c->i < c->n && c->p[c->i] >= '0' && c->p[c->i] <= '9') {
        v = v * 10 + (c->p[c->i] - '0');
        c->i++;
        k++;
    }
    *out = v;
    return digits ? k == digits : k > 0;
}

static bool cur_month(cursor *c, int *out)
{
    if (c->n - c->i < 3)
        return false;
    for (int m = 0; m < 12; m++) {
        if (strncmp(c->p + c->i, month_names[m], 3) == 0) {
            c->i += 3;
            *out = m;
            return true;
        }
    }
    return false;
}

static bool cur_time(cursor *c, struct tm *tm)
{
    return cur_num(c, 2, &tm->tm_hour) && cur_char(c, ':') && cur_num(c, 2, &tm->tm_min) &&
           cur_char(c, ':') && cur_num(c, 2, &tm->tm_sec);
}

bool t4__http_date_parse(const char *v, size_t n, int64_t *out)
{
    trim(&v, &n);
    cursor c = {v, n, 0};
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    size_t w = 0;
    while (c.i < c.n && ((v[c.i] >= 'A' && v[c.i] <= 'Z') || (v[c.i] >= 'a' && v[c.i] <= 'z'))) {
        c.i++;
        w++;
    }
    if (w < 3)
        return false;
    bool ok;
    if (cur_char(&c, ',')) {
        ok = cur_char(&c, ' ') && cur_num(&c, 2, &tm.tm_mday);
        if (ok && cur_char(&c, ' ')) { /* IMF-fixdate: Sun, 06 Nov 1994 08:49:37 GMT */
            ok = cur_month(&c, &tm.tm_mon) && cur_char(&c, ' ') && cur_num(&c, 4, &tm.tm_year);
            tm.tm_year -= 1900;
        } else if (ok && cur_char(&c, '-')) { /* RFC 850: Sunday, 06-Nov-94 08:49:37 GMT */
            ok = cur_month(&c, &tm.tm_mon) && cur_char(&c, '-') && cur_num(&c, 2, &tm.tm_year);
            if (tm.tm_year < 70)
                tm.tm_year += 100;
        } else {
            ok = false;
        }
        ok = ok && cur_char(&c, ' ') && cur_time(&c, &tm) && cur_char(&c, ' ') && c.n - c.i == 3 &&
             strncmp(v + c.i, "GMT", 3) == 0;
    } else { /* asctime: Sun Nov  6 08:49:37 1994 */
        ok = cur_char(&c, ' ') && cur_month(&c, &tm.tm_mon) && cur_char(&c, ' ');
        if (ok)
            cur_char(&c, ' ');
        ok = ok && cur_num(&c, 0, &tm.tm_mday) && cur_char(&c, ' ') && cur_time(&c, &tm) &&
             cur_char(&c, ' ') && cur_num(&c, 4, &tm.tm_year) && c.i == c.n;
        tm.tm_year -= 1900;
    }
    if (!ok || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60)
        return false;
    time_t t = timegm(&tm);
    if (t == (time_t)-1)
        return false;
    *out = (int64_t)t;
    return true;
}

void t4__http_date_format(int64_t t, char *out)
{
    if (t < 0)
        t = 0;
    if (t > 253402300799) /* 9999-12-31T23:59:59Z keeps the fixed width */
        t = 253402300799;
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    snprintf(out, 30, "%s, %02u %s %04u %02u:%02u:%02u GMT", day_names[(unsigned)tm.tm_wday % 7u],
             (unsigned)tm.tm_mday % 100u, month_names[(unsigned)tm.tm_mon % 12u],
             (unsigned)(tm.tm_year + 1900) % 10000u, (unsigned)tm.tm_hour % 100u, (unsigned)tm.tm_min % 100u,
             (unsigned)tm.tm_sec % 100u);
}

bool t4__static_path_safe(const char *p, size_t n)
{
    if (n == 0 || p[0] != '/' || n >= PATH_MAX / 2)
        return false;
    size_t seg = 1;
    for (size_t i = 1; i <= n; i++) {
        if (i == n || p[i] == '/') {
            size_t len = i - seg;
            if (len == 0 && i != n)
                return false; /* "//": an empty segment */
            if (len > 0 && p[seg] == '.')
                return false; /* ".", "..", ".env", ".git", ... */
            seg = i + 1;
            continue;
        }
        unsigned char ch = (unsigned char)p[i];
        if (ch < 0x20 || ch == 0x7f || ch == '\\')
            return false;
    }
    return true;
}

static bool name_is(t4__slice name, const char *want)
{
    size_t n = strlen(want);
    return name.n == n && strncasecmp(name.p, want, n) == 0;
}

/* A list field may come as several lines, which together form one list:
 * true when any line matches; *present says whether there was one. */
static bool list_matches(const t4__http_head *h, const char *name, const char *etag, bool weak, bool *present)
{
    *present = false;
    for (size_t i = 0; i < h->num_headers; i++) {
        const t4__http_header *x = &h->headers[i];
        if (!name_is(x->name, name))
            continue;
        *present = true;
        if (etag_list_match(x->value.p, x->value.n, etag, weak))
            return true;
    }
    return false;
}

/* A singleton field: its one line, or NULL when absent or repeated (a
 * repeated date is "more than one member", ignored; RFC 9110 13.1.3-4). */
static const t4__http_header *single(const t4__http_head *h, const char *name)
{
    const t4__http_header *found = NULL;
    for (size_t i = 0; i < h->num_headers; i++) {
        if (!name_is(h->headers[i].name, name))
            continue;
        if (found)
            return NULL;
        found = &h->headers[i];
    }
    return found;
}

static bool single_date(const t4__http_head *h, const char *name, int64_t *out)
{
    const t4__http_header *x = single(h, name);
    return x && t4__http_date_parse(x->value.p, x->value.n, out);
}

int t4__static_evaluate(const t4__http_head *h, bool get, const char *etag, int64_t mtime, uint64_t size,
                        int64_t now, uint64_t *first, uint64_t *last)
{
    bool present;
    int64_t date;
    *first = 0;
    *last = size ? size - 1 : 0;

    /* 1. If-Match: some listed tag is ours (strongly), or "*" (the file
     * exists). 2. Without If-Match, If-Unmodified-Since: not modified after
     * the date. Either false: 412. */
    bool matched = list_matches(h, "If-Match", etag, false, &present);
    if (present) {
        if (!matched)
            return 412;
    } else if (single_date(h, "If-Unmodified-Since", &date) && mtime > date) {
        return 412;
    }

    /* 3. If-None-Match: a listed tag is ours (weakly), or "*": 304.
     * 4. Without it, If-Modified-Since: not modified since the date: 304.
     * A date later than our clock is invalid (the client's clock, or a
     * forged value, must not pin a stale copy): ignored. */
    matched = list_matches(h, "If-None-Match", etag, true, &present);
    if (present) {
        if (matched)
            return 304;
    } else if (single_date(h, "If-Modified-Since", &date) && date <= now && mtime <= date) {
        return 304;
    }

    /* 5. Range, for GET only, unless If-Range says the client's copy is
     * stale (then the whole file). One Range line; several are invalid. */
    if (!get)
        return 200;
    const t4__http_header *range = single(h, "Range");
    if (!range)
        return 200;
    const t4__http_header *if_range = single(h, "If-Range");
    if (if_range && !t4__if_range_match(if_range->value.p, if_range->value.n, etag, mtime))
        return 200;
    if (!if_range && t4__http_find_header(h, "If-Range"))
        return 200; /* repeated If-Range: not a validator we can trust */
    uint64_t f = 0, l = 0;
    t4__range_result rr = t4__range_parse(range->value.p, range->value.n, size, &f, &l);
    if (rr == T4__RANGE_UNSAT)
        return 416;
    if (rr != T4__RANGE_ONE)
        return 200;
    *first = f;
    *last = l;
    return 206;
}
