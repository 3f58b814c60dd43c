/* SPDX-License-Identifier: MIT */
/* Unit tests of the backplane envelopes and base64 (src/backplane/envelope.c)
 * and of the cluster-count bookkeeping (src/backplane/presence.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "backplane/envelope.h"
#include "backplane/presence.h"

#define SRC "0123456789abcdef0123456789abcdef"
#define EXC "fedcba9876543210fedcba9876543210"

static void test_base64(void **state)
{
    (void)state;
    static const struct {
        const char *plain, *b64;
    } v[] = {{"", ""},
             {"f", "Zg=="},
             {"fo", "Zm8="},
             {"foo", "Zm9v"},
             {"foob", "Zm9vYg=="},
             {"fooba", "Zm9vYmE="},
             {"foobar", "Zm9vYmFy"}};
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        size_t n = strlen(v[i].plain);
        char out[16] = {0};
        assert_int_equal(t4__b64_len(n), strlen(v[i].b64));
        t4__b64_encode(v[i].plain, n, out);
        assert_string_equal(out, v[i].b64);
        uint8_t dec[16];
        long long m = t4__b64_decode(v[i].b64, strlen(v[i].b64), dec);
        assert_int_equal(m, (long long)n);
        assert_memory_equal(dec, v[i].plain, n);
    }
    uint8_t dec[16];
    assert_int_equal(t4__b64_decode("Zm9vYg", 6, dec), 4); /* unpadded */
    assert_int_equal(t4__b64_decode("Zm9v!A==", 8, dec), -1);
    assert_int_equal(t4__b64_decode("Z", 1, dec), -1);
    assert_int_equal(t4__b64_decode("Zm=v", 4, dec), -1);
    /* Every byte value round-trips. */
    uint8_t all[256], back[260];
    for (int i = 0; i < 256; i++)
        all[i] = (uint8_t)i;
    char enc[400];
    t4__b64_encode(all, 256, enc);
    assert_int_equal(t4__b64_decode(enc, t4__b64_len(256), back), 256);
    assert_memory_equal(all, back, 256);
}

static void test_json_text_roundtrip(void **state)
{
    (void)state;
    t4__buf b = {0};
    const char text[] = "h\"i\\ \n\t\x01 caf\xc3\xa9 \xf0\x9f\x98\x80";
    assert_int_equal(t4__envelope_encode_json(&b, SRC, "/chat/1", 7, 0x1, text, sizeof text - 1, NULL), 0);
    /* It is the Tina4 family's envelope: check the fields with jansson. */
    json_error_t err;
    json_t *j = json_loadb(b.data, b.len, 0, &err);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "src")), SRC);
    assert_string_equal(json_string_value(json_object_get(j, "kind")), "path");
    assert_string_equal(json_string_value(json_object_get(j, "path")), "/chat/1");
    assert_true(json_is_null(json_object_get(j, "exclude")));
    assert_true(json_is_null(json_object_get(j, "room")));
    assert_string_equal(json_string_value(json_object_get(j, "text")), text);
    assert_null(json_object_get(j, "b64"));
    json_decref(j);
    assert_true(t4__envelope_json_from(b.data, b.len, SRC));
    assert_false(t4__envelope_json_from(b.data, b.len, EXC));
    /* A local worker's envelope is told by the bus token at the start of src. */
    assert_true(t4__envelope_json_src_starts(b.data, b.len, "0123456789abcdef", 16));
    assert_false(t4__envelope_json_src_starts(b.data, b.len, "0123456789abcdee", 16));
    assert_false(t4__envelope_json_src_starts(b.data, 10, "0123456789abcdef", 16));

    t4__envelope e;
    assert_int_equal(t4__envelope_decode_json(b.data, b.len, &e), T4__ENV_OK);
    assert_int_equal(e.opcode, 0x1);
    assert_int_equal(e.len, sizeof text - 1);
    assert_memory_equal(e.data, text, e.len);
    assert_int_equal(e.path_len, 7);
    assert_memory_equal(e.path, "/chat/1", 7);
    assert_null(e.exclude);
    assert_string_equal(e.src, SRC);
    t4__envelope_free(&e);
    t4__buf_free(&b);
}

