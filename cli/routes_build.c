/* SPDX-License-Identifier: MIT */
/*
 * The route module of `tina4 serve`, built incrementally (see cli.h).
 *
 * Each .c file under src/routes/ (all folders) has its object and the
 * compiler's dependency list (-MMD) under .tina4/obj/ at the same relative
 * path. A file is compiled again when its object is missing or older than
 * the file or any header it included, or when the compile command changed
 * (.tina4/obj/flags). The objects are linked into .tina4/routes-KEY.so,
 * KEY a hash of the objects (path, size, mtime) and the link command: an
 * unchanged tree finds its module already there and calls no compiler. A
 * module is named after what is in it, never rewritten in place, so a worker
 * that loads it (now, or after a crash) never sees a half-written file.
 *
 * Two `tina4 serve` in one project take .tina4/build.lock in turn: the
 * second finds the first's objects and module up to date.
 */
#include "cli.h"
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <glob.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define KEEP_MODULES 8 /* older modules are deleted (a running worker keeps its mapping) */

/* A growable argv. */
typedef struct {
    char **v;
    size_t n, cap;
} args;

static int add(args *a, const char *s)
{
    if (a->n + 2 > a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 32;
        char **v = realloc(a->v, cap * sizeof *v);
        if (!v)
            return -1;
        a->v = v;
        a->cap = cap;
    }
    if (!(a->v[a->n] = strdup(s)))
        return -1;
    a->v[++a->n] = NULL;
    return 0;
}

/* Adds the whitespace-separated words of the variable name (CFLAGS...). */
static int add_words(args *a, const char *name)
{
    const char *v = getenv(name);
    if (!v)
        return 0;
    char word[4096];
    while (*v) {
        while (*v == ' ' || *v == '\t' || *v == '\n')
            v++;
        size_t n = 0;
        while (*v && *v != ' ' && *v != '\t' && *v != '\n' && n < sizeof word - 1)
            word[n++] = *v++;
        word[n] = '\0';
        if (n && add(a, word) != 0)
            return -1;
    }
    return 0;
}

static void args_free(args *a)
{
    for (size_t i = 0; i < a->n; i++)
        free(a->v[i]);
    free(a->v);
    *a = (args){0};
}

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 1099511628211ULL;
    return h;
}

static uint64_t fnv_str(uint64_t h, const char *s)
{
    return fnv(h, s, strlen(s) + 1);
}

static int64_t mtime_ns(const struct stat *st)
{
    return (int64_t)st->st_mtim.tv_sec * 1000000000LL + st->st_mtim.tv_nsec;
}

/* ---------------------------------------------------------------- */
/* The source files                                                  */
/* ---------------------------------------------------------------- */

static args sources; /* filled by nftw's callback */

static int collect(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)st, (void)ftw;
    size_t n = strlen(path);
    if (type != FTW_F || n < 3 || strcmp(path + n - 2, ".c") != 0)
        return 0;
    return add(&sources, path) == 0 ? 0 : -1;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int t4_cli_route_sources(char ***out, size_t *n)
{
    args_free(&sources);
    struct stat st;
    if (stat("src/routes", &st) != 0 || !S_ISDIR(st.st_mode) ||
        nftw("src/routes", collect, 16, FTW_PHYS) != 0) {
        args_free(&sources);
        return -1;
    }
    if (sources.n)
        qsort(sources.v, sources.n, sizeof *sources.v, by_name);
    *out = sources.v;
    *n = sources.n;
    return sources.n ? 0 : -1;
}

/* ---------------------------------------------------------------- */
/* Objects                                                            */
/* ---------------------------------------------------------------- */

/* mkdir -p of path's folder. */
static void make_parents(const char *path)
{
    char p[PATH_MAX];
    snprintf(p, sizeof p, "%s", path);
    for (char *s = strchr(p + 1, '/'); s; s = strchr(s + 1, '/')) {
        *s = '\0';
        mkdir(p, 0755);
        *s = '/';
    }
}

/* Whether obj is at least as new as every file in its dependency list
 * (the source included): false if either is missing or unreadable. */
