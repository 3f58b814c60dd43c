/* tina4: serve a project, scaffold one, render a template. */
#include "cli.h"
#include <stdio.h>
#include <string.h>
#include <tina4.h>

static void usage(FILE *f)
{
    fprintf(f,
            "tina4 %s: the Tina4 real-time web stack in C\n\n"
            "usage:\n"
            "  tina4 serve [--host H] [--port P]   compile src/routes/*.c and serve HTTP + WebSocket\n"
            "  tina4 init NAME                     create a project folder NAME\n"
            "  tina4 render TEMPLATE [--data FILE.json] [--templates DIR]\n"
            "                                      render a Frond template to stdout\n"
            "  tina4 version\n",
            T4_VERSION);
}

int main(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0 ||
        strcmp(argv[1], "-h") == 0) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "serve") == 0)
        return t4_cli_serve(argc - 1, argv + 1);
    if (strcmp(cmd, "init") == 0)
        return t4_cli_init(argc - 1, argv + 1);
    if (strcmp(cmd, "render") == 0)
        return t4_cli_render(argc - 1, argv + 1);
    if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
        printf("tina4 %s\n", T4_VERSION);
        return 0;
    }
    fprintf(stderr, "tina4: unknown command '%s'\n\n", cmd);
    usage(stderr);
    return 2;
}
