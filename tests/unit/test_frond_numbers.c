/* SPDX-License-Identifier: MIT */
/* FROND numbers at their limits: round/ceil/floor precisions out of range
 * (clamped to -308..308, no undefined behaviour), no NaN or infinity ever
 * becomes a value, and a result that does not fit a float is a template
 * error "name:line:col: ..." (never "out of memory"). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "frond/frond.h"
#include "tina4.h"

static t4__frond *engine(void)
{
    t4__frond *f = t4__frond_new("../frond/templates", false);
    assert_non_null(f);
    return f;
}

static void expect_out(const char *src, const char *want)
{
    t4__frond *f = engine();
    char *out = NULL, *err = NULL;
    int rc = t4__frond_render_string(f, src, NULL, &out, &err);
    if (rc) {
        fail_msg("%s: %s", src, err ? err : "?");
    }
    if (strcmp(out, want) != 0) {
        fail_msg("%s: got \"%s\", expected \"%s\"", src, out, want);
    }
    free(out);
    t4__frond_free(f);
}

/* A template error (T4_EINVAL, not T4_ENOMEM) "string:line:col: ...want". */
static void expect_err(const char *src, const char *want)
{
    t4__frond *f = engine();
    char *out = NULL, *err = NULL;
    int rc = t4__frond_render_string(f, src, NULL, &out, &err);
    if (rc == 0) {
        fail_msg("%s: rendered \"%s\", expected \"%s\"", src, out, want);
    }
    assert_non_null(err);
    if (rc != T4_EINVAL) {
        fail_msg("%s: code %d (%s), expected a template error", src, rc, err);
    }
    int line = 0, col = 0, n = 0;
    if (sscanf(err, "string:%d:%d: %n", &line, &col, &n) != 2 || n == 0 || line < 1 || col < 1) {
        fail_msg("not name:line:col: %s", err);
    }
    if (!strstr(err, want)) {
        fail_msg("%s: \"%s\", expected \"%s\"", src, err, want);
    }
    free(err);
    t4__frond_free(f);
}

/* INT_MIN was negated as an int (undefined; UBSan aborts). Clamped to -308. */
static void test_round_int_min(void **state)
{
    expect_out("{{ 1.5|round(-2147483648) }}", "0");
    expect_out("{{ 1.5|round(-9223372036854775807 - 1) }}", "0");
    expect_out("{{ 1.5|round(-2147483648, 'ceil') }}", "1.0E+308");
    expect_out("{{ 1.5|round(-2147483648, 'floor') }}", "0");
    expect_out("{{ 1.5|round(-2147483648) == 1.5|round(-308) ? 'same' }}", "same");
}

/* 4294967298 was truncated to an int: precision 2. Clamped to 308. */
static void test_round_no_wrap(void **state)
{
    expect_out("{{ 1.555|round(4294967298) }}", "1.555");
    expect_out("{{ 2.5|round(4294967296) }}", "2.5");
    expect_out("{{ 1.555|round(4294967298, 'floor') }}|{{ 1.555|round(4294967298, 'ceil') }}", "1.555|1.555");
    expect_out("{{ 1.555|round(9223372036854775807) }}", "1.555");
}

/* Negative precisions past 308 gave NaN (0 * inf), reported as "out of
 * memory"; now: round to 0, ceil/floor to the nearest multiple of 10^308. */
static void test_round_huge_negative(void **state)
{
    expect_out("{{ 1.5|round(-400) }}", "0");
    expect_out("{{ 123456789|round(-400) }}", "0");
    expect_out("{{ (-1.5)|round(-400) }}", "-0");
    expect_out("{{ 1.5|round(-400, 'ceil') }}|{{ 1.5|round(-400, 'floor') }}", "1.0E+308|0");
    expect_out("{{ (-1.5)|round(-400, 'ceil') }}|{{ (-1.5)|round(-400, 'floor') }}", "-0|-1.0E+308");
    /* a value too small for value / 10^308 still rounds away from 0 one way */
    expect_out("{{ '1e-320'|round(-308, 'ceil') }}|{{ '-1e-320'|round(-308, 'floor') }}",
               "1.0E+308|-1.0E+308");
}

/* Positive precisions past 308 (ceil/floor: inf / inf = NaN) leave the
 * number as it is, and so does one where value * 10^precision overflows. */
static void test_round_huge_positive(void **state)
{
    expect_out("{{ 1.5|round(400, 'ceil') }}|{{ 1.5|round(400, 'floor') }}|{{ 1.5|round(400) }}",
               "1.5|1.5|1.5");
    expect_out("{{ 1.5|round(2147483647, 'ceil') }}", "1.5");
    expect_out("{{ '1e308'|round(2, 'ceil') }}|{{ '-1e308'|round(2, 'floor') }}|{{ '1e308'|round(2) }}",
               "1.0E+308|-1.0E+308|1.0E+308");
    /* 308 places still round the smallest floats */
    expect_out("{{ '1e-310'|round(308, 'ceil') }}|{{ '1e-310'|round(308) }}", "1.0E-308|0");
    /* ordinary precisions are unchanged */
    expect_out("{{ 3.14159|round(2) }}|{{ 2.5|round }}|{{ -2.5|round }}|{{ 3.1|round(0, 'ceil') }}|"
               "{{ 3.9|round(0, 'floor') }}|{{ 1.005|round(2) }}|{{ 1234.5678|round(-2) }}|"
               "{{ 3.14159|round(2, 'ceil') }}|{{ 1250|round(-2, 'ceil') }}",
               "3.14|3|-3|4|3|1.01|1200|3.15|1300");
}

/* ceil/floor past the largest float: a real error, not "out of memory"
 * (common rounding keeps the number as it is there, like PHP). */
