/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for permessage-deflate (src/ws/deflate.c): the offer parser
 * (RFC 7692 7.1: accepted and declined offers, parameters, several offers,
 * bad values, malformed headers) and the compress / inflate helpers (round
 * trips at many sizes, the zip-bomb limit, corrupt and truncated data).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <zlib.h>

#include "ws/deflate.h"
#include "ws/frame.h"

static int neg(const char *v, bool *asked)
{
    bool a = false;
    int r = t4__pmd_negotiate(v, strlen(v), &a);
    if (asked)
        *asked = a;
    return r;
}

static void test_accepts(void **state)
{
    (void)state;
    bool asked;
    assert_int_equal(neg("permessage-deflate", &asked), 15);
    assert_false(asked);
    assert_int_equal(neg("permessage-deflate; client_max_window_bits", &asked), 15);
    assert_int_equal(neg("permessage-deflate;client_max_window_bits=10", NULL), 15);
    assert_int_equal(neg("permessage-deflate; client_max_window_bits=\"8\"", NULL), 15);
    assert_int_equal(neg("Permessage-Deflate; Server_No_Context_Takeover", NULL), 15);
    assert_int_equal(neg("permessage-deflate; server_no_context_takeover; client_no_context_takeover", NULL),
                     15);
    assert_int_equal(neg("permessage-deflate; server_max_window_bits=10", &asked), 10);
    assert_true(asked);
    assert_int_equal(neg("permessage-deflate; server_max_window_bits=\"12\"", &asked), 12);
    assert_true(asked);
    assert_int_equal(neg("permessage-deflate ; server_max_window_bits = 9 ", NULL), 9);
    assert_int_equal(neg("  ,permessage-deflate,", NULL), 15);
}

static void test_declines(void **state)
{
    (void)state;
    const char *bad[] = {
        "",
        "x-webkit-deflate-frame",
        "permessage-deflate; foo",                                                    /* unknown */
        "permessage-deflate; foo=1",                                                  /* unknown */
        "permessage-deflate; server_no_context_takeover; server_no_context_takeover", /* repeated */
        "permessage-deflate; client_max_window_bits; client_max_window_bits=10",
        "permessage-deflate; server_no_context_takeover=1", /* takes no value */
        "permessage-deflate; client_no_context_takeover=\"\"",
        "permessage-deflate; server_max_window_bits",   /* needs a value */
        "permessage-deflate; server_max_window_bits=8", /* zlib cannot */
        "permessage-deflate; server_max_window_bits=16",
        "permessage-deflate; server_max_window_bits=7",
        "permessage-deflate; server_max_window_bits=010", /* leading zero */
        "permessage-deflate; server_max_window_bits=1a",
        "permessage-deflate; client_max_window_bits=16",
        "permessage-deflate; client_max_window_bits=0",
        "permessage-deflate; client_max_window_bits=\"123456\"",
        "permessage-deflate x", /* malformed */
        "permessage-deflate; =1",
        "permessage-deflate; client_max_window_bits=\"10",
        "permessage-deflate; client_max_window_bits=",
        "permessage-deflatex",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        bool asked = true;
        if (neg(bad[i], &asked) != 0)
            fail_msg("accepted: %s", bad[i]);
        assert_false(asked);
    }
}

static void test_several_offers(void **state)
{
    (void)state;
    bool asked;
    /* The first acceptable offer wins; declined ones are skipped. */
    assert_int_equal(neg("permessage-deflate; server_max_window_bits=8, permessage-deflate", &asked), 15);
    assert_false(asked);
    assert_int_equal(
        neg("foo; a=\"x,y\", permessage-deflate; bogus, permessage-deflate; server_max_window_bits=11",
            &asked),
        11);
    assert_true(asked);
    assert_int_equal(neg("permessage-deflate; server_max_window_bits=13, permessage-deflate", &asked), 13);
    assert_int_equal(neg("permessage-deflate; x, permessage-deflate; y", NULL), 0);
    /* A malformed later element ends the search, an earlier match stands. */
    assert_int_equal(neg("permessage-deflate, ;;;", NULL), 15);
}

