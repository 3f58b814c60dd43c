/* SPDX-License-Identifier: MIT */
/*
 * The handler watchdog of a worker: a thread that notices a handler holding
 * the loop (a blocking call, a long computation) and logs it once per stuck
 * call, naming the route and event, after TINA4_HANDLER_WARN. With
 * TINA4_HANDLER_KILL it asks the supervisor to kill and replace the worker
 * once a handler has held the loop that long. It also stops a worker whose
 * supervisor has gone where the kernel does not do it (no PR_SET_PDEATHSIG).
 */
#ifndef T4_RUNTIME_WATCHDOG_H
#define T4_RUNTIME_WATCHDOG_H
#include <sys/types.h>

/* warn_ms > 0; kill_ms 0 = never; supervisor_pid: the process to ask. */
void t4__watchdog_start(unsigned warn_ms, unsigned kill_ms, pid_t supervisor_pid);
/* Stops and joins the thread (before the worker exits). */
void t4__watchdog_stop(void);
#endif
