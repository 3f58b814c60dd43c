/* SPDX-License-Identifier: MIT */
/* tina4: serve a project, scaffold one, render a template. Exit status:
 * 0 ok, 1 runtime error, 2 usage error. */
#include "cli.h"
#include <stdio.h>
#include <string.h>
#include <tina4.h>

static const char *const command_names[] = {"serve",  "reload",  "build", "init",
                                            "render", "version", "help",  NULL};
static const char *const global_options[] = {"--help", "--version", "-h", NULL};

static int version(void)
{
    printf("tina4 %s\n", T4_VERSION);
    return T4_CLI_OK;
}

static int help(int argc, char **argv)
{
    if (argc < 3)
        return t4_cli_usage(NULL, stdout), T4_CLI_OK;
    if (t4_cli_usage(argv[2], stdout) == 0)
        return T4_CLI_OK;
    return t4_cli_unknown("tina4 help", "command", argv[2], command_names);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        t4_cli_usage(NULL, stderr);
        return T4_CLI_USAGE;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "help") == 0 || t4_cli_is_help(cmd))
        return help(argc, argv);
    if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0)
        return version();
    /* `tina4 CMD ... --help` prints CMD's usage. */
    for (int i = 2; i < argc; i++)
        if (t4_cli_is_help(argv[i]))
            return t4_cli_usage(cmd, stdout) == 0 ? T4_CLI_OK
                                                  : t4_cli_unknown("tina4", "command", cmd, command_names);
    if (strcmp(cmd, "serve") == 0)
        return t4_cli_serve(argc - 1, argv + 1);
    if (strcmp(cmd, "reload") == 0)
        return t4_cli_reload(argc - 1, argv + 1);
    if (strcmp(cmd, "init") == 0)
        return t4_cli_init(argc - 1, argv + 1);
    if (strcmp(cmd, "build") == 0)
        return t4_cli_build(argc - 1, argv + 1);
    if (strcmp(cmd, "render") == 0)
        return t4_cli_render(argc - 1, argv + 1);
    if (cmd[0] == '-')
        return t4_cli_unknown("tina4", "option", cmd, global_options);
    return t4_cli_unknown("tina4", "command", cmd, command_names);
}
