/* SPDX-License-Identifier: MIT */
/* The handler running now (see current.h). */
#include "runtime/current.h"

t4__running t4__run_stack[T4__RUNNING_DEPTH];
volatile int t4__run_depth;
_Atomic uint64_t t4__run_serial;

void t4__handler_enter(t4__run_kind kind, const char *method, const char *path, const void *fn)
{
    int d = t4__run_depth;
    if (d < T4__RUNNING_DEPTH) {
        t4__running *r = &t4__run_stack[d];
        r->method = method;
        r->path = path;
        r->fn = fn;
        r->kind = kind;
    }
    t4__run_depth = d + 1; /* published after the record: a signal sees it whole */
    /* Only this thread writes: a relaxed load and store, no locked add. */
    atomic_store_explicit(&t4__run_serial, atomic_load_explicit(&t4__run_serial, memory_order_relaxed) + 1,
                          memory_order_relaxed);
}

void t4__handler_leave(void)
{
    if (t4__run_depth > 0)
        t4__run_depth = t4__run_depth - 1;
}

const char *t4__run_event_name(int kind)
{
    switch (kind) {
    case T4__RUN_WS_GUARD:
        return "GUARD";
    case T4__RUN_WS_OPEN:
        return "OPEN";
    case T4__RUN_WS_MESSAGE:
        return "MESSAGE";
    case T4__RUN_WS_CLOSE:
        return "CLOSE";
    default:
        return "";
    }
}