static bool up_to_date(const char *obj, const char *dep)
{
    struct stat so, sd;
    if (stat(obj, &so) != 0)
        return false;
    FILE *f = fopen(dep, "r");
    if (!f)
        return false;
    bool ok = true, past_colon = false;
    char word[PATH_MAX];
    size_t n = 0;
    for (int c = fgetc(f);; c = fgetc(f)) {
        bool end = c == EOF || c == ' ' || c == '\t' || c == '\n' || c == '\r';
        if (!end && c == '\\') { /* a line continuation (paths with spaces are not supported) */
            int d = fgetc(f);
            if (d == '\n')
                continue;
            c = d;
        }
        if (!end && n < sizeof word - 1) {
            word[n++] = (char)c;
            continue;
        }
        word[n] = '\0';
        if (n && past_colon && (stat(word, &sd) != 0 || mtime_ns(&sd) > mtime_ns(&so)))
            ok = false;
        if (n && word[n - 1] == ':')
            past_colon = true;
        n = 0;
        if (c == EOF || !ok)
            break;
    }
    fclose(f);
    return ok && past_colon;
}

/* The compile command's words (without the file names) and their text, to
 * notice a change of compiler or flags. */
static int compile_flags(args *a, const char *inc)
{
    const char *cc = getenv("CC");
    char incflag[PATH_MAX + 4];
    snprintf(incflag, sizeof incflag, "-I%s", inc);
    int r = add(a, cc && *cc ? cc : "cc");
    const char *const fixed[] = {"-std=c11", "-D_GNU_SOURCE", "-O2",   "-g", "-Wall",
                                 "-fPIC",    incflag,         "-Isrc", NULL};
    for (size_t i = 0; fixed[i]; i++)
        r |= add(a, fixed[i]);
    r |= add_words(a, "CFLAGS");
    return r;
}

/* Whether .tina4/obj/flags holds text (and writes it if not). */
static bool same_flags(const args *a)
{
    char now[16384] = "", was[16384] = "";
    size_t off = 0;
    for (size_t i = 0; i < a->n && off < sizeof now; i++)
        off += (size_t)snprintf(now + off, sizeof now - off, "%s\n", a->v[i]);
    FILE *f = fopen(".tina4/obj/flags", "r");
    if (f) {
        size_t n = fread(was, 1, sizeof was - 1, f);
        was[n] = '\0';
        fclose(f);
    }
    if (strcmp(now, was) == 0)
        return true;
    f = fopen(".tina4/obj/flags", "w");
    if (f) {
        fputs(now, f);
        fclose(f);
    }
    return false;
}

/* Compiles what changed. Returns 0, or 1 if a file did not compile (each
 * compiler's output is on stderr). *compiled: how many were compiled. */
static int compile_changed(char **src, size_t n, const char *inc, args *objs, int *compiled)
{
    args cmd = {0};
    if (compile_flags(&cmd, inc) != 0) {
        args_free(&cmd);
        return 1;
    }
    bool all = !same_flags(&cmd);
    size_t base = cmd.n;
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        char obj[PATH_MAX], dep[PATH_MAX];
        size_t len = strlen(src[i]);
        snprintf(obj, sizeof obj, ".tina4/obj/%.*s.o", (int)(len - 2), src[i]);
        snprintf(dep, sizeof dep, ".tina4/obj/%.*s.d", (int)(len - 2), src[i]);
        if (add(objs, obj) != 0) {
            rc = 1;
            break;
        }
        if (!all && up_to_date(obj, dep))
            continue;
        make_parents(obj);
        const char *const tail[] = {"-MMD", "-MF", dep, "-MT", obj, "-c", src[i], "-o", obj, NULL};
        for (size_t k = 0; tail[k]; k++)
            add(&cmd, tail[k]);
        printf("  Compiling %s\n", src[i]);
        fflush(stdout);
        (*compiled)++;
        if (t4_cli_run(cmd.v) != 0) {
            unlink(obj); /* never link a stale object in its place */
            rc = 1;
        }
        while (cmd.n > base) { /* back to the common words */
            free(cmd.v[--cmd.n]);
            cmd.v[cmd.n] = NULL;
        }
    }
    if (rc != 0)
        unlink(".tina4/obj/flags"); /* the next build compiles again what did not build */
    args_free(&cmd);
    return rc;
}

/* ---------------------------------------------------------------- */
/* The module                                                         */
/* ---------------------------------------------------------------- */

static int link_words(args *a)
{
    const char *cc = getenv("CC");
    int r = add(a, cc && *cc ? cc : "cc");
    r |= add(a, "-shared");
    r |= add_words(a, "LDFLAGS");
    return r;
}

/* Loads the module in a throw-away process: a symbol nothing defines (a
 * library missing from LDLIBS) or a crashing constructor fails here, not in
 * every new worker. */
static int probe(const char *module)
{
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0)
        return 0; /* cannot tell: let the workers try */
    if (pid == 0) {
        if (!dlopen(module, RTLD_NOW | RTLD_GLOBAL)) {
            fprintf(stderr, "tina4 serve: the routes do not load: %s\n", dlerror());
            _exit(1);
        }
        _exit(0);
    }
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return 0;
    if (WIFSIGNALED(status))
        fprintf(stderr, "tina4 serve: loading the routes crashed (signal %d in a constructor?)\n",
                WTERMSIG(status));
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}

