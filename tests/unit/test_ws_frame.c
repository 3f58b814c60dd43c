/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for the WebSocket frame codec (src/ws/frame.c): header parsing
 * and writing at every length boundary, the protocol errors of RFC 6455 5.2
 * and 5.5, fail-fast on partial headers, unmasking at every offset and
 * alignment against a byte-at-a-time reference, and close-code validity.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "ws/frame.h"

/* Deterministic PRNG (xorshift64*) so a failure reproduces. */
static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static uint64_t rng(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545F4914F6CDD1Dull;
}

static const uint8_t MASK[4] = {0x37, 0xFA, 0x21, 0x3D};

/* ------------------------------------------------------------------ */
/* write -> parse round trips                                           */
/* ------------------------------------------------------------------ */

static const uint64_t LENGTHS[] = {
    0,
    1,
    2,
    124,
    125,
    126,
    127,
    128,
    255,
    256,
    1000,
    65534,
    65535,
    65536,
    65537,
    0xFFFFFFull,
    0xFFFFFFFFull,
    0x100000000ull,
    0x100000001ull,
    1ull << 53,
    0x7FFFFFFFFFFFFFFEull,
    0x7FFFFFFFFFFFFFFFull,
};

static size_t expected_header_len(uint64_t len, bool masked)
{
    size_t n = len <= 125 ? 2 : len <= 0xFFFF ? 4 : 10;
    return n + (masked ? 4 : 0);
}

static void test_roundtrip_lengths(void **st)
{
    (void)st;
    static const uint8_t ops[] = {T4__WS_OP_CONT, T4__WS_OP_TEXT, T4__WS_OP_BINARY};
    for (size_t li = 0; li < sizeof LENGTHS / sizeof LENGTHS[0]; li++) {
        for (int masked = 0; masked <= 1; masked++) {
            for (int fin = 0; fin <= 1; fin++) {
                for (size_t oi = 0; oi < sizeof ops; oi++) {
                    uint64_t len = LENGTHS[li];
                    uint8_t buf[T4__WS_MAX_HEADER + 4];
                    memset(buf, 0xEE, sizeof buf);
                    size_t h = t4__ws_write_header(buf, fin, ops[oi], len, masked ? MASK : NULL);
                    assert_int_equal(h, expected_header_len(len, masked));
                    assert_true(h <= T4__WS_MAX_HEADER);
                    assert_int_equal(buf[h], 0xEE); /* nothing written past h */

                    t4__ws_frame f;
                    memset(&f, 0xAB, sizeof f);
                    assert_int_equal(t4__ws_parse_frame(buf, h, masked, 0, &f), T4__WS_FRAME_OK);
                    assert_int_equal(f.fin, fin);
                    assert_int_equal(f.rsv, 0);
                    assert_int_equal(f.opcode, ops[oi]);
                    assert_int_equal(f.masked, masked);
                    assert_true(f.len == len);
                    assert_int_equal(f.header_len, h);
                    if (masked)
                        assert_memory_equal(f.mask, MASK, 4);

                    /* Trailing payload bytes do not change the header. */
                    assert_int_equal(t4__ws_parse_frame(buf, h + 4, masked, 0, &f), T4__WS_FRAME_OK);
                    assert_int_equal(f.header_len, h);

                    /* Every strict prefix is incomplete, never an error. */
                    for (size_t p = 0; p < h; p++)
                        assert_int_equal(t4__ws_parse_frame(buf, p, masked, 0, &f), T4__WS_FRAME_NEED_MORE);
                }
            }
        }
    }
}

static void test_roundtrip_control(void **st)
{
    (void)st;
    static const uint8_t ops[] = {T4__WS_OP_CLOSE, T4__WS_OP_PING, T4__WS_OP_PONG};
    for (size_t oi = 0; oi < sizeof ops; oi++) {
        for (uint64_t len = 0; len <= 125; len++) {
            uint8_t buf[T4__WS_MAX_HEADER];
            size_t h = t4__ws_write_header(buf, true, ops[oi], len, MASK);
            assert_int_equal(h, 6);
            t4__ws_frame f;
            assert_int_equal(t4__ws_parse_frame(buf, h, true, 0, &f), T4__WS_FRAME_OK);
            assert_int_equal(f.opcode, ops[oi]);
            assert_true(f.len == len);
            assert_true(f.fin);
        }
    }
}

