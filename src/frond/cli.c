/* SPDX-License-Identifier: MIT */
/* `tina4 render TEMPLATE [--data FILE.json] [--templates DIR]`. The template
 * limits come from TINA4_TEMPLATE_MAX_SIZE / TINA4_TEMPLATE_MAX_NODES. */
#include "frond/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int usage(void)
{
    fprintf(stderr, "usage: tina4 render TEMPLATE [--data FILE.json] [--templates DIR] [--string]\n");
    return 2;
}

int t4__frond_cli(int argc, char **argv)
{
    const char *tpl = NULL, *data = NULL, *dir = NULL;
    bool is_string = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--data") == 0 && i + 1 < argc) {
            data = argv[++i];
        } else if (strcmp(argv[i], "--templates") == 0 && i + 1 < argc) {
            dir = argv[++i];
        } else if (strcmp(argv[i], "--string") == 0) {
            is_string = true;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            return usage();
        } else if (!tpl) {
            tpl = argv[i];
        } else {
            return usage();
        }
    }
    if (!tpl) {
        return usage();
    }
    json_t *ctx = NULL;
    if (data) {
        json_error_t je;
        ctx = strcmp(data, "-") == 0 ? json_loadf(stdin, 0, &je) : json_load_file(data, 0, &je);
        if (!ctx) {
            fprintf(stderr, "%s:%d:%d: %s\n", data, je.line, je.column, je.text);
            return 1;
        }
        if (json_is_array(ctx) && json_array_size(ctx) == 0) {
            json_decref(ctx);
            ctx = json_object();
        }
        if (!json_is_object(ctx)) {
            fprintf(stderr, "%s: the data must be a JSON object\n", data);
            json_decref(ctx);
            return 1;
        }
    }
    t4__frond *f = NULL;
    const char *name = tpl;
    char *owned_dir = NULL;
    if (!dir && !is_string && !getenv("TINA4_TEMPLATES")) {
        /* a path to a file: use its folder as the template directory */
        FILE *fp = fopen(tpl, "rb");
        if (fp) {
            fclose(fp);
            const char *slash = strrchr(tpl, '/');
            if (slash) {
                owned_dir = t4__fstrndup(tpl, (size_t)(slash - tpl));
                name = slash + 1;
            } else {
                owned_dir = strdup(".");
            }
            dir = owned_dir;
        }
    }
    /* The server's template limits, from the same environment variables. */
    size_t max_size = 0, max_nodes = 0;
    char *env_err = NULL;
    if (t4__frond_env_limits(&max_size, &max_nodes, &env_err)) {
        fprintf(stderr, "%s\n", env_err ? env_err : "out of memory");
        free(env_err);
        free(owned_dir);
        json_decref(ctx);
        return 1;
    }
    f = t4__frond_new(dir, false);
    if (!f) {
        free(owned_dir);
        json_decref(ctx);
        fprintf(stderr, "out of memory\n");
        return 1;
    }
    t4__frond_set_template_limits(f, max_size, max_nodes);
    char *out = NULL, *err = NULL;
    int rc = is_string ? t4__frond_render_string(f, tpl, ctx, &out, &err)
                       : t4__frond_render(f, name, ctx, &out, &err);
    if (rc) {
        fprintf(stderr, "%s\n", err ? err : "error");
    } else {
        fputs(out, stdout);
        fflush(stdout);
    }
    free(out);
    free(err);
    t4__frond_free(f);
    free(owned_dir);
    json_decref(ctx);
    return rc ? 1 : 0;
}