static void test_response(void **state)
{
    (void)state;
    char out[160];
    size_t n = t4__pmd_response(15, false, out, sizeof out);
    assert_int_equal(n, strlen(out));
    assert_string_equal(out, "Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover; "
                             "client_no_context_takeover\r\n");
    t4__pmd_response(10, true, out, sizeof out);
    assert_non_null(strstr(out, "; server_max_window_bits=10\r\n"));
}

/* Splits a frame built by t4__pmd_frame into header facts and payload. */
static const uint8_t *frame_payload(const t4__sbuf *b, uint8_t *opcode, size_t *plen)
{
    const uint8_t *d = (const uint8_t *)b->data;
    t4__ws_frame f;
    assert_int_equal(t4__ws_parse_frame(d, b->len, false, 4, &f), T4__WS_FRAME_OK);
    assert_true(f.fin);
    assert_int_equal(f.rsv, 4);
    assert_int_equal(f.header_len + f.len, b->len);
    /* The minimal length encoding. */
    assert_int_equal(f.header_len, f.len <= 125 ? 2 : f.len <= 0xffff ? 4 : 10);
    *opcode = f.opcode;
    *plen = (size_t)f.len;
    return d + f.header_len;
}

static void fill(uint8_t *p, size_t n, unsigned seed)
{
    /* Compressible but not trivial: words from a small alphabet. */
    static const char *words[] = {"{\"id\":", "\"name\":\"", "tina4",      "\",",
                                  "42",       "},",          "websocket ", "deflate"};
    size_t i = 0;
    while (i < n) {
        const char *w = words[(seed = seed * 1103515245u + 12345u) >> 16 & 7];
        for (; *w && i < n; w++)
            p[i++] = (uint8_t)*w;
    }
}

static void test_round_trip(void **state)
{
    (void)state;
    static const size_t sizes[] = {1, 2, 100, 125, 126, 127, 200, 1000, 4096, 65535, 65536, 70000, 1 << 20};
    for (int wbits = 9; wbits <= 15; wbits += 3) {
        for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++) {
            size_t n = sizes[s];
            uint8_t *in = malloc(n);
            fill(in, n, (unsigned)n);
            t4__sbuf *b = t4__pmd_frame(T4__WS_OP_TEXT, in, n, wbits);
            if (n < 8) { /* too small to shrink: the caller sends it plain */
                assert_null(b);
                free(in);
                continue;
            }
            assert_non_null(b);
            uint8_t op;
            size_t plen;
            const uint8_t *p = frame_payload(b, &op, &plen);
            assert_int_equal(op, T4__WS_OP_TEXT);
            assert_true(plen < n);
            char *out;
            size_t out_len;
            assert_int_equal(t4__pmd_inflate(p, plen, n, &out, &out_len), T4__PMD_OK);
            assert_int_equal(out_len, n);
            assert_memory_equal(out, in, n);
            /* One byte under the size: refused. */
            assert_int_equal(t4__pmd_inflate(p, plen, n - 1, &out, &out_len), T4__PMD_TOO_BIG);
            t4__sbuf_release(b);
            free(in);
        }
    }
    t4__pmd_trim();
}

static void test_incompressible(void **state)
{
    (void)state;
    uint8_t in[4096];
    uint32_t x = 0x12345678;
    for (size_t i = 0; i < sizeof in; i++) {
        x ^= x << 13, x ^= x >> 17, x ^= x << 5;
        in[i] = (uint8_t)x;
    }
    assert_null(t4__pmd_frame(T4__WS_OP_BINARY, in, sizeof in, 15));
}

/* Raw deflate of n zeros with a sync flush, the tail removed (a client's
 * message). */
