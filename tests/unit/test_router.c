/* SPDX-License-Identifier: MIT */
/* Unit tests of the router (src/http/router.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "http/router.h"
#include "tina4.h"

/* Distinct handler identities. */
static int h1, h2, h3, h4;
#define H1 ((void *)&h1)
#define H2 ((void *)&h2)
#define H3 ((void *)&h3)
#define H4 ((void *)&h4)

static void *found;
static t4__param params[T4__MAX_PARAMS];
static size_t nparams;
static char allow[128];

static t4__match_result match(const t4__router *r, const char *method, const char *path)
{
    found = NULL;
    nparams = 99;
    memset(allow, 'X', sizeof allow);
    /* An exact-size heap copy without a NUL: the router must respect len. */
    size_t n = strlen(path);
    char *p = malloc(n ? n : 1);
    memcpy(p, path, n);
    t4__match_result m = t4__router_match(r, method, p, n, &found, params, &nparams, allow, sizeof allow);
    /* Params point into the path: rebase them onto the caller's string. */
    if (m == T4__MATCH_FOUND)
        for (size_t i = 0; i < nparams; i++) {
            assert_true(params[i].value >= p && params[i].value + params[i].value_len <= p + n);
            params[i].value = path + (params[i].value - p);
        }
    free(p);
    return m;
}

static void assert_param(size_t i, const char *name, const char *value)
{
    assert_true(i < nparams);
    assert_string_equal(params[i].name, name);
    if (params[i].value_len != strlen(value) || memcmp(params[i].value, value, strlen(value)) != 0)
        fail_msg("param %s = \"%.*s\", want \"%s\"", name, (int)params[i].value_len, params[i].value, value);
}

static void test_literal_and_root(void **state)
{
    t4__router *r = t4__router_new();
    assert_int_equal(t4__router_add(r, "GET", "/", H1), 0);
    assert_int_equal(t4__router_add(r, "GET", "/a/b", H2), 0);
    assert_int_equal(t4__router_count(r), 2);

    assert_int_equal(match(r, "GET", "/"), T4__MATCH_FOUND);
    assert_ptr_equal(found, H1);
    assert_int_equal(nparams, 0);
    assert_int_equal(match(r, "GET", "/a/b"), T4__MATCH_FOUND);
    assert_ptr_equal(found, H2);
    assert_int_equal(match(r, "GET", "/a"), T4__MATCH_NONE);
    assert_int_equal(match(r, "GET", "/a/b/c"), T4__MATCH_NONE);
    assert_int_equal(match(r, "GET", "/a/bc"), T4__MATCH_NONE);
    assert_int_equal(match(r, "GET", "/A/b"), T4__MATCH_NONE); /* exact compare */
    assert_int_equal(match(r, "GET", "/a//b"), T4__MATCH_NONE);
    assert_int_equal(match(r, "GET", ""), T4__MATCH_NONE);
    assert_int_equal(match(r, "GET", "a/b"), T4__MATCH_NONE);
    assert_int_equal(match(r, "GET", "//"), T4__MATCH_NONE);
    t4__router_free(r);
}

static void test_trailing_slash(void **state)
{
    t4__router *r = t4__router_new();
    assert_int_equal(t4__router_add(r, "GET", "/a/b", H1), 0);
    assert_int_equal(t4__router_add(r, "GET", "/c/", H2), 0); /* same as "/c" */
    assert_int_equal(match(r, "GET", "/a/b/"), T4__MATCH_FOUND);
    assert_ptr_equal(found, H1);
    assert_int_equal(match(r, "GET", "/a/b//"), T4__MATCH_NONE); /* only one */
    assert_int_equal(match(r, "GET", "/c"), T4__MATCH_FOUND);
    assert_ptr_equal(found, H2);
    assert_int_equal(match(r, "GET", "/c/"), T4__MATCH_FOUND);
    assert_int_equal(match(r, "GET", "/"), T4__MATCH_NONE);
    assert_int_equal(t4__router_add(r, "GET", "/c", H3), T4_EEXIST);
    t4__router_free(r);
}

