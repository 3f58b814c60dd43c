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

#define T4__SERVE_HERE 1

/* cfg: the settings (a worker gets quiet_banner set: the supervisor printed
 * it). stop_flag: t4_stop's flag, which the supervisor polls. Returns
 * T4__SERVE_HERE, 0 after a clean stop, or a negative code when the
 * supervisor could not start (port in use). */
int t4__supervise(t4_config *cfg, volatile sig_atomic_t *stop_flag);
/* In a worker: the inherited listening socket (and *port its port); -1
 * anywhere else. */
int t4__worker_listen_fd(int *port);
/* In a worker: its slot index (0 .. nslots-1; a replacement takes the slot of the
 * worker it replaces), the number of slots, and the supervisor's bus token
 * (T4__BUS_TOKEN_LEN hex characters, the same in every worker of this
 * supervisor). Returns false anywhere else. */
#define T4__BUS_TOKEN_LEN 16
bool t4__worker_bus(int *index, int *nslots, const char **token);
/* At the very end of t4_run: a worker exits here (0 after a clean stop, 1
 * after a failure); in any other process it returns. */
void t4__worker_exit(int rc);
#endif
