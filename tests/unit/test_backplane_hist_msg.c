/* SPDX-License-Identifier: MIT */
/* Unit tests of the Redis history channel messages (src/backplane/hist_msg.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "backplane/hist_msg.h"

static void test_round_trip(void **state)
{
    (void)state;
    t4__buf b = {0};
    assert_int_equal(t4__buf_appendf(&b, "00000000000000ff 42 "), 0);
    assert_int_equal(t4__hist_body_build(&b, "abc1", 2, "Conn1", "/r/x", 4, "\0 \n", 3), 0);
    t4__hist_pos p;
    assert_int_equal(t4__hist_pos_parse(b.data, b.len, &p), 0);
    assert_true(p.epoch == 0xff);
    assert_true(p.offset == 42);
    t4__hist_msg m;
    assert_int_equal(t4__hist_body_parse(p.body, p.body_len, 1024, &m), 0);
    assert_string_equal(m.src, "abc1");
    assert_int_equal(m.opcode, 2);
    assert_string_equal(m.exclude, "Conn1");
    assert_memory_equal(m.path, "/r/x", 4);
    assert_int_equal(m.len, 3);
    assert_memory_equal(m.data, "\0 \n", 3);
    b.len = 0;
    assert_int_equal(t4__hist_body_build(&b, "abc1", 1, NULL, "/r", 2, "", 0), 0);
    assert_int_equal(t4__hist_body_parse(b.data, b.len, 1024, &m), 0);
    assert_string_equal(m.exclude, "");
    assert_int_equal(m.len, 0);
    t4__buf_free(&b);
}

static void test_malformed(void **state)
{
    (void)state;
    t4__hist_pos p;
    static const char *const bad_pos[] = {"",
                                          "ff 1 x",
                                          "00000000000000ff 0 x",
                                          "0000000000000000 1 x",
                                          "00000000000000FF 1 x",
                                          "00000000000000ff -1 x",
                                          "00000000000000ff 1"};
    for (size_t i = 0; i < sizeof bad_pos / sizeof bad_pos[0]; i++)
        assert_int_equal(t4__hist_pos_parse(bad_pos[i], strlen(bad_pos[i]), &p), -1);
    t4__hist_msg m;
    static const char *const bad[] = {"",
                                      "zz 1 - 2 /r",
                                      "ab 3 - 2 /r",
                                      "ab 1 a-b 2 /r",
                                      "ab 1 - 9 /r",
                                      "ab 1 - 2 xr",
                                      "ab 1 - 0 /r",
                                      "ab 1 -  2 /r"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(t4__hist_body_parse(bad[i], strlen(bad[i]), 1024, &m), -1);
    assert_int_equal(t4__hist_body_parse("ab 1 - 2 /r", 11, 1, &m), -1); /* path over max */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_malformed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
