/* SPDX-License-Identifier: MIT */
/* permessage-deflate (RFC 7692): offer negotiation, and the loop's shared
 * zlib streams (no context takeover: every message stands alone). */
#include "ws/deflate.h"
#include "ws/frame.h"
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <zlib.h>

/* ---------------------------------------------------------------- */
/* Negotiation                                                        */
/* ---------------------------------------------------------------- */

static const char *skip_ows(const char *p, const char *e)
{
    while (p < e && (*p == ' ' || *p == '\t'))
        p++;
    return p;
}

static bool tchar(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static const char *token_end(const char *p, const char *e)
{
    while (p < e && tchar(*p))
        p++;
    return p;
}

static bool name_is(const char *p, size_t n, const char *name)
{
    return n == strlen(name) && strncasecmp(p, name, n) == 0;
}

/* RFC 7692 7.1.2: 1*DIGIT of 8..15 without leading zeros; -1 otherwise. */
static int window_bits(const char *v, size_t n)
{
    if (n == 1 && (v[0] == '8' || v[0] == '9'))
        return v[0] - '0';
    if (n == 2 && v[0] == '1' && v[1] >= '0' && v[1] <= '5')
        return 10 + (v[1] - '0');
    return -1;
}

enum { P_SERVER_NCT = 1, P_CLIENT_NCT = 2, P_SERVER_BITS = 4, P_CLIENT_BITS = 8 };

int t4__pmd_negotiate(const char *value, size_t len, bool *asked_server_bits)
{
    const char *p = value, *e = value + len;
    *asked_server_bits = false;
    for (;;) {
        p = skip_ows(p, e);
        if (p < e && *p == ',') { /* empty list elements are allowed */
            p++;
            continue;
        }
        if (p >= e)
            return 0;
        const char *name = p;
        p = token_end(p, e);
        if (p == name)
            return 0; /* malformed: ignore the whole header */
        bool ok = name_is(name, (size_t)(p - name), "permessage-deflate");
        unsigned seen = 0;
        int sbits = 0;
        for (;;) {
            p = skip_ows(p, e);
            if (p >= e || *p == ',')
                break;
            if (*p != ';')
                return 0;
            p = skip_ows(p + 1, e);
            const char *pn = p;
            p = token_end(p, e);
            if (p == pn)
                return 0;
            size_t pnl = (size_t)(p - pn);
            p = skip_ows(p, e);
            bool has_val = false, val_long = false;
            char val[4];
            size_t vl = 0;
            if (p < e && *p == '=') {
                has_val = true;
                p = skip_ows(p + 1, e);
                if (p < e && *p == '"') { /* quoted-string (RFC 7230 3.2.6) */
                    for (p++; p < e && *p != '"'; p++) {
                        if (*p == '\\' && ++p >= e)
                            return 0;
                        if (vl < sizeof val)
                            val[vl++] = *p;
                        else
                            val_long = true;
                    }
                    if (p >= e)
                        return 0;
                    p++;
                } else {
                    const char *vs = p;
                    p = token_end(p, e);
                    if (p == vs)
                        return 0;
                    vl = (size_t)(p - vs) < sizeof val ? (size_t)(p - vs) : sizeof val;
                    val_long = (size_t)(p - vs) > sizeof val;
                    memcpy(val, vs, vl);
                }
            }
            if (!ok)
                continue; /* another extension, or an offer already declined */
            unsigned bit = name_is(pn, pnl, "server_no_context_takeover")   ? P_SERVER_NCT
                           : name_is(pn, pnl, "client_no_context_takeover") ? P_CLIENT_NCT
                           : name_is(pn, pnl, "server_max_window_bits")     ? P_SERVER_BITS
                           : name_is(pn, pnl, "client_max_window_bits")     ? P_CLIENT_BITS
                                                                            : 0;
            if (!bit || (seen & bit)) {
                ok = false; /* unknown or repeated parameter (7.1) */
                continue;
            }
            seen |= bit;
            int bits = has_val && !val_long ? window_bits(val, vl) : -1;
            if (bit == P_SERVER_NCT || bit == P_CLIENT_NCT)
                ok = !has_val;
            else if (bit == P_SERVER_BITS) {
                ok = bits >= 9; /* 8: zlib's smallest raw window is 512 bytes */
                sbits = bits;
            } else
                ok = !has_val || bits >= 8;
        }
        if (ok) {
            *asked_server_bits = sbits != 0;
            return sbits ? sbits : 15;
        }
        if (p < e)
            p++; /* the comma: try the next offer */
    }
}

size_t t4__pmd_response(int wbits, bool asked_server_bits, char *out, size_t cap)
{
    int n = asked_server_bits
                ? snprintf(out, cap,
                           "Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover; "
                           "client_no_context_takeover; server_max_window_bits=%d\r\n",
                           wbits)
                : snprintf(out, cap,
                           "Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover; "
                           "client_no_context_takeover\r\n");
    return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}

/* ---------------------------------------------------------------- */
/* The loop's zlib streams                                            */
/* ---------------------------------------------------------------- */

/* Level 1 (Z_BEST_SPEED): the loop thread's CPU is the scarce resource. On
 * a 4 KiB JSON message it costs ~30 us against ~44 us at level 6, for ~20%
 * more bytes on the wire (still ~7x smaller than plain). */
#define PMD_LEVEL Z_BEST_SPEED

static z_stream deflaters[7]; /* one per window size 9..15, created on first use */
static bool deflater_ready[7];
static z_stream inflater; /* window 15 reads every window size */
static bool inflater_ready;
static char *obuf; /* inflated messages */
static size_t obuf_cap;

static const uint8_t sync_tail[4] = {0x00, 0x00, 0xff, 0xff};

static z_stream *deflater(int wbits)
{
    if (wbits < 9 || wbits > 15)
        return NULL;
    z_stream *z = &deflaters[wbits - 9];
    if (deflater_ready[wbits - 9])
        return deflateReset(z) == Z_OK ? z : NULL;
    memset(z, 0, sizeof *z);
    if (deflateInit2(z, PMD_LEVEL, Z_DEFLATED, -wbits, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return NULL;
    deflater_ready[wbits - 9] = true;
    return z;
}

static size_t header_len(size_t len)
{
    return len <= 125 ? 2 : len <= 0xffff ? 4 : 10;
}

t4__sbuf *t4__pmd_frame(uint8_t opcode, const void *data, size_t len, int wbits)
{
    if (len == 0 || len > UINT_MAX / 2)
        return NULL;
    z_stream *z = deflater(wbits);
    if (!z)
        return NULL;
    size_t hl = header_len(len);
    t4__sbuf *b = t4__sbuf_get(hl + len + 4);
    if (!b)
        return NULL;
    /* Room for len + 3 bytes of output: after the 4-byte tail goes, only a
     * payload smaller than the original is kept. */
    z->next_in = (Bytef *)(uintptr_t)data;
    z->avail_in = (uInt)len;
    z->next_out = (Bytef *)b->data + hl;
    z->avail_out = (uInt)(len + 3);
    int r = deflate(z, Z_SYNC_FLUSH);
    size_t raw = len + 3 - z->avail_out;
    if (r != Z_OK || z->avail_in != 0 || z->avail_out == 0 || raw < 4 ||
        memcmp(b->data + hl + raw - 4, sync_tail, 4) != 0) {
        t4__sbuf_release(b);
        return NULL;
    }
    size_t clen = raw - 4;
    size_t chl = header_len(clen);
    if (chl < hl)
        memmove(b->data + chl, b->data + hl, clen);
    t4__ws_write_header((uint8_t *)b->data, true, opcode, clen, NULL);
    b->data[0] |= 0x40; /* RSV1: this message is compressed */
    b->len = chl + clen;
    return b;
}

t4__pmd_status t4__pmd_inflate(const uint8_t *in, size_t len, size_t max, char **out, size_t *out_len)
{
    if (len > UINT_MAX / 2 || max > SIZE_MAX - 2)
        return T4__PMD_TOO_BIG;
    if (!inflater_ready) {
        memset(&inflater, 0, sizeof inflater);
        if (inflateInit2(&inflater, -15) != Z_OK)
            return T4__PMD_NOMEM;
        inflater_ready = true;
    } else if (inflateReset(&inflater) != Z_OK) {
        return T4__PMD_NOMEM;
    }
    z_stream *z = &inflater;
    size_t produced = 0;
    if (len == 0) /* no deflate data at all: taken as the empty message */
        goto done;
    for (int part = 0; part < 2; part++) {
        /* The message, then the 00 00 ff ff the sender removed (7.2.2). */
        z->next_in = (Bytef *)(uintptr_t)(part ? sync_tail : in);
        z->avail_in = part ? 4 : (uInt)len;
        for (;;) {
            if (obuf_cap < produced + 2) {
                size_t ncap = obuf_cap ? obuf_cap * 2 : 16384;
                if (ncap > max + 2)
                    ncap = max + 2; /* max + 1 detects "too big"; one spare byte */
                char *nb = realloc(obuf, ncap);
                if (!nb)
                    return T4__PMD_NOMEM;
                obuf = nb;
                obuf_cap = ncap;
            }
            size_t room = obuf_cap - 1 - produced, limit = max + 1 - produced;
            if (room > limit)
                room = limit;
            if (room > UINT_MAX / 2)
                room = UINT_MAX / 2;
            z->next_out = (Bytef *)obuf + produced;
            z->avail_out = (uInt)room;
            int r = inflate(z, Z_SYNC_FLUSH);
            produced += room - z->avail_out;
            if (produced > max)
                return T4__PMD_TOO_BIG;
            if (r == Z_STREAM_END) {
                if (part == 0 && z->avail_in)
                    return T4__PMD_CORRUPT; /* data after the final block */
                goto done;
            }
            if (r == Z_MEM_ERROR)
                return T4__PMD_NOMEM;
            if (r != Z_OK && r != Z_BUF_ERROR)
                return T4__PMD_CORRUPT;
            if (z->avail_in == 0 && z->avail_out > 0)
                break; /* input used up, output flushed */
            if (r == Z_BUF_ERROR && z->avail_out > 0)
                return T4__PMD_CORRUPT; /* no progress possible */
        }
    }
    /* A whole message ends on a block boundary (after the empty stored
     * block of the tail); anything else was truncated. */
    if (!(z->data_type & 128))
        return T4__PMD_CORRUPT;
done:
    if (!obuf) { /* deliver() needs a spare byte even after an empty message */
        if (!(obuf = malloc(16384)))
            return T4__PMD_NOMEM;
        obuf_cap = 16384;
    }
    *out = obuf;
    *out_len = produced;
    return T4__PMD_OK;
}

void t4__pmd_trim(void)
{
    if (obuf_cap > 256 * 1024) {
        free(obuf);
        obuf = NULL;
        obuf_cap = 0;
    }
}

void t4__pmd_cleanup(void)
{
    for (int i = 0; i < 7; i++) {
        if (deflater_ready[i])
            deflateEnd(&deflaters[i]);
        deflater_ready[i] = false;
    }
    if (inflater_ready)
        inflateEnd(&inflater);
    inflater_ready = false;
    free(obuf);
    obuf = NULL;
    obuf_cap = 0;
}
