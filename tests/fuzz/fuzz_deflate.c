/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for permessage-deflate (src/ws/deflate.c), with the
 * frame codec (src/ws/frame.c) for the wire round trip.
 *
 * FUZZ_SOURCES: src/ws/deflate.c src/ws/frame.c src/util/sbuf.c
 * FUZZ_LIBS: -lz
 *
 * Input layout: byte 0 picks the mode (low 2 bits) and flags (4: trim the
 * output buffer first, 64: free all zlib state first, 8: binary, 16-32: zlib
 * level of a bomb), byte 1 the message limit, byte 2 a window size / bomb
 * size, bytes 3-4 seed the cut points and masks; the rest is the payload.
 * Modes:
 *   0 hostile inflate: t4__pmd_inflate on the payload gives the same verdict
 *     (OK / too big / corrupt) and the same bytes as a one-pass zlib
 *     reference; memory grows by at most the limit plus one chunk; a good
 *     message still inflates afterwards (a failure leaves no state behind).
 *   1 round trip: t4__pmd_frame at window 9..15 gives a valid compressed
 *     frame (RSV1, FIN, unmasked, smaller than the message) that zlib
 *     inflates with that window; the compressed payload, sent masked in 1-4
 *     fragments and received in arbitrary pieces the way t4__ws_process
 *     reassembles it, inflates back to the message (or is too big for a
 *     limit below its size).
 *   2 negotiation: t4__pmd_negotiate on the payload as a
 *     Sec-WebSocket-Extensions value returns 0 or 9..15, is case-blind, and
 *     accepts its own response line with the same answer.
 *   3 zip bomb: the payload repeated up to 4 MiB (sizes around the output
 *     buffer's growth steps), deflated by zlib at level 0/1/6/9, inflates
 *     exactly when it fits the limit and is too big otherwise.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "util/sbuf.h"
#include "ws/deflate.h"
#include "ws/frame.h"

/* ASan's count of live heap bytes; weak, so that a build without ASan (for
 * coverage reports, say) links and just skips the memory check. */
size_t __sanitizer_get_current_allocated_bytes(void) __attribute__((weak));

static size_t heap_bytes(void)
{
    return __sanitizer_get_current_allocated_bytes ? __sanitizer_get_current_allocated_bytes() : 0;
}

#include "check.h"

static const uint8_t tail[4] = {0x00, 0x00, 0xff, 0xff};

/* Limits around the output buffer's first sizes (16 KiB, doubling) and the
 * server's default (1 MiB). */
static const size_t limits[16] = {0,     1,     2,     125,   4096,  16382,  16383,  16384,
                                  16385, 32767, 32768, 65535, 65536, 100000, 262145, 1048576};

/* ------------------------------------------------------------------ */
/* zlib references (independent of the code under test)                */
/* ------------------------------------------------------------------ */

/* Inflates in + 00 00 ff ff in one pass through a small scratch buffer, as
 * RFC 7692 7.2.2 describes, and compares what it produces with `have`
 * (have_len bytes) when that is not NULL. Returns the verdict
 * t4__pmd_inflate must give; *same tells whether the output matched. */
static t4__pmd_status ref_inflate(const uint8_t *in, size_t len, size_t max, int wbits, const char *have,
                                  size_t have_len, bool *same)
{
    *same = !have || len > 0 || have_len == 0;
    if (len == 0) /* no data at all: the empty message (not a deflate stream) */
        return T4__PMD_OK;
    uint8_t *buf = malloc(len + 4);
    CHECK(buf);
    if (len)
        memcpy(buf, in, len);
    memcpy(buf + len, tail, 4);
    z_stream z;
    memset(&z, 0, sizeof z);
    CHECK(inflateInit2(&z, -wbits) == Z_OK);
    z.next_in = buf;
    z.avail_in = (uInt)(len + 4);
    static uint8_t scratch[4093]; /* not a power of two: cuts fall elsewhere */
    size_t produced = 0;
    t4__pmd_status st;
    for (;;) {
        z.next_out = scratch;
        z.avail_out = sizeof scratch;
        int r = inflate(&z, Z_SYNC_FLUSH);
        size_t got = sizeof scratch - z.avail_out;
        if (have && (produced + got > have_len || memcmp(have + produced, scratch, got) != 0))
            *same = false;
        produced += got;
        if (produced > max) {
            st = T4__PMD_TOO_BIG;
            break;
        }
        if (r == Z_STREAM_END) {
            size_t consumed = len + 4 - z.avail_in;
            st = consumed >= len ? T4__PMD_OK : T4__PMD_CORRUPT; /* nothing of the message after the end */
            break;
        }
        if (r == Z_MEM_ERROR) {
            st = T4__PMD_NOMEM;
            break;
        }
        if (r != Z_OK && r != Z_BUF_ERROR) {
            st = T4__PMD_CORRUPT;
            break;
        }
        if (z.avail_in == 0 && z.avail_out > 0) {
            /* All read: a whole message stops on a block boundary. */
            st = (z.data_type & 128) ? T4__PMD_OK : T4__PMD_CORRUPT;
            break;
        }
        if (r == Z_BUF_ERROR && z.avail_out > 0) {
            st = T4__PMD_CORRUPT;
            break;
        }
    }
    if (have && st == T4__PMD_OK && produced != have_len)
        *same = false;
    inflateEnd(&z);
    free(buf);
    return st;
}

/* Raw deflate with a sync flush and the 00 00 ff ff removed, as a peer
 * sends a message. Returns a malloc'd buffer. */
static uint8_t *ref_deflate(const uint8_t *in, size_t len, int level, int wbits, size_t *out_len)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    CHECK(deflateInit2(&z, level, Z_DEFLATED, -wbits, 8, Z_DEFAULT_STRATEGY) == Z_OK);
    size_t cap = deflateBound(&z, len) + 16;
    uint8_t *out = malloc(cap);
    CHECK(out);
    z.next_in = (Bytef *)(uintptr_t)in;
    z.avail_in = (uInt)len;
    z.next_out = out;
    z.avail_out = (uInt)cap;
    CHECK(deflate(&z, Z_SYNC_FLUSH) == Z_OK && z.avail_in == 0 && z.avail_out > 0);
    size_t n = cap - z.avail_out;
    CHECK(n >= 4 && memcmp(out + n - 4, tail, 4) == 0);
    deflateEnd(&z);
    *out_len = n - 4;
    return out;
}