/* The word-at-a-time scan: a byte needing an escape at every position of
 * strings of every length up to a few words, checked against jansson. */
static void test_json_escape_positions(void **state)
{
    (void)state;
    static const char specials[] = {'"', '\\', '\n', 0x01, 0x1f, 0x7f};
    for (size_t n = 1; n < 40; n++) {
        for (size_t pos = 0; pos < n; pos++) {
            for (size_t k = 0; k < sizeof specials; k++) {
                char text[64];
                for (size_t i = 0; i < n; i++)
                    text[i] = (char)('A' + i % 26);
                text[pos] = specials[k];
                t4__buf b = {0};
                assert_int_equal(t4__envelope_encode_json(&b, SRC, "/p", 2, 0x1, text, n, NULL), 0);
                json_error_t err;
                json_t *j = json_loadb(b.data, b.len, 0, &err);
                if (!j)
                    fail_msg("n=%zu pos=%zu special=%d: %s in %s", n, pos, specials[k], err.text, b.data);
                json_t *t = json_object_get(j, "text");
                assert_int_equal(json_string_length(t), n);
                assert_memory_equal(json_string_value(t), text, n);
                json_decref(j);
                t4__envelope e;
                assert_int_equal(t4__envelope_decode_json(b.data, b.len, &e), T4__ENV_OK);
                assert_int_equal(e.len, n);
                assert_memory_equal(e.data, text, n);
                t4__envelope_free(&e);
                t4__buf_free(&b);
            }
        }
    }
}

static void test_json_binary_with_exclude(void **state)
{
    (void)state;
    t4__buf b = {0};
    const uint8_t bin[] = {0, 1, 2, 0xff, 0xfe, '"', '\\', 0};
    assert_int_equal(t4__envelope_encode_json(&b, SRC, "/r/\xc3\xa9", 5, 0x2, bin, sizeof bin, EXC), 0);
    json_error_t err;
    json_t *j = json_loadb(b.data, b.len, 0, &err);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "exclude")), EXC);
    assert_string_equal(json_string_value(json_object_get(j, "b64")), "AAEC//4iXAA=");
    assert_null(json_object_get(j, "text"));
    json_decref(j);
    t4__envelope e;
    assert_int_equal(t4__envelope_decode_json(b.data, b.len, &e), T4__ENV_OK);
    assert_int_equal(e.opcode, 0x2);
    assert_int_equal(e.len, sizeof bin);
    assert_memory_equal(e.data, bin, sizeof bin);
    assert_string_equal(e.exclude, EXC);
    t4__envelope_free(&e);
    /* Empty binary and empty text. */
    b.len = 0;
    assert_int_equal(t4__envelope_encode_json(&b, SRC, "/x", 2, 0x2, "", 0, NULL), 0);
    assert_int_equal(t4__envelope_decode_json(b.data, b.len, &e), T4__ENV_OK);
    assert_int_equal(e.opcode, 0x2);
    assert_int_equal(e.len, 0);
    t4__envelope_free(&e);
    /* A text message with a NUL byte (valid UTF-8) survives. */
    b.len = 0;
    assert_int_equal(t4__envelope_encode_json(&b, SRC, "/x", 2, 0x1, "a\0b", 3, NULL), 0);
    assert_int_equal(t4__envelope_decode_json(b.data, b.len, &e), T4__ENV_OK);
    assert_int_equal(e.len, 3);
    assert_memory_equal(e.data, "a\0b", 3);
    t4__envelope_free(&e);
    /* A path that is not UTF-8 cannot be carried. */
    b.len = 0;
    assert_int_equal(t4__envelope_encode_json(&b, SRC, "/\xff", 2, 0x1, "x", 1, NULL), -1);
    t4__buf_free(&b);
}

