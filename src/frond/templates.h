/* SPDX-License-Identifier: MIT */
/* The process-wide template engine behind t4_render (templates.c). */
#ifndef T4_FROND_TEMPLATES_H
#define T4_FROND_TEMPLATES_H
#include <stdbool.h>
#include <stddef.h>
/* Sets the folder, debug flag and template limits (t4_run calls it with the
 * server's settings; a 0 limit: TINA4_TEMPLATE_MAX_SIZE / _NODES from the
 * environment, else the default); the engine is recreated on next use. */
void t4__templates_configure(const char *dir, bool debug, size_t max_size, size_t max_nodes);
/* Frees the engine (end of t4_run). */
void t4__templates_shutdown(void);
bool t4__templates_debug(void);
#endif