static void test_roundtrip_random(void **st)
{
    (void)st;
    for (int it = 0; it < 100000; it++) {
        uint64_t r = rng();
        uint64_t len = rng() >> (r & 63); /* spread over all magnitudes */
        len &= 0x7FFFFFFFFFFFFFFFull;
        uint8_t op = (r >> 8) & 1 ? T4__WS_OP_TEXT : T4__WS_OP_BINARY;
        bool fin = (r >> 9) & 1;
        uint8_t mask[4] = {(uint8_t)(r >> 16), (uint8_t)(r >> 24), (uint8_t)(r >> 32), (uint8_t)(r >> 40)};
        bool masked = (r >> 10) & 1;
        uint8_t buf[T4__WS_MAX_HEADER];
        size_t h = t4__ws_write_header(buf, fin, op, len, masked ? mask : NULL);
        assert_int_equal(h, expected_header_len(len, masked));
        t4__ws_frame f;
        assert_int_equal(t4__ws_parse_frame(buf, h, false, 0, &f), T4__WS_FRAME_OK);
        assert_true(f.len == len);
        assert_int_equal(f.fin, fin);
        assert_int_equal(f.opcode, op);
        assert_int_equal(f.masked, masked);
        if (masked)
            assert_memory_equal(f.mask, mask, 4);
    }
}

/* ------------------------------------------------------------------ */
/* exact wire bytes                                                     */
/* ------------------------------------------------------------------ */

static void test_wire_bytes(void **st)
{
    (void)st;
    uint8_t buf[T4__WS_MAX_HEADER];

    /* RFC 6455 5.7: unmasked "Hello". */
    static const uint8_t hello[] = {0x81, 0x05};
    assert_int_equal(t4__ws_write_header(buf, true, T4__WS_OP_TEXT, 5, NULL), 2);
    assert_memory_equal(buf, hello, 2);

    /* RFC 6455 5.7: masked "Hello". */
    static const uint8_t mhello[] = {0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58};
    assert_int_equal(t4__ws_write_header(buf, true, T4__WS_OP_TEXT, 5, MASK), 6);
    assert_memory_equal(buf, mhello, 6);
    t4__ws_frame f;
    assert_int_equal(t4__ws_parse_frame(mhello, sizeof mhello, true, 0, &f), T4__WS_FRAME_OK);
    assert_int_equal(f.header_len, 6);
    uint8_t payload[5];
    memcpy(payload, mhello + 6, 5);
    t4__ws_unmask(payload, 5, f.mask, 0);
    assert_memory_equal(payload, "Hello", 5);

    /* RFC 6455 5.7: fragmented unmasked "Hel" + "lo". */
    static const uint8_t frag1[] = {0x01, 0x03};
    static const uint8_t frag2[] = {0x80, 0x02};
    assert_int_equal(t4__ws_write_header(buf, false, T4__WS_OP_TEXT, 3, NULL), 2);
    assert_memory_equal(buf, frag1, 2);
    assert_int_equal(t4__ws_write_header(buf, true, T4__WS_OP_CONT, 2, NULL), 2);
    assert_memory_equal(buf, frag2, 2);

    /* RFC 6455 5.7: 256 bytes binary, 16-bit length. */
    static const uint8_t b256[] = {0x82, 0x7E, 0x01, 0x00};
    assert_int_equal(t4__ws_write_header(buf, true, T4__WS_OP_BINARY, 256, NULL), 4);
    assert_memory_equal(buf, b256, 4);

    /* RFC 6455 5.7: 64 KiB binary, 64-bit length. */
    static const uint8_t b64k[] = {0x82, 0x7F, 0, 0, 0, 0, 0, 1, 0, 0};
    assert_int_equal(t4__ws_write_header(buf, true, T4__WS_OP_BINARY, 65536, NULL), 10);
    assert_memory_equal(buf, b64k, 10);

    /* Big-endian byte order of the 64-bit length. */
    static const uint8_t big[] = {0x82, 0xFF, 0x01, 0x23, 0x45, 0x67, 0x89, 0xAB, 0xCD, 0xEF, 1, 2, 3, 4};
    static const uint8_t m4[4] = {1, 2, 3, 4};
    assert_int_equal(t4__ws_write_header(buf, true, T4__WS_OP_BINARY, 0x0123456789ABCDEFull, m4), 14);
    assert_memory_equal(buf, big, 14);
    assert_int_equal(t4__ws_parse_frame(big, 14, true, 0, &f), T4__WS_FRAME_OK);
    assert_true(f.len == 0x0123456789ABCDEFull);

    /* A ping with no payload. */
    static const uint8_t ping[] = {0x89, 0x00};
    assert_int_equal(t4__ws_write_header(buf, true, T4__WS_OP_PING, 0, NULL), 2);
    assert_memory_equal(buf, ping, 2);
}

