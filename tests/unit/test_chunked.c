/* SPDX-License-Identifier: MIT */
/* Unit tests of the chunked body decoder (src/http/chunked.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "http/parser.h"

typedef struct {
    ssize_t ret; /* final return of the last call */
    char out[4096];
    size_t out_len;
    char rest[4096]; /* the bytes after the body */
    size_t rest_len;
} result;

/* Feeds `in` in pieces of at most `step` bytes (every piece in its own heap
 * buffer of exactly that size, so ASan catches any overrun), stopping at the
 * first non-INCOMPLETE return. The rest of the input after a completed body
 * is what the decoder returned plus the pieces not fed yet. */
static void decode_steps(const char *in, size_t n, size_t step, result *res)
{
    t4__chunked d;
    memset(&d, 0, sizeof d);
    memset(res, 0, sizeof *res);
    res->ret = T4__HTTP_INCOMPLETE;
    size_t off = 0;
    while (off < n) {
        size_t k = n - off < step ? n - off : step;
        char *b = malloc(k);
        memcpy(b, in + off, k);
        size_t len = k;
        ssize_t r = t4__chunked_decode(&d, b, &len);
        assert_true(len <= k);
        memcpy(res->out + res->out_len, b, len);
        res->out_len += len;
        off += k;
        res->ret = r;
        if (r >= 0) {
            assert_true(len + (size_t)r <= k);
            memcpy(res->rest, b + len, (size_t)r);
            memcpy(res->rest + r, in + off, n - off);
            res->rest_len = (size_t)r + (n - off);
        }
        free(b);
        if (r != T4__HTTP_INCOMPLETE)
            return;
    }
}

static void decode_whole(const char *in, size_t n, result *res)
{
    decode_steps(in, n, n ? n : 1, res);
}

/* Decodes whole, byte by byte, and split at every point into two parts; all
 * must agree. Returns the whole result in *res. */
static void decode_all_ways(const char *in, result *res)
{
    size_t n = strlen(in);
    result alt;
    decode_whole(in, n, res);
    decode_steps(in, n, 1, &alt);
    assert_int_equal(alt.ret < 0 ? alt.ret : 0, res->ret < 0 ? res->ret : 0);
    assert_int_equal(alt.out_len, res->out_len);
    assert_memory_equal(alt.out, res->out, res->out_len);
    if (res->ret >= 0) {
        assert_int_equal(alt.rest_len, res->rest_len);
        assert_memory_equal(alt.rest, res->rest, res->rest_len);
    }
    for (size_t k = 1; k < n; k++) {
        /* two parts: k bytes, then the rest */
        t4__chunked d;
        memset(&d, 0, sizeof d);
        char *b = malloc(n);
        memcpy(b, in, n);
        size_t l1 = k;
        ssize_t r1 = t4__chunked_decode(&d, b, &l1);
        char out[4096];
        memcpy(out, b, l1);
        size_t ol = l1;
        ssize_t r = r1;
        size_t rest_len = 0;
        const char *rest = NULL;
        if (r1 == T4__HTTP_INCOMPLETE) {
            size_t l2 = n - k;
            r = t4__chunked_decode(&d, b + k, &l2);
            memcpy(out + ol, b + k, l2);
            ol += l2;
            if (r >= 0) {
                rest = b + k + l2;
                rest_len = (size_t)r;
            }
        } else if (r1 >= 0) {
            /* completed within the first part: its rest + the second part */
            memmove(b + l1 + r1, in + k, n - k);
            rest = b + l1;
            rest_len = (size_t)r1 + (n - k);
        }
        if ((r < 0) != (res->ret < 0))
            fail_msg("split at %zu: ret %zd vs whole %zd", k, r, res->ret);
        if (res->ret == T4__HTTP_ERROR) {
            free(b);
            continue;
        }
        assert_int_equal(ol, res->out_len);
        assert_memory_equal(out, res->out, ol);
        if (r >= 0) {
            assert_int_equal(rest_len, res->rest_len);
            assert_memory_equal(rest, res->rest, rest_len);
        }
        free(b);
    }
}

static void assert_body(const char *in, const char *body, const char *rest)
{
    result res;
    decode_all_ways(in, &res);
    if (res.ret < 0)
        fail_msg("decode of \"%s\" failed: %zd", in, res.ret);
    assert_int_equal(res.out_len, strlen(body));
    assert_memory_equal(res.out, body, res.out_len);
    assert_int_equal(res.rest_len, strlen(rest));
    assert_memory_equal(res.rest, rest, res.rest_len);
}

static void assert_fails(const char *in)
{
    result res;
    decode_all_ways(in, &res);
    if (res.ret != T4__HTTP_ERROR)
        fail_msg("decode of \"%s\" did not fail: %zd", in, res.ret);
}