static void decode_expect(const char *json, int want)
{
    t4__envelope e;
    int rc = t4__envelope_decode_json(json, strlen(json), &e);
    if (rc != want)
        fail_msg("decoding %s: got %d, want %d", json, rc, want);
    t4__envelope_free(&e);
}

static void test_json_foreign_and_malformed(void **state)
{
    (void)state;
    /* Written by another Tina4 implementation (field order, spacing). */
    const char *py = "{\"kind\": \"path\", \"room\": null, \"path\": \"/chat\", \"text\": \"hi\", "
                     "\"exclude\": null, \"src\": \"py-1\"}";
    t4__envelope e;
    assert_int_equal(t4__envelope_decode_json(py, strlen(py), &e), T4__ENV_OK);
    assert_memory_equal(e.data, "hi", 2);
    t4__envelope_free(&e);
    /* Escapes, surrogate pairs, and a field the fast path leaves to jansson. */
    const char *esc =
        "{\"src\":\"a\",\"kind\":\"path\",\"path\":\"/x\",\"text\":\"\\ud83d\\ude00 \\u00e9 \\/ \\u0000\"}";
    assert_int_equal(t4__envelope_decode_json(esc, strlen(esc), &e), T4__ENV_OK);
    assert_int_equal(e.len, 11);
    assert_memory_equal(e.data, "\xf0\x9f\x98\x80 \xc3\xa9 / \0", 11);
    t4__envelope_free(&e);
    const char *num =
        "{\"src\":\"a\",\"v\":1,\"kind\":\"path\",\"path\":\"/x\",\"meta\":{\"a\":[1]},\"text\":\"t\"}";
    assert_int_equal(t4__envelope_decode_json(num, strlen(num), &e), T4__ENV_OK);
    assert_memory_equal(e.data, "t", 1);
    t4__envelope_free(&e);
    decode_expect("{\"src\":\"a\",\"kind\":\"path\",\"path\":\"/x\",\"text\":\"\\ud83d\"}", T4__ENV_BAD);
    decode_expect("{\"src\":\"a\",\"kind\":\"path\",\"path\":\"/x\",\"text\":\"\\ude00\"}", T4__ENV_BAD);
    decode_expect("{\"src\":\"a\",\"kind\":\"path\",\"path\":\"/x\",\"text\":\"\\q\"}", T4__ENV_BAD);
    decode_expect("{\"src\":\"a\",\"kind\":\"path\",\"path\":\"/x\",\"text\":\"\xff\"}", T4__ENV_BAD);
    decode_expect("{\"src\":\"a\",\"kind\":\"path\",\"path\":\"/x\",\"text\":\"a\nb\"}", T4__ENV_BAD);
    decode_expect("{\"src\":\"a\",\"kind\":\"path\",\"path\":\"/x\",\"text\":\"t\"", T4__ENV_BAD);
    decode_expect("{\"src\":\"a\",\"kind\":\"path\",\"path\":\"/x\",\"text\":\"t\",}", T4__ENV_BAD);
    decode_expect("{\"src\":\"a\",\"kind\":\"path\",\"path\":\"/x\",\"text\":\"t\\", T4__ENV_BAD);
    decode_expect("{}", T4__ENV_BAD);
    decode_expect("{\"src\":\"a\",\"kind\":\"room\",\"room\":\"lobby\",\"text\":\"x\"}", T4__ENV_IGNORE);
    decode_expect("{\"src\":\"a\",\"kind\":\"presence\"}", T4__ENV_IGNORE);
    decode_expect("", T4__ENV_BAD);
    decode_expect("{", T4__ENV_BAD);
    decode_expect("[1,2]", T4__ENV_BAD);
    decode_expect("\"str\"", T4__ENV_BAD);
    decode_expect("{\"src\":\"a\",\"path\":\"/x\",\"text\":\"t\"}", T4__ENV_BAD); /* no kind */
    decode_expect("{\"src\":\"a\",\"kind\":3,\"path\":\"/x\",\"text\":\"t\"}", T4__ENV_BAD);
    decode_expect("{\"src\":\"a\",\"kind\":\"path\",\"text\":\"t\"}", T4__ENV_BAD); /* no path */
    decode_expect("{\"src\":\"a\",\"kind\":\"path\",\"path\":\"\",\"text\":\"t\"}", T4__ENV_BAD);
    decode_expect("{\"kind\":\"path\",\"path\":\"/x\",\"text\":\"t\"}", T4__ENV_BAD); /* no src */
    decode_expect("{\"src\":\"a\",\"kind\":\"path\",\"path\":\"/x\"}", T4__ENV_BAD);  /* no payload */
    decode_expect("{\"src\":\"a\",\"kind\":\"path\",\"path\":\"/x\",\"b64\":\"@@\"}", T4__ENV_BAD);
    decode_expect("{\"src\":\"a\",\"kind\":\"path\",\"path\":\"/x\",\"text\":1}", T4__ENV_BAD);
    decode_expect("{\"src\":\"a\",\"kind\":\"path\",\"path\":\"/x\",\"exclude\":5,\"text\":\"t\"}",
                  T4__ENV_BAD);
    decode_expect("{\"src\":\"a\",\"kind\":\"path\",\"path\":\"/x\",\"text\":\"t\"} trailing", T4__ENV_BAD);
}

