/* SPDX-License-Identifier: MIT */
/* FROND parser: tree shapes, operator precedence, registries, errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "frond/internal.h"

static t4__ftpl *parse_ok(const char *src)
{
    t4__ftpl *t = NULL;
    char *err = NULL;
    if (t4__frond_parse("t", src, strlen(src), &t, &err)) {
        fail_msg("parse failed: %s", err ? err : "?");
    }
    free(err);
    return t;
}

static void expect_error(const char *src, const char *msg)
{
    t4__ftpl *t = NULL;
    char *err = NULL;
    assert_int_equal(t4__frond_parse("t", src, strlen(src), &t, &err), T4_EINVAL);
    assert_null(t);
    assert_non_null(err);
    assert_string_equal(err, msg);
    free(err);
}

static t4__fexpr *print_expr(t4__ftpl *t, size_t i)
{
    assert_true(i < t->body.n);
    assert_int_equal(t->body.v[i]->kind, N_PRINT);
    return t->body.v[i]->e1;
}

static void test_text_print(void **state)
{
    t4__ftpl *t = parse_ok("a{{ x }}b");
    assert_int_equal(t->body.n, 3);
    assert_int_equal(t->body.v[0]->kind, N_TEXT);
    t4__fexpr *e = print_expr(t, 1);
    assert_int_equal(e->kind, E_NAME);
    assert_string_equal(e->name, "x");
    assert_int_equal(t->body.v[1]->esc, ESC_HTML);
    t4__ftpl_free(t);
}

static void test_precedence(void **state)
{
    t4__ftpl *t = parse_ok(
        "{{ 1 + 2 * 3 }}{{ a or b and c }}{{ not a == b }}{{ -a|abs }}{{ 2 ** 3 ** 2 }}{{ a ?? b ~ c }}");
    t4__fexpr *e = print_expr(t, 0);
    assert_int_equal(e->op, OP_ADD);
    assert_int_equal(e->b->op, OP_MUL);
    e = print_expr(t, 1);
    assert_int_equal(e->op, OP_OR);
    assert_int_equal(e->b->op, OP_AND);
    e = print_expr(t, 2); /* (not a) == b, as in Twig */
    assert_int_equal(e->op, OP_EQ);
    assert_int_equal(e->a->kind, E_UN);
    e = print_expr(t, 3); /* -(a|abs) */
    assert_int_equal(e->kind, E_UN);
    assert_int_equal(e->a->kind, E_FILTER);
    e = print_expr(t, 4); /* right associative */
    assert_int_equal(e->op, OP_POW);
    assert_int_equal(e->b->op, OP_POW);
    e = print_expr(t, 5); /* (a ?? b) ~ c */
    assert_int_equal(e->op, OP_CONCAT);
    assert_int_equal(e->a->op, OP_COALESCE);
    t4__ftpl_free(t);
}

static void test_postfix_and_tests(void **state)
{
    t4__ftpl *t =
        parse_ok("{{ a.b[c]|join(', ')|upper }}{{ x is not divisible by(3) }}{{ m.f(1, 2) }}{{ c ? d : e }}");
    t4__fexpr *e = print_expr(t, 0);
    assert_int_equal(e->kind, E_FILTER);
    assert_string_equal(e->name, "upper");
    assert_string_equal(e->a->name, "join");
    assert_int_equal(e->a->nargs, 1);
    assert_int_equal(e->a->a->kind, E_ATTR);
    e = print_expr(t, 1);
    assert_int_equal(e->op, OP_NOT);
    assert_string_equal(e->a->name, "divisible by");
    e = print_expr(t, 2);
    assert_int_equal(e->kind, E_ATTR);
    assert_true(e->call);
    assert_int_equal(e->nargs, 2);
    e = print_expr(t, 3);
    assert_int_equal(e->kind, E_COND);
    t4__ftpl_free(t);
}