static void test_round_overflow_is_an_error(void **state)
{
    expect_out("{{ '1.7e308'|round(-308) }}|{{ '-1.7e308'|round(-400) }}", "1.7E+308|-1.7E+308");
    expect_err("{{ '1.7e308'|round(-308, 'ceil') }}", "the result is not a finite number");
    expect_err("x\n  {{ '-1.7e308'|round(-400, 'floor') }}", "string:2:");
    expect_err("{{ 1|round(0, 'up') }}", "the round filter only supports");
}

/* Every way to make a float: the output never shows NAN or INF, and a
 * failure is a template error with its position, never "out of memory". */
static void test_no_nan_or_inf(void **state)
{
    static const char *const srcs[] = {
        "{{ 1/0 }}",
        "{{ 0/0 }}",
        "{{ 1 // 0 }}",
        "{{ 1 % 0 }}",
        "{{ 1.5 % 0.5 }}",
        "{{ '1e308' * 10 }}",
        "{{ '1e308' + '1e308' }}",
        "{{ '-1e308' - '1e308' }}",
        "{{ '1e308' / '1e-300' }}",
        "{{ '1e308' // '0.5' }}",
        "{{ 2 ** 99999 }}",
        "{{ 10.5 ** 400 }}",
        "{{ (-8) ** 0.5 }}",
        "{{ 0 ** -1 }}",
        "{{ '1e999' + 0 }}",
        "{{ -'1e999' }}",
        "{{ '1e999'|abs }}",
        "{{ '-1e999'|abs }}",
        "{{ '1e999'|round }}",
        "{{ '1e999'|round(2) }}",
        "{{ '1e999'|round(2, 'ceil') }}",
        "{{ '1e999'|round(-308, 'ceil') }}",
        "{{ '1e999'|round(-2147483648, 'floor') }}",
        "{{ '1e999'|number_format(50) }}",
        "{{ '-1e999'|number_format(2, ',', '.') }}",
        "{{ 1.5|number_format(4294967298) }}",
        "{{ 1.5|number_format(-2147483648) }}",
        "{{ '%f %e %g %.53f %d %x'|format('1e999', '1e999', '1e999', '-1e999', '1e999', '-1e999') }}",
        "{{ range(0, '1e308', '1e300')|length }}",
        "{{ range('-1e308', '1e308')|length }}",
        "{{ range(0, 1, '1e-300')|length }}",
        "{{ max('1e999', 1) }}|{{ min('-1e999', 1) }}",
        "{{ ('1e999' + 0)|json_encode }}",
        "{{ 9223372036854775807 + 1 }}|{{ -9223372036854775807 - 2 }}",
        "{{ 9223372036854775807 * 9223372036854775807 }}",
        "{{ 99999999999999999999999999999999999999.5 * 99999999999999999999999999999999999999.5 }}",
        "{{ '1e308'|date('Y') }}",
        "{{ 5 is divisible by(0) }}",
        "{{ 5 is divisible by(0.5) }}",
        "{{ 1.5|round(-400, 'ceil') * 10 }}",
        "{{ (1.5|round(-400, 'ceil')) + (1.5|round(-400, 'ceil')) }}",
        "{% for i in 1..3 %}{{ ('1e308' * i)|round(-308) }}{% endfor %}",
    };
    for (size_t i = 0; i < sizeof srcs / sizeof *srcs; i++) {
        t4__frond *f = engine();
        char *out = NULL, *err = NULL;
        int rc = t4__frond_render_string(f, srcs[i], NULL, &out, &err);
        if (rc == 0) {
            if (strcasestr(out, "nan") || strcasestr(out, "inf")) {
                fail_msg("%s: rendered \"%s\"", srcs[i], out);
            }
        } else {
            int line = 0, col = 0;
            if (rc != T4_EINVAL || !err || strstr(err, "out of memory") ||
                sscanf(err, "string:%d:%d: ", &line, &col) != 2) {
                fail_msg("%s: code %d, \"%s\"", srcs[i], rc, err ? err : "(no message)");
            }
        }
        free(out);
        free(err);
        t4__frond_free(f);
    }
}

/* range() of integers near +-2^63 was counted in doubles: 1 item, not 8. */
static void test_range_int64_ends(void **state)
{
    expect_out("{{ range(9223372036854775800, 9223372036854775807)|length }}", "8");
    expect_out("{{ range(9223372036854775807, 9223372036854775800)|last }}", "9223372036854775800");
    expect_out("{{ range(-9223372036854775807 - 1, -9223372036854775806)|join(',') }}",
               "-9223372036854775808,-9223372036854775807,-9223372036854775806");
    expect_out("{{ range(-9223372036854775807 - 1, 9223372036854775807, 9223372036854775807)|join(',') }}",
               "-9223372036854775808,-1,9223372036854775806");
    expect_err("{{ range(-9223372036854775807 - 1, 9223372036854775807)|length }}", "range() is too large");
}

/* A float at -2^63 is a valid integer operand (it was taken for 0). */
static void test_float_to_int_bounds(void **state)
{
    expect_out("{{ 7 % -9223372036854775808 }}", "7");
    expect_err("{{ 7 % 0.5 }}", "modulo by zero");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_int_min),
        cmocka_unit_test(test_round_no_wrap),
        cmocka_unit_test(test_round_huge_negative),
        cmocka_unit_test(test_round_huge_positive),
        cmocka_unit_test(test_round_overflow_is_an_error),
        cmocka_unit_test(test_no_nan_or_inf),
        cmocka_unit_test(test_range_int64_ends),
        cmocka_unit_test(test_float_to_int_bounds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