static void test_binary_format(void **state)
{
    (void)state;
    t4__buf b = {0};
    assert_int_equal(t4__envelope_encode_bin(&b, SRC, "/room/1", 7, 0x1, "hello", 5, EXC), 0);
    assert_true(t4__envelope_bin_from(b.data, b.len, SRC));
    assert_false(t4__envelope_bin_from(b.data, b.len, EXC));
    assert_true(t4__envelope_bin_src_starts(b.data, b.len, "0123456789abcdef", 16));
    assert_false(t4__envelope_bin_src_starts(b.data, b.len, "fedcba9876543210", 16));
    assert_false(t4__envelope_bin_src_starts(b.data, 8, "0123456789abcdef", 16));
    t4__envelope e;
    assert_int_equal(t4__envelope_decode_bin(b.data, b.len, &e), T4__ENV_OK);
    assert_int_equal(e.opcode, 0x1);
    assert_memory_equal(e.path, "/room/1", 7);
    assert_int_equal(e.path_len, 7);
    assert_memory_equal(e.data, "hello", 5);
    assert_int_equal(e.len, 5);
    assert_string_equal(e.exclude, EXC);
    t4__envelope_free(&e);
    /* Every truncation is refused or decodes within bounds (ASan checks). */
    for (size_t n = 0; n < b.len; n++) {
        char *copy = malloc(n ? n : 1);
        memcpy(copy, b.data, n);
        int rc = t4__envelope_decode_bin(copy, n, &e);
        if (rc == T4__ENV_OK)
            assert_true(e.path_len + e.len <= n);
        t4__envelope_free(&e);
        free(copy);
    }
    /* A path length beyond the buffer, a bad opcode, a bad magic. */
    b.data[6 + 64] = 0x7f;
    assert_int_equal(t4__envelope_decode_bin(b.data, b.len, &e), T4__ENV_BAD);
    t4__envelope_free(&e);
    b.len = 0;
    assert_int_equal(t4__envelope_encode_bin(&b, SRC, "/p", 2, 0x2, "\x00\x01", 2, NULL), 0);
    assert_int_equal(t4__envelope_decode_bin(b.data, b.len, &e), T4__ENV_OK);
    assert_null(e.exclude);
    assert_int_equal(e.opcode, 0x2);
    t4__envelope_free(&e);
    b.data[4] = 0x9;
    assert_int_equal(t4__envelope_decode_bin(b.data, b.len, &e), T4__ENV_BAD);
    b.data[0] = 'X';
    assert_int_equal(t4__envelope_decode_bin(b.data, b.len, &e), T4__ENV_BAD);
    t4__buf_free(&b);
}

