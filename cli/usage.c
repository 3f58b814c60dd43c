/* SPDX-License-Identifier: MIT */
/* The help text of the tina4 command and of each subcommand. */
#include "cli.h"
#include <string.h>
#include <tina4.h>

static const struct {
    const char *name;
    const char *text;
} commands[] = {
    {"serve", "usage: tina4 serve [--host H] [--port P] [--dev-cert]\n\n"
              "In a project folder (made by `tina4 init NAME`): compiles src/routes/*.c into\n"
              ".tina4/routes.so with the system compiler ($CC, default cc), loads it and\n"
              "serves HTTP and WebSocket on one port. Settings come from the environment and\n"
              "./.env (TINA4_HOST, default 0.0.0.0; TINA4_PORT, default 7145); the flags win.\n\n"
              "  --host H   address to listen on (127.0.0.1: this machine only)\n"
              "  --port P   port (0: any free port)\n"
              "  --dev-cert serve https/wss with a local CA and localhost certificate, made\n"
              "             once under .tina4/ (prints how to trust the CA)\n"},
    {"build", "usage: tina4 build [-o FILE]\n\n"
              "In a project folder: links the C files under src/routes/ (all folders) with\n"
              "libtina4 statically into one program, ./app (or FILE). It needs no compiler and\n"
              "no source at run time; it reads src/templates/ and src/public/ from the folder\n"
              "next to it (unless TINA4_TEMPLATES / TINA4_PUBLIC are set) and takes the same\n"
              "settings as tina4 serve. A main() of the project's own is kept.\n\n"
              "  -o FILE    the program to write (default: app)\n"},
    {"init", "usage: tina4 init NAME\n\n"
             "Creates the folder NAME with a project: src/routes/app.c (a welcome page at /\n"
             "and a chat demo), src/templates/, src/public/, .env, .gitignore, a Dockerfile\n"
             "and deploy/tina4.service (systemd). Then: cd NAME && tina4 serve\n"},
    {"render", "usage: tina4 render TEMPLATE [--data FILE.json] [--templates DIR] [--string]\n\n"
               "Renders a Frond (Twig-compatible) template to stdout, or prints the error with\n"
               "its line and column (exit 1). --string: TEMPLATE is the template text itself.\n"},
    {"version", "usage: tina4 version (or tina4 --version)\n\nPrints the version.\n"},
    {"help", "usage: tina4 help [COMMAND]\n\nPrints the usage of the tina4 command or of COMMAND.\n"},
};

int t4_cli_is_help(const char *arg)
{
    return strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0;
}

int t4_cli_usage(const char *cmd, FILE *f)
{
    if (cmd) {
        for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
            if (strcmp(commands[i].name, cmd) == 0) {
                fputs(commands[i].text, f);
                return 0;
            }
        return -1;
    }
    const char *inc = t4_cli_include_dir(), *lib = t4_cli_lib_dir();
    fprintf(f,
            "tina4 %s: the Tina4 real-time web stack in C\n\n"
            "usage:\n"
            "  tina4 init NAME                     create a project folder NAME\n"
            "  tina4 serve [--host H] [--port P]   compile src/routes/*.c and serve HTTP + WebSocket\n"
            "  tina4 build [-o FILE]               link the project into one program, ./app\n"
            "  tina4 render TEMPLATE [--data FILE.json] [--templates DIR]\n"
            "                                      render a Frond template to stdout\n"
            "  tina4 version                       print the version (also --version)\n"
            "  tina4 help [COMMAND]                this text, or a command's (also --help)\n\n"
            "exit status: 0 ok, 1 runtime error, 2 usage error\n"
            "header:  %s\n"
            "library: %s\n",
            T4_VERSION, inc ? inc : "(tina4.h not found: set TINA4_INCLUDE_DIR)",
            lib ? lib : "(libtina4 not found)");
    return 0;
}
