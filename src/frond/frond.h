/* SPDX-License-Identifier: MIT */
/*
 * frond.h -- FROND, the Twig-compatible template engine of tina4-c.
 *
 * Templates are parsed once and cached in memory by name. With debug on, a
 * template whose file changed (mtime) is re-read on its next use. Output is
 * HTML-escaped by default. Errors name the template, line and column:
 * "chat.html:12:5: unknown filter 'foo'".
 *
 * A t4__frond is not thread-safe: use one per thread (or lock around it).
 */
#ifndef T4_FROND_FROND_H
#define T4_FROND_FROND_H

#include <jansson.h>
#include <stdbool.h>

typedef struct t4__frond t4__frond;

/* dir: the template directory; NULL means $TINA4_TEMPLATES, else
 * "src/templates". debug: re-read templates whose file changed. */
t4__frond *t4__frond_new(const char *dir, bool debug);
void t4__frond_free(t4__frond *f);

/* Render the template file `name` (relative to the directory) with the
 * context object ctx (borrowed; NULL means {}). On success *out is a malloc'd
 * NUL-terminated string and 0 is returned. On failure a negative T4_E* code
 * is returned (T4_ENOTFOUND: no such template, T4_EINVAL: syntax or runtime
 * error, T4_ENOMEM) and, when err is not NULL, *err is a malloc'd message
 * "name:line:col: message". */
int t4__frond_render(t4__frond *f, const char *name, json_t *ctx, char **out, char **err);

/* The same for a template given as source text (named "string"); it may
 * include or extend templates of the directory. Not cached. */
int t4__frond_render_string(t4__frond *f, const char *source, json_t *ctx, char **out, char **err);

/* Lower the work limits of a render (0: keep the default): loop iterations,
 * macro calls and includes (default 1000000), and bytes of all the strings
 * it builds, the output included (default 256 MiB). A render past a limit
 * fails with T4_EINVAL and "name:line:col: ... (the limit)". */
void t4__frond_set_limits(t4__frond *f, long max_steps, size_t max_bytes);

/* Per-template limits (0: keep the current one; defaults 1 MiB and 100000,
 * the settings TINA4_TEMPLATE_MAX_SIZE and TINA4_TEMPLATE_MAX_NODES): a
 * template file or string longer than max_size bytes, or whose syntax tree
 * has more than max_nodes nodes, fails with T4_EINVAL and "name:line:col:
 * template too large: ..." / "... more than N nodes ...". Clears the cache. */
void t4__frond_set_template_limits(t4__frond *f, size_t max_size, size_t max_nodes);

/* Reads TINA4_TEMPLATE_MAX_SIZE and TINA4_TEMPLATE_MAX_NODES from the
 * environment (sizes: bytes with an optional K, M or G suffix) into *max_size
 * and *max_nodes, left unchanged when unset. Returns 0, or -1 with *err
 * (malloc'd) naming a bad value. */
int t4__frond_env_limits(size_t *max_size, size_t *max_nodes, char **err);

/* Forget every cached template. */
void t4__frond_clear(t4__frond *f);

/* The command `tina4 render TEMPLATE [--data FILE.json] [--templates DIR]`:
 * argv[0] is "render". Prints the output to stdout and returns 0, or prints
 * the error to stderr and returns 1 (2 for a usage error). */
int t4__frond_cli(int argc, char **argv);

#endif
