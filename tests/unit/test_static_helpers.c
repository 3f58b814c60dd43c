/* SPDX-License-Identifier: MIT */
/* Unit tests of the pure parts of static files (src/http/static_logic.c,
 * mime.c): MIME types, Range parsing, ETag matching, If-Range, HTTP dates,
 * the path safety check and the precondition order (If-Match,
 * If-Unmodified-Since, If-None-Match, If-Modified-Since, Range). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "http/static.h"

/* ---- MIME ---- */

static void test_mime(void **state)
{
    (void)state;
    static const char *const cases[][2] = {
        {"/index.html", "text/html; charset=utf-8"},
        {"a.HTM", "text/html; charset=utf-8"},
        {"/css/site.css", "text/css; charset=utf-8"},
        {"/app.js", "text/javascript; charset=utf-8"},
        {"/mod.mjs", "text/javascript; charset=utf-8"},
        {"/data.json", "application/json"},
        {"/app.js.map", "application/json"},
        {"/logo.svg", "image/svg+xml"},
        {"/a.png", "image/png"},
        {"/a.jpg", "image/jpeg"},
        {"/a.JPEG", "image/jpeg"},
        {"/a.gif", "image/gif"},
        {"/a.webp", "image/webp"},
        {"/favicon.ico", "image/x-icon"},
        {"/robots.txt", "text/plain; charset=utf-8"},
        {"/feed.xml", "application/xml"},
        {"/m.wasm", "application/wasm"},
        {"/f.woff", "font/woff"},
        {"/f.woff2", "font/woff2"},
        {"/doc.pdf", "application/pdf"},
        {"/v.mp4", "video/mp4"},
        {"/v.webm", "video/webm"},
        {"/blob", "application/octet-stream"},
        {"/blob.", "application/octet-stream"},
        {"/blob.unknown", "application/octet-stream"},
        {"/dir.html/file", "application/octet-stream"}, /* the extension of the last segment only */
        {"/.html", "application/octet-stream"},         /* a dotfile name, not an extension */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        assert_string_equal(t4__mime_type(cases[i][0]), cases[i][1]);
}

/* ---- Range ---- */

static t4__range_result range(const char *v, uint64_t size, uint64_t *f, uint64_t *l)
{
    /* An exact-size heap copy without a NUL, so ASan sees any overread. */
    size_t n = strlen(v);
    char *copy = malloc(n ? n : 1);
    memcpy(copy, v, n);
    *f = *l = 12345;
    t4__range_result r = t4__range_parse(copy, n, size, f, l);
    free(copy);
    return r;
}

static void expect_one(const char *v, uint64_t size, uint64_t f, uint64_t l)
{
    uint64_t a, b;
    t4__range_result r = range(v, size, &a, &b);
    if (r != T4__RANGE_ONE)
        fail_msg("\"%s\" (size %llu): expected one range, got %d", v, (unsigned long long)size, (int)r);
    assert_int_equal(a, f);
    assert_int_equal(b, l);
}

static void expect(const char *v, uint64_t size, t4__range_result want)
{
    uint64_t a, b;
    t4__range_result r = range(v, size, &a, &b);
    if (r != want)
        fail_msg("\"%s\" (size %llu): expected %d, got %d", v, (unsigned long long)size, (int)want, (int)r);
}

static void test_range_single(void **state)
{
    (void)state;
    expect_one("bytes=0-0", 100, 0, 0);
    expect_one("bytes=0-99", 100, 0, 99);
    expect_one("bytes=10-19", 100, 10, 19);
    expect_one("bytes=10-", 100, 10, 99);
    expect_one("bytes=99-", 100, 99, 99);
    expect_one("bytes=50-1000", 100, 50, 99); /* last clamped */
    expect_one("bytes=-10", 100, 90, 99);     /* suffix */
    expect_one("bytes=-100", 100, 0, 99);
    expect_one("bytes=-1000", 100, 0, 99); /* suffix longer than the file: all of it */
    expect_one("BYTES=1-2", 100, 1, 2);    /* the unit is case-insensitive */
    expect_one("  bytes=1-2  ", 100, 1, 2);
    expect_one("bytes=1-2,", 100, 1, 2); /* empty list elements */
    expect_one("bytes=,1-2", 100, 1, 2);
    expect_one("bytes=0-18446744073709551615", 100, 0, 99);
    expect_one("bytes=0-99999999999999999999999", 100, 0, 99); /* saturates */
}

static void test_range_unsatisfiable(void **state)
{
    (void)state;
    expect("bytes=100-", 100, T4__RANGE_UNSAT);
    expect("bytes=100-200", 100, T4__RANGE_UNSAT);
    expect("bytes=-0", 100, T4__RANGE_UNSAT);
    expect("bytes=99999999999999999999999-", 100, T4__RANGE_UNSAT);
    expect("bytes=200-300, 400-", 100, T4__RANGE_UNSAT); /* no range satisfiable */
}

static void test_range_ignored(void **state)
{
    (void)state;
    expect("", 100, T4__RANGE_IGNORE);
    expect("bytes", 100, T4__RANGE_IGNORE);
    expect("bytes=", 100, T4__RANGE_IGNORE);
    expect("items=0-1", 100, T4__RANGE_IGNORE); /* unknown unit */
    expect("bytes=-", 100, T4__RANGE_IGNORE);
    expect("bytes=a-b", 100, T4__RANGE_IGNORE);
    expect("bytes=5-2", 100, T4__RANGE_IGNORE); /* last < first: invalid */
    expect("bytes=1-2-3", 100, T4__RANGE_IGNORE);
    expect("bytes=1-2 x", 100, T4__RANGE_IGNORE);
    expect("bytes = 1-2", 100, T4__RANGE_IGNORE);
    expect("bytes=--1", 100, T4__RANGE_IGNORE);
    expect("bytes=0-1,5-6", 100, T4__RANGE_IGNORE);   /* several ranges: 200 with the whole file */
    expect("bytes=0-1, 500-", 100, T4__RANGE_IGNORE); /* several, one satisfiable */
    expect("bytes=0-1", 0, T4__RANGE_IGNORE);         /* an empty file */
    expect("bytes=-5", 0, T4__RANGE_IGNORE);
    /* Too many ranges. */
    char many[1024] = "bytes=";
    for (int i = 0; i < 100; i++)
        strcat(many, "1-2,");
    expect(many, 100, T4__RANGE_IGNORE);
}

/* ---- ETag ---- */

static bool inm(const char *v, const char *etag)
{
    size_t n = strlen(v);
    char *copy = malloc(n ? n : 1);
    memcpy(copy, v, n);
    bool r = t4__etag_list_match(copy, n, etag);
    free(copy);
    return r;
}

static void test_etag_make(void **state)
{
    (void)state;
    char e[T4__ETAG_MAX];
    t4__etag_make(e, 6, 1, 5);
    assert_string_equal(e, "\"6-3b9aca05\"");
    char e2[T4__ETAG_MAX];
    t4__etag_make(e2, 6, 1, 6);
    assert_string_not_equal(e, e2); /* nanoseconds count */
    t4__etag_make(e2, 7, 1, 5);
    assert_string_not_equal(e, e2); /* size counts */
    t4__etag_make(e2, UINT64_MAX, INT64_MAX, 999999999);
    assert_true(strlen(e2) < T4__ETAG_MAX);
    assert_int_equal(e2[0], '"');
}

static void test_etag_match(void **state)
{
    (void)state;
    const char *e = "\"6-3b9aca05\"";
    assert_true(inm("\"6-3b9aca05\"", e));
    assert_true(inm("  \"6-3b9aca05\"  ", e));
    assert_true(inm("W/\"6-3b9aca05\"", e)); /* weak comparison */
    assert_true(inm("\"x\", \"6-3b9aca05\"", e));
    assert_true(inm("\"x\",W/\"y\" ,  \"6-3b9aca05\"", e));
    assert_true(inm("*", e));
    assert_true(inm(" * ", e));
    assert_false(inm("", e));
    assert_false(inm("\"6-3b9aca0\"", e));
    assert_false(inm("\"6-3b9aca05", e));         /* unterminated */
    assert_false(inm("6-3b9aca05", e));           /* unquoted */
    assert_false(inm("\"x\" \"6-3b9aca05\"", e)); /* no comma: malformed */
    assert_false(inm("w/\"6-3b9aca05\"", e));     /* W/ is case-sensitive */
    assert_false(inm("**", e));
    assert_false(inm("\"x\", *", e));
}

static bool im(const char *v, const char *etag)
{
    size_t n = strlen(v);
    char *copy = malloc(n ? n : 1);
    memcpy(copy, v, n);
    bool r = t4__etag_list_match_strong(copy, n, etag);
    free(copy);
    return r;
}

/* If-Match compares strongly: a W/ tag never matches (RFC 9110 13.1.1). */
static void test_etag_match_strong(void **state)
{
    (void)state;
    const char *e = "\"6-3b9aca05\"";
    assert_true(im("\"6-3b9aca05\"", e));
    assert_true(im("\"x\", \"6-3b9aca05\"", e));
    assert_true(im("W/\"x\", \"6-3b9aca05\"", e));
    assert_true(im("*", e));
    assert_false(im("W/\"6-3b9aca05\"", e));
    assert_false(im("\"x\", W/\"6-3b9aca05\"", e));
    assert_false(im("", e));
    assert_false(im("\"x\" \"6-3b9aca05\"", e));
    assert_false(im("6-3b9aca05", e));
}

static bool ifr(const char *v, const char *etag, int64_t mtime)
{
    size_t n = strlen(v);
    char *copy = malloc(n ? n : 1);
    memcpy(copy, v, n);
    bool r = t4__if_range_match(copy, n, etag, mtime);
    free(copy);
    return r;
}

static void test_if_range(void **state)
{
    (void)state;
    const char *e = "\"6-3b9aca05\"";
    assert_true(ifr("\"6-3b9aca05\"", e, 0));
    assert_false(ifr("W/\"6-3b9aca05\"", e, 0)); /* strong comparison only */
    assert_false(ifr("\"other\"", e, 0));
    assert_false(ifr("", e, 0));
    assert_true(ifr("Sun, 06 Nov 1994 08:49:37 GMT", e, 784111777));
    assert_false(ifr("Sun, 06 Nov 1994 08:49:38 GMT", e, 784111777)); /* exact only */
    assert_false(ifr("Sun, 06 Nov 1994 08:49:36 GMT", e, 784111777));
    assert_false(ifr("garbage", e, 784111777));
}

/* ---- Dates ---- */

static bool date(const char *v, int64_t *t)
{
    size_t n = strlen(v);
    char *copy = malloc(n ? n : 1);
    memcpy(copy, v, n);
    bool r = t4__http_date_parse(copy, n, t);
    free(copy);
    return r;
}

static void test_dates(void **state)
{
    (void)state;
    int64_t t = 0;
    assert_true(date("Sun, 06 Nov 1994 08:49:37 GMT", &t));
    assert_int_equal(t, 784111777);
    assert_true(date("Sunday, 06-Nov-94 08:49:37 GMT", &t));
    assert_int_equal(t, 784111777);
    assert_true(date("Sun Nov  6 08:49:37 1994", &t));
    assert_int_equal(t, 784111777);
    assert_true(date("Thu, 01 Jan 1970 00:00:00 GMT", &t));
    assert_int_equal(t, 0);
    assert_true(date("Tue, 29 Feb 2028 23:59:59 GMT", &t));
    assert_int_equal(t, 1835481599);
    assert_true(date("Monday, 01-Jan-24 00:00:00 GMT", &t));
    assert_int_equal(t, 1704067200);

    assert_false(date("", &t));
    assert_false(date("yesterday", &t));
    assert_false(date("Sun, 06 Nov 1994 08:49:37", &t));     /* no GMT */
    assert_false(date("Sun, 06 Nov 1994 08:49:37 UTC", &t)); /* only GMT */
    assert_false(date("Sun, 06 Nov 1994 08:49:37 GMTX", &t));
    assert_false(date("Sun, 6 Nov 1994 08:49:37 GMT", &t));
    assert_false(date("Sun, 06 Foo 1994 08:49:37 GMT", &t));
    assert_false(date("Sun, 06 Nov 1994 24:00:00 GMT", &t));
    assert_false(date("Sun, 32 Nov 1994 08:00:00 GMT", &t));
    assert_false(date("Sun, 06 Nov 94 08:49:37 GMT", &t));
    assert_false(date("Sun Nov  6 08:49:37 1994 extra", &t));
    assert_false(date("1994-11-06T08:49:37Z", &t));

    char out[32];
    t4__http_date_format(784111777, out);
    assert_string_equal(out, "Sun, 06 Nov 1994 08:49:37 GMT");
    t4__http_date_format(0, out);
    assert_string_equal(out, "Thu, 01 Jan 1970 00:00:00 GMT");
    t4__http_date_format(-5, out);
    assert_string_equal(out, "Thu, 01 Jan 1970 00:00:00 GMT");
    /* Format and parse agree. */
    for (int64_t x = 0; x < 4000000000; x += 123456789) {
        t4__http_date_format(x, out);
        assert_true(date(out, &t));
        assert_int_equal(t, x);
    }
}

/* ---- Path safety ---- */

static bool safe(const char *p)
{
    return t4__static_path_safe(p, strlen(p));
}

static void test_path_safe(void **state)
{
    (void)state;
    assert_true(safe("/"));
    assert_true(safe("/a.txt"));
    assert_true(safe("/dir/"));
    assert_true(safe("/dir/sub/file.min.js"));
    assert_true(safe("/a..b")); /* dots inside a name are fine */
    assert_true(safe("/a/b.")); /* so is a trailing dot */
    assert_true(safe("/caf\xc3\xa9.txt"));
    assert_true(safe("/with space.txt"));

    assert_false(safe(""));
    assert_false(safe("a.txt")); /* relative */
    assert_false(safe("/.."));
    assert_false(safe("/../etc/passwd"));
    assert_false(safe("/a/../../etc/passwd"));
    assert_false(safe("/a/.."));
    assert_false(safe("/a/../"));
    assert_false(safe("/."));
    assert_false(safe("/./a"));
    assert_false(safe("/.env"));
    assert_false(safe("/sub/.git/config"));
    assert_false(safe("/.well-known/x")); /* every dot segment */
    assert_false(safe("//etc/passwd"));   /* empty segment */
    assert_false(safe("/a//b"));
    assert_false(safe("/a\\..\\b"));
    assert_false(safe("/..\\a"));
    assert_false(safe("/a\rb"));
    assert_false(safe("/a\nb"));
    assert_false(safe("/a\x7f"));
    /* An embedded NUL: the length says more than strlen. */
    assert_false(t4__static_path_safe("/a\0/../x", 8));
    /* Very long. */
    char *longp = malloc(8192);
    memset(longp, 'a', 8191);
    longp[0] = '/';
    longp[8191] = '\0';
    assert_false(safe(longp));
    free(longp);
}

/* ---- Preconditions and Range (RFC 9110 13.2.2) ---- */

#define ETAG   "\"6-3b9aca05\""
#define MTIME  784111777 /* Sun, 06 Nov 1994 08:49:37 GMT */
#define AT     "Sun, 06 Nov 1994 08:49:37 GMT"
#define BEFORE "Sun, 06 Nov 1994 08:49:36 GMT"
#define AFTER  "Sun, 06 Nov 1994 08:49:38 GMT"
#define NOW    (MTIME + 3600)
#define FUTURE "Sun, 06 Nov 1994 10:49:37 GMT" /* two hours after MTIME: later than NOW */

static uint64_t ev_first, ev_last;

/* The status for a GET (or HEAD) of a 100-byte file with `headers` (each
 * "Name: value\r\n"), parsed by the real parser. */
static int evaluate(bool get, const char *headers)
{
    static char req[2048];
    static t4__http_head h;
    int n = snprintf(req, sizeof req, "%s /f HTTP/1.1\r\nHost: h\r\n%s\r\n", get ? "GET" : "HEAD", headers);
    int st = 0;
    int r = t4__http_parse_head(req, (size_t)n, 0, sizeof req, &h, &st);
    if (r != n)
        fail_msg("the parser refused \"%s\": %d", headers, st);
    return t4__static_evaluate(&h, get, ETAG, MTIME, 100, NOW, &ev_first, &ev_last);
}

static void test_if_match(void **state)
{
    (void)state;
    assert_int_equal(evaluate(true, ""), 200);
    assert_int_equal(evaluate(true, "If-Match: " ETAG "\r\n"), 200);
    assert_int_equal(evaluate(true, "If-Match: *\r\n"), 200);
    assert_int_equal(evaluate(true, "If-Match: \"a\", " ETAG "\r\n"), 200);
    assert_int_equal(evaluate(true, "If-Match: \"a\"\r\nIf-Match: " ETAG "\r\n"), 200); /* one list */
    assert_int_equal(evaluate(true, "If-Match: \"other\"\r\n"), 412);
    assert_int_equal(evaluate(true, "If-Match: W/" ETAG "\r\n"), 412); /* strong comparison */
    assert_int_equal(evaluate(true, "If-Match: garbage\r\n"), 412);
    assert_int_equal(evaluate(false, "If-Match: \"other\"\r\n"), 412); /* HEAD too */
    /* Evaluated before If-None-Match and Range. */
    assert_int_equal(evaluate(true, "If-Match: \"other\"\r\nIf-None-Match: " ETAG "\r\n"), 412);
    assert_int_equal(evaluate(true, "If-Match: \"other\"\r\nRange: bytes=0-1\r\n"), 412);
    assert_int_equal(evaluate(true, "If-Match: \"other\"\r\nRange: bytes=500-\r\n"), 412);
    /* True: the next steps run. */
    assert_int_equal(evaluate(true, "If-Match: " ETAG "\r\nIf-None-Match: " ETAG "\r\n"), 304);
    assert_int_equal(evaluate(true, "If-Match: " ETAG "\r\nRange: bytes=0-1\r\n"), 206);
}

static void test_if_unmodified_since(void **state)
{
    (void)state;
    assert_int_equal(evaluate(true, "If-Unmodified-Since: " AT "\r\n"), 200);
    assert_int_equal(evaluate(true, "If-Unmodified-Since: " AFTER "\r\n"), 200);
    assert_int_equal(evaluate(true, "If-Unmodified-Since: " BEFORE "\r\n"), 412);
    assert_int_equal(evaluate(false, "If-Unmodified-Since: " BEFORE "\r\n"), 412);
    /* Ignored: an invalid date, a repeated one, or with If-Match present. */
    assert_int_equal(evaluate(true, "If-Unmodified-Since: yesterday\r\n"), 200);
    assert_int_equal(evaluate(true, "If-Unmodified-Since: " BEFORE "\r\nIf-Unmodified-Since: " BEFORE "\r\n"),
                     200);
    assert_int_equal(evaluate(true, "If-Match: " ETAG "\r\nIf-Unmodified-Since: " BEFORE "\r\n"), 200);
    assert_int_equal(evaluate(true, "If-Match: *\r\nIf-Unmodified-Since: " BEFORE "\r\n"), 200);
    /* Before If-None-Match / If-Modified-Since. */
    assert_int_equal(evaluate(true, "If-Unmodified-Since: " BEFORE "\r\nIf-None-Match: " ETAG "\r\n"), 412);
    assert_int_equal(evaluate(true, "If-Unmodified-Since: " AT "\r\nIf-None-Match: " ETAG "\r\n"), 304);
}

static void test_if_none_match_and_modified_since(void **state)
{
    (void)state;
    assert_int_equal(evaluate(true, "If-None-Match: " ETAG "\r\n"), 304);
    assert_int_equal(evaluate(true, "If-None-Match: W/" ETAG "\r\n"), 304); /* weak comparison */
    assert_int_equal(evaluate(true, "If-None-Match: \"a\"\r\nIf-None-Match: " ETAG "\r\n"), 304);
    assert_int_equal(evaluate(false, "If-None-Match: *\r\n"), 304);
    assert_int_equal(evaluate(true, "If-None-Match: \"other\"\r\n"), 200);
    assert_int_equal(evaluate(true, "If-Modified-Since: " AT "\r\n"), 304);
    assert_int_equal(evaluate(true, "If-Modified-Since: " AFTER "\r\n"), 304);
    assert_int_equal(evaluate(true, "If-Modified-Since: " BEFORE "\r\n"), 200);
    assert_int_equal(evaluate(true, "If-Modified-Since: never\r\n"), 200);
    /* If-None-Match present: If-Modified-Since is not looked at. */
    assert_int_equal(evaluate(true, "If-None-Match: \"other\"\r\nIf-Modified-Since: " AT "\r\n"), 200);
    /* A date later than the server's clock is invalid: ignored (200). */
    assert_int_equal(evaluate(true, "If-Modified-Since: " FUTURE "\r\n"), 200);
    assert_int_equal(evaluate(true, "If-Modified-Since: Fri, 31 Dec 9999 23:59:59 GMT\r\n"), 200);
    /* Repeated: more than one member, ignored. */
    assert_int_equal(evaluate(true, "If-Modified-Since: " AT "\r\nIf-Modified-Since: " AT "\r\n"), 200);
    /* Exactly now is not in the future. */
    static t4__http_head h;
    const char *req = "GET /f HTTP/1.1\r\nHost: h\r\nIf-Modified-Since: " AT "\r\n\r\n";
    int st;
    assert_true(t4__http_parse_head(req, strlen(req), 0, 1024, &h, &st) > 0);
    assert_int_equal(t4__static_evaluate(&h, true, ETAG, MTIME, 100, MTIME, &ev_first, &ev_last), 304);
    assert_int_equal(t4__static_evaluate(&h, true, ETAG, MTIME, 100, MTIME - 1, &ev_first, &ev_last), 200);
}

static void test_range_step(void **state)
{
    (void)state;
    assert_int_equal(evaluate(true, "Range: bytes=10-19\r\n"), 206);
    assert_true(ev_first == 10 && ev_last == 19);
    assert_int_equal(evaluate(true, "Range: bytes=-5\r\n"), 206);
    assert_true(ev_first == 95 && ev_last == 99);
    assert_int_equal(evaluate(true, "Range: bytes=100-\r\n"), 416);
    assert_int_equal(evaluate(false, "Range: bytes=10-19\r\n"), 200); /* GET only */
    assert_int_equal(evaluate(true, "Range: bytes=1-2, 5-6\r\n"), 200);
    assert_int_equal(evaluate(true, "Range: bytes=1-2\r\nRange: bytes=3-4\r\n"), 200);
    assert_int_equal(evaluate(true, "Range: bytes=10-19\r\nIf-Range: " ETAG "\r\n"), 206);
    assert_int_equal(evaluate(true, "Range: bytes=10-19\r\nIf-Range: " AT "\r\n"), 206);
    assert_int_equal(evaluate(true, "Range: bytes=10-19\r\nIf-Range: \"old\"\r\n"), 200);
    assert_int_equal(evaluate(true, "Range: bytes=10-19\r\nIf-Range: " ETAG "\r\nIf-Range: " ETAG "\r\n"),
                     200);
    assert_int_equal(evaluate(true, "Range: bytes=100-\r\nIf-Range: \"old\"\r\n"), 200);
    assert_int_equal(evaluate(true, "If-None-Match: " ETAG "\r\nRange: bytes=0-1\r\n"), 304);
    assert_int_equal(evaluate(true, "If-None-Match: \"x\"\r\nRange: bytes=0-1\r\n"), 206);
    /* 200: the whole file. */
    assert_int_equal(evaluate(true, ""), 200);
    assert_true(ev_first == 0 && ev_last == 99);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mime),
        cmocka_unit_test(test_range_single),
        cmocka_unit_test(test_range_unsatisfiable),
        cmocka_unit_test(test_range_ignored),
        cmocka_unit_test(test_etag_make),
        cmocka_unit_test(test_etag_match),
        cmocka_unit_test(test_etag_match_strong),
        cmocka_unit_test(test_if_range),
        cmocka_unit_test(test_dates),
        cmocka_unit_test(test_path_safe),
        cmocka_unit_test(test_if_match),
        cmocka_unit_test(test_if_unmodified_since),
        cmocka_unit_test(test_if_none_match_and_modified_since),
        cmocka_unit_test(test_range_step),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
