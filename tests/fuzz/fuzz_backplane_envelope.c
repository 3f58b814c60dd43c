/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the Redis backplane codecs: envelopes (JSON and
 * binary, src/backplane/envelope.c), base64 and the redis:// URL parser
 * (src/backplane/url.c).
 *
 *   tests/fuzz/run.sh 60 backplane_envelope
 *
 * Each input is used as a JSON envelope, a binary envelope, base64 text,
 * bytes to base64-encode and a URL. Invariants: no crash or sanitizer
 * report; decoded lengths stay within the input; a decoded message encoded
 * again (JSON, and binary when its ids fit) decodes to the same fields,
 * also when sealed with a MAC (auth.c), which then opens, fits the size
 * bound of envelope.h, and fails to open after one flipped bit; the input
 * itself never opens (it would need the key); a parsed URL written back
 * (every user/password byte percent-encoded) parses to the same fields.
 *
 * FUZZ_SOURCES: src/backplane/envelope.c src/backplane/url.c src/backplane/auth.c
 * FUZZ_SOURCES: src/backplane/presence_msg.c src/ws/utf8.c src/util/buf.c
 * FUZZ_LIBS: -ljansson -lcrypto
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backplane/auth.h"
#include "backplane/envelope.h"
#include "backplane/url.h"
#include "util/buf.h"
#include "ws/utf8.h"

#include "check.h"

static bool same(const void *a, size_t an, const void *b, size_t bn)
{
    return an == bn && (an == 0 || memcmp(a, b, an) == 0);
}

static bool has_nul(const char *s, size_t n)
{
    return n && memchr(s, 0, n) != NULL;
}

/* True when s needs escaping in a JSON string (then json_from, a raw prefix
 * check, cannot match). */
static bool needs_escape(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == '"' || *s == '\\')
            return true;
    return false;
}

/* The fields every decoded envelope must have. */
static void check_fields(const t4__envelope *e)
{
    CHECK(e->src != NULL && e->path != NULL && e->path_len > 0);
    CHECK(e->opcode == 0x1 || e->opcode == 0x2);
    CHECK(e->data != NULL || e->len == 0);
}

/* f, decoded from the re-encoding of e with src, carries the same message. */
static void check_same(const t4__envelope *e, const char *src, const t4__envelope *f)
{
    CHECK(f->opcode == e->opcode);
    CHECK(same(f->path, f->path_len, e->path, e->path_len));
    CHECK(same(f->data, f->len, e->data, e->len));
    CHECK(same(f->src, f->src_len, src, strlen(src)));
    CHECK((f->exclude == NULL) == (e->exclude == NULL));
    if (e->exclude)
        CHECK(strcmp(f->exclude, e->exclude) == 0);
}

static t4__bp_auth *auth;

/* b (one envelope) sealed: opens, decodes to e's message, and one flipped
 * bit (chosen by seed) makes it fail to open. */
static void sealed(t4__buf *b, bool json, const t4__envelope *e, const char *src, size_t seed)
{
    CHECK((json ? t4__bp_seal_json(auth, b, 0) : t4__bp_seal_bin(auth, b, 0)) == 0);
    CHECK(json ? t4__bp_open_json(auth, b->data, b->len) : t4__bp_open_bin(auth, b->data, b->len));
    bool short_ids = strlen(src) <= 64 && (!e->exclude || strlen(e->exclude) <= 64);
    if (short_ids)
        CHECK(b->len <= (json ? t4__envelope_json_max(e->len, e->path_len)
                              : t4__envelope_bin_max(e->len, e->path_len)));
    t4__envelope f;
    CHECK((json ? t4__envelope_decode_json(b->data, b->len, &f)
                : t4__envelope_decode_bin(b->data, b->len, &f)) == T4__ENV_OK);
    check_same(e, src, &f);
    t4__envelope_free(&f);
    size_t at = seed % b->len;
    b->data[at] ^= (char)(1 << (seed % 8));
    CHECK(!(json ? t4__bp_open_json(auth, b->data, b->len) : t4__bp_open_bin(auth, b->data, b->len)));
}

