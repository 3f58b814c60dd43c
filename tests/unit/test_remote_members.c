/* SPDX-License-Identifier: MIT */
/* Unit tests of other processes' presence entries (src/ws/remote_members.c)
 * and of the Redis members messages (src/backplane/member_msg.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "backplane/member_msg.h"
#include "ws/remote_members.h"

#define P(s) (s), strlen(s)

static char seen[512];

static void collect(const char *path, size_t plen, const char *id, const char *info, void *arg)
{
    (void)arg;
    size_t n = strlen(seen);
    snprintf(seen + n, sizeof seen - n, "%.*s|%s|%s;", (int)plen, path, id, info);
}

static void test_set_update_del(void **state)
{
    (void)state;
    assert_int_equal(t4__rmem_set("w1", P("/r"), "a", P("{\"n\":1}")), 0);
    assert_int_equal(t4__rmem_set("w1", P("/r"), "a", P("{\"n\":1}")), 2); /* nothing new */
    assert_int_equal(t4__rmem_set("w1", P("/r"), "a", P("{\"n\":2}")), 1);
    assert_int_equal(t4__rmem_set("w2", P("/r"), "b", P("{}")), 0);
    seen[0] = '\0';
    t4__rmem_each(P("/r"), collect, NULL);
    assert_string_equal(seen, "/r|b|{};/r|a|{\"n\":2};");
    assert_false(t4__rmem_del("w2", P("/r"), "a", NULL, NULL)); /* another origin's */
    seen[0] = '\0';
    assert_true(t4__rmem_del("w1", P("/r"), "a", collect, NULL));
    assert_string_equal(seen, "/r|a|{\"n\":2};");
    assert_int_equal(t4__rmem_count(), 1);
    t4__rmem_reset();
    assert_int_equal(t4__rmem_count(), 0);
}

static void test_origin_gone_and_snapshot(void **state)
{
    (void)state;
    char path[32], id[16];
    for (int i = 0; i < 200; i++) {
        snprintf(path, sizeof path, "/room/%d", i % 7);
        snprintf(id, sizeof id, "c%d", i);
        assert_true(t4__rmem_set(i % 2 ? "inst1" : "inst2", P(path), id, P("1")) == 0);
    }
    assert_int_equal(t4__rmem_drop_origin("inst1", NULL, NULL), 100);
    assert_int_equal(t4__rmem_count(), 100);
    /* A snapshot of inst2 that lists only c0: the others leave. */
    t4__rmem_mark("inst2");
    assert_int_equal(t4__rmem_set("inst2", P("/room/0"), "c0", P("1")), 2);
    assert_int_equal(t4__rmem_sweep("inst2", NULL, NULL), 99);
    assert_int_equal(t4__rmem_count(), 1);
    assert_int_equal(t4__rmem_drop_origin("inst2", NULL, NULL), 1);
    assert_int_equal(t4__rmem_count(), 0);
}

static void test_member_messages(void **state)
{
    (void)state;
    t4__buf b = {0};
    assert_int_equal(t4__member_msg_build(&b, "ab12", "Conn9", P("/chat/x y"), "{\"name\":\"a b\"}"), 0);
    t4__member_msg m;
    assert_int_equal(t4__member_msg_parse(b.data, b.len, 1024, &m), 0);
    assert_int_equal(m.kind, 'j');
    assert_string_equal(m.src, "ab12");
    assert_string_equal(m.conn, "Conn9");
    assert_int_equal(m.path_len, 9);
    assert_memory_equal(m.path, "/chat/x y", 9);
    assert_int_equal(m.info_len, 14);
    b.len = 0;
    assert_int_equal(t4__member_msg_build(&b, "ab12", "c", P("/p"), NULL), 0);
    assert_int_equal(t4__member_msg_parse(b.data, b.len, 1024, &m), 0);
    assert_int_equal(m.kind, 'l');
    assert_null(m.info);
    t4__buf_free(&b);
    static const char *const bad[] = {
        "",
        "j",
        "x ab c 2 /p{}",
        "j zz c 2 /p{}",
        "j ab c 2 /p",
        "l ab c 2 /p{}",
        "j ab c 9 /p{}",
        "j ab c 2 xp{}",
        "j ab c- 2 /p{}",
        "j ab c -2 /p{}",
        "j ab  2 /p{}",
        "j ab c 0 {}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(t4__member_msg_parse(bad[i], strlen(bad[i]), 1024, &m), -1);
    assert_int_equal(t4__member_msg_parse(P("j ab c 2 /p{}"), 1, &m), -1); /* path over max */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_set_update_del),
        cmocka_unit_test(test_origin_gone_and_snapshot),
        cmocka_unit_test(test_member_messages),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
