/* SPDX-License-Identifier: MIT */
/*
 * Crash reports: a worker that dies by SIGSEGV, SIGBUS, SIGFPE, SIGILL or
 * SIGABRT first writes one report to stderr (the signal, the route and
 * event that was running, a backtrace), then dies by the same signal so the
 * supervisor sees what happened and replaces it.
 */
#ifndef T4_RUNTIME_CRASH_H
#define T4_RUNTIME_CRASH_H
/* Installs the handlers on an alternate stack (a stack overflow must still
 * be reported). Call on the thread that will run the loop: crashes of that
 * thread name the running handler, others say which thread it was. */
void t4__crash_install(void);
#endif
