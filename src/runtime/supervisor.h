/* SPDX-License-Identifier: MIT */
/*
 * Workers: with TINA4_WORKERS > 1, t4_run becomes a supervisor. It binds the
 * listening socket, forks the workers (each runs the ordinary server loop on
 * the inherited socket), runs no handler code itself, replaces a worker that
 * dies, and on SIGTERM/SIGINT stops them all (see docs/ARCHITECTURE.md,
 * "Workers and crashes").
 *
 * Lifecycle: t4_run -> t4__supervise: returns T4__SERVE_HERE in each worker
 * (and when there is nothing to supervise), where t4_run goes on serving and
 * ends in t4__worker_exit; in the supervisor it returns t4_run's result.
 */
#ifndef T4_RUNTIME_SUPERVISOR_H
#define T4_RUNTIME_SUPERVISOR_H
#include "tina4.h"
#include <signal.h>
#include <stdbool.h>
#include <uv.h>

#define T4__SERVE_HERE 1

/* cfg: the settings (a worker gets quiet_banner set: the supervisor printed
 * it). stop_flag: t4_stop's flag, which the supervisor polls. Returns
 * T4__SERVE_HERE, 0 after a clean stop, or a negative code when the
 * supervisor could not start (port in use) or a worker could not (a setting
 * refused at its start-up, such as an unknown backplane: the server stops). */
int t4__supervise(t4_config *cfg, volatile sig_atomic_t *stop_flag);
/* In a worker: the inherited listening socket (and *port its port); -1
 * anywhere else. */
int t4__worker_listen_fd(int *port);
/* In a worker: its bus slot (0 .. nslots-1; a replacement takes the slot of
 * the worker it replaces), the number of slots (twice the workers: each
 * reload's new generation takes the half its predecessor does not use, so
 * both are on the bus together while the old one finishes), the size of a
 * generation (its slots are [index / group * group, + group)), the
 * generation's number (0 at start, +1 per reload: a lower one is older),
 * and the supervisor's bus token (T4__BUS_TOKEN_LEN hex characters, the same in
 * every worker of this supervisor). Returns false anywhere else. */
#define T4__BUS_TOKEN_LEN 16
bool t4__worker_bus(int *index, int *nslots, int *group, unsigned *generation, const char **token);
/* At the very end of t4_run: a worker exits here (0 after a clean stop, 3
 * if it could not start); in any other process it returns. */
void t4__worker_exit(int rc);
/* In a worker's t4_run, once its loop exists: takes the supervisor's reload
 * signal (runtime/reload_worker.c). Does nothing in any other process. */
void t4__worker_attach(uv_loop_t *loop, const t4_config *cfg);
#endif
