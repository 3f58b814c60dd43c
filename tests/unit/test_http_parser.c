/* SPDX-License-Identifier: MIT */
/* Unit tests of the request-head parser (src/http/parser.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "http/parser.h"

#define MAX_HEAD 8192

static t4__http_head H;

static int parse_max(const char *s, size_t max_head, int *status)
{
    *status = 0;
    return t4__http_parse_head(s, strlen(s), 0, max_head, &H, status);
}

static int parse(const char *s, int *status)
{
    return parse_max(s, MAX_HEAD, status);
}

static void assert_slice(t4__slice s, const char *want)
{
    if (!t4__slice_eq(s, want))
        fail_msg("slice \"%.*s\" != \"%s\"", (int)s.n, s.p, want);
}

/* Asserts that `req` fails with `code`, both whole and fed byte by byte. */
static void assert_error_max(const char *req, size_t max_head, int code)
{
    int st;
    int r = parse_max(req, max_head, &st);
    if (r != T4__HTTP_ERROR || st != code)
        fail_msg("want %d for \"%s\", got r=%d status=%d", code, req, r, st);
    size_t n = strlen(req), last = 0;
    for (size_t k = 1; k <= n; k++) {
        st = 0;
        r = t4__http_parse_head(req, k, last, max_head, &H, &st);
        if (r == T4__HTTP_INCOMPLETE) {
            last = k;
            continue;
        }
        assert_int_equal(r, T4__HTTP_ERROR);
        assert_int_equal(st, code);
        return;
    }
    fail_msg("byte-by-byte feed never failed for \"%s\"", req);
}

static void assert_error(const char *req, int code)
{
    assert_error_max(req, MAX_HEAD, code);
}

static void assert_ok(const char *req)
{
    int st;
    int r = parse(req, &st);
    if (r <= 0)
        fail_msg("want success for \"%s\", got r=%d status=%d", req, r, st);
}

static void test_simple_get(void **state)
{
    const char *req = "GET /hello/world?x=1&y=2 HTTP/1.1\r\n"
                      "Host: example.com\r\n"
                      "User-Agent: test\r\n"
                      "\r\n";
    int st;
    int r = parse(req, &st);
    assert_int_equal(r, (int)strlen(req));
    assert_slice(H.method, "GET");
    assert_slice(H.target, "/hello/world?x=1&y=2");
    assert_slice(H.path, "/hello/world");
    assert_slice(H.query, "x=1&y=2");
    assert_int_equal(H.minor_version, 1);
    assert_int_equal(H.num_headers, 2);
    assert_slice(H.headers[0].name, "Host");
    assert_slice(H.headers[0].value, "example.com");
    assert_slice(H.headers[1].name, "User-Agent");
    assert_slice(H.headers[1].value, "test");
    assert_int_equal(H.content_length, -1);
    assert_false(H.chunked);
    assert_true(H.keep_alive);
    assert_false(H.upgrade_websocket);
    assert_false(H.expect_continue);
}

static void test_slices_point_into_buffer(void **state)
{
    char req[] = "POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc";
    int st;
    int r = t4__http_parse_head(req, strlen(req), 0, MAX_HEAD, &H, &st);
    assert_int_equal(r, (int)strlen(req) - 3);
    assert_ptr_equal(H.method.p, req);
    assert_ptr_equal(H.path.p, req + 5);
    assert_true(H.headers[1].value.p > req && H.headers[1].value.p < req + r);
    assert_int_equal(H.content_length, 3);
}

static void test_query_and_fragment(void **state)
{
    assert_ok("GET /a?x=1#frag HTTP/1.0\r\n\r\n");
    assert_slice(H.path, "/a");
    assert_slice(H.query, "x=1");
    assert_ok("GET /a#frag?no HTTP/1.0\r\n\r\n");
    assert_slice(H.path, "/a");
    assert_int_equal(H.query.n, 0);
    assert_ok("GET /a? HTTP/1.0\r\n\r\n");
    assert_slice(H.path, "/a");
    assert_int_equal(H.query.n, 0);
    assert_ok("GET / HTTP/1.0\r\n\r\n");
    assert_slice(H.path, "/");
    assert_int_equal(H.query.n, 0);
    assert_ok("GET /a%20b?q=%41 HTTP/1.0\r\n\r\n");
    assert_slice(H.path, "/a%20b"); /* still encoded */
}