static void test_tags(void **state)
{
    t4__ftpl *t =
        parse_ok("{% extends 'base.html' %}{% block a %}{% for k, v in m %}{% if x %}1{% elseif y %}2{% else "
                 "%}3{% endif %}{% else %}e{% endfor %}{% endblock %}{% macro f(a, b = 2) %}{% endmacro %}");
    assert_non_null(t->parent);
    assert_int_equal(t->nblocks, 1);
    assert_string_equal(t->blocks[0]->name, "a");
    assert_int_equal(t->nmacros, 1);
    assert_int_equal(t->macros[0]->nparams, 2);
    assert_null(t->macros[0]->defaults[0]);
    assert_non_null(t->macros[0]->defaults[1]);
    t4__fnode *f = t->blocks[0]->body.v[0];
    assert_int_equal(f->kind, N_FOR);
    assert_string_equal(f->name, "v");
    assert_string_equal(f->name2, "k");
    assert_int_equal(f->alt.n, 1);
    t4__fnode *i = f->body.v[0];
    assert_int_equal(i->kind, N_IF);
    assert_int_equal(i->alt.v[0]->kind, N_IF); /* elseif */
    t4__ftpl_free(t);
}

static void test_autoescape_is_lexical(void **state)
{
    t4__ftpl *t = parse_ok(
        "{% autoescape 'js' %}{{ a }}{% endautoescape %}{% autoescape false %}{{ b }}{% endautoescape "
        "%}{{ c }}");
    assert_int_equal(t->body.v[0]->body.v[0]->esc, ESC_JS);
    assert_int_equal(t->body.v[1]->body.v[0]->esc, ESC_NONE);
    assert_int_equal(t->body.v[2]->esc, ESC_HTML);
    t4__ftpl_free(t);
}

static void test_include_set_import(void **state)
{
    t4__ftpl *t =
        parse_ok("{% include 'p.html' ignore missing with {a: 1} only %}{% set a, b = 1, 2 %}{% set c %}x{% "
                 "endset %}{% from _self import f as g %}{{ g() }}");
    t4__fnode *n = t->body.v[0];
    assert_int_equal(n->kind, N_INCLUDE);
    assert_int_equal(n->flags, T4F_ONLY | T4F_IGNORE_MISSING);
    assert_non_null(n->e2);
    assert_int_equal(t->body.v[1]->nnames, 2);
    assert_int_equal(t->body.v[2]->kind, N_SETBLOCK);
    assert_int_equal(print_expr(t, 4)->kind, E_MACRO);
    t4__ftpl_free(t);
}

static void test_errors(void **state)
{
    expect_error("{{ x|nope }}", "t:1:6: unknown filter 'nope'");
    expect_error("{{ x is nope }}", "t:1:9: unknown test 'nope'");
    expect_error("{{ nope() }}", "t:1:4: unknown function 'nope'");
    expect_error("\n\n  {% nope %}", "t:3:6: unknown tag 'nope'");
    expect_error("{% if x %}", "t:1:11: unexpected end of template (unclosed 'if' opened at line 1)");
    expect_error("{% endfor %}", "t:1:4: unexpected 'endfor' tag");
    expect_error("{{ 1 2 }}", "t:1:6: unexpected number '2' (expected }})");
    expect_error("{% block a %}{% endblock %}{% block a %}{% endblock %}",
                 "t:1:37: the block 'a' has already been defined");
    expect_error("{% set a, b = 1 %}",
                 "t:1:4: when using set, you must have the same number of variables and assignments");
    expect_error("{{ f(x=1) }}", "t:1:4: unknown function 'f'");
    expect_error("{{ range(x=1) }}", "t:1:10: named arguments are not supported");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_text_print),
        cmocka_unit_test(test_precedence),
        cmocka_unit_test(test_postfix_and_tests),
        cmocka_unit_test(test_tags),
        cmocka_unit_test(test_autoescape_is_lexical),
        cmocka_unit_test(test_include_set_import),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