/* ------------------------------------------------------------------ */
/* protocol errors                                                      */
/* ------------------------------------------------------------------ */

static void test_empty_input(void **st)
{
    (void)st;
    t4__ws_frame f;
    assert_int_equal(t4__ws_parse_frame(NULL, 0, true, 0, &f), T4__WS_FRAME_NEED_MORE);
    static const uint8_t one[] = {0x81};
    assert_int_equal(t4__ws_parse_frame(one, 1, true, 0, &f), T4__WS_FRAME_NEED_MORE);
}

static void test_reserved_opcodes(void **st)
{
    (void)st;
    for (uint8_t op = 0; op < 16; op++) {
        bool known = op <= 2 || (op >= 8 && op <= 10);
        uint8_t buf[6] = {(uint8_t)(0x80 | op), 0x80, 1, 2, 3, 4};
        t4__ws_frame f;
        t4__ws_frame_status want = known ? T4__WS_FRAME_OK : T4__WS_FRAME_ERR_OPCODE;
        assert_int_equal(t4__ws_parse_frame(buf, 6, true, 0, &f), want);
        /* A reserved opcode is refused from the first byte alone. */
        assert_int_equal(t4__ws_parse_frame(buf, 1, true, 0, &f),
                         known ? T4__WS_FRAME_NEED_MORE : T4__WS_FRAME_ERR_OPCODE);
        /* ... and extensions (allowed RSV bits) do not change that. */
        assert_int_equal(t4__ws_parse_frame(buf, 6, true, 7, &f), want);
        if (known)
            assert_int_equal(f.opcode, op);
    }
}

static void test_rsv_bits(void **st)
{
    (void)st;
    for (uint8_t rsv = 0; rsv < 8; rsv++) {
        for (uint8_t allowed = 0; allowed < 8; allowed++) {
            uint8_t buf[6] = {(uint8_t)(0x80 | (rsv << 4) | T4__WS_OP_TEXT), 0x80, 1, 2, 3, 4};
            t4__ws_frame f;
            bool ok = (rsv & ~allowed) == 0;
            assert_int_equal(t4__ws_parse_frame(buf, 6, true, allowed, &f),
                             ok ? T4__WS_FRAME_OK : T4__WS_FRAME_ERR_RSV);
            if (ok)
                assert_int_equal(f.rsv, rsv);
            else /* fail fast: one byte is enough */
                assert_int_equal(t4__ws_parse_frame(buf, 1, true, allowed, &f), T4__WS_FRAME_ERR_RSV);
        }
    }
    /* RSV1 (0x40) is rsv value 4, the bit permessage-deflate negotiates. */
    static const uint8_t rsv1[] = {0xC1, 0x80, 0, 0, 0, 0};
    t4__ws_frame f;
    assert_int_equal(t4__ws_parse_frame(rsv1, 6, true, 4, &f), T4__WS_FRAME_OK);
    assert_int_equal(f.rsv, 4);
    assert_int_equal(t4__ws_parse_frame(rsv1, 6, true, 0, &f), T4__WS_FRAME_ERR_RSV);
}

