/* SPDX-License-Identifier: MIT */
/* tina4 init NAME: a project folder with a route file, templates, public
 * files, a .env and deployment files (cli/init_files.c), ready for
 * `tina4 serve`. */
#include "cli.h"
#include "init_files.h"
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

static int write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "wx"); /* never overwrite */
    if (!f) {
        fprintf(stderr, "tina4 init: cannot create %s: %s\n", path, strerror(errno));
        return -1;
    }
    fputs(text, f);
    return fclose(f);
}

int t4_cli_init(int argc, char **argv)
{
    if (argc != 2 || argv[1][0] == '-') {
        t4_cli_usage("init", stderr);
        return T4_CLI_USAGE;
    }
    const char *name = argv[1];
    if (mkdir(name, 0755) != 0) {
        fprintf(stderr, "tina4 init: cannot create %s: %s\n", name, strerror(errno));
        return T4_CLI_ERROR;
    }
    static const char *const dirs[] = {"src", "src/routes", "src/templates", "src/public", "deploy"};
    char path[4096];
    for (size_t i = 0; i < sizeof dirs / sizeof *dirs; i++) {
        snprintf(path, sizeof path, "%s/%s", name, dirs[i]);
        if (mkdir(path, 0755) != 0) {
            fprintf(stderr, "tina4 init: cannot create %s: %s\n", path, strerror(errno));
            return 1;
        }
    }
    for (const t4_cli_file *f = t4_cli_project_files; f->path; f++) {
        snprintf(path, sizeof path, "%s/%s", name, f->path);
        if (write_file(path, f->text) != 0)
            return T4_CLI_ERROR;
    }
    printf("Created %s. Next:\n  cd %s && tina4 serve\nthen open http://localhost:7145/\n", name, name);
    return T4_CLI_OK;
}
