/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for FROND, the template engine (src/frond/ without
 * templates.c, which is the glue to the server).
 *
 *   tests/fuzz/run.sh 60 frond
 *
 * Mode 1 (any input not starting with 0x01): the input is template source,
 * rendered with a fixed, rich context; it may include, extend or import the
 * templates of tests/fuzz/frond_templates/.
 * Mode 2 (0x01, i, rest): template file number i of that directory is
 * rendered with the fixed context plus "input" (rest as a string) and, when
 * rest is JSON, "data" (rest parsed), so fuzzed values flow through files.
 *
 * Invariants: no crash, leak or sanitizer report; a render either succeeds
 * with NUL-terminated output and no error, or fails with a known code and an
 * error "name:line:col: message"; work stays bounded (see the limits in
 * src/frond/internal.h), which libFuzzer's -timeout and -rss_limit_mb check.
 *
 * FUZZ_SOURCES: src/frond/buf.c src/frond/cli.c src/frond/date.c src/frond/escape.c src/frond/eval.c
 * FUZZ_SOURCES: src/frond/expr.c src/frond/filters.c src/frond/filters_arr.c src/frond/filters_num.c
 * FUZZ_SOURCES: src/frond/filters_str.c src/frond/functions.c src/frond/lexer.c src/frond/loader.c
 * FUZZ_SOURCES: src/frond/parser.c src/frond/render.c src/frond/tests.c src/frond/utf8.c
 * FUZZ_SOURCES: src/frond/value.c src/frond/env.c
 * FUZZ_LIBS: -ljansson -lm
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frond/frond.h"
#include "tina4.h"

#include "check.h"

static const char ctx_json[] =
    "{\"name\": \"Ann\", \"html\": \"<b>\\\"x\\\" & 'y'</b><script>alert(1)</script>\","
    " \"user\": {\"name\": \"Bob <bob@example.com>\", \"tags\": [\"a\", \"<b>\", \"\"], \"age\": 42,"
    "  \"address\": {\"city\": \"K\\u00f6ln\", \"zip\": \"50667\"}},"
    " \"items\": [3, 1, 2, 1.5, -7, \"10\", null, true],"
    " \"rows\": [{\"id\": 1, \"title\": \"One\"},"
    "  {\"id\": 2, \"title\": \"<i>Two</i>\", \"kids\": [[1, 2], [3]]}],"
    " \"map\": {\"b\": 2, \"a\": 1, \"10\": \"ten\", \"\": \"empty key\"},"
    " \"empty\": \"\", \"zero\": 0, \"n\": 5, \"neg\": -3, \"f\": 2.5, \"big\": 9223372036854775807,"
    " \"tiny\": -9223372036854775807, \"exp\": 1e300, \"t\": true, \"fl\": false, \"nul\": null,"
    " \"s\": \"Hello, World! \\u00e9\\u00e8 \\u4e2d\\u6587 \\ud83d\\ude00\","
    " \"date\": \"2024-02-29 13:37:00\","
    " \"ts\": 1700000000, \"list\": [], \"obj\": {}, \"nested\": [[[[[[1]]]]]], \"year\": 2025}";

/* The files of frond_templates/, in the order mode 2 picks them. */
static const char *const files[] = {"base.html",   "child.html", "partial.html",
                                    "macros.html", "page.html",  "self_include.html"};

static t4__frond *engine;
static json_t *ctx;

static void setup(void)
{
    /* The template directory next to this file (__FILE__ is absolute when
     * built by run.sh); FROND_FUZZ_TEMPLATES overrides it. */
    static char dir[4096];
    const char *env = getenv("FROND_FUZZ_TEMPLATES");
    if (env) {
        snprintf(dir, sizeof dir, "%s", env);
    } else {
        const char *slash = strrchr(__FILE__, '/');
        int n = slash ? (int)(slash - __FILE__) : 1;
        snprintf(dir, sizeof dir, "%.*s/frond_templates", n, slash ? __FILE__ : ".");
    }
    engine = t4__frond_new(dir, false);
    /* The default limits (1000000 steps, 256 MiB of strings) take seconds
     * under the sanitizers; lower ones keep every input well inside
     * -timeout while still reaching them. */
    t4__frond_set_limits(engine, 20000, 8u << 20);
    /* A node limit an input of a few KB can reach (the default is 100000). */
    t4__frond_set_template_limits(engine, 0, 2000);
    json_error_t jerr;
    ctx = json_loads(ctx_json, 0, &jerr);
    CHECK(engine && ctx);
}

static void check_result(int rc, char *out, char *err)
{
    if (rc == 0) {
        CHECK(out != NULL);
        CHECK(err == NULL);
        (void)strlen(out);
    } else {
        CHECK(rc == T4_EINVAL || rc == T4_ENOTFOUND || rc == T4_ENOMEM);
        CHECK(out == NULL);
        CHECK(err != NULL);
        /* "name:line:col: message" */
        const char *c1 = strchr(err, ':');
        CHECK(c1 != NULL);
        char *end;
        long line = strtol(c1 + 1, &end, 10);
        CHECK(end != c1 + 1 && *end == ':' && line >= 1);
        long col = strtol(end + 1, &end, 10);
        CHECK(*end == ':' && col >= 1);
    }
    free(out);
    free(err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!engine)
        setup();
    char *out = NULL, *err = NULL;
    int rc;
    if (size >= 2 && data[0] == 0x01) {
        const char *file = files[data[1] % (sizeof files / sizeof *files)];
        json_t *c = json_deep_copy(ctx);
        CHECK(c != NULL);
        json_object_set_new(c, "input", json_stringn_nocheck((const char *)data + 2, size - 2));
        json_t *d = json_loadb((const char *)data + 2, size - 2, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
        if (d)
            json_object_set_new(c, "data", d);
        rc = t4__frond_render(engine, file, c, &out, &err);
        json_decref(c);
    } else {
        char *src = malloc(size + 1);
        CHECK(src != NULL);
        memcpy(src, data, size);
        src[size] = '\0';
        rc = t4__frond_render_string(engine, src, ctx, &out, &err);
        free(src);
    }
    check_result(rc, out, err);
    return 0;
}
