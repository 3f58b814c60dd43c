/* SPDX-License-Identifier: MIT */
#ifndef T4_SERVER_CONFIG_H
#define T4_SERVER_CONFIG_H
#include "tina4.h"
/* The most header lines a request head can hold: the highest
 * TINA4_HTTP_MAX_HEADERS accepted (the HTTP parser sizes its array by it). */
#define T4__HTTP_MAX_HEADERS 1000
/* Fills every zero field of cfg with its default. */
void t4__config_defaults(t4_config *cfg);
/* Loads KEY=VALUE lines from path into the environment without overriding
 * variables that are already set. Returns 0, or -1 if the file is absent. */
int t4__dotenv_load(const char *path);
#endif
