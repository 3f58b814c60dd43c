/* SPDX-License-Identifier: MIT */
/* The per-template limits TINA4_TEMPLATE_MAX_SIZE (bytes of a template file
 * or string, default 1 MiB) and TINA4_TEMPLATE_MAX_NODES (nodes of its
 * syntax tree, default 100000): past either, a render fails with a template
 * error "name:line:col: ..." naming the setting, never out of memory; for
 * the engine, `tina4 render` and t4_render / t4_render_string. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "frond/frond.h"
#include "frond/templates.h"
#include "tina4.h"

#define MIB (1u << 20)

static char *repeat(const char *head, const char *unit, size_t n, const char *tail)
{
    size_t hl = strlen(head), ul = strlen(unit), tl = strlen(tail);
    char *s = malloc(hl + ul * n + tl + 1), *p = s;
    assert_non_null(s);
    memcpy(p, head, hl), p += hl;
    for (size_t i = 0; i < n; i++) {
        memcpy(p, unit, ul), p += ul;
    }
    memcpy(p, tail, tl + 1);
    return s;
}

/* A text-only template of exactly n bytes. */
static char *text_of(size_t n)
{
    char *s = malloc(n + 1);
    assert_non_null(s);
    memset(s, 'x', n);
    s[n] = '\0';
    return s;
}

static void expect_ok(t4__frond *f, const char *name, const char *src)
{
    char *out = NULL, *err = NULL;
    int rc = name ? t4__frond_render(f, name, NULL, &out, &err)
                  : t4__frond_render_string(f, src, NULL, &out, &err);
    if (rc) {
        fail_msg("%s: %s", name ? name : "string", err ? err : "?");
    }
    free(out);
}

/* A template error (T4_EINVAL) whose message starts with want. */
static void expect_err(t4__frond *f, const char *name, const char *src, const char *want)
{
    char *out = NULL, *err = NULL;
    int rc = name ? t4__frond_render(f, name, NULL, &out, &err)
                  : t4__frond_render_string(f, src, NULL, &out, &err);
    if (rc == 0) {
        fail_msg("%s: rendered, expected \"%s\"", name ? name : "string", want);
    }
    assert_null(out);
    assert_non_null(err);
    if (rc != T4_EINVAL || strncmp(err, want, strlen(want)) != 0) {
        fail_msg("code %d, \"%s\", expected \"%s\"", rc, err, want);
    }
    free(err);
}

static char dir[64];

static void write_file(const char *name, const char *content)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    fputs(content, fp);
    fclose(fp);
}

