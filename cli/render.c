/* SPDX-License-Identifier: MIT */
/* tina4 render TEMPLATE [--data FILE.json] [--templates DIR]: the Frond
 * engine's own command (src/frond/cli.c). */
#include "cli.h"
#include "frond/frond.h"

int t4_cli_render(int argc, char **argv)
{
    return t4__frond_cli(argc, argv);
}