static void assert_incomplete(const char *in)
{
    result res;
    decode_all_ways(in, &res);
    if (res.ret != T4__HTTP_INCOMPLETE)
        fail_msg("decode of \"%s\": %zd, want incomplete", in, res.ret);
}

static void test_simple(void **state)
{
    assert_body("5\r\nhello\r\n0\r\n\r\n", "hello", "");
    assert_body("0\r\n\r\n", "", "");
    assert_body("5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n", "hello world", "");
    assert_body("1\r\na\r\n1\r\nb\r\n1\r\nc\r\n0\r\n\r\n", "abc", "");
}

static void test_hex_sizes(void **state)
{
    char in[600], body[300];
    memset(body, 'x', 255);
    body[255] = 0;
    snprintf(in, sizeof in, "fF\r\n%s\r\n0\r\n\r\n", body);
    assert_body(in, body, "");
    snprintf(in, sizeof in, "000000000000000000000000ff\r\n%s\r\n0000\r\n\r\n", body);
    assert_body(in, body, "");
    assert_body("A\r\n0123456789\r\n0\r\n\r\n", "0123456789", "");
}

static void test_binary_data(void **state)
{
    /* Data may contain CR, LF and chunk-like text: only the size counts. */
    assert_body("6\r\n\r\n0\r\n\r\r\n0\r\n\r\n", "\r\n0\r\n\r", "");
}

static void test_extensions_and_trailers(void **state)
{
    assert_body("5;name=value\r\nhello\r\n0\r\n\r\n", "hello", "");
    assert_body("5 ; a=1;b=\"x y\"\r\nhello\r\n0;last\r\n\r\n", "hello", "");
    assert_body("5\t\r\nhello\r\n0\r\n\r\n", "hello", "");
    assert_body("5\r\nhello\r\n0\r\nExpires: never\r\nX-Sum: 1\r\n\r\n", "hello", "");
    assert_body("3\r\nabc\r\n0\r\nX: y\r\n\r\nGET /", "abc", "GET /");
}

/* Every line ends with CRLF: a bare LF anywhere in the framing is refused
 * (a proxy splitting only on CRLF would frame the body differently). */
static void test_bare_lf(void **state)
{
    assert_fails("5\nhello\r\n0\r\n\r\n");                /* after the size */
    assert_fails("5 \nhello\r\n0\r\n\r\n");               /* after BWS */
    assert_fails("5;e\nhello\r\n0\r\n\r\n");              /* after an extension */
    assert_fails("5\r\nhello\n0\r\n\r\n");                /* after the data */
    assert_fails("5\r\nhello\r\n0\n\r\n");                /* after the last size */
    assert_fails("5\r\nhello\r\n0\r\n\n");                /* the final empty line */
    assert_fails("5\r\nhello\r\n0\r\nT: x\n\r\n");        /* ending a trailer */
    assert_fails("0\r\nT: x\nContent-Length: 5\r\n\r\n"); /* a hidden trailer line */
    assert_fails("5\nhello\n0\n\n");                      /* everywhere */
    /* A LF inside chunk data is data. */
    assert_body("5\r\nhe\nlo\r\n0\r\n\r\n", "he\nlo", "");
}

static void test_pipelined_rest(void **state)
{
    assert_body("2\r\nhi\r\n0\r\n\r\nGET / HTTP/1.1\r\n\r\n", "hi", "GET / HTTP/1.1\r\n\r\n");
    assert_body("0\r\n\r\n\r\n", "", "\r\n");
}

static void test_incomplete(void **state)
{
    assert_incomplete("");
    assert_incomplete("5");
    assert_incomplete("5\r\nhel");
    assert_incomplete("5\r\nhello\r\n");
    assert_incomplete("5\r\nhello\r\n0\r\n");
    assert_incomplete("5\r\nhello\r\n0\r\nX: y\r\n");
    assert_incomplete("ffffffffffffffff\r\nabc"); /* the largest size: fine */
}

static void test_errors(void **state)
{
    assert_fails("\r\n");                      /* no size */
    assert_fails(";ext\r\n");                  /* no size */
    assert_fails("g\r\nx\r\n0\r\n\r\n");       /* bad hex */
    assert_fails("-1\r\n");                    /* sign */
    assert_fails("0x5\r\nhello\r\n0\r\n\r\n"); /* C-style hex */
    assert_fails("10000000000000000\r\n");     /* 2^64: overflow */
    assert_fails("fffffffffffffffff\r\n");     /* overflow */
    assert_fails("5 x\r\nhello\r\n0\r\n\r\n"); /* junk after BWS */
    assert_fails("5\rhello\r\n0\r\n\r\n");     /* bare CR */
    assert_fails("2\r\nabc\r\n0\r\n\r\n");     /* data longer than size */
    assert_fails("5\r\nhello0\r\n\r\n");       /* missing CRLF after data */
    assert_fails("5\r\nhello\rx0\r\n\r\n");    /* CR without LF after data */
    assert_fails("0\r\n\rx");                  /* CR without LF at the end */
    assert_fails("0\r\nX: y\rz\r\n\r\n");      /* bare CR in a trailer */
    assert_fails("0\r\n folded\r\n\r\n");      /* obs-fold in trailers */
    assert_fails("5;a\x01"
                 "b\r\nhello\r\n0\r\n\r\n"); /* control char in extension */
}

