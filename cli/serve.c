/* SPDX-License-Identifier: MIT */
/*
 * tina4 serve: compiles the project's src/routes/ C files into one shared module
 * with the system compiler, loads it (its T4_* constructors register the
 * routes into this process's libtina4), and runs the server.
 */
#include "cli.h"
#include <dlfcn.h>
#include <glob.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <tina4.h>
#include <unistd.h>

/* Compiles the src/routes/ C files into .tina4/routes.so; returns 0, or 1 on
 * a compile error. */
static int compile_routes(const char *out, glob_t *g)
{
    const char *inc = t4_cli_include_dir();
    if (!inc) {
        fprintf(stderr, "tina4 serve: cannot find tina4.h (set TINA4_INCLUDE_DIR)\n");
        return 1;
    }
    mkdir(".tina4", 0755);
    const char *cc = getenv("CC");
    if (!cc || !*cc)
        cc = "cc";
    char incflag[4200];
    snprintf(incflag, sizeof incflag, "-I%s", inc);
    size_t n = 0;
    char **argv = calloc(g->gl_pathc + 16, sizeof *argv);
    if (!argv)
        return 1;
    argv[n++] = (char *)cc;
    argv[n++] = "-std=c11";
    argv[n++] = "-D_GNU_SOURCE";
    argv[n++] = "-O2";
    argv[n++] = "-g";
    argv[n++] = "-Wall";
    argv[n++] = "-shared";
    argv[n++] = "-fPIC";
    argv[n++] = incflag;
    argv[n++] = "-Isrc";
    argv[n++] = "-o";
    argv[n++] = (char *)out;
    for (size_t i = 0; i < g->gl_pathc; i++)
        argv[n++] = g->gl_pathv[i];
    argv[n++] = "-ljansson";
    argv[n] = NULL;
    printf("  Compiling %zu route file(s) with %s\n", g->gl_pathc, cc);
    fflush(stdout);
    int rc = t4_cli_run(argv);
    free(argv);
    return rc == 0 ? 0 : 1;
}

static const char *const serve_options[] = {"--host", "--port", "--dev-cert", "--help", NULL};

int t4_cli_serve(int argc, char **argv)
{
    const char *host = NULL, *port = NULL;
    bool dev_cert = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--dev-cert") == 0) {
            dev_cert = true;
            continue;
        }
        const char **slot = strcmp(argv[i], "--host") == 0   ? &host
                            : strcmp(argv[i], "--port") == 0 ? &port
                                                             : NULL;
        if (!slot)
            return t4_cli_unknown("tina4 serve", argv[i][0] == '-' ? "option" : "argument", argv[i],
                                  serve_options);
        if (i + 1 >= argc) {
            fprintf(stderr, "tina4 serve: %s needs a value (see `tina4 serve --help`)\n", argv[i]);
            return T4_CLI_USAGE;
        }
        *slot = argv[++i];
    }
    /* Outside a project there is nothing to serve: say so rather than
     * serving no routes. */
    glob_t g;
    if (glob("src/routes/*.c", 0, NULL, &g) != 0) {
        char cwd[4096];
        fprintf(stderr,
                "tina4 serve: %s is not a tina4 project (no src/routes/*.c)\n"
                "hint: create one with `tina4 init NAME`, then `cd NAME && tina4 serve`\n",
                getcwd(cwd, sizeof cwd) ? cwd : ".");
        return T4_CLI_USAGE;
    }
    /* Command-line flags win over the environment and .env. */
    if (host)
        setenv("TINA4_HOST", host, 1);
    if (port)
        setenv("TINA4_PORT", port, 1);
    if (dev_cert && t4_cli_dev_cert() != 0) {
        globfree(&g);
        return T4_CLI_ERROR;
    }
    t4_config cfg;
    if (t4_config_from_env(&cfg) != 0) {
        globfree(&g);
        return T4_CLI_USAGE;
    }
    /* t4_config_from_env has applied the defaults, so port 0 here is
     * TINA4_PORT=0 (any free port); t4_run would read 0 as "the default
     * port", and takes -1 for "any". */
    if (cfg.port == 0)
        cfg.port = -1;
    const char *module = ".tina4/routes.so";
    int rc = compile_routes(module, &g);
    globfree(&g);
    if (rc != 0) {
        fprintf(stderr, "tina4 serve: compiling the routes failed\n");
        return T4_CLI_ERROR;
    }
    char abs[4200];
    snprintf(abs, sizeof abs, "%s/%s", getcwd((char[4096]){0}, 4096), module);
    /* The module resolves t4_* against this process (the command exports
     * them), so it carries no rpath and loads one copy of the library. */
    void *h = dlopen(abs, RTLD_NOW | RTLD_GLOBAL);
    if (!h) {
        fprintf(stderr, "tina4 serve: cannot load %s: %s\n", abs, dlerror());
        return T4_CLI_ERROR;
    }
    /* The module stays loaded for the life of the process. */
    return t4_run(&cfg) == 0 ? T4_CLI_OK : T4_CLI_ERROR;
}
