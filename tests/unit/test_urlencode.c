/* SPDX-License-Identifier: MIT */
/* Unit tests of percent-decoding, query strings and cookies
 * (src/http/urlencode.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "http/parser.h"

/* Decodes s into a heap buffer of exactly n + 1 bytes (so ASan sees any
 * overrun) and compares with want (NULL = must fail). */
static void check_decode(const char *s, bool plus, const char *want)
{
    size_t n = strlen(s);
    char *dst = malloc(n + 1);
    ssize_t r = t4__url_decode(dst, s, n, plus);
    if (want == NULL) {
        if (r != -1)
            fail_msg("decoding \"%s\" should fail, got \"%s\"", s, dst);
    } else {
        if (r < 0)
            fail_msg("decoding \"%s\" failed", s);
        assert_int_equal((size_t)r, strlen(want));
        assert_string_equal(dst, want);
    }
    free(dst);
}

static void test_decode_basic(void **state)
{
    check_decode("", false, "");
    check_decode("abc", false, "abc");
    check_decode("a%20b", false, "a b");
    check_decode("%41%4a%4A%7e", false, "AJJ~");
    check_decode("%2F%2f", false, "//");
    check_decode("%25", false, "%");
    check_decode("%2541", false, "%41"); /* decoded once, not twice */
    check_decode("caf%C3%A9", false, "caf\xc3\xa9");
    check_decode("%ff", false, "\xff");
    check_decode("a%20", false, "a ");
}

static void test_decode_plus(void **state)
{
    check_decode("a+b", true, "a b");
    check_decode("a+b", false, "a+b"); /* paths keep '+' */
    check_decode("%2B+", true, "+ ");
    check_decode("++", true, "  ");
}

static void test_decode_errors(void **state)
{
    check_decode("%00", false, NULL); /* a NUL would truncate the C string */
    check_decode("a%00b", true, NULL);
    check_decode("%", false, NULL);
    check_decode("a%", false, NULL);
    check_decode("%4", false, NULL);
    check_decode("a%4", false, NULL);
    check_decode("%zz", false, NULL);
    check_decode("%g1", false, NULL);
    check_decode("%1g", false, NULL);
    check_decode("% 1", false, NULL);
    check_decode("%%41", false, NULL);
    check_decode("%-1", false, NULL);
    /* A raw NUL inside the n bytes is refused too. */
    char dst[8];
    assert_int_equal(t4__url_decode(dst, "a\0b", 3, false), -1);
}

static void test_decode_in_place(void **state)
{
    char buf[] = "x%41y+z%2b";
    assert_int_equal(t4__url_decode(buf, buf, strlen(buf), true), 6);
    assert_string_equal(buf, "xAy z+");
    /* Only n bytes are read. */
    char buf2[] = "ab%41cd";
    char out[8];
    assert_int_equal(t4__url_decode(out, buf2, 2, false), 2);
    assert_string_equal(out, "ab");
    /* "%4" at the end of n is malformed even if the buffer continues. */
    assert_int_equal(t4__url_decode(out, buf2, 4, false), -1);
}

/* Collects pairs as "name=value|" into a string. */
typedef struct {
    char s[8192];
    int calls;
} collector;

static void collect(const char *name, const char *value, void *ctx)
{
    collector *c = ctx;
    size_t l = strlen(c->s);
    snprintf(c->s + l, sizeof c->s - l, "%s=%s|", name, value);
    c->calls++;
}

static void check_query(const char *q, int count, const char *want)
{
    collector c = {{0}, 0};
    int r = t4__parse_query(q, strlen(q), collect, &c);
    assert_int_equal(r, count);
    assert_int_equal(c.calls, count);
    assert_string_equal(c.s, want);
}

static void test_query(void **state)
{
    check_query("", 0, "");
    check_query("a=1&b=x%20y&c", 3, "a=1|b=x y|c=|");
    check_query("a=1&&b=2&", 2, "a=1|b=2|");
    check_query("&", 0, "");
    check_query("=x&a=1", 1, "a=1|");
    check_query("a+b=c+d", 1, "a b=c d|");
    check_query("a=1=2", 1, "a=1=2|");
    check_query("a=", 1, "a=|");
    check_query("a=%zz&b=2&%00=x&c=%00", 1, "b=2|"); /* malformed pairs skipped */
    check_query("k%3Dx=v%26w", 1, "k=x=v&w|");
    check_query("a=1&a=2", 2, "a=1|a=2|");
    check_query("a=1;b=2", 1, "a=1;b=2|"); /* only '&' separates */
}

static void test_query_respects_length(void **state)
{
    collector c = {{0}, 0};
    assert_int_equal(t4__parse_query("a=1&b=2", 3, collect, &c), 1);
    assert_string_equal(c.s, "a=1|");
}

static void test_query_large_pair(void **state)
{
    /* Longer than the on-stack scratch buffer: takes the heap path. */
    size_t n = 3000;
    char *q = malloc(n + 16);
    strcpy(q, "big=");
    memset(q + 4, 'v', n);
    strcpy(q + 4 + n, "&x=y");
    collector c = {{0}, 0};
    assert_int_equal(t4__parse_query(q, strlen(q), collect, &c), 2);
    assert_int_equal(strlen(c.s), 4 + n + 1 + 4);
    free(q);
}

static void check_cookies(const char *h, int count, const char *want)
{
    collector c = {{0}, 0};
    int r = t4__parse_cookies(h, strlen(h), collect, &c);
    assert_int_equal(r, count);
    assert_string_equal(c.s, want);
}

static void test_cookies(void **state)
{
    check_cookies("", 0, "");
    check_cookies("a=1", 1, "a=1|");
    check_cookies("a=1; b=2", 2, "a=1|b=2|");
    check_cookies("a=1;b=2;  c=3  ", 3, "a=1|b=2|c=3|");
    check_cookies("sid=\"abc def\"", 1, "sid=abc def|");
    check_cookies("q=\"", 1, "q=\"|"); /* one quote is not a quoted string */
    check_cookies("q=\"\"", 1, "q=|");
    check_cookies("a=%20x+y", 1, "a=%20x+y|"); /* not decoded */
    check_cookies("noequals; a=1", 1, "a=1|");
    check_cookies("=x; a=1", 1, "a=1|");
    check_cookies("a=; b", 1, "a=|");
    check_cookies("a = 1 ; b= 2", 2, "a=1|b=2|");
    check_cookies("a=b=c", 1, "a=b=c|");
    check_cookies(";;a=1;;", 1, "a=1|");
    /* A NUL would truncate the name or value: the pair is skipped. */
    collector c = {{0}, 0};
    assert_int_equal(t4__parse_cookies("a=1\0x; b=2", 10, collect, &c), 1);
    assert_string_equal(c.s, "b=2|");
}

static void test_cookies_large(void **state)
{
    size_t n = 2000;
    char *h = malloc(n + 16);
    strcpy(h, "big=");
    memset(h + 4, 'z', n);
    strcpy(h + 4 + n, "; s=1");
    collector c = {{0}, 0};
    assert_int_equal(t4__parse_cookies(h, strlen(h), collect, &c), 2);
    assert_int_equal(strlen(c.s), 4 + n + 1 + 4);
    free(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_decode_basic),
        cmocka_unit_test(test_decode_plus),
        cmocka_unit_test(test_decode_errors),
        cmocka_unit_test(test_decode_in_place),
        cmocka_unit_test(test_query),
        cmocka_unit_test(test_query_respects_length),
        cmocka_unit_test(test_query_large_pair),
        cmocka_unit_test(test_cookies),
        cmocka_unit_test(test_cookies_large),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