static void test_control_frames(void **st)
{
    (void)st;
    static const uint8_t ops[] = {T4__WS_OP_CLOSE, T4__WS_OP_PING, T4__WS_OP_PONG};
    t4__ws_frame f;
    for (size_t i = 0; i < sizeof ops; i++) {
        /* Fragmented control frame (FIN clear): refused at byte 0. */
        uint8_t frag[6] = {ops[i], 0x80, 1, 2, 3, 4};
        assert_int_equal(t4__ws_parse_frame(frag, 6, true, 0, &f), T4__WS_FRAME_ERR_CONTROL);
        assert_int_equal(t4__ws_parse_frame(frag, 1, true, 0, &f), T4__WS_FRAME_ERR_CONTROL);

        /* 125 is the largest control payload. */
        uint8_t ok[6] = {(uint8_t)(0x80 | ops[i]), 0x80 | 125, 1, 2, 3, 4};
        assert_int_equal(t4__ws_parse_frame(ok, 6, true, 0, &f), T4__WS_FRAME_OK);
        assert_true(f.len == 125);

        /* 126 and 127 (extended lengths) are too long, even when the
         * extension would encode a small value; refused at byte 1. */
        uint8_t l126[8] = {(uint8_t)(0x80 | ops[i]), 0x80 | 126, 0, 5, 1, 2, 3, 4};
        assert_int_equal(t4__ws_parse_frame(l126, 8, true, 0, &f), T4__WS_FRAME_ERR_CONTROL);
        assert_int_equal(t4__ws_parse_frame(l126, 2, true, 0, &f), T4__WS_FRAME_ERR_CONTROL);
        uint8_t l127[14] = {(uint8_t)(0x80 | ops[i]), 0x80 | 127, 0, 0, 0, 0, 0, 0, 0, 5, 1, 2, 3, 4};
        assert_int_equal(t4__ws_parse_frame(l127, 14, true, 0, &f), T4__WS_FRAME_ERR_CONTROL);
        assert_int_equal(t4__ws_parse_frame(l127, 2, true, 0, &f), T4__WS_FRAME_ERR_CONTROL);
    }
    /* Data frames and continuations may be fragmented. */
    static const uint8_t data_ops[] = {T4__WS_OP_CONT, T4__WS_OP_TEXT, T4__WS_OP_BINARY};
    for (size_t i = 0; i < sizeof data_ops; i++) {
        uint8_t frag[6] = {data_ops[i], 0x80 | 126, 0, 200, 0, 0};
        uint8_t full[8] = {data_ops[i], 0x80 | 126, 0, 200, 9, 8, 7, 6};
        assert_int_equal(t4__ws_parse_frame(frag, 6, true, 0, &f), T4__WS_FRAME_NEED_MORE);
        assert_int_equal(t4__ws_parse_frame(full, 8, true, 0, &f), T4__WS_FRAME_OK);
        assert_false(f.fin);
        assert_true(f.len == 200);
    }
}

static void test_masking(void **st)
{
    (void)st;
    t4__ws_frame f;
    static const uint8_t unmasked[] = {0x81, 0x05, 'H', 'e', 'l', 'l', 'o'};
    assert_int_equal(t4__ws_parse_frame(unmasked, sizeof unmasked, true, 0, &f), T4__WS_FRAME_ERR_UNMASKED);
    assert_int_equal(t4__ws_parse_frame(unmasked, 2, true, 0, &f), T4__WS_FRAME_ERR_UNMASKED);
    assert_int_equal(t4__ws_parse_frame(unmasked, sizeof unmasked, false, 0, &f), T4__WS_FRAME_OK);
    assert_false(f.masked);
    assert_int_equal(f.header_len, 2);
    static const uint8_t zero[4] = {0};
    assert_memory_equal(f.mask, zero, 4);

    /* Unmasked with an extended length: refused before the extension. */
    static const uint8_t unmasked64[] = {0x82, 127};
    assert_int_equal(t4__ws_parse_frame(unmasked64, 2, true, 0, &f), T4__WS_FRAME_ERR_UNMASKED);

    /* A client may receive masked frames it did not require. */
    static const uint8_t masked[] = {0x82, 0x80, 9, 8, 7, 6};
    assert_int_equal(t4__ws_parse_frame(masked, 6, false, 0, &f), T4__WS_FRAME_OK);
    assert_true(f.masked);
    assert_int_equal(f.header_len, 6);
    assert_memory_equal(f.mask, masked + 2, 4);
    for (size_t p = 0; p < 6; p++)
        assert_int_equal(t4__ws_parse_frame(masked, p, true, 0, &f), T4__WS_FRAME_NEED_MORE);
}