/* ------------------------------------------------------------------ */
/* the code under test, watched                                        */
/* ------------------------------------------------------------------ */

/* t4__pmd_inflate, checked against the reference and for its memory: the
 * output buffer it keeps grows by at most the limit plus a spare byte
 * (plus zlib's own state and window on first use). */
static t4__pmd_status inflate_checked(const uint8_t *in, size_t len, size_t max, char **out, size_t *out_len)
{
    size_t before = heap_bytes();
    t4__pmd_status st = t4__pmd_inflate(in, len, max, out, out_len);
    size_t after = heap_bytes();
    CHECK(after <= before || after - before <= max + 2 + 16384 + 64 * 1024);
    CHECK(st == T4__PMD_OK || st == T4__PMD_TOO_BIG || st == T4__PMD_CORRUPT || st == T4__PMD_NOMEM);
    bool same;
    t4__pmd_status want = ref_inflate(in, len, max, 15, st == T4__PMD_OK ? *out : NULL, *out_len, &same);
    if (st != T4__PMD_NOMEM && want != T4__PMD_NOMEM)
        CHECK(st == want);
    if (st == T4__PMD_OK) {
        CHECK(same && *out_len <= max);
        (*out)[*out_len] = '\0'; /* the spare byte the caller writes */
    }
    return st;
}

static uint8_t *good_z;
static size_t good_z_len;
static const char good[] = "a good message after a bad one, a good message after a bad one";

