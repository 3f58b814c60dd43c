/* SPDX-License-Identifier: MIT */
/* FROND's work limits (src/frond/internal.h) and the inputs fuzzing found:
 * every one fails with "name:line:col: message" instead of looping, blowing
 * up memory, overflowing the stack or crashing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frond/frond.h"
#include "tina4.h"

#define TPL_DIR "../frond/templates"

/* Renders src and expects an error "string:line:col: ..." containing want. */
static void expect_err(t4__frond *f, const char *src, const char *want)
{
    char *out = NULL, *err = NULL;
    int rc = t4__frond_render_string(f, src, NULL, &out, &err);
    if (rc == 0) {
        fail_msg("%.60s: rendered, expected \"%s\"", src, want);
    }
    assert_int_equal(rc, T4_EINVAL);
    assert_null(out);
    assert_non_null(err);
    int line = 0, col = 0, n = 0;
    if (sscanf(err, "string:%d:%d: %n", &line, &col, &n) != 2 || n == 0 || line < 1 || col < 1) {
        fail_msg("not name:line:col: %s", err);
    }
    if (!strstr(err, want)) {
        fail_msg("%s: expected \"%s\"", err, want);
    }
    free(err);
}

static void expect_out(t4__frond *f, const char *src, const char *want)
{
    char *out = NULL, *err = NULL;
    int rc = t4__frond_render_string(f, src, NULL, &out, &err);
    if (rc) {
        fail_msg("%.60s: %s", src, err ? err : "?");
    }
    assert_string_equal(out, want);
    free(out);
}

static char *repeat(const char *head, const char *unit, int n, const char *tail)
{
    size_t hl = strlen(head), ul = strlen(unit), tl = strlen(tail);
    char *s = malloc(hl + ul * (size_t)n + tl + 1), *p = s;
    memcpy(p, head, hl), p += hl;
    for (int i = 0; i < n; i++) {
        memcpy(p, unit, ul), p += ul;
    }
    memcpy(p, tail, tl + 1);
    return s;
}

static void test_range(void **state)
{
    t4__frond *f = t4__frond_new(TPL_DIR, false);
    expect_err(f, "{{ range(1, 2000000)|length }}", "range() is too large (more than 1000000 items)");
    expect_err(f, "{{ (1..2000000)|length }}", "range() is too large");
    expect_out(f, "{{ range(1, 1000)|length }}", "1000");
    /* a letter range with a huge step: the first letter, no endless loop */
    expect_out(f,
               "{{ range('a', 'e', 4294967295)|join }}|{{ range('a', 'e', -9223372036854775807 - 1)|join }}",
               "a|a");
    t4__frond_free(f);
}

static void test_steps(void **state)
{
    t4__frond *f = t4__frond_new(TPL_DIR, false);
    t4__frond_set_limits(f, 1000, 0);
    expect_err(f, "{% for i in 1..100 %}{% for j in 1..100 %}{% endfor %}{% endfor %}",
               "more than 1000 steps of work");
    expect_out(f, "{% for i in 1..10 %}{% for j in 1..10 %}{% endfor %}{% endfor %}ok", "ok");
    /* a macro calling itself twice: 2^200 calls without the limit */
    expect_err(f,
               "{% macro m(n) %}{% if n < 25 %}{% import _self as s %}{{ s.m(n + 1) }}{{ s.m(n + 1) }}"
               "{% endif %}{% endmacro %}"
               "{% import _self as me %}{{ me.m(0) }}",
               "steps of work");
    /* includes and big arrays count too */
    expect_err(f, "{% for i in 1..2000 %}{% include 'partial.html' %}{% endfor %}", "steps of work");
    expect_err(f, "{% for i in 1..20 %}{{ range(1, 10000)|length }}{% endfor %}", "steps of work");
    expect_err(f, "{% set a = range(1, 50000) %}{% for i in 1..10 %}{{ 0 in a }}{% endfor %}",
               "steps of work");
    t4__frond_free(f);
}

