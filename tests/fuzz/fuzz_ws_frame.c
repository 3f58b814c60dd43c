/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the WebSocket codec (src/ws/frame.c, src/ws/utf8.c).
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Iinclude -Isrc \
 *       src/ws/frame.c src/ws/utf8.c tests/fuzz/fuzz_ws_frame.c -o fuzz_ws_frame
 *   ./fuzz_ws_frame tests/fuzz/corpus/ws_frame
 *
 * Each input is used four ways: as a frame header (checked for internal
 * consistency, prefix behaviour and write/parse round trip), as parameters
 * for a written header, as a payload to unmask (vs a byte-at-a-time
 * reference, whole and split), and as text for the UTF-8 validator (vs a
 * slow reference, whole, byte-wise and split).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/utf8_ref.h"
#include "ws/frame.h"
#include "ws/utf8.h"

#include "check.h"

/* ------------------------------------------------------------------ */
/* references (independent of the code under test)                     */
/* ------------------------------------------------------------------ */

static void ref_unmask(uint8_t *d, size_t n, const uint8_t m[4], uint64_t off)
{
    for (size_t i = 0; i < n; i++)
        d[i] ^= m[(off + i) % 4];
}

static uint64_t load_be(const uint8_t *p, size_t n)
{
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++)
        v = v << 8 | p[i];
    return v;
}

/* ------------------------------------------------------------------ */
/* frame parsing                                                        */
/* ------------------------------------------------------------------ */

static void check_parse(const uint8_t *data, size_t size, bool req, uint8_t allowed)
{
    t4__ws_frame f;
    t4__ws_frame_status st = t4__ws_parse_frame(data, size, req, allowed, &f);
    CHECK(st >= T4__WS_FRAME_ERR_LENGTH && st <= T4__WS_FRAME_NEED_MORE);

    if (st == T4__WS_FRAME_OK) {
        CHECK(f.header_len >= 2 && f.header_len <= T4__WS_MAX_HEADER && f.header_len <= size);
        CHECK(f.fin == ((data[0] & 0x80) != 0));
        CHECK(f.rsv == ((data[0] >> 4) & 7));
        CHECK((f.rsv & ~allowed) == 0);
        CHECK(f.opcode == (data[0] & 15));
        CHECK(f.opcode <= 2 || (f.opcode >= 8 && f.opcode <= 10));
        CHECK(f.masked == ((data[1] & 0x80) != 0));
        CHECK(!req || f.masked);
        CHECK(f.len <= 0x7FFFFFFFFFFFFFFFull);
        if (f.opcode >= 8)
            CHECK(f.fin && f.len <= 125);
        size_t l7 = data[1] & 127;
        size_t ext = l7 == 126 ? 2 : l7 == 127 ? 8 : 0;
        CHECK(f.header_len == 2 + ext + (f.masked ? 4 : 0));
        CHECK(f.len == (ext ? load_be(data + 2, ext) : l7));
        if (f.masked)
            CHECK(memcmp(f.mask, data + 2 + ext, 4) == 0);

        /* Rewrite and reparse: the same frame. When the input was in the
         * minimal form without RSV bits, the same bytes too. */
        uint8_t out[T4__WS_MAX_HEADER];
        size_t h = t4__ws_write_header(out, f.fin, f.opcode, f.len, f.masked ? f.mask : NULL);
        CHECK(h <= T4__WS_MAX_HEADER && h <= f.header_len);
        t4__ws_frame g;
        CHECK(t4__ws_parse_frame(out, h, req, allowed, &g) == T4__WS_FRAME_OK);
        CHECK(g.fin == f.fin && g.opcode == f.opcode && g.len == f.len && g.masked == f.masked);
        CHECK(g.rsv == 0 && g.header_len == h);
        CHECK(!f.masked || memcmp(g.mask, f.mask, 4) == 0);
        bool minimal = ext == 0 || (ext == 2 && f.len > 125) || (ext == 8 && f.len > 0xFFFF);
        if (minimal && f.rsv == 0)
            CHECK(h == f.header_len && memcmp(out, data, h) == 0);
    }

    /* Shorter inputs: incomplete or the same verdict, never another one;
     * an OK header is incomplete exactly until all of it is there. */
    size_t lim = size < T4__WS_MAX_HEADER + 1 ? size : T4__WS_MAX_HEADER + 1;
    for (size_t p = 0; p < lim; p++) {
        t4__ws_frame g;
        t4__ws_frame_status ps = t4__ws_parse_frame(data, p, req, allowed, &g);
        CHECK(ps == T4__WS_FRAME_NEED_MORE || ps == st);
        if (st == T4__WS_FRAME_OK)
            CHECK((ps == T4__WS_FRAME_OK) == (p >= f.header_len));
        if (ps == T4__WS_FRAME_OK)
            CHECK(g.len == f.len && g.header_len == f.header_len);
    }
    /* Once a verdict is reached, more bytes never change it. */
    if (st == T4__WS_FRAME_NEED_MORE)
        CHECK(size < T4__WS_MAX_HEADER);
}

/* A header written from fuzzed parameters parses back, or is refused for
 * exactly the reason the RFC gives. */