static uint8_t *client_deflate(const uint8_t *in, size_t n, size_t *out_len, int flush)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    assert_int_equal(deflateInit2(&z, 9, Z_DEFLATED, -15, 9, Z_DEFAULT_STRATEGY), Z_OK);
    size_t cap = deflateBound(&z, n) + 64;
    uint8_t *out = malloc(cap);
    z.next_in = (Bytef *)(uintptr_t)in;
    z.avail_in = (uInt)n;
    z.next_out = out;
    z.avail_out = (uInt)cap;
    int r = deflate(&z, flush);
    assert_true(r == Z_OK || r == Z_STREAM_END);
    *out_len = cap - z.avail_out;
    if (flush == Z_SYNC_FLUSH) {
        assert_memory_equal(out + *out_len - 4, "\x00\x00\xff\xff", 4);
        *out_len -= 4;
    }
    deflateEnd(&z);
    return out;
}

static void test_zip_bomb(void **state)
{
    (void)state;
    size_t n = 10u << 20;
    uint8_t *zeros = calloc(1, n);
    size_t zl;
    uint8_t *z = client_deflate(zeros, n, &zl, Z_SYNC_FLUSH);
    assert_true(zl < 20 * 1024); /* ~10 KiB on the wire */
    char *out;
    size_t out_len;
    assert_int_equal(t4__pmd_inflate(z, zl, 1u << 20, &out, &out_len), T4__PMD_TOO_BIG);
    assert_int_equal(t4__pmd_inflate(z, zl, n, &out, &out_len), T4__PMD_OK);
    assert_int_equal(out_len, n);
    t4__pmd_trim();
    free(z);
    free(zeros);
}

static void test_corrupt(void **state)
{
    (void)state;
    char *out;
    size_t out_len;
    /* BTYPE 11 (reserved) */
    const uint8_t reserved[] = {0x07, 0x00};
    assert_int_equal(t4__pmd_inflate(reserved, sizeof reserved, 1000, &out, &out_len), T4__PMD_CORRUPT);
    /* A stored block whose LEN / NLEN disagree. */
    const uint8_t stored[] = {0x00, 0x05, 0x00, 0x00, 0x00, 'a'};
    assert_int_equal(t4__pmd_inflate(stored, sizeof stored, 1000, &out, &out_len), T4__PMD_CORRUPT);
    /* A valid message cut short. */
    uint8_t text[3000];
    fill(text, sizeof text, 7);
    size_t zl;
    uint8_t *z = client_deflate(text, sizeof text, &zl, Z_SYNC_FLUSH);
    assert_int_equal(t4__pmd_inflate(z, zl, sizeof text, &out, &out_len), T4__PMD_OK);
    assert_memory_equal(out, text, sizeof text);
    assert_int_not_equal(t4__pmd_inflate(z, zl / 2, sizeof text, &out, &out_len), T4__PMD_OK);
    free(z);
    /* A final block (BFINAL, Z_FINISH) is accepted; data after it is not. */
    z = client_deflate(text, sizeof text, &zl, Z_FINISH);
    assert_int_equal(t4__pmd_inflate(z, zl, sizeof text, &out, &out_len), T4__PMD_OK);
    assert_int_equal(out_len, sizeof text);
    uint8_t *more = malloc(zl + 3);
    memcpy(more, z, zl);
    memcpy(more + zl, "abc", 3);
    assert_int_equal(t4__pmd_inflate(more, zl + 3, sizeof text, &out, &out_len), T4__PMD_CORRUPT);
    free(more);
    free(z);
    /* The empty message: an empty payload (the tail alone), or one 0x00. */
    assert_int_equal(t4__pmd_inflate((const uint8_t *)"", 0, 10, &out, &out_len), T4__PMD_OK);
    assert_int_equal(out_len, 0);
    const uint8_t zero[] = {0x00};
    assert_int_equal(t4__pmd_inflate(zero, 1, 10, &out, &out_len), T4__PMD_OK);
    assert_int_equal(out_len, 0);
}

static int teardown(void **state)
{
    (void)state;
    t4__pmd_cleanup();
    t4__sbuf_pool_clear();
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_accepts),        cmocka_unit_test(test_declines),
        cmocka_unit_test(test_several_offers), cmocka_unit_test(test_response),
        cmocka_unit_test(test_round_trip),     cmocka_unit_test(test_incompressible),
        cmocka_unit_test(test_zip_bomb),       cmocka_unit_test(test_corrupt),
    };
    return cmocka_run_group_tests(tests, NULL, teardown);
}
