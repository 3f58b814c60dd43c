/* SPDX-License-Identifier: MIT */
/*
 * tina4 reload: sends SIGHUP to every `tina4 serve` running in this project
 * folder. Each serve leaves .tina4/run/PID while it runs; a file whose
 * process is gone, or is no longer a tina4 command in this folder (the pid
 * was reused), is removed instead of signalled.
 */
#include "cli.h"
#include <dirent.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Whether pid is a tina4 command whose working folder is here. */
static int is_our_serve(pid_t pid, const char *here)
{
    char link[64], there[PATH_MAX], exe[PATH_MAX];
    snprintf(link, sizeof link, "/proc/%d/cwd", (int)pid);
    ssize_t n = readlink(link, there, sizeof there - 1);
    if (n <= 0)
        return 0;
    there[n] = '\0';
    snprintf(link, sizeof link, "/proc/%d/exe", (int)pid);
    ssize_t m = readlink(link, exe, sizeof exe - 1);
    if (m <= 0)
        return 0;
    exe[m] = '\0';
    const char *base = strrchr(exe, '/');
    base = base ? base + 1 : exe;
    return strcmp(there, here) == 0 && strncmp(base, "tina4", 5) == 0;
}

int t4_cli_reload(int argc, char **argv)
{
    static const char *const none[] = {"--help", NULL};
    if (argc > 1)
        return t4_cli_unknown("tina4 reload", argv[1][0] == '-' ? "option" : "argument", argv[1], none);
    char here[PATH_MAX];
    if (!getcwd(here, sizeof here))
        return T4_CLI_ERROR;
    DIR *d = opendir(".tina4/run");
    int sent = 0;
    for (struct dirent *e; d && (e = readdir(d));) {
        char *end;
        long pid = strtol(e->d_name, &end, 10);
        if (*end || pid <= 0 || pid == getpid())
            continue;
        char path[300];
        snprintf(path, sizeof path, ".tina4/run/%s", e->d_name);
        if (!is_our_serve((pid_t)pid, here) || kill((pid_t)pid, SIGHUP) != 0) {
            unlink(path); /* left behind by a serve that was killed */
            continue;
        }
        printf("  Reloading tina4 serve (pid %ld)\n", pid);
        sent++;
    }
    if (d)
        closedir(d);
    if (sent == 0) {
        fprintf(stderr, "tina4 reload: no tina4 serve is running in %s\n", here);
        return T4_CLI_ERROR;
    }
    return T4_CLI_OK;
}
