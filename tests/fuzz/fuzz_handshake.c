/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the WebSocket opening handshake without a server
 * (src/ws/handshake_logic.c) and the permessage-deflate offers it
 * negotiates (src/ws/deflate.c), on heads from the real parser.
 *
 * FUZZ_SOURCES: src/ws/handshake_logic.c src/ws/deflate.c src/ws/frame.c src/util/sbuf.c src/http/parser.c
 * FUZZ_LIBS: -lcrypto -lz
 *
 * Input layout: byte 0 picks the allow-list of origins and a subprotocol
 * name, byte 1 bit 0 the method (GET / POST) and bit 1 the version; the rest
 * is header lines appended to "<method> /ws HTTP/1.x\r\nHost: h\r\n". When
 * the parser accepts the head, checked against references written here:
 *   - t4__ws_upgrade_check: the status (0, 400, 426, 403) of the checks of
 *     RFC 6455 4.2.1 in order, with an own base64 validator for the key and
 *     an own reading of the allow-list;
 *   - t4__ws_accept_key for a valid key: base64(SHA-1(key + GUID)) by an own
 *     SHA-1 and base64 (and the RFC's example on every run);
 *   - t4__ws_client_offers: the name is one of the listed tokens;
 *   - t4__ws_negotiate_deflate: the first Sec-WebSocket-Extensions line with
 *     an acceptable offer decides; the window is 9..15; the response line
 *     is well formed and, read back as an offer, gives the same window.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http/parser.h"
#include "ws/deflate.h"
#include "ws/handshake.h"

#include "check.h"

/* ------------------------------------------------------------------ */
/* reference SHA-1 (FIPS 180-4) and base64                              */
/* ------------------------------------------------------------------ */

static uint32_t rol(uint32_t x, int n)
{
    return (x << n) | (x >> (32 - n));
}

static void sha1(const uint8_t *msg, size_t len, uint8_t out[20])
{
    uint32_t h[5] = {0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0};
    size_t total = ((len + 8) / 64 + 1) * 64;
    uint8_t *m = calloc(total, 1);
    memcpy(m, msg, len);
    m[len] = 0x80;
    uint64_t bits = (uint64_t)len * 8;
    for (int i = 0; i < 8; i++)
        m[total - 1 - i] = (uint8_t)(bits >> (8 * i));
    for (size_t off = 0; off < total; off += 64) {
        uint32_t w[80];
        for (int i = 0; i < 16; i++)
            w[i] = (uint32_t)m[off + 4 * i] << 24 | (uint32_t)m[off + 4 * i + 1] << 16 |
                   (uint32_t)m[off + 4 * i + 2] << 8 | m[off + 4 * i + 3];
        for (int i = 16; i < 80; i++)
            w[i] = rol(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
        uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
        for (int i = 0; i < 80; i++) {
            uint32_t f, k;
            if (i < 20)
                f = (b & c) | (~b & d), k = 0x5A827999;
            else if (i < 40)
                f = b ^ c ^ d, k = 0x6ED9EBA1;
            else if (i < 60)
                f = (b & c) | (b & d) | (c & d), k = 0x8F1BBCDC;
            else
                f = b ^ c ^ d, k = 0xCA62C1D6;
            uint32_t t = rol(a, 5) + f + e + k + w[i];
            e = d;
            d = c;
            c = rol(b, 30);
            b = a;
            a = t;
        }
        h[0] += a, h[1] += b, h[2] += c, h[3] += d, h[4] += e;
    }
    free(m);
    for (int i = 0; i < 20; i++)
        out[i] = (uint8_t)(h[i / 4] >> (24 - 8 * (i % 4)));
}

static const char B64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static void base64(const uint8_t *in, size_t n, char *out)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v =
            (uint32_t)in[i] << 16 | (i + 1 < n ? (uint32_t)in[i + 1] << 8 : 0) | (i + 2 < n ? in[i + 2] : 0);
        out[o++] = B64[v >> 18 & 63];
        out[o++] = B64[v >> 12 & 63];
        out[o++] = i + 1 < n ? B64[v >> 6 & 63] : '=';
        out[o++] = i + 2 < n ? B64[v & 63] : '=';
    }
    out[o] = '\0';
}

static void ref_accept(const char *key, size_t len, char out[29])
{
    static const char guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    uint8_t buf[64], d[20];
    memcpy(buf, key, len);
    memcpy(buf + len, guid, 36);
    sha1(buf, len + 36, d);
    base64(d, 20, out);
}

/* ------------------------------------------------------------------ */
/* reference checks                                                     */
/* ------------------------------------------------------------------ */

static bool named(const t4__http_header *x, const char *name)
{
    size_t n = strlen(name);
    return x->name.n == n && strncasecmp(x->name.p, name, n) == 0;
}

static size_t count(const t4__http_head *h, const char *name, const t4__http_header **first)
{
    size_t c = 0;
    for (size_t i = 0; i < h->num_headers; i++)
        if (named(&h->headers[i], name) && c++ == 0)
            *first = &h->headers[i];
    return c;
}

/* 16 bytes in base64: 22 alphabet characters and "==". */
static bool ref_key_valid(t4__slice k)
{
    if (k.n != 24 || k.p[22] != '=' || k.p[23] != '=')
        return false;
    for (size_t i = 0; i < 22; i++)
        if (!k.p[i] || !strchr(B64, k.p[i]))
            return false;
    return true;
}

