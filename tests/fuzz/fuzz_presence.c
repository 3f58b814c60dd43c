/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for what the backplane reads on its presence channel and
 * in presence hashes: the strict parsers (src/backplane/presence_msg.c), the
 * cluster-count model they feed (presence.c) and the presence MACs
 * (auth.c).
 *
 *   tests/fuzz/run.sh 60 presence
 *
 * The input is split into lines; each line is a presence message. Checks:
 * no crash or sanitizer report; the number parser agrees with a reference
 * (digits only, exact bound, no wrap); a parsed message has valid fields
 * inside the input, and written back canonically parses to the same; the
 * messages applied to the model never make a count exceed what the
 * instances can hold, nor wrap; a random line never passes as sealed; a
 * sealed line opens to itself, and one flipped bit makes it fail; hash
 * values parse strictly.
 *
 * FUZZ_SOURCES: src/backplane/presence_msg.c src/backplane/presence.c src/backplane/auth.c
 * FUZZ_SOURCES: src/util/hmap.c src/util/random_id.c src/util/buf.c
 * FUZZ_LIBS: -lcrypto
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backplane/auth.h"
#include "backplane/presence.h"
#include "backplane/presence_msg.h"
#include "util/buf.h"

#include "check.h"

#define MAX_PATH 64

static t4__bp_auth *auth;

/* The reference: digits only, at least one, value <= max (in 128 bits, so
 * nothing wraps before the comparison). */
static int ref_uint(const char *s, size_t n, uint64_t max, uint64_t *out)
{
    if (n == 0)
        return -1;
    unsigned __int128 v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (unsigned)(s[i] - '0');
        if (v > max)
            return -1;
    }
    *out = (uint64_t)v;
    return 0;
}

static void check_uint(const char *s, size_t n)
{
    static const uint64_t maxes[] = {0,         9, 10, T4__PRES_COUNT_MAX, UINT64_MAX / 10, UINT64_MAX - 1,
                                     UINT64_MAX};
    for (size_t i = 0; i < sizeof maxes / sizeof maxes[0]; i++) {
        uint64_t a = 0, b = 0;
        int ra = t4__pres_parse_uint(s, n, maxes[i], &a), rb = ref_uint(s, n, maxes[i], &b);
        CHECK(ra == rb);
        if (ra == 0)
            CHECK(a == b && a <= maxes[i]);
    }
}

static bool is_hex(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!strchr("0123456789abcdefABCDEF", s[i]) || !s[i])
            return false;
    return true;
}

static void check_msg(const char *line, size_t n, uint64_t now, size_t *instances_seen)
{
    t4__pres_msg m;
    if (t4__pres_msg_parse(line, n, MAX_PATH, &m) != 0)
        return;
    CHECK(strchr("PHJB", m.kind) && m.kind);
    CHECK(m.id_len >= 1 && m.id_len <= T4__PRES_ID_MAX && strlen(m.id) == m.id_len && is_hex(m.id, m.id_len));
    CHECK(memcmp(m.id, line + 2, m.id_len) == 0);
    t4__buf b = {0};
    if (m.kind == 'P') {
        CHECK(m.count <= T4__PRES_COUNT_MAX);
        CHECK(m.path > line && m.path + m.path_len == line + n);
        CHECK(m.path_len >= 1 && m.path_len <= MAX_PATH && m.path[0] == '/');
        CHECK(t4__buf_appendf(&b, "P %s %llu %zu ", m.id, (unsigned long long)m.seq, m.count) == 0);
        CHECK(t4__buf_append(&b, m.path, m.path_len) == 0);
    } else if (m.kind == 'B') {
        CHECK(t4__buf_appendf(&b, "B %s", m.id) == 0);
    } else {
        CHECK(t4__buf_appendf(&b, "%c %s %llu", m.kind, m.id, (unsigned long long)m.seq) == 0);
    }
    /* Canonical form (no leading zeros): parses to the same fields, and is
     * never longer than the input. */
    t4__pres_msg again;
    CHECK(b.len <= n);
    CHECK(t4__pres_msg_parse(b.data, b.len, MAX_PATH, &again) == 0);
    CHECK(again.kind == m.kind && strcmp(again.id, m.id) == 0 && again.seq == m.seq &&
          again.count == m.count);
    CHECK(again.path_len == m.path_len && (m.path_len == 0 || memcmp(again.path, m.path, m.path_len) == 0));
    t4__buf_free(&b);

    /* Applied to the cluster-count model. */
    switch (m.kind) {
    case 'P':
        (*instances_seen)++;
        t4__pres_remote_update(m.id, m.seq, m.path, m.path_len, m.count, now);
        break;
    case 'H':
    case 'J':
        (*instances_seen)++;
        t4__pres_remote_seen(m.id, m.seq, now);
        break;
    default:
        t4__pres_remote_forget(m.id);
    }
    size_t c = t4__pres_remote_count(m.path ? m.path : "/", m.path ? m.path_len : 1);
    CHECK(c <= T4__PRES_SUM_MAX);
    CHECK(c <= *instances_seen * (size_t)T4__PRES_COUNT_MAX);
    CHECK(t4__pres_remote_instances() <= *instances_seen);
}

