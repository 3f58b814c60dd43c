/* SPDX-License-Identifier: MIT */
/* Batch driver for the differential test: renders every case of a cases
 * file with FROND and prints {"name": {"out": "..."} | {"err": "..."}}.
 * usage: frond_driver CASES.json TEMPLATES_DIR */
#include "frond/frond.h"

#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s CASES.json TEMPLATES_DIR\n", argv[0]);
        return 2;
    }
    json_error_t je;
    json_t *cases = json_load_file(argv[1], 0, &je);
    if (!json_is_array(cases)) {
        fprintf(stderr, "%s:%d: %s\n", argv[1], je.line, je.text);
        return 2;
    }
    t4__frond *f = t4__frond_new(argv[2], false);
    json_t *results = json_object();
    size_t i;
    json_t *c;
    json_array_foreach(cases, i, c)
    {
        const char *name = json_string_value(json_object_get(c, "name"));
        const char *tpl = json_string_value(json_object_get(c, "template"));
        const char *file = json_string_value(json_object_get(c, "file"));
        json_t *ctx = json_object_get(c, "context");
        char *out = NULL, *err = NULL;
        int rc = file ? t4__frond_render(f, file, ctx, &out, &err)
                      : t4__frond_render_string(f, tpl, ctx, &out, &err);
        json_object_set_new(results, name,
                            rc ? json_pack("{s:s}", "err", err ? err : "error")
                               : json_pack("{s:s}", "out", out));
        free(out);
        free(err);
    }
    json_dumpf(results, stdout, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
    putchar('\n');
    json_decref(results);
    json_decref(cases);
    t4__frond_free(f);
    return 0;
}