static void test_strings(void **state)
{
    t4__frond *f = t4__frond_new(TPL_DIR, false);
    expect_err(f, "{% set s = 'xxxxxxxx' %}{% for i in 1..30 %}{% set s = s ~ s %}{% endfor %}",
               "string longer than 32 MiB (the limit)");
    expect_err(f, "{{ '%999999999999d'|format(1) }}", "string longer than 32 MiB");
    expect_err(f, "{{ '%-2000000000s'|format('a') }}", "string longer than 32 MiB");
    /* the budget of all strings of a render */
    t4__frond_set_limits(f, 0, 1u << 20);
    expect_err(f, "{% for i in 1..30000 %}xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx{% endfor %}",
               "the render built more than 1 MiB of strings (the limit)");
    /* a new render starts with a fresh budget */
    expect_out(f, "{{ 'ok' }}", "ok");
    t4__frond_free(f);
}

static void test_arrays(void **state)
{
    t4__frond *f = t4__frond_new(TPL_DIR, false);
    expect_err(f, "{{ (range(1, 600000)|merge(range(1, 600000)))|length }}",
               "merge would give more than 1000000 items (the limit)");
    expect_err(f, "{{ [1]|batch(2000000, 0)|length }}", "the batch size must be at most 1000000 to fill");
    expect_out(f, "{{ [1, 2, 3]|batch(2000000)|length }}", "1");
    expect_err(f, "{{ '%1000001s'|format('')|split('')|length }}", "split would give more than");
    expect_out(f, "{{ 'a,b,c'|split(',', -9223372036854775807 - 1)|length }}", "0");
    t4__frond_free(f);
}

static void test_nesting(void **state)
{
    t4__frond *f = t4__frond_new(TPL_DIR, false);
    expect_err(f, "{% set a = 1 %}{% for i in 1..300 %}{% set a = [a] %}{% endfor %}",
               "value nested more than 200 levels deep (the limit)");
    expect_err(f, "{% set a = [1] %}{% for i in 1..300 %}{% set a = a|batch(1) %}{% endfor %}",
               "nested more than 200 levels deep");
    expect_err(f, "{% for i in 1..300 %}{% set x = {y: _context} %}{% endfor %}",
               "nested more than 200 levels");
    /* long chains nest the syntax tree: evaluating or freeing it recursed */
    const char *chains[] = {"|abs", "**2", "+2", " ? 1 : 2", ".b", "[0]", " is defined"};
    for (size_t i = 0; i < sizeof chains / sizeof *chains; i++) {
        char *src = repeat("{{ 2", chains[i], 20000, " }}");
        expect_err(f, src, "expression nested too deeply");
        free(src);
    }
    char *ok = repeat("{{ 2", "+2", 150, " }}");
    expect_out(f, ok, "302");
    free(ok);
    expect_err(f, "{% block a %}{{ block('a') }}{% endblock %}", "maximum nesting depth exceeded");
    t4__frond_free(f);
}

/* Inputs the fuzzer found crashing (NULL values, UB). */
static void test_fuzz_regressions(void **state)
{
    t4__frond *f = t4__frond_new(TPL_DIR, false);
    /* a map key that is not UTF-8 (jansson refused it: NULL key) */
    expect_out(f, "{{ {'\xff\xfe': 1}|length }}|{{ 'a'|replace({'\xff': 'b'}) }}", "1|a");
    /* include of an empty list of names */
    expect_err(f, "{% include [] %}", "unable to find template ''");
    expect_err(f, "{% include {} only %}", "unable to find template ''");
    /* numbers past double: JSON has no INF */
    char *big = repeat("{{ 1", "0", 400, ".5 }}");
    expect_err(f, big, "number out of range");
    free(big);
    expect_err(f, "{{ 10.0 ** 400 }}", "the result is not a finite number");
    expect_out(f, "{{ ('1e999' + 0) > 1000000 ? 'big' }}", "big");
    expect_out(f, "{{ {'a': 1}['1e999' + 0] ?? 'none' }}", "none");
    /* dates gmtime() cannot represent */
    expect_err(f, "{{ 99999999999999999|date('Y F t') }}", "failed to parse date");
    expect_err(f, "{{ ('1e300' + 0)|date('Y') }}", "failed to parse date");
    expect_out(f, "{{ 0|date('Y-m-d') }}", "1970-01-01");
    /* format widths and precisions past int */
    expect_out(f, "{{ '%.99999999999f'|format(1.5)|length }}", "55");
    t4__frond_free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_range),   cmocka_unit_test(test_steps),
        cmocka_unit_test(test_strings), cmocka_unit_test(test_arrays),
        cmocka_unit_test(test_nesting), cmocka_unit_test(test_fuzz_regressions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
