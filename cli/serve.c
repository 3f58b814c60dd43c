/* SPDX-License-Identifier: MIT */
/*
 * tina4 serve: builds the project's src/routes/ C files (all folders) into a
 * shared module with the system compiler (routes_build.c) and serves it.
 *
 * The process is always a supervisor, even with TINA4_WORKERS=1: the module
 * is loaded by each worker after the fork, never here, so a reload (SIGHUP,
 * `tina4 reload`, or a change seen by --watch) builds again and starts new
 * workers on the new module while the old ones finish (runtime/reload.h).
 * A failed build leaves the running workers alone.
 */
#include "cli.h"
#include "runtime/reload.h"
#include "runtime/symbols.h"
#include "server/config.h"
#include <dlfcn.h>
#include <ftw.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <tina4.h>
#include <unistd.h>

#define WATCH_MS 250 /* how often --watch looks at src/routes/ */

typedef struct {
    char module[PATH_MAX]; /* the last good build: what new workers load */
    bool watch;
    uint64_t built_sig;   /* the tree as last built */
    uint64_t pending_sig; /* a change seen once, reloaded when seen twice (the save is over) */
    uint64_t scanned_at;
} serve_ctx;

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* A hash of every file under src/routes/: name, size and mtime. */
static uint64_t tree_hash;

static int hash_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)ftw;
    if (type != FTW_F)
        return 0;
    int64_t v[2] = {(int64_t)st->st_size, (int64_t)st->st_mtim.tv_sec * 1000000000LL + st->st_mtim.tv_nsec};
    for (const char *p = path; *p; p++)
        tree_hash = (tree_hash ^ (unsigned char)*p) * 1099511628211ULL;
    for (size_t i = 0; i < sizeof v; i++)
        tree_hash = (tree_hash ^ ((const unsigned char *)v)[i]) * 1099511628211ULL;
    return 0;
}

static uint64_t tree_signature(void)
{
    tree_hash = 1469598103934665603ULL;
    nftw("src/routes", hash_one, 16, FTW_PHYS);
    return tree_hash;
}

static int on_build(void *p)
{
    serve_ctx *ctx = p;
    char module[PATH_MAX];
    uint64_t sig = tree_signature();
    if (t4_cli_routes_build(module, sizeof module) != 0)
        return 1; /* the compiler said why; the caller says what happens next */
    snprintf(ctx->module, sizeof ctx->module, "%s", module);
    ctx->built_sig = ctx->pending_sig = sig;
    return 0;
}

static int on_worker(void *p)
{
    serve_ctx *ctx = p;
    /* The module resolves t4_* against this process (the command exports
     * them), so it carries no rpath and loads one copy of the library. */
    if (!dlopen(ctx->module, RTLD_NOW | RTLD_GLOBAL)) {
        fprintf(stderr, "tina4 serve: cannot load %s: %s\n", ctx->module, dlerror());
        return 1;
    }
    t4__symbols_add(ctx->module); /* crash reports name the routes' functions */
    return 0;
}

static bool on_poll(void *p)
{
    serve_ctx *ctx = p;
    uint64_t now = now_ms();
    if (!ctx->watch || now - ctx->scanned_at < WATCH_MS)
        return false;
    ctx->scanned_at = now;
    uint64_t sig = tree_signature();
    if (sig == ctx->built_sig || sig != ctx->pending_sig) {
        ctx->pending_sig = sig; /* unchanged, or still changing: look again next time */
        return false;
    }
    ctx->built_sig = sig; /* a failed build waits for the next change */
    return true;
}

/* .tina4/run/PID marks this serve for `tina4 reload`. */
static void pid_file(char *path, size_t cap)
{
    mkdir(".tina4", 0755);
    mkdir(".tina4/run", 0755);
    snprintf(path, cap, ".tina4/run/%d", (int)getpid());
    FILE *f = fopen(path, "w");
    if (f) {
        fprintf(f, "%d\n", (int)getpid());
        fclose(f);
    }
}

static const char *const serve_options[] = {"--host", "--port", "--watch", "--dev-cert", "--help", NULL};

int t4_cli_serve(int argc, char **argv)
{
    const char *host = NULL, *port = NULL;
    bool dev_cert = false;
    static serve_ctx ctx; /* static: the workers' copies stay reachable */
    memset(&ctx, 0, sizeof ctx);
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--dev-cert") == 0) {
            dev_cert = true;
            continue;
        }
        if (strcmp(argv[i], "--watch") == 0) {
            ctx.watch = true;
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
    char **src;
    size_t nsrc;
    if (t4_cli_route_sources(&src, &nsrc) != 0) {
        char cwd[4096];
        fprintf(stderr,
                "tina4 serve: %s is not a tina4 project (no .c file under src/routes/)\n"
                "hint: create one with `tina4 init NAME`, then `cd NAME && tina4 serve`\n",
                getcwd(cwd, sizeof cwd) ? cwd : ".");
        return T4_CLI_USAGE;
    }
    /* Command-line flags win over the environment and .env. */
    if (host)
        setenv("TINA4_HOST", host, 1);
    if (port)
        setenv("TINA4_PORT", port, 1);
    if (dev_cert && t4_cli_dev_cert() != 0)
        return T4_CLI_ERROR;
    t4__dotenv_load(".env"); /* CFLAGS, LDLIBS, LDFLAGS may come from there too */
    if (ctx.watch) {
        /* Save and see: templates re-read when they change, static files
         * not cached by the browser (unless the settings say otherwise). */
        setenv("TINA4_DEBUG", "true", 0);
        setenv("TINA4_STATIC_CACHE_CONTROL", "no-cache", 0);
    }
    t4_config cfg;
    if (t4_config_from_env(&cfg) != 0)
        return T4_CLI_USAGE;
    /* t4_config_from_env has applied the defaults, so port 0 here is
     * TINA4_PORT=0 (any free port); t4_run would read 0 as "the default
     * port", and takes -1 for "any". */
    if (cfg.port == 0)
        cfg.port = -1;
    if (on_build(&ctx) != 0) {
        fprintf(stderr, "tina4 serve: compiling the routes failed\n");
        return T4_CLI_ERROR;
    }
    t4__reload_set_hooks(
        &(t4__reload_hooks){.build = on_build, .worker_init = on_worker, .poll = on_poll, .ctx = &ctx});
    char pidpath[64];
    pid_file(pidpath, sizeof pidpath);
    if (ctx.watch)
        printf("  Watching src/routes/ (a change rebuilds and reloads)\n");
    int rc = t4_run(&cfg);
    unlink(pidpath);
    return rc == 0 ? T4_CLI_OK : T4_CLI_ERROR;
}
