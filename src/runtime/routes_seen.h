/* SPDX-License-Identifier: MIT */
/*
 * The routes as registered (method, pattern, handler), so a crash report or
 * the watchdog can name the pattern of the handler that was running
 * ("WS /ws/chat/{room} MESSAGE") and not only the path it served.
 */
#ifndef T4_RUNTIME_ROUTES_SEEN_H
#define T4_RUNTIME_ROUTES_SEEN_H
#include "runtime/current.h"
#include <stddef.h>

/* Called by route registration once a route is added. method NULL means a
 * WebSocket route, and handler is then its t4__ws_route. */
void t4__routes_seen_add(const char *method, const char *pattern, const void *handler);
/* Writes "HTTP GET /api/crash" or "WS /ws/chat/{room} MESSAGE" for r into
 * out (always NUL-terminated); the path stands in for a pattern not found.
 * Async-signal-safe: no allocation, no locks, no stdio. Returns the length. */
size_t t4__routes_seen_describe(const t4__running *r, char *out, size_t cap);
#endif
