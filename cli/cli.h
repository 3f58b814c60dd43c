/* The tina4 command: one file per subcommand. Each returns the exit code. */
#ifndef T4_CLI_H
#define T4_CLI_H
int t4_cli_serve(int argc, char **argv);
int t4_cli_init(int argc, char **argv);
int t4_cli_render(int argc, char **argv);
/* The folder holding tina4.h for compiling route modules, or NULL. */
const char *t4_cli_include_dir(void);
#endif