/* Cluster counts: updates and snapshots racing each other. */
static void test_presence_counts(void **state)
{
    (void)state;
    const char *A = "aaaa", *B = "bbbb";
    t4__pres_remote_update(A, 1, "/x", 2, 3, 100);
    t4__pres_remote_update(B, 1, "/x", 2, 2, 100);
    assert_int_equal(t4__pres_remote_count("/x", 2), 5);
    t4__pres_remote_update(A, 2, "/x", 2, 1, 110);
    assert_int_equal(t4__pres_remote_count("/x", 2), 3);
    t4__pres_remote_update(A, 2, "/x", 2, 9, 110); /* a replay: ignored */
    assert_int_equal(t4__pres_remote_count("/x", 2), 3);
    /* A goes to zero on /x; a late snapshot (seq 1) must not bring it back. */
    t4__pres_remote_update(A, 3, "/x", 2, 0, 120);
    t4__pres_snapshot_begin(A, 2, 120);
    t4__pres_snapshot_add("/x", 2, 1);
    t4__pres_snapshot_end();
    assert_int_equal(t4__pres_remote_count("/x", 2), 2);
    /* A newer snapshot replaces: /y appears, /x stays gone. */
    t4__pres_snapshot_begin(A, 5, 130);
    t4__pres_snapshot_add("/y", 2, 4);
    t4__pres_snapshot_end();
    assert_int_equal(t4__pres_remote_count("/y", 2), 4);
    assert_int_equal(t4__pres_remote_count("/x", 2), 2);
    /* Updates older than the snapshot are ignored. */
    t4__pres_remote_update(A, 4, "/y", 2, 0, 130);
    assert_int_equal(t4__pres_remote_count("/y", 2), 4);
    /* Heartbeats: in step -> nothing to fetch; ahead -> fetch. */
    assert_false(t4__pres_remote_seen(A, 5, 140));
    assert_true(t4__pres_remote_seen(A, 6, 140));
    assert_true(t4__pres_remote_seen("cccc", 1, 140)); /* unknown */
    /* B is not heard from (since 100): it expires; A and cccc (140) stay. */
    assert_int_equal(t4__pres_remote_instances(), 3);
    assert_int_equal(t4__pres_remote_expire(620, 500, 100), 1);
    assert_int_equal(t4__pres_remote_count("/x", 2), 0);
    assert_int_equal(t4__pres_remote_count("/y", 2), 4);
    assert_int_equal(t4__pres_remote_instances(), 2);
    assert_int_equal(t4__pres_remote_expire(2000, 500, 100), 2);
    assert_int_equal(t4__pres_remote_count("/y", 2), 0);
    t4__pres_remote_update(A, 7, "/z", 2, 1, 2000);
    t4__pres_remote_forget(A);
    assert_int_equal(t4__pres_remote_count("/z", 2), 0);
    t4__pres_clear();
}

static void collect(const char *path, size_t len, size_t count, uint64_t seq, void *arg)
{
    char *out = arg;
    char line[64];
    snprintf(line, sizeof line, "%.*s=%zu@%llu;", (int)len, path, count, (unsigned long long)seq);
    strcat(out, line);
}

static void test_presence_local(void **state)
{
    (void)state;
    char out[256] = "";
    t4__pres_local_set("/a", 2, 1);
    t4__pres_local_set("/b", 2, 1);
    t4__pres_local_set("/a", 2, 2); /* coalesced with the first */
    assert_true(t4__pres_local_dirty());
    t4__pres_local_flush(collect, out);
    assert_string_equal(out, "/a=2@1;/b=1@2;");
    assert_false(t4__pres_local_dirty());
    out[0] = '\0';
    t4__pres_local_set("/b", 2, 0);
    t4__pres_local_flush(collect, out);
    assert_string_equal(out, "/b=0@3;");
    t4__pres_clear();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_base64),
        cmocka_unit_test(test_json_text_roundtrip),
        cmocka_unit_test(test_json_escape_positions),
        cmocka_unit_test(test_json_binary_with_exclude),
        cmocka_unit_test(test_json_foreign_and_malformed),
        cmocka_unit_test(test_binary_format),
        cmocka_unit_test(test_presence_counts),
        cmocka_unit_test(test_presence_local),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
