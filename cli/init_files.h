/* SPDX-License-Identifier: MIT */
/* The files `tina4 init` writes into a new project (cli/init_files.c). */
#ifndef T4_CLI_INIT_FILES_H
#define T4_CLI_INIT_FILES_H
typedef struct {
    const char *path; /* relative to the project folder */
    const char *text;
} t4_cli_file;
/* NULL-path terminated. */
extern const t4_cli_file t4_cli_project_files[];
#endif