static void test_target_forms(void **state)
{
    assert_ok("GET http://example.com/x/y?z HTTP/1.1\r\nHost: example.com\r\n\r\n");
    assert_slice(H.path, "/x/y");
    assert_slice(H.query, "z");
    assert_ok("GET HTTPS://example.com:8443/ HTTP/1.1\r\nHost: example.com\r\n\r\n");
    assert_slice(H.path, "/");
    assert_ok("OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n");
    assert_slice(H.path, "*");
    assert_error("GET http://example.com HTTP/1.1\r\nHost: h\r\n\r\n", 400);
    assert_error("GET http:///x HTTP/1.1\r\nHost: h\r\n\r\n", 400);
    assert_error("CONNECT example.com:443 HTTP/1.1\r\nHost: h\r\n\r\n", 400);
    assert_error("GET x HTTP/1.1\r\nHost: h\r\n\r\n", 400);
    assert_error("GET ** HTTP/1.1\r\nHost: h\r\n\r\n", 400);
}

/* Every line of a head ends with CRLF; a bare LF is 400 wherever it is (a
 * proxy that only splits on CRLF would see other headers than we do). */
static void test_bare_lf_refused(void **state)
{
    assert_error("GET /a HTTP/1.1\nHost: h\nX: y\n\n", 400);
    assert_error("GET /a HTTP/1.1\nHost: h\r\n\r\n", 400);         /* the request line */
    assert_error("GET /a HTTP/1.1\r\nHost: h\nX: y\r\n\r\n", 400); /* a header */
    assert_error("GET /a HTTP/1.1\r\nHost: h\n\r\n", 400);         /* the last header */
    assert_error("GET /a HTTP/1.1\r\nHost: h\r\n\n", 400);         /* the empty line */
    assert_error("GET /a HTTP/1.1\r\nHost: h\r\nX: y\n\n", 400);
    /* The smuggling shape: a Content-Length hidden behind a bare LF. */
    assert_error("POST /a HTTP/1.1\r\nHost: h\r\nX: a\nContent-Length: 5\r\n\r\nhello", 400);
    assert_error("POST /a HTTP/1.1\r\nHost: h\r\nX: a\nTransfer-Encoding: chunked\r\n\r\n", 400);
    /* Leading empty lines are CRLFs too. */
    assert_error("\nGET /a HTTP/1.1\r\nHost: h\r\n\r\n", 400);
    assert_error("\r\n\nGET /a HTTP/1.1\r\nHost: h\r\n\r\n", 400);
    /* A LF inside a value is a line end, so still a bare LF. */
    assert_error("GET /a HTTP/1.1\r\nHost: h\r\nX: a\n b\r\n\r\n", 400);
}

static void test_leading_empty_lines(void **state)
{
    const char *req = "\r\n\r\nGET /b HTTP/1.1\r\nHost: h\r\n\r\n";
    int st;
    assert_int_equal(parse(req, &st), (int)strlen(req));
    assert_slice(H.path, "/b");
}

static void test_incomplete_prefixes(void **state)
{
    const char *req = "POST /upload?a=b HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\n";
    size_t n = strlen(req);
    int st;
    for (size_t k = 0; k < n; k++) {
        int r = t4__http_parse_head(req, k, 0, MAX_HEAD, &H, &st);
        if (r != T4__HTTP_INCOMPLETE)
            fail_msg("prefix %zu: %d", k, r);
    }
    assert_int_equal(t4__http_parse_head(req, n, 0, MAX_HEAD, &H, &st), (int)n);
}

/* Compares two parse results field by field, relative to their buffers. */
static void assert_same_head(const t4__http_head *a, const char *ba, const t4__http_head *b, const char *bb)
{
#define SAME(f) assert_true(a->f.n == b->f.n && a->f.p - ba == b->f.p - bb)
    SAME(method);
    SAME(target);
    SAME(path);
    SAME(query);
    assert_int_equal(a->minor_version, b->minor_version);
    assert_int_equal(a->num_headers, b->num_headers);
    for (size_t i = 0; i < a->num_headers; i++) {
        SAME(headers[i].name);
        SAME(headers[i].value);
    }
#undef SAME
    assert_int_equal(a->content_length, b->content_length);
    assert_int_equal(a->chunked, b->chunked);
    assert_int_equal(a->keep_alive, b->keep_alive);
    assert_int_equal(a->upgrade_websocket, b->upgrade_websocket);
    assert_int_equal(a->expect_continue, b->expect_continue);
}