/* Mode 0: hostile compressed data. */
static void fuzz_inflate(const uint8_t *p, size_t n, size_t max)
{
    uint8_t *in = malloc(n ? n : 1); /* exact size: ASan sees any overread */
    memcpy(in, p, n);
    char *out = NULL;
    size_t out_len = 0;
    inflate_checked(in, n, max, &out, &out_len);
    free(in);

    /* The shared inflater forgets whatever happened. */
    CHECK(t4__pmd_inflate(good_z, good_z_len, sizeof good, &out, &out_len) == T4__PMD_OK);
    CHECK(out_len == sizeof good - 1 && memcmp(out, good, out_len) == 0);
}

/* ------------------------------------------------------------------ */
/* mode 1: round trip, over the wire in pieces                         */
/* ------------------------------------------------------------------ */

typedef struct {
    uint32_t s;
} rng;

static uint32_t next(rng *r)
{
    r->s = r->s * 1103515245u + 12345u;
    return r->s >> 8;
}

/* Sends the compressed payload z (zl bytes) as a client would: 1-4 masked
 * fragments, RSV1 on the first, a ping between two of them; the receiver
 * gets the bytes in pieces of random size and reassembles the message the
 * way t4__ws_process does (parse a header once it is all there, unmask what
 * has arrived at its offset, append each whole data frame). Returns the
 * reassembled payload (malloc'd). */
static uint8_t *over_the_wire(const uint8_t *z, size_t zl, uint8_t opcode, rng *r, size_t *msg_len)
{
    unsigned nfrag = 1 + next(r) % 4;
    size_t cuts[5] = {0};
    for (unsigned i = 1; i < nfrag; i++)
        cuts[i] = zl ? next(r) % (zl + 1) : 0;
    cuts[nfrag] = zl;
    for (unsigned i = 1; i < nfrag; i++) /* sort the inner cuts */
        for (unsigned j = i + 1; j < nfrag; j++)
            if (cuts[j] < cuts[i]) {
                size_t t = cuts[i];
                cuts[i] = cuts[j];
                cuts[j] = t;
            }
    unsigned ping_after = next(r) % (nfrag + 1); /* == nfrag: no ping */

    size_t cap = zl + (nfrag + 1) * (T4__WS_MAX_HEADER + 4);
    uint8_t *wire = malloc(cap);
    size_t wl = 0;
    for (unsigned i = 0; i < nfrag; i++) {
        uint8_t mask[4];
        for (int k = 0; k < 4; k++)
            mask[k] = (uint8_t)next(r);
        size_t fl = cuts[i + 1] - cuts[i];
        size_t h = t4__ws_write_header(wire + wl, i == nfrag - 1, i == 0 ? opcode : T4__WS_OP_CONT, fl, mask);
        if (i == 0)
            wire[wl] |= 0x40; /* RSV1: compressed */
        wl += h;
        memcpy(wire + wl, z + cuts[i], fl);
        for (size_t k = 0; k < fl; k++)
            wire[wl + k] ^= mask[k % 4];
        wl += fl;
        if (i == ping_after && i + 1 < nfrag) {
            uint8_t pm[4] = {1, 2, 3, 4};
            wl += t4__ws_write_header(wire + wl, true, T4__WS_OP_PING, 2, pm);
            wire[wl++] = 'h' ^ 1;
            wire[wl++] = 'i' ^ 2;
        }
    }
    CHECK(wl <= cap);

    /* The receiver: a connection's input buffer filled piece by piece. */
    uint8_t *rx = malloc(wl ? wl : 1), *msg = malloc(zl ? zl : 1);
    size_t rx_len = 0, rx_used = 0, ml = 0, frames = 0;
    bool have_frame = false, done = false;
    t4__ws_frame f;
    uint64_t seen = 0;
    while (!done) {
        CHECK(rx_len < wl);
        size_t span = next(r) % 2 ? 3 : 64; /* a byte or three at a time, or more */
        size_t piece = 1 + next(r) % span;
        if (piece > wl - rx_len)
            piece = wl - rx_len;
        memcpy(rx + rx_len, wire + rx_len, piece);
        rx_len += piece;
        for (;;) {
            uint8_t *p = rx + rx_used;
            size_t avail = rx_len - rx_used;
            if (!have_frame) {
                t4__ws_frame_status st = t4__ws_parse_frame(p, avail, true, 4, &f);
                if (st == T4__WS_FRAME_NEED_MORE)
                    break;
                CHECK(st == T4__WS_FRAME_OK);
                CHECK(f.masked && (f.rsv == (frames == 0 && f.opcode != T4__WS_OP_PING ? 4 : 0)));
                have_frame = true;
                seen = 0;
            }
            size_t have = avail - f.header_len < f.len ? avail - f.header_len : (size_t)f.len;
            if (have > seen) {
                t4__ws_unmask(p + f.header_len + seen, have - (size_t)seen, f.mask, seen);
                seen = have;
            }
            if (have < f.len)
                break;
            have_frame = false;
            if (f.opcode == T4__WS_OP_PING) {
                CHECK(f.len == 2 && memcmp(p + f.header_len, "hi", 2) == 0);
            } else {
                CHECK(f.opcode == (frames == 0 ? opcode : T4__WS_OP_CONT));
                memcpy(msg + ml, p + f.header_len, (size_t)f.len);
                ml += (size_t)f.len;
                frames++;
                done = f.fin;
            }
            rx_used += f.header_len + (size_t)f.len;
            if (done)
                break;
        }
    }
    CHECK(rx_used == wl && rx_len == wl && frames == nfrag && ml == zl);
    free(wire);
    free(rx);
    *msg_len = ml;
    return msg;
}

