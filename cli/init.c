/* tina4 init NAME: a project folder with a route file, templates, public
 * files and a .env, ready for `tina4 serve`. */
#include "cli.h"
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

static const char routes_c[] =
    "/* Routes: each T4_* line registers a route when this file is loaded. */\n"
    "#include <tina4.h>\n"
    "\n"
    "static void hello(t4_req *req, t4_res *res)\n"
    "{\n"
    "    t4_res_json(res, 200, json_pack(\"{s:s}\", \"message\", \"Hello from Tina4 C\"));\n"
    "}\n"
    "T4_GET(\"/hello\", hello)\n"
    "\n"
    "static void echo(t4_ws *ws, t4_ws_event ev, t4_msg msg)\n"
    "{\n"
    "    if (ev == T4_WS_MESSAGE)\n"
    "        t4_ws_sendf(ws, \"Echo: %s\", msg.data);\n"
    "}\n"
    "T4_WEBSOCKET(\"/ws/echo\", echo)\n";

static const char env_file[] = "# Settings for tina4 serve (the real environment wins).\n"
                               "TINA4_PORT=7145\n"
                               "TINA4_LOG_LEVEL=info\n";

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
        fprintf(stderr, "usage: tina4 init NAME\n");
        return 2;
    }
    const char *name = argv[1];
    if (mkdir(name, 0755) != 0) {
        fprintf(stderr, "tina4 init: cannot create %s: %s\n", name, strerror(errno));
        return 1;
    }
    static const char *const dirs[] = {"src", "src/routes", "src/templates", "src/public"};
    char path[4096];
    for (size_t i = 0; i < sizeof dirs / sizeof *dirs; i++) {
        snprintf(path, sizeof path, "%s/%s", name, dirs[i]);
        if (mkdir(path, 0755) != 0) {
            fprintf(stderr, "tina4 init: cannot create %s: %s\n", path, strerror(errno));
            return 1;
        }
    }
    snprintf(path, sizeof path, "%s/src/routes/app.c", name);
    if (write_file(path, routes_c) != 0)
        return 1;
    snprintf(path, sizeof path, "%s/.env", name);
    if (write_file(path, env_file) != 0)
        return 1;
    printf("Created %s. Next:\n  cd %s && tina4 serve\n", name, name);
    return 0;
}