/* Encode e (src as a C string) both ways and decode again. */
static void roundtrip(const t4__envelope *e, const char *src)
{
    t4__buf b = {0};
    t4__envelope f;
    if (t4__envelope_encode_json(&b, src, e->path, e->path_len, e->opcode, e->data, e->len, e->exclude) ==
        0) {
        if (!needs_escape(src))
            CHECK(t4__envelope_json_from(b.data, b.len, src));
        CHECK(t4__envelope_decode_json(b.data, b.len, &f) == T4__ENV_OK);
        check_fields(&f);
        check_same(e, src, &f);
        t4__envelope_free(&f);
        sealed(&b, true, e, src, e->len * 31 + e->path_len);
    } else {
        /* Only a src, path or exclude that is not UTF-8 may be refused. */
        CHECK(!t4__utf8_valid((const uint8_t *)src, strlen(src)) ||
              !t4__utf8_valid((const uint8_t *)e->path, e->path_len) ||
              (e->exclude && !t4__utf8_valid((const uint8_t *)e->exclude, strlen(e->exclude))));
    }
    b.len = 0;
    if (strlen(src) == T4__BP_ID_LEN && (!e->exclude || strlen(e->exclude) <= T4__BP_ID_LEN)) {
        CHECK(t4__envelope_encode_bin(&b, src, e->path, e->path_len, e->opcode, e->data, e->len,
                                      e->exclude) == 0);
        CHECK(t4__envelope_bin_from(b.data, b.len, src));
        CHECK(t4__envelope_decode_bin(b.data, b.len, &f) == T4__ENV_OK);
        check_fields(&f);
        check_same(e, src, &f);
        t4__envelope_free(&f);
        sealed(&b, false, e, src, e->len * 17 + e->path_len);
    }
    t4__buf_free(&b);
}

static void check_json(const char *data, size_t size)
{
    t4__envelope e;
    int rc = t4__envelope_decode_json(data, size, &e);
    CHECK(rc == T4__ENV_OK || rc == T4__ENV_IGNORE || rc == T4__ENV_BAD);
    if (rc == T4__ENV_OK) {
        check_fields(&e);
        /* Decoded strings are never longer than their JSON text. */
        CHECK(e.src_len <= size && e.path_len <= size && e.len <= size);
        CHECK(strlen(e.src) <= e.src_len);
        CHECK(t4__utf8_valid((const uint8_t *)e.path, e.path_len));
        if (e.opcode == 0x1)
            CHECK(t4__utf8_valid(e.data, e.len));
        /* Round trip when the ids survive as C strings. */
        if (!has_nul(e.src, e.src_len) && !has_nul(e.path, e.path_len))
            roundtrip(&e, e.src);
    }
    t4__envelope_free(&e);
    t4__envelope_free(&e); /* idempotent */
}

static void check_bin(const char *data, size_t size)
{
    t4__envelope e;
    int rc = t4__envelope_decode_bin(data, size, &e);
    CHECK(rc == T4__ENV_OK || rc == T4__ENV_BAD);
    if (rc == T4__ENV_OK) {
        check_fields(&e);
        CHECK(e.src == data + 6 && e.src_len == T4__BP_ID_LEN);
        CHECK(e.path >= data && e.path + e.path_len <= data + size);
        /* The payload runs to the end, or to a MAC (flag bit 1) there. */
        size_t mac = (data[5] & 2) ? T4__BP_MAC_LEN : 0;
        CHECK((const char *)e.data == e.path + e.path_len &&
              (const char *)e.data + e.len + mac == data + size);
        CHECK(!e.exclude || strlen(e.exclude) <= T4__BP_ID_LEN);
        CHECK(t4__envelope_bin_from(data, size, (char[T4__BP_ID_LEN + 1]){0}) ==
              (memcmp(data + 6, (char[T4__BP_ID_LEN]){0}, T4__BP_ID_LEN) == 0));
        char src[T4__BP_ID_LEN + 1];
        memcpy(src, e.src, T4__BP_ID_LEN);
        src[T4__BP_ID_LEN] = '\0';
        if (!has_nul(src, T4__BP_ID_LEN))
            roundtrip(&e, src);
    }
    t4__envelope_free(&e);
}

