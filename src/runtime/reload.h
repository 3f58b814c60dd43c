/* SPDX-License-Identifier: MIT */
/*
 * Reloading (see docs/ARCHITECTURE.md, "Reloading"). SIGHUP to a supervisor
 * starts a new generation of workers and retires the old one: the old
 * workers stop accepting at once, finish their HTTP responses, and close
 * their WebSockets with 1012 after TINA4_RELOAD_GRACE; the listening socket
 * stays open throughout (it belongs to the supervisor).
 *
 * A program that can rebuild itself (the tina4 command's serve) sets hooks
 * before t4_run: the supervisor then runs even with one worker, calls build
 * on every reload (a failed build keeps the current workers), and each new
 * worker calls worker_init right after the fork (to load what was built).
 */
#ifndef T4_RUNTIME_RELOAD_H
#define T4_RUNTIME_RELOAD_H
#include <stdbool.h>

typedef struct {
    /* In the supervisor, on a reload: 0 starts new workers; anything else
     * keeps the current ones (the hook has said why). May be NULL. */
    int (*build)(void *ctx);
    /* In each new worker, after the fork and before it serves: non-zero
     * makes the worker exit 1 (a crash, for the restart backoff). */
    int (*worker_init)(void *ctx);
    /* In the supervisor, at least every 200 ms: true asks for a reload
     * (a file watcher). May be NULL. */
    bool (*poll)(void *ctx);
    void *ctx;
} t4__reload_hooks;

/* Copies h (NULL: none). Call before t4_run. */
void t4__reload_set_hooks(const t4__reload_hooks *h);
const t4__reload_hooks *t4__reload_hooks_get(void);
#endif