static void test_length_msb(void **st)
{
    (void)st;
    t4__ws_frame f;
    uint8_t buf[14] = {0x82, 0x80 | 127, 0x80, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4};
    assert_int_equal(t4__ws_parse_frame(buf, 14, true, 0, &f), T4__WS_FRAME_ERR_LENGTH);
    /* Known from the first length byte: no need to wait for the rest. */
    assert_int_equal(t4__ws_parse_frame(buf, 3, true, 0, &f), T4__WS_FRAME_ERR_LENGTH);
    assert_int_equal(t4__ws_parse_frame(buf, 2, true, 0, &f), T4__WS_FRAME_NEED_MORE);
    for (int b = 0; b < 256; b++) {
        buf[2] = (uint8_t)b;
        /* 0 leaves a length of 0: not the minimal encoding, also refused. */
        t4__ws_frame_status want = (b & 0x80) || b == 0 ? T4__WS_FRAME_ERR_LENGTH : T4__WS_FRAME_OK;
        assert_int_equal(t4__ws_parse_frame(buf, 14, true, 0, &f), want);
    }
    /* 2^63 - 1 is the largest length. */
    uint8_t max[14] = {0x82, 0x80 | 127, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 1, 2, 3, 4};
    assert_int_equal(t4__ws_parse_frame(max, 14, true, 0, &f), T4__WS_FRAME_OK);
    assert_true(f.len == 0x7FFFFFFFFFFFFFFFull);
}

static void test_non_minimal_length(void **st)
{
    (void)st;
    /* 5.2: the minimal number of bytes MUST be used; anything else is a
     * protocol error (close 1002), reported once the extended length is in. */
    t4__ws_frame f;
    static const uint8_t n16[] = {0x82, 0x80 | 126, 0, 5, 1, 2, 3, 4};
    assert_int_equal(t4__ws_parse_frame(n16, sizeof n16, true, 0, &f), T4__WS_FRAME_ERR_LENGTH);
    assert_int_equal(t4__ws_parse_frame(n16, 4, true, 0, &f), T4__WS_FRAME_ERR_LENGTH);
    assert_int_equal(t4__ws_parse_frame(n16, 3, true, 0, &f), T4__WS_FRAME_NEED_MORE);
    static const uint8_t n64[] = {0x82, 0x80 | 127, 0, 0, 0, 0, 0, 0, 0, 5, 1, 2, 3, 4};
    assert_int_equal(t4__ws_parse_frame(n64, sizeof n64, true, 0, &f), T4__WS_FRAME_ERR_LENGTH);
    assert_int_equal(t4__ws_parse_frame(n64, 10, true, 0, &f), T4__WS_FRAME_ERR_LENGTH);
    for (size_t k = 2; k < 10; k++)
        assert_int_equal(t4__ws_parse_frame(n64, k, true, 0, &f), T4__WS_FRAME_NEED_MORE);

    /* The boundaries, both ways, masked and not. */
    for (int masked = 0; masked <= 1; masked++) {
        uint8_t b16[8] = {0x82, (uint8_t)((masked ? 0x80 : 0) | 126), 0, 0, 1, 2, 3, 4};
        size_t h16 = masked ? 8 : 4;
        static const struct {
            uint16_t v;
            bool ok;
        } c16[] = {{0, false}, {125, false}, {126, true}, {127, true}, {0xFFFF, true}};
        for (size_t i = 0; i < sizeof c16 / sizeof *c16; i++) {
            b16[2] = (uint8_t)(c16[i].v >> 8);
            b16[3] = (uint8_t)c16[i].v;
            t4__ws_frame_status want = c16[i].ok ? T4__WS_FRAME_OK : T4__WS_FRAME_ERR_LENGTH;
            assert_int_equal(t4__ws_parse_frame(b16, h16, masked, 0, &f), want);
            if (c16[i].ok)
                assert_true(f.len == c16[i].v);
        }
        uint8_t b64[14] = {0x82, (uint8_t)((masked ? 0x80 : 0) | 127), 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4};
        size_t h64 = masked ? 14 : 10;
        static const struct {
            uint64_t v;
            bool ok;
        } c64[] = {{0, false},         {125, false},       {126, false},
                   {0xFFFF, false},    {0x10000, true},    {0x1000000, true},
                   {1ull << 32, true}, {1ull << 56, true}, {(1ull << 63) - 1, true}};
        for (size_t i = 0; i < sizeof c64 / sizeof *c64; i++) {
            for (int k = 0; k < 8; k++)
                b64[2 + k] = (uint8_t)(c64[i].v >> (56 - 8 * k));
            t4__ws_frame_status want = c64[i].ok ? T4__WS_FRAME_OK : T4__WS_FRAME_ERR_LENGTH;
            assert_int_equal(t4__ws_parse_frame(b64, h64, masked, 0, &f), want);
            if (c64[i].ok)
                assert_true(f.len == c64[i].v);
        }
    }
}

