/* The process-wide template engine behind t4_render (templates.c). */
#ifndef T4_FROND_TEMPLATES_H
#define T4_FROND_TEMPLATES_H
#include <stdbool.h>
/* Sets the folder and debug flag (t4_run calls it with the server's
 * settings); the engine is recreated on next use. */
void t4__templates_configure(const char *dir, bool debug);
/* Frees the engine (end of t4_run). */
void t4__templates_shutdown(void);
bool t4__templates_debug(void);
#endif
