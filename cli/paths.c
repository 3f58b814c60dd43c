/* SPDX-License-Identifier: MIT */
/* Where the tina4 command finds tina4.h and libtina4. An installed tree may
 * be moved (or unpacked anywhere), so the first place looked at is relative
 * to the running binary (/proc/self/exe): BINDIR/../include and ../lib for
 * the usual layout (the relative paths come from CMake, T4_BIN_TO_*). Then
 * the paths fixed at build time, so the command also works from its build
 * tree, then the system's. TINA4_INCLUDE_DIR overrides the header's folder. */
#include "cli.h"
#include <limits.h>
#ifdef __APPLE__
#include <mach-o/dyld.h> /* _NSGetExecutablePath: no /proc there */
#include <stdint.h>
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The folder of the running binary, or "" if unknown. */
static const char *exe_dir(void)
{
    static char dir[PATH_MAX];
    if (dir[0])
        return dir;
#ifdef __APPLE__
    uint32_t size = sizeof dir;
    ssize_t n = _NSGetExecutablePath(dir, &size) == 0 ? (ssize_t)strlen(dir) : -1;
#else
    ssize_t n = readlink("/proc/self/exe", dir, sizeof dir - 1);
#endif
    if (n <= 0) {
        dir[0] = '\0';
        return dir;
    }
    dir[n] = '\0';
    char *slash = strrchr(dir, '/');
    if (slash)
        *slash = '\0';
    return dir;
}

/* The first of candidates (NULL-terminated) holding one of files; a relative
 * candidate is taken from the binary's folder. The answer is kept in out. */
static const char *find(char *out, size_t outlen, const char *const *candidates, const char *const *files)
{
    for (size_t i = 0; candidates[i]; i++) {
        const char *c = candidates[i];
        if (!*c)
            continue;
        char dir[PATH_MAX];
        if (c[0] == '/')
            snprintf(dir, sizeof dir, "%s", c);
        else if (*exe_dir())
            snprintf(dir, sizeof dir, "%s/%s", exe_dir(), c);
        else
            continue;
        for (size_t j = 0; files[j]; j++) {
            char path[PATH_MAX + 64];
            snprintf(path, sizeof path, "%s/%s", dir, files[j]);
            if (access(path, R_OK) == 0) {
                /* Tidy "bin/../include" for messages; keep dir if that fails. */
                if (!realpath(dir, out))
                    snprintf(out, outlen, "%s", dir);
                return out;
            }
        }
    }
    return NULL;
}

const char *t4_cli_include_dir(void)
{
    static char dir[PATH_MAX];
    const char *env = getenv("TINA4_INCLUDE_DIR");
    if (env && *env)
        return env;
    static const char *const candidates[] = {T4_BIN_TO_INCLUDE,      T4_BUILD_INCLUDE_DIR,
                                             T4_INSTALL_INCLUDE_DIR, "/usr/local/include",
                                             "/usr/include",         NULL};
    static const char *const files[] = {"tina4.h", NULL};
    return find(dir, sizeof dir, candidates, files);
}

const char *t4_cli_lib_dir(void)
{
    static char dir[PATH_MAX];
    static const char *const candidates[] = {T4_BIN_TO_LIB, T4_BUILD_LIB_DIR, T4_INSTALL_LIB_DIR, NULL};
    static const char *const files[] = {"libtina4.a", "libtina4.so", NULL};
    return find(dir, sizeof dir, candidates, files);
}