/* Exhaustive over the first two bytes: the result depends only on the
 * fields the RFC names, and a prefix never reports an error the whole
 * header would not. */
static void test_first_two_bytes_exhaustive(void **st)
{
    (void)st;
    for (int b0 = 0; b0 < 256; b0++) {
        for (int b1 = 0; b1 < 256; b1++) {
            for (int req = 0; req <= 1; req++) {
                /* Extended lengths 0x0080 (16-bit) and 0x0080000100000000
                 * (64-bit): both in their minimal encoding. */
                uint8_t buf[T4__WS_MAX_HEADER] = {(uint8_t)b0, (uint8_t)b1, 0, 0x80, 0, 1, 0,
                                                  0,           0,           0, 5,    6, 7, 8};
                uint8_t op = b0 & 15, rsv = (b0 >> 4) & 7, l7 = b1 & 127;
                bool fin = b0 & 0x80, masked = b1 & 0x80;
                bool control = op >= 8;
                t4__ws_frame_status want = T4__WS_FRAME_OK;
                if (rsv)
                    want = T4__WS_FRAME_ERR_RSV;
                else if (!(op <= 2 || (op >= 8 && op <= 10)))
                    want = T4__WS_FRAME_ERR_OPCODE;
                else if (control && (!fin || l7 > 125))
                    want = T4__WS_FRAME_ERR_CONTROL;
                else if (req && !masked)
                    want = T4__WS_FRAME_ERR_UNMASKED;
                t4__ws_frame f;
                t4__ws_frame_status got = t4__ws_parse_frame(buf, sizeof buf, req, 0, &f);
                assert_int_equal(got, want);
                if (got == T4__WS_FRAME_OK) {
                    size_t h = 2 + (l7 == 126 ? 2 : l7 == 127 ? 8 : 0) + (masked ? 4 : 0);
                    assert_int_equal(f.header_len, h);
                    assert_int_equal(f.fin, fin);
                    assert_int_equal(f.opcode, op);
                    uint64_t len = l7 == 126 ? 0x80 : l7 == 127 ? 0x0080000100000000ull : l7;
                    assert_true(f.len == len);
                }
                for (size_t p = 0; p < sizeof buf; p++) {
                    t4__ws_frame_status pg = t4__ws_parse_frame(buf, p, req, 0, &f);
                    assert_true(pg == T4__WS_FRAME_NEED_MORE || pg == want);
                    if (want == T4__WS_FRAME_OK && p < f.header_len)
                        assert_int_equal(pg, T4__WS_FRAME_NEED_MORE);
                }
            }
        }
    }
}

/* ------------------------------------------------------------------ */
/* unmask                                                               */
/* ------------------------------------------------------------------ */

static void ref_unmask(uint8_t *d, size_t n, const uint8_t m[4], uint64_t off)
{
    for (size_t i = 0; i < n; i++)
        d[i] ^= m[(off + i) % 4];
}

static void fill_random(uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)rng();
}

static void test_unmask_offsets_alignments(void **st)
{
    (void)st;
    /* A guard byte on each side catches an over- or under-run. */
    static uint8_t a[8 + 300 + 16], b[8 + 300 + 16];
    uint8_t m[4];
    fill_random(m, 4);
    for (size_t align = 0; align < 8; align++) {
        for (uint64_t off = 0; off < 8; off++) {
            for (size_t len = 0; len <= 300; len++) {
                fill_random(a, sizeof a);
                memcpy(b, a, sizeof a);
                t4__ws_unmask(a + 8 + align, len, m, off);
                ref_unmask(b + 8 + align, len, m, off);
                assert_memory_equal(a, b, sizeof a);
            }
        }
    }
}

static void test_unmask_random(void **st)
{
    (void)st;
    static uint8_t a[70000], b[70000];
    for (int it = 0; it < 300; it++) {
        size_t len = (size_t)(rng() % 65600);
        size_t start = (size_t)(rng() % 64);
        uint64_t off = rng() >> (rng() & 63);
        uint8_t m[4];
        fill_random(m, 4);
        fill_random(a, start + len + 8);
        memcpy(b, a, start + len + 8);
        t4__ws_unmask(a + start, len, m, off);
        ref_unmask(b + start, len, m, off);
        assert_memory_equal(a, b, start + len + 8);
    }
}

