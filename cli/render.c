/* SPDX-License-Identifier: MIT */
/* tina4 render TEMPLATE [--data FILE.json] [--templates DIR] [--string]:
 * the Frond engine's own command (src/frond/cli.c). An unknown option is
 * caught here first, to name the nearest known one. */
#include "cli.h"
#include "frond/frond.h"
#include <string.h>

int t4_cli_render(int argc, char **argv)
{
    static const char *const options[] = {"--data", "--templates", "--string", "--help", NULL};
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--data") == 0 || strcmp(argv[i], "--templates") == 0)
            i++; /* its value may be "-" (stdin) */
        else if (argv[i][0] == '-' && argv[i][1] && strcmp(argv[i], "--string") != 0)
            return t4_cli_unknown("tina4 render", "option", argv[i], options);
    }
    return t4__frond_cli(argc, argv);
}
