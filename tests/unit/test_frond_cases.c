/* SPDX-License-Identifier: MIT */
/* The FROND case table (../frond/cases.json): every case renders to its
 * expected output (which is real Twig's, see tests/frond/differential.sh),
 * or fails with an error containing its "error" pattern. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frond/frond.h"

static void test_cases(void **state)
{
    json_error_t je;
    json_t *cases = json_load_file("../frond/cases.json", 0, &je);
    if (!json_is_array(cases)) {
        fail_msg("../frond/cases.json:%d: %s", je.line, je.text);
    }
    assert_true(json_array_size(cases) >= 150);
    t4__frond *f = t4__frond_new("../frond/templates", false);
    size_t i, failed = 0;
    json_t *c;
    json_array_foreach(cases, i, c)
    {
        const char *name = json_string_value(json_object_get(c, "name"));
        const char *tpl = json_string_value(json_object_get(c, "template"));
        const char *file = json_string_value(json_object_get(c, "file"));
        const char *want = json_string_value(json_object_get(c, "expected"));
        const char *want_err = json_string_value(json_object_get(c, "error"));
        char *out = NULL, *err = NULL;
        int rc = file ? t4__frond_render(f, file, json_object_get(c, "context"), &out, &err)
                      : t4__frond_render_string(f, tpl, json_object_get(c, "context"), &out, &err);
        if (want_err) {
            if (rc == 0 || !err || !strstr(err, want_err)) {
                print_error("case %s: want error containing \"%s\", got %s\n", name, want_err,
                            rc ? err : "no error");
                failed++;
            }
        } else if (rc != 0) {
            print_error("case %s: %s\n", name, err ? err : "error");
            failed++;
        } else if (!want || strcmp(out, want) != 0) {
            print_error("case %s:\n  want: %s\n  got:  %s\n", name, want ? want : "(none)", out);
            failed++;
        }
        free(out);
        free(err);
    }
    t4__frond_free(f);
    json_decref(cases);
    assert_int_equal(failed, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cases),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
