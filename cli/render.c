/* tina4 render: placeholder until the Frond engine lands. */
#include "cli.h"
#include <stdio.h>

int t4_cli_render(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "tina4 render: the Frond template engine is not built into this tina4\n");
    return 1;
}
