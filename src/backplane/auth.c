/* SPDX-License-Identifier: MIT */
/* HMAC-SHA256 authentication of backplane traffic (see auth.h). */
#include "backplane/auth.h"
#include "backplane/presence_msg.h"
#include <inttypes.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct t4__bp_auth {
    EVP_MAC *mac;
    EVP_MAC_CTX *ctx; /* keyed once; re-initialised (same key) per MAC */
};

t4__bp_auth *t4__bp_auth_new(const char *secret, size_t len)
{
    t4__bp_auth *a = calloc(1, sizeof *a);
    if (!a)
        return NULL;
    OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0),
                           OSSL_PARAM_construct_end()};
    a->mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    a->ctx = a->mac ? EVP_MAC_CTX_new(a->mac) : NULL;
    if (!a->ctx || !EVP_MAC_init(a->ctx, (const unsigned char *)secret, len, params)) {
        t4__bp_auth_free(a);
        return NULL;
    }
    return a;
}

void t4__bp_auth_free(t4__bp_auth *a)
{
    if (!a)
        return;
    EVP_MAC_CTX_free(a->ctx);
    EVP_MAC_free(a->mac);
    free(a);
}

int t4__bp_mac(t4__bp_auth *a, const char *domain, const void *data, size_t len, uint8_t mac[T4__BP_MAC_LEN])
{
    size_t outl = 0;
    /* The domain with its NUL: domain || 0x00 || data. */
    if (!EVP_MAC_init(a->ctx, NULL, 0, NULL) ||
        !EVP_MAC_update(a->ctx, (const unsigned char *)domain, strlen(domain) + 1) ||
        !EVP_MAC_update(a->ctx, data, len) || !EVP_MAC_final(a->ctx, mac, &outl, T4__BP_MAC_LEN) ||
        outl != T4__BP_MAC_LEN)
        return -1;
    return 0;
}

static void hex(const uint8_t *in, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
}

/* The hex MAC of data, compared in constant time with the 64 chars at h. */
static bool hex_mac_ok(t4__bp_auth *a, const char *domain, const void *data, size_t len, const char *h)
{
    uint8_t mac[T4__BP_MAC_LEN];
    char want[T4__BP_MAC_HEX];
    if (t4__bp_mac(a, domain, data, len, mac) != 0)
        return false;
    hex(mac, sizeof mac, want);
    return CRYPTO_memcmp(want, h, T4__BP_MAC_HEX) == 0;
}

/* ---------------------------------------------------------------- */
/* Envelopes                                                          */
/* ---------------------------------------------------------------- */

#define JSON_DOMAIN "tina4:ws"
#define BIN_DOMAIN  "tina4:ws:bin"
#define JSON_KEY    ",\"mac\":\""
/* After X: ,"mac":"<hex>"} */
#define JSON_TAIL (sizeof JSON_KEY - 1 + T4__BP_MAC_HEX + 2)

int t4__bp_seal_json(t4__bp_auth *a, t4__buf *out, size_t start)
{
    if (out->len < start + 2 || out->data[out->len - 1] != '}')
        return -1;
    uint8_t mac[T4__BP_MAC_LEN];
    size_t xlen = out->len - 1 - start;
    if (t4__bp_mac(a, JSON_DOMAIN, out->data + start, xlen, mac) != 0 ||
        t4__buf_reserve(out, T4__BP_MAC_JSON_EXTRA) != 0)
        return -1;
    char *o = out->data + out->len - 1; /* over the '}' */
    memcpy(o, JSON_KEY, sizeof JSON_KEY - 1);
    o += sizeof JSON_KEY - 1;
    hex(mac, sizeof mac, o);
    o += T4__BP_MAC_HEX;
    *o++ = '"';
    *o++ = '}';
    out->len = (size_t)(o - out->data);
    out->data[out->len] = '\0';
    return 0;
}

bool t4__bp_open_json(t4__bp_auth *a, const char *buf, size_t len)
{
    if (len < JSON_TAIL + 1 || buf[0] != '{')
        return false;
    size_t xlen = len - JSON_TAIL;
    const char *tail = buf + xlen;
    if (memcmp(tail, JSON_KEY, sizeof JSON_KEY - 1) != 0 || buf[len - 2] != '"' || buf[len - 1] != '}')
        return false;
    return hex_mac_ok(a, JSON_DOMAIN, buf, xlen, tail + sizeof JSON_KEY - 1);
}

/* Byte 5 of a binary envelope: bit 0 has_exclude, bit 1 has_mac. */
#define BIN_FLAGS   5
#define BIN_HAS_MAC 2

