/* SPDX-License-Identifier: MIT */
/*
 * The pure part of the opening handshake (see handshake.h): the accept key,
 * the checks of an Upgrade request, the Origin allow-list, subprotocol
 * offers and the permessage-deflate negotiation across header lines. No
 * server state: unit-tested and fuzzed (tests/fuzz/fuzz_handshake.c) on
 * their own; handshake.c routes and answers.
 */
#include "ws/deflate.h"
#include "ws/handshake.h"
#include <openssl/evp.h>
#include <string.h>
#include <strings.h>

static const char GUID[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

void t4__ws_accept_key(const char *key, size_t len, char out[29])
{
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int dlen = 0;
    char in[128];
    if (len > sizeof in - sizeof GUID)
        len = sizeof in - sizeof GUID; /* callers pass a validated 24-byte key */
    memcpy(in, key, len);
    memcpy(in + len, GUID, sizeof GUID - 1);
    EVP_Digest(in, len + sizeof GUID - 1, digest, &dlen, EVP_sha1(), NULL);
    EVP_EncodeBlock((unsigned char *)out, digest, (int)dlen);
}

static bool name_is(t4__slice name, const char *want)
{
    size_t n = strlen(want);
    return name.n == n && strncasecmp(name.p, want, n) == 0;
}

static bool is_base64(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/';
}

/* 16 bytes in base64 are 22 characters of the alphabet and "==". (OpenSSL's
 * EVP_DecodeBlock, used before, also took a '=' among the 22.) */
bool t4__ws_key_valid(t4__slice k)
{
    if (k.n != 24 || k.p[22] != '=' || k.p[23] != '=')
        return false;
    for (size_t i = 0; i < 22; i++)
        if (!is_base64(k.p[i]))
            return false;
    return true;
}

/* RFC 6455 11.3.1 and 11.3.5: Sec-WebSocket-Key and Sec-WebSocket-Version
 * MUST NOT appear more than once in a request. */
static bool header_at_most_once(const t4__http_head *h, const char *name)
{
    size_t seen = 0;
    for (size_t i = 0; i < h->num_headers; i++)
        if (name_is(h->headers[i].name, name))
            seen++;
    return seen <= 1;
}

bool t4__ws_origin_allowed(const char *allowed, const t4__http_head *h)
{
    if (!allowed || !*allowed || strcmp(allowed, "*") == 0)
        return true;
    const t4__http_header *o = t4__http_find_header(h, "Origin");
    if (!o)
        return true; /* non-browser clients send no Origin */
    const char *p = allowed;
    while (*p) {
        while (*p == ' ' || *p == ',')
            p++;
        const char *e = p;
        while (*e && *e != ',' && *e != ' ')
            e++;
        if (e > p && (size_t)(e - p) == o->value.n && strncasecmp(p, o->value.p, o->value.n) == 0)
            return true;
        p = e;
    }
    return false;
}

bool t4__ws_client_offers(const t4__http_head *h, const char *name)
{
    size_t nl = strlen(name);
    for (size_t i = 0; i < h->num_headers; i++) {
        const t4__http_header *hd = &h->headers[i];
        if (!name_is(hd->name, "Sec-WebSocket-Protocol"))
            continue;
        const char *p = hd->value.p, *end = p + hd->value.n;
        while (p < end) {
            while (p < end && (*p == ' ' || *p == ',' || *p == '\t'))
                p++;
            const char *e = p;
            while (e < end && *e != ',' && *e != ' ' && *e != '\t')
                e++;
            if ((size_t)(e - p) == nl && memcmp(p, name, nl) == 0)
                return true;
            p = e;
        }
    }
    return false;
}

int t4__ws_upgrade_check(const t4__http_head *h, const char *allowed_origins)
{
    /* An upgrade is a GET without a body: body bytes would be read as frames. */
    if (!t4__slice_eq(h->method, "GET") || h->minor_version != 1 || h->content_length > 0 || h->chunked)
        return 400;
    if (!header_at_most_once(h, "Sec-WebSocket-Key") || !header_at_most_once(h, "Sec-WebSocket-Version"))
        return 400;
    const t4__http_header *ver = t4__http_find_header(h, "Sec-WebSocket-Version");
    if (!ver || !t4__slice_eq(ver->value, "13"))
        return 426;
    const t4__http_header *key = t4__http_find_header(h, "Sec-WebSocket-Key");
    if (!key || !t4__ws_key_valid(key->value))
        return 400;
    if (!t4__ws_origin_allowed(allowed_origins, h))
        return 403;
    return 0;
}

int t4__ws_negotiate_deflate(const t4__http_head *h, char *ext, size_t cap, size_t *ext_len)
{
    *ext_len = 0;
    for (size_t i = 0; i < h->num_headers; i++) {
        const t4__http_header *hd = &h->headers[i];
        bool asked = false;
        int wbits;
        if (!name_is(hd->name, "Sec-WebSocket-Extensions") ||
            !(wbits = t4__pmd_negotiate(hd->value.p, hd->value.n, &asked)))
            continue;
        *ext_len = t4__pmd_response(wbits, asked, ext, cap);
        return wbits;
    }
    return 0;
}