static void test_params(void **state)
{
    t4__router *r = t4__router_new();
    assert_int_equal(t4__router_add(r, "GET", "/users/{id}/posts/{post_id}", H1), 0);
    assert_int_equal(match(r, "GET", "/users/alice/posts/hello world"), T4__MATCH_FOUND);
    assert_int_equal(nparams, 2);
    assert_param(0, "id", "alice");
    assert_param(1, "post_id", "hello world");
    assert_int_equal(match(r, "GET", "/users/alice/posts/x/"), T4__MATCH_FOUND);
    assert_param(1, "post_id", "x");
    assert_int_equal(match(r, "GET", "/users//posts/x"), T4__MATCH_NONE); /* empty segment */
    assert_int_equal(match(r, "GET", "/users/a/posts"), T4__MATCH_NONE);
    assert_int_equal(match(r, "GET", "/users/a/posts/"), T4__MATCH_NONE);
    assert_int_equal(match(r, "GET", "/users/a/b/posts/x"), T4__MATCH_NONE);
    t4__router_free(r);
}

static void test_int(void **state)
{
    t4__router *r = t4__router_new();
    assert_int_equal(t4__router_add(r, "GET", "/n/{id:int}", H1), 0);
    assert_int_equal(t4__router_add(r, "GET", "/n/{name}", H2), 0);
    const char *ints[] = {"/n/0", "/n/42", "/n/-7", "/n/+3", "/n/007", "/n/12345678901234567890"};
    for (size_t i = 0; i < sizeof ints / sizeof *ints; i++) {
        assert_int_equal(match(r, "GET", ints[i]), T4__MATCH_FOUND);
        if (found != H1)
            fail_msg("%s should match the int route", ints[i]);
        assert_param(0, "id", ints[i] + 3);
    }
    const char *not_ints[] = {"/n/4a", "/n/-", "/n/+", "/n/1.5", "/n/ 1", "/n/--1", "/n/1-", "/n/0x1"};
    for (size_t i = 0; i < sizeof not_ints / sizeof *not_ints; i++) {
        assert_int_equal(match(r, "GET", not_ints[i]), T4__MATCH_FOUND);
        if (found != H2)
            fail_msg("%s should fall through to {name}", not_ints[i]);
        assert_param(0, "name", not_ints[i] + 3);
    }
    t4__router_free(r);
}

static void test_path(void **state)
{
    t4__router *r = t4__router_new();
    assert_int_equal(t4__router_add(r, "GET", "/files/{rest:path}", H1), 0);
    assert_int_equal(t4__router_add(r, "GET", "/{all:path}", H2), 0);
    assert_int_equal(match(r, "GET", "/files/a/b/c.txt"), T4__MATCH_FOUND);
    assert_ptr_equal(found, H1);
    assert_param(0, "rest", "a/b/c.txt");
    assert_int_equal(match(r, "GET", "/files/x"), T4__MATCH_FOUND);
    assert_param(0, "rest", "x");
    assert_int_equal(match(r, "GET", "/files/dir/"), T4__MATCH_FOUND);
    assert_param(0, "rest", "dir"); /* the tolerated slash is not part of it */
    assert_int_equal(match(r, "GET", "/files/a//b"), T4__MATCH_FOUND);
    assert_param(0, "rest", "a//b");
    /* Must be non-empty: "/files" and "/files/" fall to the catch-all. */
    assert_int_equal(match(r, "GET", "/files/"), T4__MATCH_FOUND);
    assert_ptr_equal(found, H2);
    assert_param(0, "all", "files");
    assert_int_equal(match(r, "GET", "/files"), T4__MATCH_FOUND);
    assert_ptr_equal(found, H2);
    assert_int_equal(match(r, "GET", "/"), T4__MATCH_NONE);
    t4__router_free(r);
}

static void test_precedence(void **state)
{
    t4__router *r = t4__router_new();
    assert_int_equal(t4__router_add(r, "GET", "/u/{id}", H1), 0);
    assert_int_equal(t4__router_add(r, "GET", "/u/me", H2), 0); /* shadowed */
    assert_int_equal(match(r, "GET", "/u/me"), T4__MATCH_FOUND);
    assert_ptr_equal(found, H1);
    assert_param(0, "id", "me");
    t4__router_free(r);

    r = t4__router_new();
    assert_int_equal(t4__router_add(r, "GET", "/u/me", H2), 0);
    assert_int_equal(t4__router_add(r, "GET", "/u/{id}", H1), 0);
    assert_int_equal(match(r, "GET", "/u/me"), T4__MATCH_FOUND);
    assert_ptr_equal(found, H2);
    assert_int_equal(nparams, 0);
    assert_int_equal(match(r, "GET", "/u/you"), T4__MATCH_FOUND);
    assert_ptr_equal(found, H1);
    t4__router_free(r);
}

