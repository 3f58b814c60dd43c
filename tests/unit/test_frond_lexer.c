/* SPDX-License-Identifier: MIT */
/* FROND lexer: token kinds, positions, whitespace control, raw text. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "frond/internal.h"

static t4__ftoks lex_ok(const char *src)
{
    t4__ftoks t;
    char *err = NULL;
    int rc = t4__frond_lex("t", src, strlen(src), &t, &err);
    if (rc) {
        fail_msg("lex failed: %s", err ? err : "?");
    }
    free(err);
    return t;
}

static char *lex_err(const char *src)
{
    t4__ftoks t;
    char *err = NULL;
    assert_int_equal(t4__frond_lex("t", src, strlen(src), &t, &err), T4_EINVAL);
    assert_non_null(err);
    return err;
}

static void expect(t4__ftoks *t, size_t i, t4__ftok_type type, const char *s)
{
    assert_true(i < t->n);
    assert_int_equal(t->v[i].type, type);
    assert_string_equal(t->v[i].s, s);
}

static void test_text_and_print(void **state)
{
    t4__ftoks t = lex_ok("Hi {{ name|upper }}!");
    assert_int_equal(t.n, 8);
    expect(&t, 0, T4F_TEXT, "Hi ");
    expect(&t, 1, T4F_VAR_START, "{{");
    expect(&t, 2, T4F_NAME, "name");
    expect(&t, 3, T4F_PUNCT, "|");
    expect(&t, 4, T4F_NAME, "upper");
    expect(&t, 5, T4F_VAR_END, "}}");
    expect(&t, 6, T4F_TEXT, "!");
    expect(&t, 7, T4F_EOF, "");
    t4__frond_toks_free(&t);
}

static void test_operators_and_literals(void **state)
{
    t4__ftoks t = lex_ok("{{ 1..5 ** 2 // 3 <=> 'a\\'b' ?? 2.5 }}");
    expect(&t, 1, T4F_NUMBER, "1");
    expect(&t, 2, T4F_OP, "..");
    expect(&t, 3, T4F_NUMBER, "5");
    expect(&t, 4, T4F_OP, "**");
    expect(&t, 6, T4F_OP, "//");
    expect(&t, 8, T4F_OP, "<=>");
    expect(&t, 9, T4F_STRING, "a'b");
    expect(&t, 10, T4F_OP, "??");
    expect(&t, 11, T4F_NUMBER, "2.5");
    t4__frond_toks_free(&t);
}

static void test_positions(void **state)
{
    t4__ftoks t = lex_ok("ab\n  {{ x }}");
    expect(&t, 1, T4F_VAR_START, "{{");
    assert_int_equal(t.v[1].line, 2);
    assert_int_equal(t.v[1].col, 3);
    expect(&t, 2, T4F_NAME, "x");
    assert_int_equal(t.v[2].col, 6);
    t4__frond_toks_free(&t);
}

static void test_whitespace_control(void **state)
{
    t4__ftoks t = lex_ok("a  \n {{- x -}} \n b {{~ y ~}} \n c");
    expect(&t, 0, T4F_TEXT, "a");
    expect(&t, 4, T4F_TEXT, "b");
    expect(&t, 8, T4F_TEXT, "\n c");
    t4__frond_toks_free(&t);
}

static void test_block_eats_newline(void **state)
{
    t4__ftoks t = lex_ok("{% if x %}\nA{# c #}\nB{{ y }}\nC");
    expect(&t, 3, T4F_BLOCK_END, "%}");
    expect(&t, 4, T4F_TEXT, "A");
    expect(&t, 5, T4F_TEXT, "B");
    expect(&t, 9, T4F_TEXT, "\nC");
    t4__frond_toks_free(&t);
}

static void test_verbatim_and_raw(void **state)
{
    t4__ftoks t = lex_ok("{% verbatim %}{{ x }}{% endverbatim %}|{%- raw -%} {% y %} {%- endraw %}");
    expect(&t, 0, T4F_TEXT, "{{ x }}");
    expect(&t, 1, T4F_TEXT, "|");
    expect(&t, 2, T4F_TEXT, "{% y %}");
    expect(&t, 3, T4F_EOF, "");
    t4__frond_toks_free(&t);
}

static void test_interpolation(void **state)
{
    t4__ftoks t = lex_ok("{{ \"a#{b}c\" }}");
    const char *want[] = {"(", "a", "~", "(", "b", ")", "~", "c", ")"};
    for (size_t i = 0; i < 9; i++) {
        assert_string_equal(t.v[i + 1].s, want[i]);
    }
    t4__frond_toks_free(&t);
}

static void test_nested_braces(void **state)
{
    t4__ftoks t = lex_ok("{{ {a: {b: 1}} }}");
    expect(&t, 9, T4F_PUNCT, "}");
    expect(&t, 10, T4F_VAR_END, "}}");
    t4__frond_toks_free(&t);
}

static void test_errors(void **state)
{
    char *e = lex_err("x\n{{ 'abc }}");
    assert_string_equal(e, "t:2:4: unclosed string");
    free(e);
    e = lex_err("{{ a");
    assert_string_equal(e, "t:1:1: unclosed variable tag");
    free(e);
    e = lex_err("{# c");
    assert_string_equal(e, "t:1:1: unclosed comment");
    free(e);
    e = lex_err("{{ a ; }}");
    assert_string_equal(e, "t:1:6: unexpected character ';'");
    free(e);
    e = lex_err("{% verbatim %}x");
    assert_string_equal(e, "t:1:1: unclosed verbatim");
    free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_text_and_print),
        cmocka_unit_test(test_operators_and_literals),
        cmocka_unit_test(test_positions),
        cmocka_unit_test(test_whitespace_control),
        cmocka_unit_test(test_block_eats_newline),
        cmocka_unit_test(test_verbatim_and_raw),
        cmocka_unit_test(test_interpolation),
        cmocka_unit_test(test_nested_braces),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
