/* SPDX-License-Identifier: MIT */
/*
 * The handler running now, for crash reports and the watchdog.
 *
 * The protocol code brackets every call into application code with
 * t4__handler_enter / t4__handler_leave. The record is a plain static
 * array of pointers to strings that outlive the call (the method, the
 * request path or the WebSocket's path, the handler), so a signal handler
 * can read it without locks or allocation, and entering costs a few stores.
 * The route's pattern is found from the handler only when it is needed
 * (routes_seen.c). Only the loop thread writes it.
 */
#ifndef T4_RUNTIME_CURRENT_H
#define T4_RUNTIME_CURRENT_H
#include <stdatomic.h>
#include <stdint.h>

typedef enum {
    T4__RUN_NONE = 0,
    T4__RUN_HTTP,     /* an HTTP route handler */
    T4__RUN_WS_GUARD, /* a WebSocket route's guard, before the upgrade */
    T4__RUN_WS_OPEN,
    T4__RUN_WS_MESSAGE,
    T4__RUN_WS_CLOSE,
} t4__run_kind;

typedef struct {
    const char *volatile method; /* HTTP only */
    const char *volatile path;   /* the concrete path being served */
    const void *volatile fn;     /* the route's handler (its key in routes_seen.c) */
    volatile int kind;           /* t4__run_kind */
} t4__running;

#define T4__RUNNING_DEPTH 4 /* a handler can lead to another (nesting is rare) */

extern t4__running t4__run_stack[T4__RUNNING_DEPTH];
extern volatile int t4__run_depth;
/* Counts handler entries: the watchdog sees that a handler holds the loop
 * when the count stays the same while the depth is not zero. */
extern _Atomic uint64_t t4__run_serial;

void t4__handler_enter(t4__run_kind kind, const char *method, const char *path, const void *fn);
void t4__handler_leave(void);

/* The event's name ("MESSAGE") or "" for HTTP. */
const char *t4__run_event_name(int kind);
#endif