static void fuzz_round_trip(const uint8_t *p, size_t n, uint8_t flags, uint8_t wsel, size_t max, rng *r)
{
    int wbits = 9 + wsel % 7;
    uint8_t opcode = (flags & 8) ? T4__WS_OP_BINARY : T4__WS_OP_TEXT;
    uint8_t *data = malloc(n ? n : 1);
    memcpy(data, p, n);
    t4__sbuf *b = t4__pmd_frame(opcode, data, n, wbits);
    bool uniform = n >= 64;
    for (size_t i = 1; i < n && uniform; i++)
        uniform = data[i] == data[0];
    if (!b) {
        /* Only sent plain when compression does not pay; a run of one
         * byte always compresses. */
        CHECK(!uniform);
        free(data);
        return;
    }
    CHECK(n > 0);
    t4__ws_frame f;
    CHECK(t4__ws_parse_frame((const uint8_t *)b->data, b->len, false, 4, &f) == T4__WS_FRAME_OK);
    CHECK(f.fin && f.rsv == 4 && f.opcode == opcode && !f.masked);
    CHECK(f.header_len + f.len == b->len && f.len < n);
    const uint8_t *z = (const uint8_t *)b->data + f.header_len;
    size_t zl = (size_t)f.len;

    /* A peer that only keeps a 2^wbits window reads it back. */
    bool same;
    CHECK(ref_inflate(z, zl, n, wbits, (const char *)data, n, &same) == T4__PMD_OK && same);

    size_t ml;
    uint8_t *msg = over_the_wire(z, zl, opcode, r, &ml);
    CHECK(ml == zl && memcmp(msg, z, zl) == 0);
    t4__sbuf_release(b);

    /* The limit: exactly the message's size fits, one byte less does not. */
    size_t lims[3] = {max, n, n - 1};
    for (int i = 0; i < 3; i++) {
        char *out;
        size_t out_len = 0;
        t4__pmd_status st = inflate_checked(msg, ml, lims[i], &out, &out_len);
        if (n <= lims[i])
            CHECK(st == T4__PMD_OK && out_len == n && memcmp(out, data, n) == 0);
        else
            CHECK(st == T4__PMD_TOO_BIG);
    }
    free(msg);
    free(data);
}

/* ------------------------------------------------------------------ */
/* mode 2: negotiation                                                 */
/* ------------------------------------------------------------------ */