static void test_unmask_split(void **st)
{
    (void)st;
    enum { N = 200 };
    uint8_t orig[N], one[N], two[N], three[N];
    uint8_t m[4];
    for (uint64_t base = 0; base < 4; base++) {
        fill_random(orig, N);
        fill_random(m, 4);
        memcpy(one, orig, N);
        t4__ws_unmask(one, N, m, base);
        for (size_t cut = 0; cut <= N; cut++) {
            memcpy(two, orig, N);
            t4__ws_unmask(two, cut, m, base);
            t4__ws_unmask(two + cut, N - cut, m, base + cut);
            assert_memory_equal(one, two, N);
        }
        /* Three pieces at random cuts. */
        for (int it = 0; it < 200; it++) {
            size_t c1 = (size_t)(rng() % (N + 1)), c2 = (size_t)(rng() % (N + 1));
            if (c1 > c2) {
                size_t t = c1;
                c1 = c2;
                c2 = t;
            }
            memcpy(three, orig, N);
            t4__ws_unmask(three, c1, m, base);
            t4__ws_unmask(three + c1, c2 - c1, m, base + c1);
            t4__ws_unmask(three + c2, N - c2, m, base + c2);
            assert_memory_equal(one, three, N);
        }
        /* Unmasking is its own inverse. */
        t4__ws_unmask(one, N, m, base);
        assert_memory_equal(one, orig, N);
    }
}

static void test_unmask_large_offset(void **st)
{
    (void)st;
    /* Offsets past 2^32 must still reduce modulo 4 correctly. */
    uint8_t a[64], b[64], m[4] = {0xDE, 0xAD, 0xBE, 0xEF};
    static const uint64_t offs[] = {0xFFFFFFFFull, 0x100000000ull, 0x100000003ull, 0xFFFFFFFFFFFFFFFFull};
    for (size_t i = 0; i < sizeof offs / sizeof offs[0]; i++) {
        fill_random(a, sizeof a);
        memcpy(b, a, sizeof a);
        t4__ws_unmask(a + 1, 60, m, offs[i]);
        ref_unmask(b + 1, 60, m, offs[i]);
        assert_memory_equal(a, b, sizeof a);
    }
    t4__ws_unmask(NULL, 0, m, 3); /* empty is a no-op */
}

/* ------------------------------------------------------------------ */
/* close codes                                                          */
/* ------------------------------------------------------------------ */

static void test_close_codes(void **st)
{
    (void)st;
    /* Autobahn 7.7 (valid) and 7.9 (invalid). */
    static const int valid[] = {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010,
                                1011, 1012, 1013, 1014, 3000, 3999, 4000, 4999};
    static const int invalid[] = {-1,   0,    1,    999,  1004, 1005,  1006,  1015,  1016,
                                  1100, 2000, 2999, 5000, 5001, 65535, 65536, 100000};
    for (size_t i = 0; i < sizeof valid / sizeof valid[0]; i++)
        assert_true(t4__ws_close_code_valid(valid[i]));
    for (size_t i = 0; i < sizeof invalid / sizeof invalid[0]; i++)
        assert_false(t4__ws_close_code_valid(invalid[i]));

    /* The whole 16-bit range, against the table spelled out once more. */
    for (int c = -1000; c < 70000; c++) {
        bool want = (c >= 1000 && c <= 1003) || (c >= 1007 && c <= 1014) || (c >= 3000 && c <= 4999);
        assert_int_equal(t4__ws_close_code_valid(c), want);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip_lengths),
        cmocka_unit_test(test_roundtrip_control),
        cmocka_unit_test(test_roundtrip_random),
        cmocka_unit_test(test_wire_bytes),
        cmocka_unit_test(test_empty_input),
        cmocka_unit_test(test_reserved_opcodes),
        cmocka_unit_test(test_rsv_bits),
        cmocka_unit_test(test_control_frames),
        cmocka_unit_test(test_masking),
        cmocka_unit_test(test_length_msb),
        cmocka_unit_test(test_non_minimal_length),
        cmocka_unit_test(test_first_two_bytes_exhaustive),
        cmocka_unit_test(test_unmask_offsets_alignments),
        cmocka_unit_test(test_unmask_random),
        cmocka_unit_test(test_unmask_split),
        cmocka_unit_test(test_unmask_large_offset),
        cmocka_unit_test(test_close_codes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
