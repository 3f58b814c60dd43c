/* SPDX-License-Identifier: MIT */
/* FROND renderer through the C API: values, escaping, inheritance, the
 * cache and debug reload, errors, and the `tina4 render` command. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "frond/frond.h"
#include "tina4.h"

#define TPL_DIR "../frond/templates"

static void check(t4__frond *f, const char *src, const char *ctx_json, const char *want)
{
    json_t *ctx = ctx_json ? json_loads(ctx_json, 0, NULL) : NULL;
    char *out = NULL, *err = NULL;
    int rc = t4__frond_render_string(f, src, ctx, &out, &err);
    if (rc) {
        fail_msg("%s: %s", src, err ? err : "?");
    }
    assert_string_equal(out, want);
    free(out);
    free(err);
    json_decref(ctx);
}

static void check_err(t4__frond *f, const char *src, const char *want)
{
    char *out = NULL, *err = NULL;
    int rc = t4__frond_render_string(f, src, NULL, &out, &err);
    assert_int_equal(rc, T4_EINVAL);
    assert_null(out);
    assert_non_null(err);
    assert_string_equal(err, want);
    free(err);
}

static void test_values(void **state)
{
    t4__frond *f = t4__frond_new(TPL_DIR, false);
    check(f, "{{ i }}|{{ r }}|{{ r2 }}|{{ b }}|{{ n }}|{{ 1 / 3 }}|{{ 10 ** 20 }}",
          "{\"i\": 3, \"r\": 2.5, \"r2\": 2.0, \"b\": true, \"n\": null}",
          "3|2.5|2|1||0.33333333333333|1.0E+20");
    check(f, "{% for v in ['', '0', 0, [], {}, ' ', 'a'] %}{{ v ? 1 : 0 }}{% endfor %}", NULL, "0000011");
    check(f, "{{ 1 == '1' }}|{{ 'abc' == 0 }}|{{ null == false }}|{{ '10' > '9' }}", NULL, "1||1|1");
    t4__frond_free(f);
}

static void test_escaping(void **state)
{
    t4__frond *f = t4__frond_new(TPL_DIR, false);
    check(f, "{{ h }}|{{ h|raw }}|{{ h|e('js') }}", "{\"h\": \"<a href='x'>&\\\"\"}",
          "&lt;a href=&#039;x&#039;&gt;&amp;&quot;|<a "
          "href='x'>&\"|\\u003Ca\\u0020href\\u003D\\u0027x\\u0027\\u003E\\u0026\\u0022");
    check(f, "{% autoescape false %}{{ h }}{% endautoescape %}", "{\"h\": \"<b>\"}", "<b>");
    check(f, "{% set x %}<b>{% endset %}{{ x }}{{ x|upper }}", NULL, "<b>&lt;B&gt;");
    t4__frond_free(f);
}

static void test_inheritance_and_include(void **state)
{
    t4__frond *f = t4__frond_new(TPL_DIR, false);
    json_t *ctx = json_pack("{s:s}", "name", "ann");
    char *out = NULL, *err = NULL;
    assert_int_equal(t4__frond_render(f, "grandchild.html", ctx, &out, &err), 0);
    assert_string_equal(out, "<title>Child - Base</title>\n<main>Hi ANN / Hello ann</main>\n(c) 2024 grand");
    free(out);
    /* cached: a second render gives the same */
    assert_int_equal(t4__frond_render(f, "grandchild.html", ctx, &out, &err), 0);
    assert_string_equal(out, "<title>Child - Base</title>\n<main>Hi ANN / Hello ann</main>\n(c) 2024 grand");
    free(out);
    json_decref(ctx);
    check(f, "{% include 'partial.html' with {item: 'x'} %}", NULL, "<li>x</li>\n");
    t4__frond_free(f);
}

