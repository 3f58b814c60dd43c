/* SPDX-License-Identifier: MIT */
/*
 * Function names for crash backtraces, including static functions and
 * executables linked without -rdynamic (which backtrace_symbols cannot
 * name). Loaded once, before any crash; looked up from a signal handler.
 */
#ifndef T4_RUNTIME_SYMBOLS_H
#define T4_RUNTIME_SYMBOLS_H
#include <stdint.h>

/* Reads the symbol tables of the executable and the loaded libraries that
 * have one (not async-signal-safe: call at start). */
void t4__symbols_load(void);
/* Adds the symbols of a library loaded later (dlopen(path)), by the same
 * path. Not async-signal-safe either. */
void t4__symbols_add(const char *path);
/* The function containing addr and addr's offset in it, or NULL.
 * Async-signal-safe. */
const char *t4__symbols_find(uintptr_t addr, uintptr_t *offset);
#endif