static void check_auth(const char *line, size_t n, uint8_t flip)
{
    const char *body;
    size_t blen;
    /* A line the fuzzer made up is no valid seal (it would need the key). */
    CHECK(!t4__bp_open_presence(auth, line, n, &body, &blen));
    /* Without a key everything opens, within the input. */
    CHECK(t4__bp_open_presence(NULL, line, n, &body, &blen));
    CHECK(body >= line && body + blen == line + n);
    /* Sealed, it opens to itself; one flipped bit and it does not. */
    t4__buf b = {0};
    CHECK(t4__bp_seal_presence(auth, &b, line, n) == 0);
    CHECK(t4__bp_open_presence(auth, b.data, b.len, &body, &blen));
    CHECK(blen == n && (n == 0 || memcmp(body, line, n) == 0));
    size_t at = (size_t)flip * 7919 % b.len;
    b.data[at] ^= (char)(1 << (flip & 7));
    CHECK(!t4__bp_open_presence(auth, b.data, b.len, &body, &blen));
    t4__buf_free(&b);
}

static void check_value(const char *line, size_t n)
{
    uint64_t v;
    int rc = t4__bp_open_value(NULL, "k", "/f", 2, line, n, T4__PRES_COUNT_MAX, &v);
    CHECK(rc == 0 || rc == -1);
    if (rc == 0)
        CHECK(v <= T4__PRES_COUNT_MAX);
    rc = t4__bp_open_value(auth, "k", "/f", 2, line, n, T4__PRES_COUNT_MAX, &v);
    CHECK(rc == -1 || rc == -2);
    /* A sealed value of what parsed opens again. */
    if (t4__pres_parse_uint(line, n, T4__PRES_COUNT_MAX, &v) == 0) {
        char out[128];
        int vn = t4__bp_seal_value(auth, "k", "/f", 2, v, out, sizeof out);
        CHECK(vn > 0);
        uint64_t w;
        CHECK(t4__bp_open_value(auth, "k", "/f", 2, out, (size_t)vn, T4__PRES_COUNT_MAX, &w) == 0 && w == v);
        CHECK(t4__bp_open_value(auth, "k", "/g", 2, out, (size_t)vn, T4__PRES_COUNT_MAX, &w) == -2);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!auth)
        CHECK((auth = t4__bp_auth_new("fuzz key", 8)) != NULL);
    size_t instances_seen = 0;
    uint64_t now = 1000;
    for (size_t pos = 0; pos <= size;) {
        const uint8_t *nl = memchr(data + pos, '\n', size - pos);
        size_t n = (nl ? (size_t)(nl - data) : size) - pos;
        /* An exact-size copy, so reads past the end are caught. */
        char *line = malloc(n ? n : 1);
        CHECK(line);
        memcpy(line, data + pos, n);
        check_uint(line, n);
        check_msg(line, n, now, &instances_seen);
        check_auth(line, n, (uint8_t)(n ? line[0] : 0));
        check_value(line, n);
        free(line);
        now += 100;
        /* Now and then a sweep, as the heartbeat timer does. */
        if ((pos & 3) == 0)
            t4__pres_remote_expire(now, 1000, 200);
        pos += n + 1;
    }
    t4__pres_clear();
    return 0;
}
