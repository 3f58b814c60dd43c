/* SPDX-License-Identifier: MIT */
/* The help text of the tina4 command and of each subcommand. */
#include "cli.h"
#include <string.h>
#include <tina4.h>

static const struct {
    const char *name;
    const char *text;
} commands[] = {
    {"serve", "usage: tina4 serve [--host H] [--port P] [--watch] [--dev-cert]\n\n"
              "In a project folder (made by `tina4 init NAME`): compiles the C files under\n"
              "src/routes/ (all folders) with the system compiler ($CC, default cc; $CFLAGS,\n"
              "$LDFLAGS and $LDLIBS, from the environment or ./.env, e.g. LDLIBS=-lsqlite3)\n"
              "into a module under .tina4/, and serves HTTP and WebSocket on one port. Only\n"
              "changed files are compiled again. Settings come from the environment and\n"
              "./.env (TINA4_HOST, default 0.0.0.0; TINA4_PORT, default 7145); the flags win.\n"
              "SIGHUP or `tina4 reload` rebuilds and restarts the workers without closing the\n"
              "port; a failed build keeps the running one.\n\n"
              "  --host H   address to listen on (127.0.0.1: this machine only)\n"
              "  --port P   port (0: any free port)\n"
              "  --watch    reload when a file under src/routes/ changes; templates and\n"
              "             src/public/ show changes at once (TINA4_DEBUG=true and\n"
              "             TINA4_STATIC_CACHE_CONTROL=no-cache unless set)\n"},
    {"reload", "usage: tina4 reload\n\n"
               "In a project folder: makes every `tina4 serve` running there rebuild its routes\n"
               "and restart its workers (SIGHUP). Connections keep being accepted; WebSockets\n"
               "of the old workers close with 1012 after TINA4_RELOAD_GRACE.\n"},
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
            "  tina4 serve [--host H] [--port P] [--watch]\n"
            "                                      compile src/routes/ and serve HTTP + WebSocket\n"
            "  tina4 reload                        rebuild and restart the serve of this folder\n"
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