int t4__bp_seal_bin(t4__bp_auth *a, t4__buf *out, size_t start)
{
    if (out->len < start + BIN_FLAGS + 1)
        return -1;
    out->data[start + BIN_FLAGS] |= BIN_HAS_MAC;
    uint8_t mac[T4__BP_MAC_LEN];
    if (t4__bp_mac(a, BIN_DOMAIN, out->data + start, out->len - start, mac) != 0)
        return -1;
    return t4__buf_append(out, mac, sizeof mac);
}

bool t4__bp_open_bin(t4__bp_auth *a, const char *buf, size_t len)
{
    if (len < BIN_FLAGS + 1 + T4__BP_MAC_LEN || !(buf[BIN_FLAGS] & BIN_HAS_MAC))
        return false;
    uint8_t mac[T4__BP_MAC_LEN];
    size_t body = len - T4__BP_MAC_LEN;
    if (t4__bp_mac(a, BIN_DOMAIN, buf, body, mac) != 0)
        return false;
    return CRYPTO_memcmp(mac, buf + body, T4__BP_MAC_LEN) == 0;
}

/* ---------------------------------------------------------------- */
/* Presence                                                           */
/* ---------------------------------------------------------------- */

#define PRES_DOMAIN "tina4:ws:presence"
#define PRES_HEAD   (2 + T4__BP_MAC_HEX + 1) /* "S <hex> " */

int t4__bp_seal_presence(t4__bp_auth *a, t4__buf *out, const char *msg, size_t len)
{
    uint8_t mac[T4__BP_MAC_LEN];
    if (t4__bp_mac(a, PRES_DOMAIN, msg, len, mac) != 0 || t4__buf_reserve(out, PRES_HEAD + len) != 0)
        return -1;
    char *o = out->data + out->len;
    o[0] = 'S';
    o[1] = ' ';
    hex(mac, sizeof mac, o + 2);
    o[PRES_HEAD - 1] = ' ';
    memcpy(o + PRES_HEAD, msg, len);
    out->len += PRES_HEAD + len;
    out->data[out->len] = '\0';
    return 0;
}

bool t4__bp_open_presence(t4__bp_auth *a, const char *msg, size_t len, const char **body, size_t *blen)
{
    bool sealed = len >= PRES_HEAD && msg[0] == 'S' && msg[1] == ' ' && msg[PRES_HEAD - 1] == ' ';
    if (!a) {
        *body = sealed ? msg + PRES_HEAD : msg;
        *blen = sealed ? len - PRES_HEAD : len;
        return true;
    }
    if (!sealed || !hex_mac_ok(a, PRES_DOMAIN, msg + PRES_HEAD, len - PRES_HEAD, msg + 2))
        return false;
    *body = msg + PRES_HEAD;
    *blen = len - PRES_HEAD;
    return true;
}

/* field || 0x00 || count, the data of a hash value's MAC. */
static bool value_mac(t4__bp_auth *a, const char *key, const char *field, size_t flen, const char *count,
                      size_t clen, uint8_t mac[T4__BP_MAC_LEN])
{
    char *data = malloc(flen + 1 + clen);
    if (!data)
        return false;
    memcpy(data, field, flen);
    data[flen] = '\0';
    memcpy(data + flen + 1, count, clen);
    int rc = t4__bp_mac(a, key, data, flen + 1 + clen, mac);
    free(data);
    return rc == 0;
}

int t4__bp_seal_value(t4__bp_auth *a, const char *key, const char *field, size_t flen, uint64_t count,
                      char *out, size_t cap)
{
    int n = snprintf(out, cap, "%" PRIu64, count);
    if (n < 0 || (size_t)n >= cap)
        return -1;
    if (!a)
        return n;
    uint8_t mac[T4__BP_MAC_LEN];
    if ((size_t)n + 1 + T4__BP_MAC_HEX >= cap || !value_mac(a, key, field, flen, out, (size_t)n, mac))
        return -1;
    out[n] = ' ';
    hex(mac, sizeof mac, out + n + 1);
    n += 1 + T4__BP_MAC_HEX;
    out[n] = '\0';
    return n;
}

int t4__bp_open_value(t4__bp_auth *a, const char *key, const char *field, size_t flen, const char *v,
                      size_t vlen, uint64_t max, uint64_t *count)
{
    const char *sp = memchr(v, ' ', vlen);
    size_t clen = sp ? (size_t)(sp - v) : vlen;
    if (sp && vlen - clen != 1 + T4__BP_MAC_HEX)
        return -1;
    if (t4__pres_parse_uint(v, clen, max, count) != 0)
        return -1;
    if (!a)
        return 0;
    uint8_t mac[T4__BP_MAC_LEN];
    char want[T4__BP_MAC_HEX];
    if (!sp || !value_mac(a, key, field, flen, v, clen, mac))
        return -2;
    hex(mac, sizeof mac, want);
    return CRYPTO_memcmp(want, sp + 1, T4__BP_MAC_HEX) == 0 ? 0 : -2;
}
