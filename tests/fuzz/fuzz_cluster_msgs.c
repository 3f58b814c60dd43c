/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for what the Redis backplane reads on its members and
 * history channels (and in the members hashes and history streams): the
 * strict parsers of src/backplane/member_msg.c and hist_msg.c. Anyone who
 * can PUBLISH on the Redis may send these.
 *
 *   tests/fuzz/run.sh 60 cluster_msgs
 *
 * Checks: no crash or sanitizer report; a parsed message's fields lie inside
 * the input and obey the format (ids, path, opcode); written back with the
 * builders it parses to the same fields.
 *
 * FUZZ_SOURCES: src/backplane/member_msg.c src/backplane/hist_msg.c src/backplane/presence_msg.c
 * FUZZ_SOURCES: src/util/buf.c
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backplane/hist_msg.h"
#include "backplane/member_msg.h"
#include "util/buf.h"

#include "check.h"

#define MAX_PATH 64

static bool inside(const char *p, size_t n, const char *in, size_t len)
{
    return p >= in && p + n <= in + len;
}

static void member(const char *in, size_t len)
{
    t4__member_msg m, m2;
    if (t4__member_msg_parse(in, len, MAX_PATH, &m) != 0)
        return;
    CHECK(m.kind == 'j' || m.kind == 'l');
    CHECK(inside(m.path, m.path_len, in, len) && m.path_len >= 1 && m.path_len <= MAX_PATH &&
          m.path[0] == '/');
    CHECK((m.kind == 'l') == (m.info == NULL));
    CHECK(!m.info || (m.info_len > 0 && inside(m.info, m.info_len, in, len)));
    CHECK(strlen(m.src) >= 1 && strlen(m.conn) >= 1);
    char *info = m.info ? strndup(m.info, m.info_len) : NULL;
    if (m.info && (!info || strlen(info) != m.info_len)) { /* a NUL inside: the builder takes C strings */
        free(info);
        return;
    }
    t4__buf b = {0};
    CHECK(t4__member_msg_build(&b, m.src, m.conn, m.path, m.path_len, info) == 0);
    CHECK(t4__member_msg_parse(b.data, b.len, MAX_PATH, &m2) == 0);
    CHECK(m2.kind == m.kind && strcmp(m2.src, m.src) == 0 && strcmp(m2.conn, m.conn) == 0);
    CHECK(m2.path_len == m.path_len && memcmp(m2.path, m.path, m.path_len) == 0);
    CHECK(m2.info_len == m.info_len && (!m.info || memcmp(m2.info, m.info, m.info_len) == 0));
    t4__buf_free(&b);
    free(info);
}

static void history(const char *in, size_t len)
{
    t4__hist_pos p;
    t4__hist_msg m, m2;
    const char *body = in;
    size_t blen = len;
    if (t4__hist_pos_parse(in, len, &p) == 0) {
        CHECK(p.epoch != 0 && p.offset != 0 && inside(p.body, p.body_len, in, len));
        body = p.body;
        blen = p.body_len;
    }
    if (t4__hist_body_parse(body, blen, MAX_PATH, &m) != 0)
        return;
    CHECK(m.opcode == 1 || m.opcode == 2);
    CHECK(inside(m.path, m.path_len, in, len) && m.path_len >= 1 && m.path_len <= MAX_PATH &&
          m.path[0] == '/');
    CHECK(m.data == m.path + m.path_len && m.data + m.len == body + blen);
    t4__buf b = {0};
    CHECK(t4__hist_body_build(&b, m.src, m.opcode, m.exclude, m.path, m.path_len, m.data, m.len) == 0);
    CHECK(t4__hist_body_parse(b.data, b.len, MAX_PATH, &m2) == 0);
    CHECK(strcmp(m2.src, m.src) == 0 && strcmp(m2.exclude, m.exclude) == 0 && m2.opcode == m.opcode);
    CHECK(m2.len == m.len && memcmp(m2.data, m.data, m.len) == 0);
    t4__buf_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    member((const char *)data, size);
    history((const char *)data, size);
    return 0;
}