static void fuzz_negotiate(const uint8_t *p, size_t n)
{
    char *v = malloc(n ? n : 1);
    memcpy(v, p, n);
    bool asked = true;
    int w = t4__pmd_negotiate(v, n, &asked);
    CHECK(w == 0 || (w >= 9 && w <= 15));
    CHECK(!asked || w != 0);
    CHECK(asked || w == 0 || w == 15);

    /* Names are case-insensitive and accepted values are digits. */
    for (size_t i = 0; i < n; i++)
        if (v[i] >= 'a' && v[i] <= 'z')
            v[i] = (char)(v[i] - 'a' + 'A');
    bool asked2;
    CHECK(t4__pmd_negotiate(v, n, &asked2) == w && asked2 == asked);
    free(v);
    if (!w)
        return;

    /* Our answer is itself an offer we accept, with the same window. (Its
     * longest form is 129 bytes plus the NUL: the handshake's buffer is 160.) */
    char line[160];
    size_t l = t4__pmd_response(w, asked, line, sizeof line);
    static const char pre[] = "Sec-WebSocket-Extensions: ";
    CHECK(l > sizeof pre + 1 && l < sizeof line && memcmp(line, pre, sizeof pre - 1) == 0);
    CHECK(line[l - 2] == '\r' && line[l - 1] == '\n' && line[l] == '\0');
    /* A buffer one byte short gets nothing rather than half a header. */
    char *tight = malloc(l);
    CHECK(t4__pmd_response(w, asked, tight, l) == 0);
    CHECK(t4__pmd_response(w, asked, line, l + 1) == l);
    free(tight);
    size_t vl = l - (sizeof pre - 1) - 2;
    char *echo = malloc(vl);
    memcpy(echo, line + sizeof pre - 1, vl);
    CHECK(t4__pmd_negotiate(echo, vl, &asked2) == w && asked2 == asked);
    free(echo);
}

/* ------------------------------------------------------------------ */
/* mode 3: zip bombs                                                   */
/* ------------------------------------------------------------------ */

static void fuzz_bomb(const uint8_t *p, size_t n, uint8_t flags, uint8_t sel, size_t max)
{
    static const size_t sizes[8] = {1, 16383, 16384, 32767, 32768, 65537, 262144, 1048577};
    static const int levels[4] = {0, 1, 6, 9};
    size_t big = sizes[sel & 7];
    int level = levels[(flags >> 4) & 3];
    if (level == 0 && big > 300000)
        big = 300000; /* stored blocks: no bomb, just slow */
    uint8_t *plain = malloc(big);
    for (size_t i = 0; i < big; i++)
        plain[i] = n ? p[i % n] : 0;
    size_t zl;
    uint8_t *z = ref_deflate(plain, big, level, 15, &zl);
    char *out;
    size_t out_len = 0;
    t4__pmd_status st = inflate_checked(z, zl, max, &out, &out_len);
    if (big <= max)
        CHECK(st == T4__PMD_OK && out_len == big && memcmp(out, plain, big) == 0);
    else
        CHECK(st == T4__PMD_TOO_BIG);
    free(z);
    free(plain);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!good_z)
        good_z = ref_deflate((const uint8_t *)good, sizeof good - 1, 6, 15, &good_z_len);
    if (size < 5)
        return 0;
    uint8_t flags = data[0];
    size_t max = limits[data[1] & 15];
    rng r = {(uint32_t)data[3] | (uint32_t)data[4] << 8 | (uint32_t)data[2] << 16};
    const uint8_t *p = data + 5;
    size_t n = size - 5;
    if (flags & 4)
        t4__pmd_trim(); /* a large output buffer goes: the next inflate starts afresh */
    if (flags & 64)
        t4__pmd_cleanup(); /* every stream and buffer goes: as after a restart */
    switch (flags & 3) {
    case 0:
        fuzz_inflate(p, n, max);
        break;
    case 1:
        fuzz_round_trip(p, n, flags, data[2], max, &r);
        break;
    case 2:
        fuzz_negotiate(p, n);
        break;
    default:
        fuzz_bomb(p, n, flags, data[2], max);
        break;
    }
    return 0;
}