static void check_write(const uint8_t *data, size_t size)
{
    if (size < 14)
        return;
    bool fin = data[0] & 1;
    uint8_t op = data[0] >> 4;
    bool masked = data[0] & 2;
    uint64_t len = load_be(data + 1, 8) >> (data[9] & 63);
    len &= 0x7FFFFFFFFFFFFFFFull;
    const uint8_t *mask = data + 10;

    uint8_t out[T4__WS_MAX_HEADER + 1];
    out[T4__WS_MAX_HEADER] = 0x5A;
    size_t h = t4__ws_write_header(out, fin, op, len, masked ? mask : NULL);
    CHECK(out[T4__WS_MAX_HEADER] == 0x5A);
    size_t want_h = (len <= 125 ? 2 : len <= 0xFFFF ? 4 : 10) + (masked ? 4 : 0);
    CHECK(h == want_h);

    t4__ws_frame_status want = T4__WS_FRAME_OK;
    if (!(op <= 2 || (op >= 8 && op <= 10)))
        want = T4__WS_FRAME_ERR_OPCODE;
    else if (op >= 8 && (!fin || len > 125))
        want = T4__WS_FRAME_ERR_CONTROL;
    t4__ws_frame f;
    CHECK(t4__ws_parse_frame(out, h, masked, 0, &f) == want);
    if (want == T4__WS_FRAME_OK) {
        CHECK(f.fin == fin && f.opcode == op && f.len == len && f.masked == masked && f.header_len == h);
        CHECK(!masked || memcmp(f.mask, mask, 4) == 0);
    }
}

/* ------------------------------------------------------------------ */
/* unmask                                                               */
/* ------------------------------------------------------------------ */

static uint8_t ubuf_a[65536 + 16], ubuf_b[65536 + 16];

static void check_unmask(const uint8_t *data, size_t size)
{
    if (size < 6)
        return;
    uint8_t m[4];
    memcpy(m, data, 4);
    uint64_t off = (uint64_t)data[4] << (data[5] & 56) | data[5];
    size_t start = data[4] & 7;
    size_t n = size - 6;
    if (n > 65536)
        n = 65536;
    const uint8_t *payload = data + 6;

    memcpy(ubuf_a + start, payload, n);
    memcpy(ubuf_b + start, payload, n);
    t4__ws_unmask(ubuf_a + start, n, m, off);
    ref_unmask(ubuf_b + start, n, m, off);
    CHECK(memcmp(ubuf_a + start, ubuf_b + start, n) == 0);

    /* In two pieces, cut at a fuzzed point. */
    size_t cut = n ? (size_t)(data[5] * 257u + data[4]) % (n + 1) : 0;
    memcpy(ubuf_a + start, payload, n);
    t4__ws_unmask(ubuf_a + start, cut, m, off);
    t4__ws_unmask(ubuf_a + start + cut, n - cut, m, off + cut);
    CHECK(memcmp(ubuf_a + start, ubuf_b + start, n) == 0);
}

/* ------------------------------------------------------------------ */
/* UTF-8                                                                */
/* ------------------------------------------------------------------ */

static void check_utf8(const uint8_t *s, size_t n)
{
    bool boundary;
    size_t bad = ref_first_bad(s, n, &boundary);
    bool want = bad == n && boundary;
    CHECK(t4__utf8_valid(s, n) == want);

    t4__utf8 v;
    t4__utf8_init(&v);
    CHECK(t4__utf8_feed(&v, s, n) == (bad == n));
    if (bad == n)
        CHECK(t4__utf8_complete(&v) == boundary);

    /* Byte-wise: refused at exactly the first bad byte. */
    t4__utf8_init(&v);
    size_t at = n;
    for (size_t i = 0; i < n; i++) {
        if (!t4__utf8_feed(&v, s + i, 1)) {
            at = i;
            break;
        }
    }
    CHECK(at == bad);

    /* Split in two and three at points derived from the input. */
    if (n > 0) {
        size_t c1 = (s[0] * 31u + s[n - 1]) % (n + 1);
        size_t c2 = c1 + (s[n / 2] * 7u) % (n - c1 + 1);
        t4__utf8_init(&v);
        bool ok = t4__utf8_feed(&v, s, c1) && t4__utf8_feed(&v, s + c1, n - c1) && t4__utf8_complete(&v);
        CHECK(ok == want);
        t4__utf8_init(&v);
        ok = t4__utf8_feed(&v, s, c1) && t4__utf8_feed(&v, s + c1, c2 - c1) &&
             t4__utf8_feed(&v, s + c2, n - c2) && t4__utf8_complete(&v);
        CHECK(ok == want);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    for (int req = 0; req <= 1; req++) {
        check_parse(data, size, req, 0);
        if (size > 0)
            check_parse(data, size, req, (uint8_t)(data[size - 1] & 7));
    }
    check_write(data, size);
    check_unmask(data, size);
    check_utf8(data, size);
    /* The payload after a parsed header is what a connection validates. */
    t4__ws_frame f;
    if (t4__ws_parse_frame(data, size, false, 0, &f) == T4__WS_FRAME_OK)
        check_utf8(data + f.header_len, size - f.header_len);
    return 0;
}