static void test_meta_limit(void **state)
{
    size_t n = T4__CHUNKED_MAX_META + 64;
    char *in = malloc(n + 32);
    strcpy(in, "1;");
    memset(in + 2, 'e', n);
    strcpy(in + 2 + n, "\r\nx\r\n0\r\n\r\n");
    t4__chunked d;
    memset(&d, 0, sizeof d);
    size_t len = strlen(in);
    assert_int_equal(t4__chunked_decode(&d, in, &len), T4__HTTP_ERROR);

    /* Trailers are capped the same way. */
    strcpy(in, "0\r\n");
    for (size_t i = 3; i < n; i += 8)
        memcpy(in + i, "X: abc\r\n", 8);
    strcpy(in + n, "\r\n");
    memset(&d, 0, sizeof d);
    len = strlen(in);
    assert_int_equal(t4__chunked_decode(&d, in, &len), T4__HTTP_ERROR);

    /* Just under the cap is fine. */
    strcpy(in, "1;");
    memset(in + 2, 'e', T4__CHUNKED_MAX_META - 10);
    strcpy(in + 2 + T4__CHUNKED_MAX_META - 10, "\r\nx\r\n0\r\n\r\n");
    memset(&d, 0, sizeof d);
    len = strlen(in);
    assert_int_equal(t4__chunked_decode(&d, in, &len), 0);
    assert_int_equal(len, 1);
    assert_int_equal(in[0], 'x');
    free(in);
}

static void test_error_is_sticky_and_done_is_final(void **state)
{
    t4__chunked d;
    memset(&d, 0, sizeof d);
    char b1[] = "zz";
    size_t len = 2;
    assert_int_equal(t4__chunked_decode(&d, b1, &len), T4__HTTP_ERROR);
    char b2[] = "0\r\n\r\n";
    len = 5;
    assert_int_equal(t4__chunked_decode(&d, b2, &len), T4__HTTP_ERROR);

    memset(&d, 0, sizeof d);
    len = 5;
    assert_int_equal(t4__chunked_decode(&d, b2, &len), 0);
    assert_int_equal(len, 0);
    char b3[] = "more";
    len = 4;
    assert_int_equal(t4__chunked_decode(&d, b3, &len), 4);
    assert_int_equal(len, 0);
    assert_memory_equal(b3, "more", 4);
}

static void test_large_chunk_in_pieces(void **state)
{
    /* A 100 000-byte chunk arriving in 1000-byte reads, decoded in place. */
    size_t sz = 100000;
    char *in = malloc(sz + 64);
    int h = snprintf(in, 64, "%zx\r\n", sz);
    for (size_t i = 0; i < sz; i++)
        in[h + i] = (char)('a' + i % 26);
    strcpy(in + h + sz, "\r\n0\r\n\r\n");
    size_t n = strlen(in);
    char *out = malloc(sz);
    size_t ol = 0;
    t4__chunked d;
    memset(&d, 0, sizeof d);
    ssize_t r = T4__HTTP_INCOMPLETE;
    for (size_t off = 0; off < n; off += 1000) {
        size_t k = n - off < 1000 ? n - off : 1000;
        size_t len = k;
        r = t4__chunked_decode(&d, in + off, &len);
        memcpy(out + ol, in + off, len);
        ol += len;
        if (r != T4__HTTP_INCOMPLETE)
            break;
    }
    assert_int_equal(r, 0);
    assert_int_equal(ol, sz);
    for (size_t i = 0; i < sz; i++)
        assert_int_equal(out[i], (char)('a' + i % 26));
    free(in);
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_simple),
        cmocka_unit_test(test_hex_sizes),
        cmocka_unit_test(test_binary_data),
        cmocka_unit_test(test_extensions_and_trailers),
        cmocka_unit_test(test_bare_lf),
        cmocka_unit_test(test_pipelined_rest),
        cmocka_unit_test(test_incomplete),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_meta_limit),
        cmocka_unit_test(test_error_is_sticky_and_done_is_final),
        cmocka_unit_test(test_large_chunk_in_pieces),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
