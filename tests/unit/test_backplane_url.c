/* SPDX-License-Identifier: MIT */
/* Unit tests of TINA4_WS_BACKPLANE_URL parsing (src/backplane/url.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "backplane/url.h"

static t4__redis_url parse_ok(const char *s)
{
    t4__redis_url u;
    const char *why = NULL;
    if (t4__redis_url_parse(s, &u, &why) != 0)
        fail_msg("\"%s\" should parse, got: %s", s, why);
    return u;
}

static void parse_bad(const char *s)
{
    t4__redis_url u;
    const char *why = NULL;
    if (t4__redis_url_parse(s, &u, &why) == 0)
        fail_msg("\"%s\" should be refused", s ? s : "(null)");
    assert_non_null(why);
}

static void test_defaults(void **state)
{
    (void)state;
    t4__redis_url u = parse_ok("redis://localhost");
    assert_string_equal(u.host, "localhost");
    assert_int_equal(u.port, 6379);
    assert_int_equal(u.db, 0);
    assert_false(u.has_user);
    assert_false(u.has_password);
    u = parse_ok("redis://localhost:6379");
    assert_int_equal(u.port, 6379);
    u = parse_ok("REDIS://127.0.0.1:7000/");
    assert_string_equal(u.host, "127.0.0.1");
    assert_int_equal(u.port, 7000);
    assert_int_equal(u.db, 0);
}

static void test_db_and_auth(void **state)
{
    (void)state;
    t4__redis_url u = parse_ok("redis://127.0.0.1:6380/3");
    assert_int_equal(u.db, 3);
    u = parse_ok("redis://:s3cret@cache.internal:6379/1");
    assert_false(u.has_user);
    assert_true(u.has_password);
    assert_string_equal(u.password, "s3cret");
    assert_string_equal(u.host, "cache.internal");
    assert_int_equal(u.db, 1);
    u = parse_ok("redis://app:p%40ss%3Aword@h:1/15");
    assert_true(u.has_user);
    assert_string_equal(u.user, "app");
    assert_string_equal(u.password, "p@ss:word");
    assert_int_equal(u.port, 1);
    assert_int_equal(u.db, 15);
    /* An '@' inside the password without encoding: the last '@' wins. */
    u = parse_ok("redis://:a@b@host");
    assert_string_equal(u.password, "a@b");
    assert_string_equal(u.host, "host");
}

static void test_ipv6(void **state)
{
    (void)state;
    t4__redis_url u = parse_ok("redis://[::1]:6390/2");
    assert_string_equal(u.host, "::1");
    assert_int_equal(u.port, 6390);
    assert_int_equal(u.db, 2);
    u = parse_ok("redis://[::1]");
    assert_int_equal(u.port, 6379);
}

static void test_malformed(void **state)
{
    (void)state;
    parse_bad(NULL);
    parse_bad("");
    parse_bad("localhost:6379");
    parse_bad("http://localhost:6379");
    parse_bad("rediss://localhost:6379");
    parse_bad("redis://");
    parse_bad("redis://:6379");
    parse_bad("redis://host:");
    parse_bad("redis://host:0");
    parse_bad("redis://host:65536");
    parse_bad("redis://host:12ab");
    parse_bad("redis://host:6379/x");
    parse_bad("redis://host:6379/-1");
    parse_bad("redis://host:6379?timeout=1");
    parse_bad("redis://host name:6379");
    parse_bad("redis://user@host");  /* a user needs a password */
    parse_bad("redis://:p%zz@host"); /* bad escape */
    parse_bad("redis://:p%4@host");  /* truncated escape */
    parse_bad("redis://:p%00@host"); /* NUL */
    parse_bad("redis://[::1:6379");
    parse_bad("redis://[::1]x");
    parse_bad("redis://[]:1");
    char longhost[400];
    memset(longhost, 'a', sizeof longhost);
    memcpy(longhost, "redis://", 8);
    longhost[sizeof longhost - 1] = '\0';
    parse_bad(longhost);
}

static void test_display_hides_password(void **state)
{
    (void)state;
    t4__redis_url u = parse_ok("redis://app:topsecret@h:1/2");
    char out[600];
    t4__redis_url_display(&u, out, sizeof out);
    assert_null(strstr(out, "topsecret"));
    assert_string_equal(out, "redis://app:***@h:1/2");
    u = parse_ok("redis://[::1]:5");
    t4__redis_url_display(&u, out, sizeof out);
    assert_string_equal(out, "redis://[::1]:5/0");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_db_and_auth),
        cmocka_unit_test(test_ipv6),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_display_hides_password),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