static void test_params_belong_to_winner(void **state)
{
    /* A POST route matching first must not leave its params behind. */
    t4__router *r = t4__router_new();
    assert_int_equal(t4__router_add(r, "POST", "/{a}/{b}", H1), 0);
    assert_int_equal(t4__router_add(r, "GET", "/x/{c}", H2), 0);
    assert_int_equal(match(r, "GET", "/x/y"), T4__MATCH_FOUND);
    assert_ptr_equal(found, H2);
    assert_int_equal(nparams, 1);
    assert_param(0, "c", "y");
    t4__router_free(r);
}

static void test_head_falls_back_to_get(void **state)
{
    t4__router *r = t4__router_new();
    assert_int_equal(t4__router_add(r, "GET", "/a", H1), 0);
    assert_int_equal(t4__router_add(r, "GET", "/b", H2), 0);
    assert_int_equal(t4__router_add(r, "HEAD", "/b", H3), 0);
    assert_int_equal(match(r, "HEAD", "/a"), T4__MATCH_FOUND);
    assert_ptr_equal(found, H1);
    assert_int_equal(match(r, "HEAD", "/b"), T4__MATCH_FOUND); /* explicit HEAD wins */
    assert_ptr_equal(found, H3);
    assert_int_equal(match(r, "GET", "/b"), T4__MATCH_FOUND);
    assert_ptr_equal(found, H2);
    t4__router_free(r);
}

static void test_method_not_allowed(void **state)
{
    t4__router *r = t4__router_new();
    assert_int_equal(t4__router_add(r, "POST", "/items", H1), 0);
    assert_int_equal(t4__router_add(r, "GET", "/items", H2), 0);
    assert_int_equal(t4__router_add(r, "DELETE", "/items/{id:int}", H3), 0);
    assert_int_equal(t4__router_add(r, "PUT", "/items/{id:int}", H4), 0);

    assert_int_equal(match(r, "PATCH", "/items"), T4__MATCH_METHOD);
    assert_string_equal(allow, "GET, HEAD, POST");
    assert_int_equal(match(r, "GET", "/items/5"), T4__MATCH_METHOD);
    assert_string_equal(allow, "DELETE, PUT");
    assert_int_equal(match(r, "HEAD", "/items/5/"), T4__MATCH_METHOD);
    assert_string_equal(allow, "DELETE, PUT");
    assert_int_equal(match(r, "GET", "/items/x"), T4__MATCH_NONE); /* not an int */
    assert_int_equal(match(r, "GET", "/nothing"), T4__MATCH_NONE);

    /* Truncation at a method boundary, and a NULL allow. */
    char small[10];
    void *h = NULL;
    assert_int_equal(t4__router_match(r, "PATCH", "/items", 6, &h, params, &nparams, small, sizeof small),
                     T4__MATCH_METHOD);
    assert_string_equal(small, "GET, HEAD");
    char tiny[3];
    assert_int_equal(t4__router_match(r, "PATCH", "/items", 6, &h, params, &nparams, tiny, sizeof tiny),
                     T4__MATCH_METHOD);
    assert_string_equal(tiny, "");
    assert_int_equal(t4__router_match(r, "PATCH", "/items", 6, &h, params, &nparams, NULL, 0),
                     T4__MATCH_METHOD);
    assert_int_equal(t4__router_match(r, "GET", "/items", 6, NULL, NULL, NULL, NULL, 0), T4__MATCH_FOUND);
    t4__router_free(r);
}

static void test_head_in_allow_only_with_get(void **state)
{
    t4__router *r = t4__router_new();
    assert_int_equal(t4__router_add(r, "HEAD", "/h", H1), 0);
    assert_int_equal(t4__router_add(r, "GET", "/h", H2), 0);
    assert_int_equal(match(r, "POST", "/h"), T4__MATCH_METHOD);
    assert_string_equal(allow, "GET, HEAD"); /* HEAD once */
    t4__router_free(r);
}

