/* SPDX-License-Identifier: MIT */
/* The tina4 command: one file per subcommand. Each returns the exit code:
 * 0 ok, 1 runtime error, 2 usage error (T4_CLI_*). */
#ifndef T4_CLI_H
#define T4_CLI_H
#include <stdio.h>

enum { T4_CLI_OK = 0, T4_CLI_ERROR = 1, T4_CLI_USAGE = 2 };

int t4_cli_serve(int argc, char **argv);
/* --dev-cert (devcert.c): makes .tina4/'s local CA and localhost certificate
 * once, then points TINA4_TLS_CERT / TINA4_TLS_KEY at them. */
int t4_cli_dev_cert(void);
int t4_cli_init(int argc, char **argv);
int t4_cli_render(int argc, char **argv);
int t4_cli_build(int argc, char **argv);
int t4_cli_reload(int argc, char **argv);

/* Prints the usage of command cmd (NULL: the whole command) to f; returns 0,
 * or -1 if there is no such command. */
int t4_cli_usage(const char *cmd, FILE *f);
/* Whether arg asks for help (--help, -h). */
int t4_cli_is_help(const char *arg);
/* The entry of known (NULL-terminated) nearest to word by edit distance, if
 * it is near enough to be a likely typo; else NULL. */
const char *t4_cli_suggest(const char *word, const char *const *known);
/* Reports an unknown option or command on stderr (with a suggestion when one
 * is near) and returns T4_CLI_USAGE. what: "option" or "command". */
int t4_cli_unknown(const char *cmd, const char *what, const char *word, const char *const *known);

/* Runs argv (argv[0] looked up in PATH) and waits; returns its exit status,
 * or -1 if it could not start or died by a signal. */
int t4_cli_run(char *const argv[]);

/* The .c files under src/routes/ (all folders), sorted; owned by the next
 * call. Returns 0, or -1 if there is none (or no src/routes/). */
int t4_cli_route_sources(char ***files, size_t *n);
/* Brings the route module up to date (cli/routes_build.c): compiles the
 * files that changed, links (unless that module exists already) and checks
 * that it loads. module: its absolute path. Returns 0, or 1 after printing
 * the compiler's output. CC, CFLAGS, LDFLAGS and LDLIBS come from the
 * environment (.env included). */
int t4_cli_routes_build(char *module, size_t cap);

/* The folder holding tina4.h for compiling route modules, or NULL; and the
 * folder holding libtina4, or NULL. Looked up next to the binary first
 * (an installed or moved tree), then at the paths known at build time. */
const char *t4_cli_include_dir(void);
const char *t4_cli_lib_dir(void);
#endif