static void feed_byte_by_byte(const char *req)
{
    static t4__http_head whole, part;
    size_t n = strlen(req);
    int st, st2;
    int rw = t4__http_parse_head(req, n, 0, MAX_HEAD, &whole, &st);
    assert_true(rw > 0);
    /* A private copy, so reading past the fed length would be caught by ASan
     * only if we made it a heap buffer of exactly k bytes: do that. */
    size_t last = 0;
    for (size_t k = 1; k <= n; k++) {
        char *b = malloc(k);
        memcpy(b, req, k);
        int r = t4__http_parse_head(b, k, last, MAX_HEAD, &part, &st2);
        if (r == T4__HTTP_INCOMPLETE) {
            free(b);
            last = k;
            continue;
        }
        assert_int_equal(r, rw);
        assert_int_equal(k, (size_t)rw); /* found exactly when the last byte arrived */
        assert_same_head(&whole, req, &part, b);
        free(b);
        return;
    }
    fail_msg("never completed");
}

static void test_byte_by_byte(void **state)
{
    feed_byte_by_byte("GET /a/b?c=d HTTP/1.1\r\nHost: example.com\r\nConnection: keep-alive, Upgrade\r\n"
                      "Upgrade: websocket\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n");
    feed_byte_by_byte("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n");
    feed_byte_by_byte("\r\n\r\nGET / HTTP/1.0\r\n\r\n");
    feed_byte_by_byte("PUT /x HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n");
}

static void test_pipelined(void **state)
{
    const char *buf = "GET /one HTTP/1.1\r\nHost: h\r\n\r\n"
                      "POST /two HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\nhi"
                      "GET /three HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n";
    size_t n = strlen(buf), off = 0;
    int st;
    int r = t4__http_parse_head(buf, n, 0, MAX_HEAD, &H, &st);
    assert_true(r > 0);
    assert_slice(H.path, "/one");
    assert_true(H.keep_alive);
    off += (size_t)r;
    r = t4__http_parse_head(buf + off, n - off, 0, MAX_HEAD, &H, &st);
    assert_true(r > 0);
    assert_slice(H.path, "/two");
    assert_int_equal(H.content_length, 2);
    off += (size_t)r;
    assert_memory_equal(buf + off, "hi", 2);
    off += 2;
    r = t4__http_parse_head(buf + off, n - off, 0, MAX_HEAD, &H, &st);
    assert_int_equal(r, (int)(n - off));
    assert_slice(H.path, "/three");
    assert_false(H.keep_alive);
}

static void test_keep_alive(void **state)
{
    assert_ok("GET / HTTP/1.1\r\nHost: h\r\n\r\n");
    assert_true(H.keep_alive);
    assert_ok("GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n");
    assert_false(H.keep_alive);
    assert_ok("GET / HTTP/1.1\r\nHost: h\r\nConnection: Close\r\n\r\n");
    assert_false(H.keep_alive);
    assert_ok("GET / HTTP/1.1\r\nHost: h\r\nConnection: keep-alive, close\r\n\r\n");
    assert_false(H.keep_alive);
    assert_ok("GET / HTTP/1.1\r\nHost: h\r\nConnection: keep-alive\r\nConnection: close\r\n\r\n");
    assert_false(H.keep_alive);
    assert_ok("GET / HTTP/1.1\r\nHost: h\r\nConnection: closed\r\n\r\n");
    assert_true(H.keep_alive); /* a token, not a substring */
    assert_ok("GET / HTTP/1.0\r\n\r\n");
    assert_false(H.keep_alive);
    assert_int_equal(H.minor_version, 0);
    assert_ok("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n");
    assert_true(H.keep_alive);
    assert_ok("GET / HTTP/1.0\r\nConnection: keep-alive , close\r\n\r\n");
    assert_false(H.keep_alive);
    assert_ok("GET / HTTP/1.0\r\nConnection: keep-alivex\r\n\r\n");
    assert_false(H.keep_alive);
}