static void test_bad_patterns(void **state)
{
    t4__router *r = t4__router_new();
    const char *bad[] = {
        "",      "a",          "a/b",      "/{",          "/{x",        "/{}",    "/{:int}",
        "/{x:}", "/{x:float}", "/{x:INT}", "/{x:path}/y", "/a//b",      "//",     "/x{y}",
        "/{y}x", "/a}",        "/{a}/{a}", "/{a b}",      "/{a:int:x}", "/{a/b}", "/{{a}}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        if (t4__router_add(r, "GET", bad[i], H1) != T4_EINVAL)
            fail_msg("pattern \"%s\" accepted", bad[i]);
    char many[256] = "";
    for (int i = 0; i <= T4__MAX_PARAMS; i++)
        snprintf(many + strlen(many), sizeof many - strlen(many), "/{p%d}", i);
    assert_int_equal(t4__router_add(r, "GET", many, H1), T4_EINVAL);
    many[strlen(many) - 6] = '\0'; /* drop the 17th: exactly 16 */
    assert_int_equal(t4__router_add(r, "GET", many, H1), 0);

    assert_int_equal(t4__router_add(r, "", "/ok", H1), T4_EINVAL);
    assert_int_equal(t4__router_add(r, "G T", "/ok", H1), T4_EINVAL);
    assert_int_equal(t4__router_add(r, "GET", "/ok", NULL), T4_EINVAL);
    assert_int_equal(t4__router_add(r, "GET", NULL, H1), T4_EINVAL);
    assert_int_equal(t4__router_add(NULL, "GET", "/ok", H1), T4_EINVAL);
    assert_int_equal(t4__router_count(r), 1);
    t4__router_free(r);
}

static void test_duplicates(void **state)
{
    t4__router *r = t4__router_new();
    assert_int_equal(t4__router_add(r, "GET", "/a/{id:int}", H1), 0);
    assert_int_equal(t4__router_add(r, "GET", "/a/{id:int}", H2), T4_EEXIST);
    assert_int_equal(t4__router_add(r, "GET", "/a/{n:int}/", H2), T4_EEXIST); /* same shape */
    assert_int_equal(t4__router_add(r, "POST", "/a/{id:int}", H2), 0);
    assert_int_equal(t4__router_add(r, "GET", "/a/{id}", H2), 0);     /* different type */
    assert_int_equal(t4__router_add(r, "get", "/a/{id:int}", H2), 0); /* methods are case-sensitive */
    assert_int_equal(t4__router_count(r), 4);
    t4__router_free(r);
}

static void test_websocket_table(void **state)
{
    t4__router *r = t4__router_new();
    assert_int_equal(t4__router_add(r, NULL, "/ws/chat/{room}", H1), 0);
    assert_int_equal(t4__router_add(r, NULL, "/ws/chat/{name}", H2), T4_EEXIST);
    assert_int_equal(t4__router_add(r, NULL, "/ws/echo", H2), 0);
    assert_int_equal(match(r, NULL, "/ws/chat/lobby"), T4__MATCH_FOUND);
    assert_ptr_equal(found, H1);
    assert_param(0, "room", "lobby");
    assert_int_equal(match(r, NULL, "/ws/echo/"), T4__MATCH_FOUND);
    assert_ptr_equal(found, H2);
    assert_int_equal(match(r, "GET", "/ws/echo"), T4__MATCH_FOUND); /* route with no method: any */
    assert_int_equal(match(r, NULL, "/ws/other"), T4__MATCH_NONE);
    t4__router_free(r);
}

static void test_many_routes_and_free(void **state)
{
    /* Growth past the initial capacity; ASan checks that free frees all. */
    t4__router *r = t4__router_new();
    char pat[64];
    for (int i = 0; i < 200; i++) {
        snprintf(pat, sizeof pat, "/r%d/{x}/{y:int}/{z:path}", i);
        assert_int_equal(t4__router_add(r, "GET", pat, H1), 0);
    }
    assert_int_equal(t4__router_count(r), 200);
    assert_int_equal(match(r, "GET", "/r199/a/-1/b/c"), T4__MATCH_FOUND);
    assert_int_equal(nparams, 3);
    assert_param(0, "x", "a");
    assert_param(1, "y", "-1");
    assert_param(2, "z", "b/c");
    t4__router_free(r);
    t4__router_free(NULL);
    assert_int_equal(t4__router_count(NULL), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_literal_and_root),
        cmocka_unit_test(test_trailing_slash),
        cmocka_unit_test(test_params),
        cmocka_unit_test(test_int),
        cmocka_unit_test(test_path),
        cmocka_unit_test(test_precedence),
        cmocka_unit_test(test_params_belong_to_winner),
        cmocka_unit_test(test_head_falls_back_to_get),
        cmocka_unit_test(test_method_not_allowed),
        cmocka_unit_test(test_head_in_allow_only_with_get),
        cmocka_unit_test(test_bad_patterns),
        cmocka_unit_test(test_duplicates),
        cmocka_unit_test(test_websocket_table),
        cmocka_unit_test(test_many_routes_and_free),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