static int make_dir(void **state)
{
    snprintf(dir, sizeof dir, "/tmp/t4frond-limits-XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int remove_dir(void **state)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* Default size limit, template strings: 1 MiB passes, one byte more fails. */
static void test_string_size(void **state)
{
    t4__frond *f = t4__frond_new(dir, false);
    char *s = text_of(MIB);
    expect_ok(f, NULL, s);
    free(s);
    s = text_of(MIB + 1);
    expect_err(f, NULL, s,
               "string:1:1: template too large: 1048577 bytes, limit 1048576 (TINA4_TEMPLATE_MAX_SIZE)");
    free(s);
    t4__frond_free(f);
}

/* Template files: refused before reading, and when included too. */
static void test_file_size(void **state)
{
    t4__frond *f = t4__frond_new(dir, false);
    char *s = text_of(7 * MIB);
    write_file("big.html", s);
    free(s);
    write_file("includes_big.html", "line 1\n{% include 'big.html' %}");
    s = text_of(MIB);
    write_file("fits.html", s);
    free(s);
    expect_err(f, "big.html", NULL, "big.html:1:1: template too large: 7340032 bytes, limit 1048576");
    expect_err(f, "includes_big.html", NULL, "big.html:1:1: template too large: 7340032 bytes");
    expect_ok(f, "fits.html", NULL);
    t4__frond_free(f);
}

/* With debug on, a cached template that grew past the limit is refused. */
static void test_file_grows(void **state)
{
    t4__frond *f = t4__frond_new(dir, true);
    write_file("grows.html", "small");
    expect_ok(f, "grows.html", NULL);
    char *s = text_of(2 * MIB);
    write_file("grows.html", s);
    free(s);
    expect_err(f, "grows.html", NULL, "grows.html:1:1: template too large: 2097152 bytes");
    t4__frond_free(f);
}

/* Default node limit: {{ 1 }} is two nodes (the print and the literal). */
static void test_nodes(void **state)
{
    t4__frond *f = t4__frond_new(dir, false);
    char *s = repeat("", "{{ 1 }}", 50000, "");
    expect_ok(f, NULL, s);
    free(s);
    s = repeat("", "{{ 1 }}", 50001, "");
    /* the node past the limit: the print at byte 350001 */
    expect_err(f, NULL, s, "string:1:350001: template has more than 100000 nodes (TINA4_TEMPLATE_MAX_NODES)");
    free(s);
    /* expression parts count: the print, the array and its 99998 items */
    s = repeat("{{ [", "1,", 99997, "1] }}");
    expect_ok(f, NULL, s);
    free(s);
    s = repeat("{{ [", "1,", 99998, "1] }}");
    expect_err(f, NULL, s, "string:1:");
    free(s);
    /* text and tags too, in files as well */
    s = repeat("", "x{% if a %}{% endif %}", 40000, "");
    write_file("many_nodes.html", s);
    free(s);
    expect_err(f, "many_nodes.html", NULL, "many_nodes.html:1:");
    t4__frond_free(f);
}

/* t4__frond_set_template_limits: lower, higher, 0 keeps; the cache is
 * dropped so a template cached under the old limits is checked again. */
static void test_set_limits(void **state)
{
    t4__frond *f = t4__frond_new(dir, false);
    write_file("ten_nodes.html", "{{ 1 }}{{ 2 }}{{ 3 }}{{ 4 }}{{ 5 }}");
    expect_ok(f, "ten_nodes.html", NULL);
    t4__frond_set_template_limits(f, 100, 10);
    expect_ok(f, "ten_nodes.html", NULL);
    t4__frond_set_template_limits(f, 0, 9);
    expect_err(f, "ten_nodes.html", NULL, "ten_nodes.html:1:");
    char *s = text_of(100);
    expect_ok(f, NULL, s);
    free(s);
    s = text_of(101);
    expect_err(f, NULL, s, "string:1:1: template too large: 101 bytes, limit 100 (TINA4_TEMPLATE_MAX_SIZE)");
    free(s);
    t4__frond_set_template_limits(f, 2 * MIB, 200000);
    s = text_of(MIB + 1);
    expect_ok(f, NULL, s);
    free(s);
    s = repeat("", "{{ 1 }}", 50001, "");
    expect_ok(f, NULL, s);
    free(s);
    t4__frond_free(f);
}

/* `tina4 render` reads the limits from the environment. */
static int cli(const char *src)
{
    char *argv[] = {"render", "--string", (char *)src, NULL};
    return t4__frond_cli(3, argv);
}

static void test_cli_env(void **state)
{
    char *fits = repeat("{#", "x", 60, "#}"), *over = repeat("{#", "x", 61, "#}"); /* 64 and 65 bytes */
    setenv("TINA4_TEMPLATE_MAX_SIZE", "64", 1);
    assert_int_equal(cli(fits), 0);
    assert_int_equal(cli(over), 1);
    setenv("TINA4_TEMPLATE_MAX_SIZE", "1K", 1);
    assert_int_equal(cli(over), 0);
    setenv("TINA4_TEMPLATE_MAX_NODES", "3", 1);
    assert_int_equal(cli("{{ 1 }}x"), 0);
    assert_int_equal(cli("{{ 1 }}{{ 2 }}"), 1);
    setenv("TINA4_TEMPLATE_MAX_NODES", "many", 1); /* a bad value is an error, like for the server */
    assert_int_equal(cli("x"), 1);
    unsetenv("TINA4_TEMPLATE_MAX_NODES");
    setenv("TINA4_TEMPLATE_MAX_SIZE", "-5", 1);
    assert_int_equal(cli("x"), 1);
    unsetenv("TINA4_TEMPLATE_MAX_SIZE");
    free(fits);
    free(over);
}

/* t4_render_string / t4_render: the environment's limits outside a server,
 * the server's settings (t4__templates_configure) inside one. */
static void test_render_api(void **state)
{
    char *fits = repeat("{#", "x", 60, "#}"), *over = repeat("{#", "x", 61, "#}");
    t4__templates_shutdown();
    setenv("TINA4_TEMPLATE_MAX_SIZE", "64", 1);
    char *out = t4_render_string(fits, NULL);
    assert_non_null(out);
    free(out);
    assert_null(t4_render_string(over, NULL));
    t4__templates_shutdown(); /* the engine reads the environment when created */
    unsetenv("TINA4_TEMPLATE_MAX_SIZE");
    assert_non_null(out = t4_render_string(over, NULL));
    free(out);

    /* the server's settings; a 0 falls back to the environment */
    setenv("TINA4_TEMPLATE_MAX_NODES", "3", 1);
    t4__templates_configure(dir, false, 64, 0);
    assert_null(t4_render_string(over, NULL));
    assert_null(t4_render_string("{{ 1 }}{{ 2 }}", NULL));
    assert_non_null(out = t4_render_string("{{ 1 }}", NULL));
    free(out);
    write_file("api_small.html", "{{ 7 }}");
    write_file("api_big.html", over);
    assert_non_null(out = t4_render("api_small.html", NULL));
    assert_string_equal(out, "7");
    free(out);
    assert_null(t4_render("api_big.html", NULL));
    t4__templates_configure(dir, false, 1024, 100);
    assert_non_null(out = t4_render("api_big.html", NULL));
    free(out);
    unsetenv("TINA4_TEMPLATE_MAX_NODES");
    t4__templates_shutdown();
    free(fits);
    free(over);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_string_size), cmocka_unit_test(test_file_size),
        cmocka_unit_test(test_file_grows),  cmocka_unit_test(test_nodes),
        cmocka_unit_test(test_set_limits),  cmocka_unit_test(test_cli_env),
        cmocka_unit_test(test_render_api),
    };
    return cmocka_run_group_tests(tests, make_dir, remove_dir);
}