static void test_upgrade(void **state)
{
    assert_ok("GET /ws HTTP/1.1\r\nHost: h\r\nConnection: keep-alive, Upgrade\r\nUpgrade: websocket\r\n\r\n");
    assert_true(H.upgrade_websocket);
    assert_true(H.keep_alive);
    assert_ok("GET /ws HTTP/1.1\r\nHost: h\r\nconnection: UPGRADE\r\nupgrade: WebSocket\r\n\r\n");
    assert_true(H.upgrade_websocket);
    assert_ok("GET /ws HTTP/1.1\r\nHost: h\r\nConnection:upgrade\r\nUpgrade: foo, websocket\r\n\r\n");
    assert_true(H.upgrade_websocket);
    assert_ok("GET /ws HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\n\r\n");
    assert_false(H.upgrade_websocket);
    assert_ok("GET /ws HTTP/1.1\r\nHost: h\r\nConnection: upgrade\r\n\r\n");
    assert_false(H.upgrade_websocket);
    assert_ok("GET /ws HTTP/1.1\r\nHost: h\r\nConnection: upgrades\r\nUpgrade: websocket\r\n\r\n");
    assert_false(H.upgrade_websocket);
    assert_ok("GET /ws HTTP/1.1\r\nHost: h\r\nConnection: upgrade\r\nUpgrade: websockets\r\n\r\n");
    assert_false(H.upgrade_websocket);
}

static void test_expect(void **state)
{
    assert_ok("PUT / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nExpect: 100-Continue\r\n\r\n");
    assert_true(H.expect_continue);
    assert_ok("PUT / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nEXPECT: 100-CONTINUE\r\n\r\n");
    assert_true(H.expect_continue);
    assert_ok("PUT / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nExpect: , 100-continue ,\r\n\r\n");
    assert_true(H.expect_continue);
    assert_ok("PUT / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\n\r\n");
    assert_false(H.expect_continue);
    assert_ok("PUT / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nExpect:\r\n\r\n");
    assert_false(H.expect_continue); /* an empty list expects nothing */
    /* RFC 9110 10.1.1: ignored in HTTP/1.0. */
    assert_ok("PUT / HTTP/1.0\r\nContent-Length: 1\r\nExpect: 100-continue\r\n\r\n");
    assert_false(H.expect_continue);
    /* Any other expectation: 417. */
    assert_error("PUT / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nExpect: 200-ok\r\n\r\n", 417);
    assert_error("PUT / HTTP/1.1\r\nHost: h\r\nExpect: 100-continue, foo\r\n\r\n", 417);
    assert_error("PUT / HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nExpect: x\r\n\r\n", 417);
    assert_error("PUT / HTTP/1.1\r\nHost: h\r\nExpect: 100-continuex\r\n\r\n", 417);
    assert_error("PUT / HTTP/1.1\r\nHost: h\r\nExpect: 100-continue;a=b\r\n\r\n", 417);
    assert_error("GET / HTTP/1.0\r\nExpect: foo\r\n\r\n", 417);
    /* A malformed request is 400 whatever it expects. */
    assert_error("PUT / HTTP/1.1\r\nExpect: foo\r\n\r\n", 400);
}