static void check_b64(const uint8_t *data, size_t size)
{
    /* As base64 text. */
    uint8_t *out = malloc((size / 4 + 1) * 3);
    CHECK(out);
    long long m = t4__b64_decode((const char *)data, size, out);
    CHECK(m >= -1 && m <= (long long)((size / 4 + 1) * 3));
    if (m >= 0) {
        CHECK((size_t)m <= size * 3 / 4 + 1);
        /* Encoded again, the same bytes decode back. */
        char *again = malloc(t4__b64_len((size_t)m) + 1);
        uint8_t *back = malloc((size_t)m + 4);
        CHECK(again && back);
        t4__b64_encode(out, (size_t)m, again);
        CHECK(t4__b64_decode(again, t4__b64_len((size_t)m), back) == m);
        CHECK(same(back, (size_t)m, out, (size_t)m));
        free(again);
        free(back);
    }
    free(out);
    /* As bytes: encode, decode, the same bytes. */
    size_t el = t4__b64_len(size);
    char *enc = malloc(el + 1);
    uint8_t *dec = malloc((el / 4 + 1) * 3);
    CHECK(enc && dec);
    t4__b64_encode(data, size, enc);
    CHECK(t4__b64_decode(enc, el, dec) == (long long)size);
    CHECK(same(dec, size, data, size));
    free(enc);
    free(dec);
}

static void pct(t4__buf *b, const char *s)
{
    for (; *s; s++)
        CHECK(t4__buf_appendf(b, "%%%02X", (unsigned char)*s) == 0);
}

static void check_url(const uint8_t *data, size_t size)
{
    char *url = malloc(size + 1);
    CHECK(url);
    memcpy(url, data, size);
    url[size] = '\0';
    t4__redis_url u;
    const char *why = "unset";
    int rc = t4__redis_url_parse(url, &u, &why);
    if (rc != 0) {
        CHECK(rc == -1 && why != NULL && *why);
        free(url);
        return;
    }
    CHECK(why == NULL);
    CHECK(u.host[0] && strlen(u.host) < sizeof u.host);
    CHECK(u.port >= 1 && u.port <= 65535 && u.db >= 0 && u.db <= 100000);
    CHECK(!u.has_user || u.has_password);
    CHECK(strlen(u.user) < sizeof u.user && strlen(u.password) < sizeof u.password);
    char shown[1200];
    t4__redis_url_display(&u, shown, sizeof shown);
    CHECK(strncmp(shown, "redis://", 8) == 0);
    CHECK((strstr(shown, ":***@") != NULL) == u.has_password || strstr(u.user, ":***@") ||
          strstr(u.host, ":***@"));

    /* Written back, every byte of user and password percent-encoded. */
    t4__buf b = {0};
    CHECK(t4__buf_appendf(&b, "redis://") == 0);
    if (u.has_password) {
        pct(&b, u.user);
        CHECK(t4__buf_appendf(&b, ":") == 0);
        pct(&b, u.password);
        CHECK(t4__buf_appendf(&b, "@") == 0);
    }
    bool br = strpbrk(u.host, ":[]%") != NULL;
    CHECK(t4__buf_appendf(&b, "%s%s%s:%d/%d", br ? "[" : "", u.host, br ? "]" : "", u.port, u.db) == 0);
    t4__redis_url v;
    CHECK(t4__redis_url_parse(b.data, &v, &why) == 0);
    CHECK(strcmp(v.host, u.host) == 0 && v.port == u.port && v.db == u.db);
    CHECK(v.has_user == u.has_user && v.has_password == u.has_password);
    CHECK(strcmp(v.user, u.user) == 0 && strcmp(v.password, u.password) == 0);
    t4__buf_free(&b);
    free(url);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* Copies of exactly `size` bytes, so reads past the end are caught. */
    if (!auth)
        CHECK((auth = t4__bp_auth_new("fuzz key", 8)) != NULL);
    char *copy = malloc(size ? size : 1);
    CHECK(copy);
    if (size)
        memcpy(copy, data, size);
    /* Made up by the fuzzer: never authentic. */
    CHECK(!t4__bp_open_json(auth, copy, size) && !t4__bp_open_bin(auth, copy, size));
    check_json(copy, size);
    check_bin(copy, size);
    free(copy);
    check_b64(data, size);
    check_url(data, size);
    return 0;
}
