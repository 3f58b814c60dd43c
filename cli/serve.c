/*
 * tina4 serve: compiles the project's src/routes/ C files into one shared module
 * with the system compiler, loads it (its T4_* constructors register the
 * routes into this process's libtina4), and runs the server.
 */
#include "cli.h"
#include <dlfcn.h>
#include <errno.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <tina4.h>
#include <unistd.h>

const char *t4_cli_include_dir(void)
{
    static const char *const candidates[] = {T4_BUILD_INCLUDE_DIR, T4_INSTALL_INCLUDE_DIR,
                                             "/usr/local/include", "/usr/include"};
    const char *env = getenv("TINA4_INCLUDE_DIR");
    static char path[4096];
    if (env && *env)
        return env;
    for (size_t i = 0; i < sizeof candidates / sizeof *candidates; i++) {
        snprintf(path, sizeof path, "%s/tina4.h", candidates[i]);
        if (access(path, R_OK) == 0)
            return candidates[i];
    }
    return NULL;
}

/* Runs argv, returns its exit status (or -1 if it could not start). */
static int run(char *const argv[])
{
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        execvp(argv[0], argv);
        fprintf(stderr, "tina4: cannot run %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Compiles the src/routes/ C files into .tina4/routes.so; returns 0, 1 on a compile
 * error, or 2 when there is nothing to compile. */
static int compile_routes(const char *out)
{
    glob_t g;
    if (glob("src/routes/*.c", 0, NULL, &g) != 0) {
        fprintf(stderr, "tina4 serve: no src/routes/*.c in %s (create one, or run `tina4 init NAME`)\n",
                getcwd((char[4096]){0}, 4096));
        return 2;
    }
    const char *inc = t4_cli_include_dir();
    if (!inc) {
        fprintf(stderr, "tina4 serve: cannot find tina4.h (set TINA4_INCLUDE_DIR)\n");
        globfree(&g);
        return 1;
    }
    mkdir(".tina4", 0755);
    const char *cc = getenv("CC");
    if (!cc || !*cc)
        cc = "cc";
    char incflag[4200];
    snprintf(incflag, sizeof incflag, "-I%s", inc);
    size_t n = 0;
    char **argv = calloc(g.gl_pathc + 16, sizeof *argv);
    if (!argv) {
        globfree(&g);
        return 1;
    }
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
    for (size_t i = 0; i < g.gl_pathc; i++)
        argv[n++] = g.gl_pathv[i];
    argv[n++] = "-ljansson";
    argv[n] = NULL;
    printf("  Compiling %zu route file(s) with %s\n", g.gl_pathc, cc);
    fflush(stdout);
    int rc = run(argv);
    free(argv);
    globfree(&g);
    return rc == 0 ? 0 : 1;
}

int t4_cli_serve(int argc, char **argv)
{
    const char *host = NULL, *port = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--host") == 0 && i + 1 < argc)
            host = argv[++i];
        else if (strcmp(argv[i], "--port") == 0 && i + 1 < argc)
            port = argv[++i];
        else {
            fprintf(stderr, "tina4 serve: unknown option '%s' (usage: tina4 serve [--host H] [--port P])\n",
                    argv[i]);
            return 2;
        }
    }
    /* Command-line flags win over the environment and .env. */
    if (host)
        setenv("TINA4_HOST", host, 1);
    if (port)
        setenv("TINA4_PORT", port, 1);
    t4_config cfg;
    if (t4_config_from_env(&cfg) != 0)
        return 2;
    const char *module = ".tina4/routes.so";
    int rc = compile_routes(module);
    if (rc == 1) {
        fprintf(stderr, "tina4 serve: compiling the routes failed\n");
        return 1;
    }
    if (rc == 0) {
        char abs[4200];
        snprintf(abs, sizeof abs, "%s/%s", getcwd((char[4096]){0}, 4096), module);
        void *h = dlopen(abs, RTLD_NOW | RTLD_GLOBAL);
        if (!h) {
            fprintf(stderr, "tina4 serve: cannot load %s: %s\n", abs, dlerror());
            return 1;
        }
        /* The module stays loaded for the life of the process. */
    }
    return t4_run(&cfg) == 0 ? 0 : 1;
}