static void test_host(void **state)
{
    static const char *const good[] = {
        "h",
        "example.com",
        "example.com:8080",
        "EXAMPLE.com:",
        "127.0.0.1:7145",
        "[::1]",
        "[::1]:80",
        "[fe80::1%25eth0]",
        "[v1.fe]",
        "a-b_c~d.e",
        "xn--bcher-kva.example",
        "a%20b",
        "!$&'()*+;=",
    };
    static const char *const bad[] = {
        "",     "a b",  "a,b",  "<x>", "a/b",    "a@b",     "user@h", "a:b", "a:80:80",
        "a:8a", ":80",  "[::1", "[]",  "[::1]x", "[::1]:x", "[a b]",  "a%2", "a%zz",
        "a\"b", "a\\b", "a{b}", "a|b", "a^b",    "a`b",     "a#b",    "a?b", "caf\xc3\xa9",
    };
    char req[256];
    for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
        snprintf(req, sizeof req, "GET / HTTP/1.1\r\nHost: %s\r\n\r\n", good[i]);
        assert_ok(req);
        snprintf(req, sizeof req, "GET / HTTP/1.0\r\nHost: %s\r\n\r\n", good[i]);
        assert_ok(req);
    }
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        snprintf(req, sizeof req, "GET / HTTP/1.1\r\nHost: %s\r\n\r\n", bad[i]);
        assert_error(req, 400);
        snprintf(req, sizeof req, "GET / HTTP/1.0\r\nHost: %s\r\n\r\n", bad[i]);
        assert_error(req, 400); /* present in 1.0: it must still be valid */
    }
    /* Missing in 1.1, or more than one (even identical): 400. */
    assert_error("GET / HTTP/1.1\r\n\r\n", 400);
    assert_error("GET / HTTP/1.1\r\nX: y\r\n\r\n", 400);
    assert_error("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400);
    assert_error("GET / HTTP/1.1\r\nHost: a\r\nhost: a\r\n\r\n", 400);
    assert_error("GET / HTTP/1.0\r\nHost: a\r\nHost: a\r\n\r\n", 400);
    assert_error("GET / HTTP/1.1\r\nHost: a, b\r\n\r\n", 400);
    assert_ok("GET / HTTP/1.0\r\n\r\n"); /* 1.0 needs no Host */
    assert_ok("GET / HTTP/1.1\r\nhOsT:  h  \r\n\r\n");
}

static void test_value_trimming(void **state)
{
    assert_ok("GET / HTTP/1.1\r\nHost:h\r\nA:   a b  \t\r\nB:\t\tx\r\nC:\r\nD:   \r\n\r\n");
    assert_int_equal(H.num_headers, 5);
    assert_slice(H.headers[0].value, "h");
    assert_slice(H.headers[1].value, "a b");
    assert_slice(H.headers[2].value, "x");
    assert_int_equal(H.headers[3].value.n, 0);
    assert_int_equal(H.headers[4].value.n, 0);
    /* obs-text is allowed in values */
    assert_ok("GET / HTTP/1.1\r\nHost: h\r\nX: caf\xc3\xa9\r\n\r\n");
    assert_slice(H.headers[1].value, "caf\xc3\xa9");
}

static void test_find_header(void **state)
{
    assert_ok(
        "GET / HTTP/1.1\r\nHost: h\r\nX-Thing: one\r\nx-thing: two\r\nCONTENT-TYPE: text/plain\r\n\r\n");
    const t4__http_header *h = t4__http_find_header(&H, "x-THING");
    assert_non_null(h);
    assert_slice(h->value, "one");
    h = t4__http_find_header(&H, "content-type");
    assert_non_null(h);
    assert_slice(h->value, "text/plain");
    assert_null(t4__http_find_header(&H, "x-thin"));
    assert_null(t4__http_find_header(&H, "x-things"));
    assert_null(t4__http_find_header(&H, ""));
}

static void test_content_length(void **state)
{
    assert_ok("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n");
    assert_int_equal(H.content_length, 0);
    assert_ok("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 9223372036854775807\r\n\r\n");
    assert_int_equal(H.content_length, INT64_MAX);
    assert_ok("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 007\r\n\r\n");
    assert_int_equal(H.content_length, 7);
    /* Identical duplicates are allowed (RFC 9112 6.3). */
    assert_ok("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\ncontent-length: 5\r\n\r\n");
    assert_int_equal(H.content_length, 5);

    assert_error("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n", 400);
    assert_error("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 9223372036854775808\r\n\r\n", 400);
    assert_error("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 99999999999999999999999\r\n\r\n", 400);
    assert_error("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: -1\r\n\r\n", 400);
    assert_error("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: +1\r\n\r\n", 400);
    assert_error("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: abc\r\n\r\n", 400);
    assert_error("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1 2\r\n\r\n", 400);
    assert_error("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5, 5\r\n\r\n", 400);
    assert_error("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 0x10\r\n\r\n", 400);
    assert_error("POST / HTTP/1.1\r\nHost: h\r\nContent-Length:\r\n\r\n", 400);
}