static int by_age(const void *a, const void *b)
{
    struct stat sa, sb;
    int64_t x = stat(*(char *const *)a, &sa) == 0 ? mtime_ns(&sa) : 0;
    int64_t y = stat(*(char *const *)b, &sb) == 0 ? mtime_ns(&sb) : 0;
    return x < y ? 1 : x > y ? -1 : 0; /* newest first */
}

static void prune(const char *keep)
{
    glob_t g;
    if (glob(".tina4/routes-*.so", 0, NULL, &g) != 0)
        return;
    qsort(g.gl_pathv, g.gl_pathc, sizeof *g.gl_pathv, by_age);
    for (size_t i = KEEP_MODULES; i < g.gl_pathc; i++)
        if (!strstr(keep, g.gl_pathv[i]))
            unlink(g.gl_pathv[i]);
    globfree(&g);
}

/* Links objs into a module named after them; reuses one already there. */
static int link_module(const args *objs, char *module, size_t cap)
{
    args cmd = {0};
    uint64_t key = 1469598103934665603ULL;
    int r = link_words(&cmd);
    for (size_t i = 0; i < objs->n; i++) {
        struct stat st;
        if (stat(objs->v[i], &st) != 0) {
            args_free(&cmd);
            return 1;
        }
        key = fnv_str(key, objs->v[i]);
        int64_t t = mtime_ns(&st);
        key = fnv(key, &t, sizeof t);
        key = fnv(key, &st.st_size, sizeof st.st_size);
    }
    r |= add(&cmd, "-o");
    size_t out_at = cmd.n;
    r |= add(&cmd, "");
    for (size_t i = 0; i < objs->n; i++)
        r |= add(&cmd, objs->v[i]);
    r |= add(&cmd, "-ljansson");
    r |= add_words(&cmd, "LDLIBS");
    for (size_t i = 0; i < cmd.n; i++)
        if ((int)i != (int)out_at)
            key = fnv_str(key, cmd.v[i]);
    char rel[64], cwd[PATH_MAX];
    snprintf(rel, sizeof rel, ".tina4/routes-%016llx.so", (unsigned long long)key);
    snprintf(module, cap, "%s/%s", getcwd(cwd, sizeof cwd) ? cwd : ".", rel);
    if (r != 0 || access(rel, R_OK) == 0) { /* built (and loaded) before: no compiler call */
        args_free(&cmd);
        return r ? 1 : 0;
    }
    char tmp[96];
    snprintf(tmp, sizeof tmp, "%s.%d.tmp", rel, (int)getpid());
    free(cmd.v[out_at]);
    cmd.v[out_at] = strdup(tmp);
    printf("  Linking %zu route object(s)\n", objs->n);
    fflush(stdout);
    int rc = cmd.v[out_at] && t4_cli_run(cmd.v) == 0 ? 0 : 1;
    args_free(&cmd);
    if (rc == 0 && probe(tmp) != 0)
        rc = 1;
    if (rc == 0 && rename(tmp, rel) != 0) {
        fprintf(stderr, "tina4 serve: cannot write %s: %s\n", rel, strerror(errno));
        rc = 1;
    }
    unlink(tmp);
    if (rc == 0)
        prune(module);
    return rc;
}

int t4_cli_routes_build(char *module, size_t cap)
{
    const char *inc = t4_cli_include_dir();
    if (!inc) {
        fprintf(stderr, "tina4 serve: cannot find tina4.h (set TINA4_INCLUDE_DIR)\n");
        return 1;
    }
    char **src;
    size_t n;
    if (t4_cli_route_sources(&src, &n) != 0) {
        fprintf(stderr, "tina4 serve: no .c file under src/routes/\n");
        return 1;
    }
    mkdir(".tina4", 0755);
    mkdir(".tina4/obj", 0755);
    int lock = open(".tina4/build.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (lock >= 0)
        while (flock(lock, LOCK_EX) != 0 && errno == EINTR)
            ;
    args objs = {0};
    int compiled = 0;
    int rc = compile_changed(src, n, inc, &objs, &compiled);
    if (rc == 0)
        rc = link_module(&objs, module, cap);
    if (rc == 0 && compiled == 0)
        printf("  Routes up to date (%zu file(s))\n", n);
    fflush(stdout);
    args_free(&objs);
    args_free(&sources);
    if (lock >= 0)
        close(lock); /* and the lock with it */
    return rc;
}
