/* SPDX-License-Identifier: MIT */
/*
 * tina4 build: links the project's src/routes/ C files (all folders below
 * it) with libtina4 statically into one program, ./app by default. The app
 * needs no compiler and no source tree at run time: only the system's shared
 * libraries (libuv, jansson, hiredis, libssl, libcrypto, zlib) and the project's
 * src/templates/ and src/public/, which it reads from the folder next to its
 * own binary unless TINA4_TEMPLATES / TINA4_PUBLIC say otherwise. (Reading
 * them from disk rather than embedding them keeps a template fix a file copy
 * and lets TINA4_DEBUG reload templates, as `tina4 serve` does.)
 */
#include "cli.h"
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <tina4.h>
#include <unistd.h>

/* The entry point linked into every app. A weak main: a project that writes
 * its own main() (the README's standalone style) keeps it. */
static const char app_main[] =
    "/* Written by `tina4 build`: the app's entry point (weak: a main() of the\n"
    " * project's own wins). */\n"
    "#include <limits.h>\n"
    "#include <stdlib.h>\n"
    "#include <string.h>\n"
    "#include <sys/stat.h>\n"
    "#include <tina4.h>\n"
    "#include <unistd.h>\n"
    "#ifdef __APPLE__\n"
    "#include <mach-o/dyld.h>\n"
    "#endif\n"
    "\n"
    "/* A folder next to the binary becomes the default of var when it exists. */\n"
    "static void default_dir(const char *var, const char *dir, const char *rel)\n"
    "{\n"
    "    char path[PATH_MAX];\n"
    "    struct stat st;\n"
    "    if (getenv(var) || snprintf(path, sizeof path, \"%s/%s\", dir, rel) >= (int)sizeof path)\n"
    "        return;\n"
    "    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))\n"
    "        setenv(var, path, 0);\n"
    "}\n"
    "\n"
    "__attribute__((weak)) int main(void)\n"
    "{\n"
    "    char exe[PATH_MAX];\n"
    "#ifdef __APPLE__\n"
    "    uint32_t size = sizeof exe;\n"
    "    ssize_t n = _NSGetExecutablePath(exe, &size) == 0 ? (ssize_t)strlen(exe) : -1;\n"
    "#else\n"
    "    ssize_t n = readlink(\"/proc/self/exe\", exe, sizeof exe - 1);\n"
    "#endif\n"
    "    if (n > 0) {\n"
    "        exe[n] = '\\0';\n"
    "        char *slash = strrchr(exe, '/');\n"
    "        if (slash)\n"
    "            *slash = '\\0';\n"
    "        default_dir(\"TINA4_TEMPLATES\", exe, \"src/templates\");\n"
    "        default_dir(\"TINA4_PUBLIC\", exe, \"src/public\");\n"
    "    }\n"
    "    return t4_run(NULL) == 0 ? 0 : 1;\n"
    "}\n";

/* The .c files below src/routes, collected by nftw. */
static char **files;
static size_t nfiles, capfiles;

static int collect(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    size_t n = strlen(path);
    if (type != FTW_F || n < 3 || strcmp(path + n - 2, ".c") != 0)
        return 0;
    if (nfiles + 1 >= capfiles) {
        size_t cap = capfiles ? capfiles * 2 : 16;
        char **f = realloc(files, cap * sizeof *f);
        if (!f)
            return -1;
        files = f;
        capfiles = cap;
    }
    files[nfiles] = strdup(path);
    return files[nfiles++] ? 0 : -1;
}