static void test_transfer_encoding(void **state)
{
    assert_ok("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n");
    assert_true(H.chunked);
    assert_int_equal(H.content_length, -1);
    assert_ok("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding:  CHUNKED \r\n\r\n");
    assert_true(H.chunked);

    /* Both framings: the smuggling classic. */
    assert_error("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
                 400);
    assert_error("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n",
                 400);
    assert_error("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\nContent-Length: 3\r\n\r\n", 400);
    /* Any other coding, or chunked twice. */
    assert_error("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\n\r\n", 501);
    assert_error("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501);
    assert_error("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked, chunked\r\n\r\n", 501);
    assert_error(
        "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n",
        501);
    assert_error("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: xchunked\r\n\r\n", 501);
    assert_error("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding:\r\n\r\n", 501);
    /* RFC 9112 6.1: Transfer-Encoding in HTTP/1.0 is faulty framing. */
    assert_error("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400);
}

static void test_malformed_400(void **state)
{
    /* obs-fold */
    assert_error("GET / HTTP/1.1\r\nHost: h\r\nX: a\r\n b\r\n\r\n", 400);
    assert_error("GET / HTTP/1.1\r\nHost: h\r\nX: a\r\n\tb\r\n\r\n", 400);
    assert_error("GET / HTTP/1.1\r\n Host: h\r\n\r\n", 400);
    /* bare CR: in a value, in the request line, as the blank line, in a name */
    assert_error("GET / HTTP/1.1\r\nHost: h\r\nX: a\rb\r\n\r\n", 400);
    assert_error("GET / HTTP/1.1\rHost: h\r\n\r\n", 400);
    assert_error("GET /\r HTTP/1.1\r\nHost: h\r\n\r\n", 400);
    assert_error("GET / HTTP/1.1\r\nHost: h\r\n\rX: y\r\n\r\n", 400);
    assert_error("GET / HTTP/1.1\r\nHo\rst: h\r\n\r\n", 400);
    assert_error("\rGET / HTTP/1.1\r\nHost: h\r\n\r\n", 400);
    /* method token */
    assert_error("GE(T / HTTP/1.1\r\nHost: h\r\n\r\n", 400);
    assert_error("G\x80T / HTTP/1.1\r\nHost: h\r\n\r\n", 400);
    assert_error(" GET / HTTP/1.1\r\nHost: h\r\n\r\n", 400);
    assert_error("/ HTTP/1.1\r\nHost: h\r\n\r\n", 400);
    /* header name token */
    assert_error("GET / HTTP/1.1\r\nHost: h\r\nBad Name: x\r\n\r\n", 400);
    assert_error("GET / HTTP/1.1\r\nHost: h\r\nBad(Name): x\r\n\r\n", 400);
    assert_error("GET / HTTP/1.1\r\nHost: h\r\nX-Foo : x\r\n\r\n", 400);
    assert_error("GET / HTTP/1.1\r\nHost: h\r\n: x\r\n\r\n", 400);
    assert_error("GET / HTTP/1.1\r\nHost: h\r\nNoColon\r\n\r\n", 400);
    assert_error("GET / HTTP/1.1\r\nHost: h\r\nX\x80: y\r\n\r\n", 400);
    /* controls in values */
    assert_error("GET / HTTP/1.1\r\nHost: h\r\nX: a\x01"
                 "b\r\n\r\n",
                 400);
    assert_error("GET / HTTP/1.1\r\nHost: h\r\nX: a\x7f\r\n\r\n", 400);
    {
        static const char nul[] = "GET / HTTP/1.1\r\nHost: h\r\nX: a\0b\r\n\r\n";
        int st = 0;
        assert_int_equal(t4__http_parse_head(nul, sizeof nul - 1, 0, MAX_HEAD, &H, &st), T4__HTTP_ERROR);
        assert_int_equal(st, 400);
    }
    /* request line shape */
    assert_error("GET  / HTTP/1.1\r\nHost: h\r\n\r\n", 400);
    assert_error("GET / HTTP/1.1 \r\nHost: h\r\n\r\n", 400);
    assert_error("GET /  HTTP/1.1\r\nHost: h\r\n\r\n", 400);
    assert_error("GET /\r\nHost: h\r\n\r\n", 400);
    assert_error("GET / http/1.1\r\nHost: h\r\n\r\n", 400);
    assert_error("GET / HTTP/1.10\r\nHost: h\r\n\r\n", 400);
    assert_error("GET / HTTP/1\r\nHost: h\r\n\r\n", 400);
    assert_error("GET / HTTP/a.b\r\nHost: h\r\n\r\n", 400);
    assert_error("GET /\x80 HTTP/1.1\r\nHost: h\r\n\r\n", 400);
    assert_error("GET /a\tb HTTP/1.1\r\nHost: h\r\n\r\n", 400);
    assert_error("GET\t/ HTTP/1.1\r\nHost: h\r\n\r\n", 400);
}

static void test_version_505(void **state)
{
    assert_error("GET / HTTP/2.0\r\nHost: h\r\n\r\n", 505);
    assert_error("GET / HTTP/1.2\r\nHost: h\r\n\r\n", 505);
    assert_error("GET / HTTP/0.9\r\n\r\n", 505);
    assert_error("GET / HTTP/9.9\r\n\r\n", 505);
}

static void test_too_large_431(void **state)
{
    char big[4096];
    int st;
    /* Incomplete and over max_head: 431 as soon as len > max_head. */
    memset(big, 0, sizeof big);
    strcpy(big, "GET / HTTP/1.1\r\nHost: h\r\nX: ");
    size_t base = strlen(big);
    memset(big + base, 'a', 300);
    size_t max = 200;
    assert_int_equal(t4__http_parse_head(big, max, 0, max, &H, &st), T4__HTTP_INCOMPLETE);
    assert_int_equal(t4__http_parse_head(big, max + 1, max, max, &H, &st), T4__HTTP_ERROR);
    assert_int_equal(st, 431);

    /* A complete head longer than max_head, arriving at once. */
    strcpy(big + base + 300, "\r\n\r\n");
    assert_error_max(big, max, 431);
    /* The same head fits a larger limit, also when exactly at the limit. */
    size_t n = strlen(big);
    assert_int_equal(t4__http_parse_head(big, n, 0, n, &H, &st), (int)n);
    assert_error_max(big, n - 1, 431);

    /* Leading empty lines count toward the limit too. */
    memset(big, 0, sizeof big);
    for (int i = 0; i < 200; i++)
        strcat(big, "\r\n");
    strcat(big, "GET / HTTP/1.0\r\n\r\n");
    assert_error_max(big, 300, 431);
}

/* A head of Host plus `count - 1` more headers; returns its length. */
static size_t head_with_headers(char *buf, size_t cap, size_t count)
{
    size_t n = (size_t)snprintf(buf, cap, "GET / HTTP/1.1\r\nHost: h\r\n");
    for (size_t i = 1; i < count; i++)
        n += (size_t)snprintf(buf + n, cap - n, "X-%zu: %zu\r\n", i, i);
    n += (size_t)snprintf(buf + n, cap - n, "\r\n");
    return n;
}

/* The header-count limit is the caller's (TINA4_HTTP_MAX_HEADERS): exactly
 * the limit parses, one more is 431, whole and byte by byte. */
static void test_too_many_headers_431(void **state)
{
    static char buf[32768];
    static const size_t limits[] = {1, 5, 100, 101, 250, T4__HTTP_MAX_HEADERS};
    int st;
    for (size_t k = 0; k < sizeof limits / sizeof *limits; k++) {
        size_t lim = limits[k];
        size_t n = head_with_headers(buf, sizeof buf, lim);
        assert_int_equal(t4__http_parse_head_max(buf, n, 0, sizeof buf, lim, &H, &st), (int)n);
        assert_int_equal(H.num_headers, lim);
        n = head_with_headers(buf, sizeof buf, lim + 1);
        st = 0;
        assert_int_equal(t4__http_parse_head_max(buf, n, 0, sizeof buf, lim, &H, &st), T4__HTTP_ERROR);
        assert_int_equal(st, 431);
        size_t last = 0;
        int r = T4__HTTP_INCOMPLETE;
        for (size_t i = 1; i <= n && r == T4__HTTP_INCOMPLETE; i++) {
            r = t4__http_parse_head_max(buf, i, last, sizeof buf, lim, &H, &st);
            last = i;
        }
        assert_int_equal(r, T4__HTTP_ERROR);
        assert_int_equal(st, 431);
    }
    /* Above 100 (the old compile-time limit) is honoured. */
    size_t n = head_with_headers(buf, sizeof buf, 101);
    assert_int_equal(t4__http_parse_head_max(buf, n, 0, sizeof buf, 101, &H, &st), (int)n);
    assert_slice(H.headers[100].name, "X-100");
    assert_int_equal(t4__http_parse_head_max(buf, n, 0, sizeof buf, 100, &H, &st), T4__HTTP_ERROR);
    /* 0 or more than the array holds: the array's size. */
    n = head_with_headers(buf, sizeof buf, T4__HTTP_MAX_HEADERS);
    assert_int_equal(t4__http_parse_head_max(buf, n, 0, sizeof buf, 0, &H, &st), (int)n);
    assert_int_equal(t4__http_parse_head_max(buf, n, 0, sizeof buf, SIZE_MAX, &H, &st), (int)n);
    assert_int_equal(t4__http_parse_head(buf, n, 0, sizeof buf, &H, &st), (int)n);
    n = head_with_headers(buf, sizeof buf, T4__HTTP_MAX_HEADERS + 1);
    assert_int_equal(t4__http_parse_head_max(buf, n, 0, sizeof buf, SIZE_MAX, &H, &st), T4__HTTP_ERROR);
    assert_int_equal(st, 431);
    assert_int_equal(t4__http_parse_head(buf, n, 0, sizeof buf, &H, &st), T4__HTTP_ERROR);
}

static void test_uri_too_long_414(void **state)
{
    char buf[512];
    size_t max = 200;
    strcpy(buf, "GET /");
    memset(buf + 5, 'a', 100); /* target = 101 bytes > 100 */
    strcpy(buf + 105, " HTTP/1.1\r\nHost: h\r\n\r\n");
    assert_error_max(buf, max, 414);
    /* Exactly max_head / 2 is fine. */
    strcpy(buf + 104, " HTTP/1.1\r\nHost: h\r\n\r\n");
    int st;
    assert_true(parse_max(buf, max, &st) > 0);
    assert_int_equal(H.target.n, 100);

    /* A target so long that the head overflows before it ends: still 414. */
    strcpy(buf, "GET /");
    memset(buf + 5, 'b', 400);
    strcpy(buf + 405, " HTTP/1.1\r\nHost: h\r\n\r\n");
    assert_error_max(buf, max, 414);
    /* ...but a long header is 431. */
    strcpy(buf, "GET / HTTP/1.1\r\nX: ");
    memset(buf + 19, 'c', 400);
    strcpy(buf + 419, "\r\n\r\n");
    assert_error_max(buf, max, 431);
}

static void test_resume_is_incremental(void **state)
{
    /* last_len beyond len is clamped rather than trusted. */
    const char *req = "GET / HTTP/1.0\r\n\r\n";
    int st;
    assert_int_equal(t4__http_parse_head(req, strlen(req), 1000, MAX_HEAD, &H, &st), (int)strlen(req));
    /* Every two-part split gives the whole result. */
    const char *r2 = "GET /x?y HTTP/1.1\r\nHost: h\r\nA: b\r\n\r\n";
    size_t n = strlen(r2);
    for (size_t k = 0; k < n; k++) {
        assert_int_equal(t4__http_parse_head(r2, k, 0, MAX_HEAD, &H, &st), T4__HTTP_INCOMPLETE);
        assert_int_equal(t4__http_parse_head(r2, n, k, MAX_HEAD, &H, &st), (int)n);
        assert_slice(H.path, "/x");
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_simple_get),
        cmocka_unit_test(test_slices_point_into_buffer),
        cmocka_unit_test(test_query_and_fragment),
        cmocka_unit_test(test_target_forms),
        cmocka_unit_test(test_bare_lf_refused),
        cmocka_unit_test(test_leading_empty_lines),
        cmocka_unit_test(test_incomplete_prefixes),
        cmocka_unit_test(test_byte_by_byte),
        cmocka_unit_test(test_pipelined),
        cmocka_unit_test(test_keep_alive),
        cmocka_unit_test(test_upgrade),
        cmocka_unit_test(test_expect),
        cmocka_unit_test(test_host),
        cmocka_unit_test(test_value_trimming),
        cmocka_unit_test(test_find_header),
        cmocka_unit_test(test_content_length),
        cmocka_unit_test(test_transfer_encoding),
        cmocka_unit_test(test_malformed_400),
        cmocka_unit_test(test_version_505),
        cmocka_unit_test(test_too_large_431),
        cmocka_unit_test(test_too_many_headers_431),
        cmocka_unit_test(test_uri_too_long_414),
        cmocka_unit_test(test_resume_is_incremental),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
