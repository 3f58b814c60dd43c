/* SPDX-License-Identifier: MIT */
/* Unit tests of what the backplane accepts from Redis: strict presence
 * parsing (src/backplane/presence_msg.c), bounded and saturating cluster
 * counts (presence.c), envelope size bounds (envelope.c) and HMAC
 * authentication (auth.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/hmac.h>

#include "backplane/auth.h"
#include "backplane/envelope.h"
#include "backplane/presence.h"
#include "backplane/presence_msg.h"

#define SRC "0123456789abcdef0123456789abcdef"
#define EXC "fedcba9876543210fedcba9876543210"
#define KEY "correct horse battery staple"

/* ---------------------------------------------------------------- */
/* Presence messages                                                  */
/* ---------------------------------------------------------------- */

static int parse(const char *s, t4__pres_msg *m)
{
    return t4__pres_msg_parse(s, strlen(s), 64, m);
}

static void test_parse_uint_strict(void **state)
{
    (void)state;
    uint64_t v;
    assert_int_equal(t4__pres_parse_uint("0", 1, 10, &v), 0);
    assert_int_equal(v, 0);
    assert_int_equal(t4__pres_parse_uint("10", 2, 10, &v), 0);
    assert_int_equal(v, 10);
    assert_int_equal(t4__pres_parse_uint("007", 3, 10, &v), 0);
    assert_int_equal(v, 7);
    assert_int_equal(t4__pres_parse_uint("11", 2, 10, &v), -1); /* over max */
    assert_int_equal(t4__pres_parse_uint("6", 1, 0, &v), -1);   /* a digit over a max below 10 */
    assert_int_equal(t4__pres_parse_uint("62", 2, 9, &v), -1);
    static const char *const bad[] = {"", "-5", "+5", " 5", "5 ", "5x", "0x10", "1e3", "5.0", "\xd9\xa5"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(t4__pres_parse_uint(bad[i], strlen(bad[i]), UINT64_MAX, &v), -1);
    /* The full uint64 range, and not one more (no wrap). */
    assert_int_equal(t4__pres_parse_uint("18446744073709551615", 20, UINT64_MAX, &v), 0);
    assert_true(v == UINT64_MAX);
    assert_int_equal(t4__pres_parse_uint("18446744073709551616", 20, UINT64_MAX, &v), -1);
    assert_int_equal(t4__pres_parse_uint("99999999999999999999999", 23, UINT64_MAX, &v), -1);
    assert_int_equal(t4__pres_parse_uint("1000000000", 10, T4__PRES_COUNT_MAX, &v), 0);
    assert_int_equal(t4__pres_parse_uint("1000000001", 10, T4__PRES_COUNT_MAX, &v), -1);
}

static void test_presence_messages(void **state)
{
    (void)state;
    t4__pres_msg m;
    assert_int_equal(parse("P " SRC " 7 3 /room/r1", &m), 0);
    assert_int_equal(m.kind, 'P');
    assert_string_equal(m.id, SRC);
    assert_int_equal(m.seq, 7);
    assert_int_equal(m.count, 3);
    assert_int_equal(m.path_len, 8);
    assert_memory_equal(m.path, "/room/r1", 8);
    assert_int_equal(parse("P abc 1 0 /a b", &m), 0); /* the path runs to the end */
    assert_int_equal(m.path_len, 4);
    assert_int_equal(parse("H abc 18446744073709551615", &m), 0);
    assert_true(m.seq == UINT64_MAX);
    assert_int_equal(parse("J ABC 1", &m), 0);
    assert_int_equal(parse("B abc", &m), 0);
    assert_string_equal(m.id, "abc");

    static const char *const bad[] = {
        "P abc 1 -5 /room/r1",                   /* negative */
        "P abc 1 9223372036854775808 /room/r1",  /* 2^63 */
        "P abc 1 18446744073709551615 /room/r1", /* 2^64 - 1 */
        "P abc 1 1000000001 /room/r1",           /* over T4__PRES_COUNT_MAX */
        "P abc 1 +5 /room/r1",
        "P abc 1 5x /room/r1",
        "P abc 1  5 /room/r1", /* two spaces */
        "P abc 1 5 room",      /* no leading slash */
        "P abc 1 5 ",          /* no path */
        "P abc 1 5",
        "P abc -1 5 /r",
        "P abc 18446744073709551616 5 /r",
        "P xyz 1 5 /r",                               /* not hex */
        "P 0123456789abcdef0123456789abcdef0 1 5 /r", /* 33 digits */
        "P  1 5 /r",                                  /* empty id */
        "H abc",
        "H abc 1 2",
        "H abc -1",
        "J abc ",
        "B abc extra",
        "B ",
        "X abc 1",
        "Pabc 1 1 /r",
        "",
        "P",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (parse(bad[i], &m) != -1)
            fail_msg("accepted: \"%s\"", bad[i]);
    }
    /* The path bound. */
    char longp[200];
    snprintf(longp, sizeof longp, "P abc 1 1 /%064d", 0);
    assert_int_equal(t4__pres_msg_parse(longp, strlen(longp), 65, &m), 0);
    assert_int_equal(t4__pres_msg_parse(longp, strlen(longp), 64, &m), -1);
}

/* A forged count can neither go negative nor wrap the sum. */
static void test_presence_saturation(void **state)
{
    (void)state;
    t4__pres_remote_update("aaaa", 1, "/x", 2, 1, 100);
    t4__pres_remote_update("bbbb", 1, "/x", 2, SIZE_MAX - 4, 100); /* what strtoull made of "-5" */
    t4__pres_remote_update("cccc", 1, "/x", 2, SIZE_MAX, 100);
    size_t n = t4__pres_remote_count("/x", 2);
    assert_true(n == 1 + 2 * (size_t)T4__PRES_COUNT_MAX);
    /* Adding the local count cannot wrap either. */
    assert_true(n + SIZE_MAX / 2 > n);
    /* Going back down is exact. */
    t4__pres_remote_update("bbbb", 2, "/x", 2, 0, 100);
    t4__pres_remote_update("cccc", 2, "/x", 2, 2, 100);
    assert_int_equal(t4__pres_remote_count("/x", 2), 3);
    t4__pres_clear();
}

/* ---------------------------------------------------------------- */
/* Envelope size bounds                                               */
/* ---------------------------------------------------------------- */

static void test_envelope_size_bounds(void **state)
{
    (void)state;
    t4__bp_auth *a = t4__bp_auth_new(KEY, strlen(KEY));
    assert_non_null(a);
    /* The worst a max-size message can encode to stays within the bound:
     * text of control characters (\u00XX, 6x) to a path of them, binary
     * (base64), with an exclude id and a MAC. */
    const size_t M = 3000, P = 500;
    char *text = malloc(M), *path = malloc(P);
    memset(text, 0x01, M);
    memset(path, 0x02, P);
    path[0] = '/';
    t4__buf b = {0};
    assert_int_equal(t4__envelope_encode_json(&b, SRC, path, P, 0x1, text, M, EXC), 0);
    assert_int_equal(t4__bp_seal_json(a, &b, 0), 0);
    assert_true(b.len > 6 * M);
    assert_true(b.len <= t4__envelope_json_max(M, P));
    b.len = 0;
    assert_int_equal(t4__envelope_encode_json(&b, SRC, path, P, 0x2, text, M, EXC), 0);
    assert_true(b.len <= t4__envelope_json_max(M, P));
    b.len = 0;
    assert_int_equal(t4__envelope_encode_bin(&b, SRC, path, P, 0x2, text, M, EXC), 0);
    assert_int_equal(t4__bp_seal_bin(a, &b, 0), 0);
    assert_int_equal(b.len, t4__envelope_bin_max(M, P)); /* exact: no escaping */
    t4__buf_free(&b);
    free(text);
    free(path);
    /* A 20 MB envelope is over the bound with the default limits. */
    assert_true(20u * 1024 * 1024 > t4__envelope_json_max(1024 * 1024, 16 * 1024));
    assert_true(20u * 1024 * 1024 > t4__envelope_bin_max(1024 * 1024, 16 * 1024));
    /* Saturates instead of wrapping. */
    assert_true(t4__envelope_json_max(SIZE_MAX / 2, 16) == SIZE_MAX);
    assert_true(t4__envelope_bin_max(SIZE_MAX, 16) == SIZE_MAX);
    t4__bp_auth_free(a);
}

/* ---------------------------------------------------------------- */
/* HMAC                                                               */
/* ---------------------------------------------------------------- */

static void test_mac_vector(void **state)
{
    (void)state;
    t4__bp_auth *a = t4__bp_auth_new("key", 3);
    assert_non_null(a);
    static const char msg[] = "The quick brown fox jumps over the lazy dog";
    uint8_t mac[T4__BP_MAC_LEN], ref[EVP_MAX_MD_SIZE];
    /* HMAC-SHA256("key", "tina4:ws" 0x00 msg), computed by Node's crypto. */
    static const uint8_t want[T4__BP_MAC_LEN] = {
        0x83, 0x0e, 0x13, 0x77, 0x5d, 0x68, 0xa7, 0xa8, 0x8c, 0x41, 0x09, 0x5a, 0x20, 0xdb, 0x79, 0x0a,
        0x9a, 0x5d, 0xe7, 0x49, 0x0c, 0x07, 0x63, 0x3e, 0x17, 0xc5, 0x9d, 0xd0, 0x33, 0x2b, 0x99, 0x8e};
    assert_int_equal(t4__bp_mac(a, "tina4:ws", msg, sizeof msg - 1, mac), 0);
    assert_memory_equal(mac, want, sizeof want);
    /* Repeated use of the one context gives the same answer, and agrees
     * with OpenSSL's one-shot HMAC over domain || 0 || data. */
    char joined[128];
    memcpy(joined, "tina4:ws", 9);
    memcpy(joined + 9, msg, sizeof msg - 1);
    unsigned rl = 0;
    HMAC(EVP_sha256(), "key", 3, (const unsigned char *)joined, 9 + sizeof msg - 1, ref, &rl);
    assert_int_equal(rl, 32);
    assert_int_equal(t4__bp_mac(a, "tina4:ws", msg, sizeof msg - 1, mac), 0);
    assert_memory_equal(mac, ref, 32);
    t4__bp_auth_free(a);
}

/* Every single-bit flip anywhere in a sealed envelope is refused. */
static void every_bit_flip(bool (*open)(t4__bp_auth *, const char *, size_t), t4__bp_auth *a, t4__buf *b)
{
    for (size_t i = 0; i < b->len; i++)
        for (int bit = 0; bit < 8; bit++) {
            b->data[i] ^= (char)(1 << bit);
            if (open(a, b->data, b->len))
                fail_msg("a flipped bit %d of byte %zu was accepted", bit, i);
            b->data[i] ^= (char)(1 << bit);
        }
    assert_true(open(a, b->data, b->len));
}

static void test_mac_json(void **state)
{
    (void)state;
    t4__bp_auth *a = t4__bp_auth_new(KEY, strlen(KEY)), *wrong = t4__bp_auth_new("other", 5);
    assert_non_null(a);
    assert_non_null(wrong);
    t4__buf b = {0};
    assert_int_equal(t4__envelope_encode_json(&b, SRC, "/chat/1", 7, 0x1, "hi \"there\"", 10, EXC), 0);
    size_t plain = b.len;
    assert_false(t4__bp_open_json(a, b.data, b.len)); /* missing */
    assert_int_equal(t4__bp_seal_json(a, &b, 0), 0);
    assert_int_equal(b.len, plain + T4__BP_MAC_JSON_EXTRA);
    assert_true(t4__bp_open_json(a, b.data, b.len));
    assert_false(t4__bp_open_json(wrong, b.data, b.len));
    /* Still the family's JSON envelope: decodes, "mac" is skipped. */
    t4__envelope e;
    assert_int_equal(t4__envelope_decode_json(b.data, b.len, &e), T4__ENV_OK);
    assert_memory_equal(e.data, "hi \"there\"", 10);
    assert_string_equal(e.exclude, EXC);
    t4__envelope_free(&e);
    every_bit_flip(t4__bp_open_json, a, &b);
    /* Truncated (anywhere), or the MAC cut short. */
    for (size_t n = 0; n < b.len; n++)
        assert_false(t4__bp_open_json(a, b.data, n));
    char *cut = strdup(b.data);
    memmove(cut + b.len - 34, cut + b.len - 2, 3); /* 32 hex digits of 64 */
    assert_false(t4__bp_open_json(a, cut, b.len - 32));
    free(cut);
    /* Upper-case hex is not the documented form. */
    for (size_t i = b.len - 66; i < b.len - 2; i++)
        if (b.data[i] >= 'a' && b.data[i] <= 'f')
            b.data[i] -= 32;
    assert_false(t4__bp_open_json(a, b.data, b.len));
    /* Sealing at an offset covers only that envelope. */
    b.len = 0;
    assert_int_equal(t4__buf_append(&b, "junk", 4), 0);
    assert_int_equal(t4__envelope_encode_json(&b, SRC, "/p", 2, 0x2, "\0\1", 2, NULL), 0);
    assert_int_equal(t4__bp_seal_json(a, &b, 4), 0);
    assert_true(t4__bp_open_json(a, b.data + 4, b.len - 4));
    t4__buf_free(&b);
    t4__bp_auth_free(a);
    t4__bp_auth_free(wrong);
}

static void test_mac_binary(void **state)
{
    (void)state;
    t4__bp_auth *a = t4__bp_auth_new(KEY, strlen(KEY)), *wrong = t4__bp_auth_new(KEY "!", strlen(KEY) + 1);
    t4__buf b = {0};
    assert_int_equal(t4__envelope_encode_bin(&b, SRC, "/chat/1", 7, 0x2, "\0\1\2", 3, EXC), 0);
    assert_false(t4__bp_open_bin(a, b.data, b.len)); /* missing */
    size_t plain = b.len;
    assert_int_equal(t4__bp_seal_bin(a, &b, 0), 0);
    assert_int_equal(b.len, plain + T4__BP_MAC_LEN);
    assert_true(t4__bp_open_bin(a, b.data, b.len));
    assert_false(t4__bp_open_bin(wrong, b.data, b.len));
    /* The decoder skips the MAC: the payload is exactly the message. */
    t4__envelope e;
    assert_int_equal(t4__envelope_decode_bin(b.data, b.len, &e), T4__ENV_OK);
    assert_int_equal(e.len, 3);
    assert_memory_equal(e.data, "\0\1\2", 3);
    assert_string_equal(e.exclude, EXC);
    t4__envelope_free(&e);
    every_bit_flip(t4__bp_open_bin, a, &b);
    for (size_t n = 0; n < b.len; n++)
        assert_false(t4__bp_open_bin(a, b.data, n));
    /* The MAC flag without room for a MAC is malformed. */
    b.len = 0;
    assert_int_equal(t4__envelope_encode_bin(&b, SRC, "/p", 2, 0x2, "", 0, NULL), 0);
    b.data[5] |= 2;
    assert_int_equal(t4__envelope_decode_bin(b.data, b.len, &e), T4__ENV_BAD);
    t4__buf_free(&b);
    t4__bp_auth_free(a);
    t4__bp_auth_free(wrong);
}

static bool open_presence(t4__bp_auth *a, const char *m, size_t n)
{
    const char *body;
    size_t blen;
    return t4__bp_open_presence(a, m, n, &body, &blen);
}

static void test_mac_presence(void **state)
{
    (void)state;
    t4__bp_auth *a = t4__bp_auth_new(KEY, strlen(KEY)), *wrong = t4__bp_auth_new("k", 1);
    static const char msg[] = "P " SRC " 3 2 /room/r1";
    t4__buf b = {0};
    assert_false(open_presence(a, msg, sizeof msg - 1)); /* missing */
    assert_int_equal(t4__bp_seal_presence(a, &b, msg, sizeof msg - 1), 0);
    const char *body;
    size_t blen;
    assert_true(t4__bp_open_presence(a, b.data, b.len, &body, &blen));
    assert_int_equal(blen, sizeof msg - 1);
    assert_memory_equal(body, msg, blen);
    assert_false(open_presence(wrong, b.data, b.len));
    every_bit_flip(open_presence, a, &b);
    for (size_t n = 0; n < b.len; n++)
        assert_false(open_presence(a, b.data, n));
    /* Without a key: the seal is skipped unchecked, plain passes as is. */
    assert_true(t4__bp_open_presence(NULL, b.data, b.len, &body, &blen));
    assert_int_equal(blen, sizeof msg - 1);
    assert_true(t4__bp_open_presence(NULL, msg, sizeof msg - 1, &body, &blen));
    assert_true(body == msg);
    t4__buf_free(&b);
    t4__bp_auth_free(a);
    t4__bp_auth_free(wrong);
}

static void test_mac_hash_values(void **state)
{
    (void)state;
    t4__bp_auth *a = t4__bp_auth_new(KEY, strlen(KEY));
    const char *key = "tina4:ws:presence:" SRC, *other = "tina4:ws:presence:" EXC;
    char v[128];
    uint64_t n;
    int vn = t4__bp_seal_value(a, key, "/r", 2, 42, v, sizeof v);
    assert_int_equal(vn, 2 + 1 + T4__BP_MAC_HEX);
    assert_int_equal(t4__bp_open_value(a, key, "/r", 2, v, (size_t)vn, 100, &n), 0);
    assert_int_equal(n, 42);
    /* Moved to another path or another instance's hash: refused. */
    assert_int_equal(t4__bp_open_value(a, key, "/s", 2, v, (size_t)vn, 100, &n), -2);
    assert_int_equal(t4__bp_open_value(a, other, "/r", 2, v, (size_t)vn, 100, &n), -2);
    /* Another count with the old MAC. */
    v[0] = '5';
    assert_int_equal(t4__bp_open_value(a, key, "/r", 2, v, (size_t)vn, 100, &n), -2);
    /* Unsigned, or malformed. */
    assert_int_equal(t4__bp_open_value(a, key, "/r", 2, "42", 2, 100, &n), -2);
    assert_int_equal(t4__bp_open_value(a, key, "/r", 2, "-5", 2, 100, &n), -1);
    assert_int_equal(t4__bp_open_value(a, key, "/r", 2, v, (size_t)vn - 1, 100, &n), -1);
    /* Without a key: plain digits, strictly; a MAC is skipped. */
    assert_int_equal(t4__bp_open_value(NULL, key, "/r", 2, "42", 2, 100, &n), 0);
    assert_int_equal(t4__bp_open_value(NULL, key, "/r", 2, "-5", 2, 100, &n), -1);
    assert_int_equal(t4__bp_open_value(NULL, key, "/r", 2, "101", 3, 100, &n), -1);
    assert_int_equal(t4__bp_open_value(NULL, key, "/r", 2, v, (size_t)vn, 100, &n), 0);
    assert_int_equal(t4__bp_seal_value(NULL, key, "/r", 2, 7, v, sizeof v), 1);
    assert_string_equal(v, "7");
    t4__bp_auth_free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_uint_strict),   cmocka_unit_test(test_presence_messages),
        cmocka_unit_test(test_presence_saturation), cmocka_unit_test(test_envelope_size_bounds),
        cmocka_unit_test(test_mac_vector),          cmocka_unit_test(test_mac_json),
        cmocka_unit_test(test_mac_binary),          cmocka_unit_test(test_mac_presence),
        cmocka_unit_test(test_mac_hash_values),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