static int link_app(const char *out, const char *inc, const char *lib)
{
    char incflag[4200], archive[4200];
    snprintf(incflag, sizeof incflag, "-I%s", inc);
    snprintf(archive, sizeof archive, "%s/libtina4.a", lib);
    if (access(archive, R_OK) != 0) {
        fprintf(stderr, "tina4 build: %s is missing (a static libtina4 is needed)\n", archive);
        return T4_CLI_ERROR;
    }
    mkdir(".tina4", 0755);
    FILE *f = fopen(".tina4/app_main.c", "w");
    if (!f || fputs(app_main, f) < 0 || fclose(f) != 0) {
        fprintf(stderr, "tina4 build: cannot write .tina4/app_main.c: %s\n", strerror(errno));
        return T4_CLI_ERROR;
    }
    const char *cc = getenv("CC");
    if (!cc || !*cc)
        cc = "cc";
    static char *const tail[] = {"-luv", "-ljansson", "-lhiredis", "-lssl",    "-lcrypto",
                                 "-lz",  "-lm",       "-ldl",      "-pthread", NULL};
    char **argv = calloc(nfiles + 32, sizeof *argv);
    if (!argv)
        return T4_CLI_ERROR;
    size_t n = 0;
    argv[n++] = (char *)cc;
    argv[n++] = "-std=c11";
    argv[n++] = "-D_GNU_SOURCE";
    argv[n++] = "-O2";
    argv[n++] = "-g";
    argv[n++] = "-Wall";
#ifdef T4_CLI_SANITIZED
    /* This tina4 (and its libtina4.a) was built with the sanitizers: an app
     * linked with that library needs their runtime too. */
    argv[n++] = "-fsanitize=address,undefined";
#endif
    argv[n++] = incflag;
    argv[n++] = "-Isrc";
    argv[n++] = "-o";
    argv[n++] = (char *)out;
    for (size_t i = 0; i < nfiles; i++)
        argv[n++] = files[i];
    argv[n++] = ".tina4/app_main.c";
    argv[n++] = archive;
    for (size_t i = 0; tail[i]; i++)
        argv[n++] = tail[i];
    argv[n] = NULL;
    printf("  Linking %zu route file(s) and libtina4 into %s with %s\n", nfiles, out, cc);
    fflush(stdout);
    int rc = t4_cli_run(argv);
    free(argv);
    if (rc != 0) {
        fprintf(stderr, "tina4 build: the compiler failed (exit %d)\n", rc);
        return T4_CLI_ERROR;
    }
    printf("  Built %s: run it anywhere next to src/templates and src/public (settings as for tina4 serve)\n",
           out);
    return T4_CLI_OK;
}

static const char *const build_options[] = {"-o", "--output", "--help", NULL};

int t4_cli_build(int argc, char **argv)
{
    const char *out = "app";
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-o") != 0 && strcmp(argv[i], "--output") != 0)
            return t4_cli_unknown("tina4 build", argv[i][0] == '-' ? "option" : "argument", argv[i],
                                  build_options);
        if (i + 1 >= argc) {
            fprintf(stderr, "tina4 build: %s needs a file name (see `tina4 build --help`)\n", argv[i]);
            return T4_CLI_USAGE;
        }
        out = argv[++i];
    }
    struct stat st;
    if (stat("src/routes", &st) != 0 || !S_ISDIR(st.st_mode)) {
        char cwd[4096];
        fprintf(stderr,
                "tina4 build: %s is not a tina4 project (no src/routes/)\n"
                "hint: create one with `tina4 init NAME`, then `cd NAME && tina4 build`\n",
                getcwd(cwd, sizeof cwd) ? cwd : ".");
        return T4_CLI_USAGE;
    }
    const char *inc = t4_cli_include_dir(), *lib = t4_cli_lib_dir();
    if (!inc || !lib) {
        fprintf(stderr, "tina4 build: cannot find %s (set TINA4_INCLUDE_DIR / see `tina4 --help`)\n",
                !inc ? "tina4.h" : "libtina4");
        return T4_CLI_ERROR;
    }
    nfiles = 0;
    if (nftw("src/routes", collect, 16, FTW_PHYS) != 0) {
        fprintf(stderr, "tina4 build: cannot read src/routes: %s\n", strerror(errno));
        return T4_CLI_ERROR;
    }
    int rc;
    if (nfiles == 0) {
        fprintf(stderr, "tina4 build: no .c files under src/routes/\n");
        rc = T4_CLI_USAGE;
    } else {
        rc = link_app(out, inc, lib);
    }
    for (size_t i = 0; i < nfiles; i++)
        free(files[i]);
    free(files);
    files = NULL;
    nfiles = capfiles = 0;
    return rc;
}