static bool ref_origin(const char *allowed, const t4__http_head *h)
{
    if (!*allowed || strcmp(allowed, "*") == 0)
        return true;
    const t4__http_header *o = NULL;
    if (count(h, "Origin", &o) == 0)
        return true;
    char copy[256];
    snprintf(copy, sizeof copy, "%s", allowed);
    for (char *save = NULL, *tok = strtok_r(copy, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save))
        if (strlen(tok) == o->value.n && strncasecmp(tok, o->value.p, o->value.n) == 0)
            return true;
    return false;
}

static int ref_check(const t4__http_head *h, const char *allowed)
{
    const t4__http_header *key = NULL, *ver = NULL;
    if (!t4__slice_eq(h->method, "GET") || h->minor_version != 1 || h->content_length > 0 || h->chunked)
        return 400;
    size_t nkey = count(h, "Sec-WebSocket-Key", &key), nver = count(h, "Sec-WebSocket-Version", &ver);
    if (nkey > 1 || nver > 1)
        return 400;
    if (nver == 0 || !t4__slice_eq(ver->value, "13"))
        return 426;
    if (nkey == 0 || !ref_key_valid(key->value))
        return 400;
    if (!ref_origin(allowed, h))
        return 403;
    return 0;
}

static bool ref_offers(const t4__http_head *h, const char *name)
{
    size_t nl = strlen(name);
    for (size_t i = 0; i < h->num_headers; i++) {
        const t4__http_header *x = &h->headers[i];
        if (!named(x, "Sec-WebSocket-Protocol"))
            continue;
        size_t j = 0;
        while (j < x->value.n) {
            size_t s = j;
            while (j < x->value.n && !strchr(", \t", x->value.p[j]))
                j++;
            if (j - s == nl && j > s && memcmp(x->value.p + s, name, nl) == 0)
                return true;
            j++;
        }
    }
    return false;
}

/* ------------------------------------------------------------------ */

static char req[8192];
static t4__http_head head;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bool once;
    if (!once) { /* RFC 6455 1.3 */
        char out[29];
        t4__ws_accept_key("dGhlIHNhbXBsZSBub25jZQ==", 24, out);
        CHECK(strcmp(out, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=") == 0);
        ref_accept("dGhlIHNhbXBsZSBub25jZQ==", 24, out);
        CHECK(strcmp(out, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=") == 0);
        once = true;
    }
    static const char *const origins[4] = {"", "*", "https://a.example, http://B.example:8080",
                                           "https://a.example"};
    static const char *const protocols[4] = {"chat", "v2.json", "x", ""};
    if (size < 2)
        return 0;
    const char *allowed = origins[data[0] & 3];
    const char *proto = protocols[(data[0] >> 2) & 3];
    int k = snprintf(req, sizeof req, "%s /ws HTTP/1.%d\r\nHost: h\r\n", data[1] & 1 ? "POST" : "GET",
                     data[1] & 2 ? 0 : 1);
    size_t n = size - 2;
    if ((size_t)k + n + 2 > sizeof req)
        return 0;
    memcpy(req + k, data + 2, n);
    memcpy(req + k + n, "\r\n", 2);
    size_t len = (size_t)k + n + 2;
    int st = 0;
    if (t4__http_parse_head(req, len, 0, sizeof req, &head, &st) <= 0)
        return 0;

    int verdict = t4__ws_upgrade_check(&head, allowed);
    CHECK(verdict == ref_check(&head, allowed));

    const t4__http_header *key = t4__http_find_header(&head, "Sec-WebSocket-Key");
    if (key) {
        CHECK(t4__ws_key_valid(key->value) == ref_key_valid(key->value));
        if (ref_key_valid(key->value)) {
            char got[29], want[29];
            t4__ws_accept_key(key->value.p, key->value.n, got);
            ref_accept(key->value.p, key->value.n, want);
            CHECK(strcmp(got, want) == 0);
        }
    }

    if (*proto)
        CHECK(t4__ws_client_offers(&head, proto) == ref_offers(&head, proto));

    char ext[160];
    size_t ext_len = 99;
    int wbits = t4__ws_negotiate_deflate(&head, ext, sizeof ext, &ext_len);
    int want = 0;
    bool want_asked = false;
    for (size_t i = 0; i < head.num_headers && !want; i++) {
        const t4__http_header *x = &head.headers[i];
        if (named(x, "Sec-WebSocket-Extensions"))
            want = t4__pmd_negotiate(x->value.p, x->value.n, &want_asked);
    }
    CHECK(wbits == want);
    if (!wbits) {
        CHECK(ext_len == 0);
        return 0;
    }
    CHECK(wbits >= 9 && wbits <= 15);
    static const char prefix[] = "Sec-WebSocket-Extensions: ";
    CHECK(ext_len > sizeof prefix + 1 && ext_len < sizeof ext);
    CHECK(memcmp(ext, prefix, sizeof prefix - 1) == 0);
    CHECK(ext[ext_len - 2] == '\r' && ext[ext_len - 1] == '\n');
    CHECK(memchr(ext, '\n', ext_len - 1) == NULL);
    /* The answer names the window only when the offer asked for one. */
    bool names_window = strstr(ext, "server_max_window_bits") != NULL;
    CHECK(names_window == want_asked);
    CHECK(want_asked || wbits == 15);
    bool asked2 = false;
    const char *value = ext + sizeof prefix - 1;
    CHECK(t4__pmd_negotiate(value, ext_len - 2 - (sizeof prefix - 1), &asked2) == wbits);
    CHECK(asked2 == want_asked);
    return 0;
}