static void test_errors(void **state)
{
    t4__frond *f = t4__frond_new(TPL_DIR, false);
    check_err(f, "a\n{{ x|foo }}", "string:2:6: unknown filter 'foo'");
    check_err(f, "{{ 1 // 0 }}", "string:1:6: division by zero");
    check_err(f, "{% include 'nope.html' %}", "string:1:12: unable to find template 'nope.html'");
    char *out = NULL, *err = NULL;
    assert_int_equal(t4__frond_render(f, "nope.html", NULL, &out, &err), T4_ENOTFOUND);
    assert_non_null(err);
    free(err);
    assert_int_equal(t4__frond_render(f, "../unit/test_frond_render.c", NULL, &out, &err), T4_ENOTFOUND);
    free(err);
    err = NULL;
    assert_int_equal(t4__frond_render(f, "syntax_error.html", NULL, &out, &err), T4_EINVAL);
    assert_string_equal(err, "syntax_error.html:2:14: unknown filter 'foo'");
    free(err);
    /* err may be NULL */
    assert_int_equal(t4__frond_render_string(f, "{{ x|foo }}", NULL, &out, NULL), T4_EINVAL);
    assert_int_equal(t4__frond_render_string(NULL, "x", NULL, &out, NULL), T4_EINVAL);
    t4__frond_free(f);
}

static void write_file(const char *path, const char *text, time_t mtime)
{
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs(text, fp);
    fclose(fp);
    struct timeval tv[2] = {{mtime, 0}, {mtime, 0}};
    assert_int_equal(utimes(path, tv), 0);
}

static void render_is(t4__frond *f, const char *name, const char *want)
{
    char *out = NULL, *err = NULL;
    int rc = t4__frond_render(f, name, NULL, &out, &err);
    if (rc) {
        fail_msg("%s", err ? err : "?");
    }
    assert_string_equal(out, want);
    free(out);
}

static void test_cache_and_debug_reload(void **state)
{
    char dir[] = "/tmp/frond_test_XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[256];
    snprintf(path, sizeof path, "%s/a.html", dir);
    write_file(path, "one", 1000000);
    t4__frond *plain = t4__frond_new(dir, false), *debug = t4__frond_new(dir, true);
    render_is(plain, "a.html", "one");
    render_is(debug, "a.html", "one");
    write_file(path, "two", 2000000);
    render_is(plain, "a.html", "one"); /* cached */
    render_is(debug, "a.html", "two"); /* re-read */
    t4__frond_clear(plain);
    render_is(plain, "a.html", "two");
    t4__frond_free(plain);
    t4__frond_free(debug);
    unlink(path);
    rmdir(dir);
}

static void test_env_dir(void **state)
{
    setenv("TINA4_TEMPLATES", TPL_DIR, 1);
    t4__frond *f = t4__frond_new(NULL, false);
    render_is(f, "with_ctx.html", "[-|-]\n");
    t4__frond_free(f);
    unsetenv("TINA4_TEMPLATES");
}

static void test_cli(void **state)
{
    FILE *fp = fopen("/tmp/frond_cli_data.json", "w");
    assert_non_null(fp);
    fputs("{\"name\": \"Cli\"}", fp);
    fclose(fp);
    fflush(stdout);
    char *argv[] = {"render",      "child.html", "--data", "/tmp/frond_cli_data.json",
                    "--templates", TPL_DIR,      NULL};
    assert_int_equal(t4__frond_cli(6, argv), 0);
    char *bad[] = {"render", "syntax_error.html", "--templates", TPL_DIR, NULL};
    assert_int_equal(t4__frond_cli(4, bad), 1);
    char *usage[] = {"render", NULL};
    assert_int_equal(t4__frond_cli(1, usage), 2);
    unlink("/tmp/frond_cli_data.json");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_values),
        cmocka_unit_test(test_escaping),
        cmocka_unit_test(test_inheritance_and_include),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_cache_and_debug_reload),
        cmocka_unit_test(test_env_dir),
        cmocka_unit_test(test_cli),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
