/* SPDX-License-Identifier: MIT */
/*
 * The watchdog (see watchdog.h): one thread per worker that samples the
 * current-handler record. A handler holds the loop when the record's depth
 * is not zero and its entry count has not moved between samples; nothing
 * is added to the loop's hot path beyond the stores t4__handler_enter
 * already makes.
 *
 * Reading the record from this thread races with the loop by design: the
 * fields are only pointers to strings that outlive the call, and a line is
 * logged only if the entry count is still the same after it was composed
 * (the handler is still the one that was stuck).
 */
#include "runtime/watchdog.h"
#include "runtime/current.h"
#include "runtime/routes_seen.h"
#include "util/log.h"
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define PERIOD_MAX_MS 100

static pthread_t thread;
static bool running;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake = PTHREAD_COND_INITIALIZER;
static bool quit;
static unsigned warn_ms, kill_ms, period_ms;
static pid_t supervisor;

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Names what is running now; false if it changed while we looked. */
static bool describe(uint64_t serial, char *out, size_t cap)
{
    int d = t4__run_depth;
    if (d <= 0)
        return false;
    if (d > T4__RUNNING_DEPTH)
        d = T4__RUNNING_DEPTH;
    t4__running r = t4__run_stack[d - 1];
    size_t n = t4__routes_seen_describe(&r, out, cap);
    if (r.kind != T4__RUN_HTTP && r.path && n + 8 < cap) {
        strcat(out, " (path ");
        strncat(out, r.path, cap - strlen(out) - 2);
        strcat(out, ")");
    }
    return atomic_load_explicit(&t4__run_serial, memory_order_relaxed) == serial && t4__run_depth > 0;
}

static void *watch(void *arg)
{
    (void)arg;
    uint64_t last_serial = 0, since = now_ms();
    bool warned = false, killed = false, orphan = false;
    pthread_mutex_lock(&lock);
    while (!quit) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += (long)period_ms * 1000000L;
        until.tv_sec += until.tv_nsec / 1000000000L;
        until.tv_nsec %= 1000000000L;
        pthread_cond_timedwait(&wake, &lock, &until);
        if (quit)
            break;
        /* Where PR_SET_PDEATHSIG does not exist (or did not fire): a worker
         * whose supervisor is gone stops as if it had been asked to. */
        if (!orphan && supervisor && getppid() != supervisor) {
            orphan = true;
            kill(getpid(), SIGTERM);
        }
        uint64_t serial = atomic_load_explicit(&t4__run_serial, memory_order_relaxed);
        uint64_t now = now_ms();
        if (t4__run_depth <= 0 || serial != last_serial) {
            last_serial = serial;
            since = now;
            warned = killed = false;
            continue;
        }
        uint64_t held = now - since;
        char what[600];
        if (!warned && held >= warn_ms && describe(serial, what, sizeof what)) {
            warned = true;
            t4_log(T4_LOG_WARN,
                   "worker %d: %s has held the loop for %.1f s (TINA4_HANDLER_WARN): every other connection "
                   "of this worker waits",
                   (int)getpid(), what, (double)held / 1000);
        }
        if (!killed && kill_ms && held >= kill_ms && describe(serial, what, sizeof what)) {
            killed = true;
            t4_log(T4_LOG_ERROR,
                   "worker %d: %s has held the loop for %.1f s (TINA4_HANDLER_KILL): replacing this worker",
                   (int)getpid(), what, (double)held / 1000);
            kill(supervisor, SIGUSR1); /* the supervisor kills and replaces us */
        }
    }
    pthread_mutex_unlock(&lock);
    return NULL;
}

void t4__watchdog_start(unsigned warn, unsigned kill_after, pid_t supervisor_pid)
{
    if (running)
        return;
    warn_ms = warn;
    kill_ms = kill_after;
    supervisor = supervisor_pid;
    unsigned shortest = kill_ms && kill_ms < warn_ms ? kill_ms : warn_ms;
    period_ms = shortest / 4 < PERIOD_MAX_MS ? shortest / 4 : PERIOD_MAX_MS;
    if (period_ms < 5)
        period_ms = 5;
    quit = false;
    /* No signal may land on this thread: the loop's signal handling expects
     * them on the loop thread (and crash reports say which thread crashed). */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    running = pthread_create(&thread, NULL, watch, NULL) == 0;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (!running)
        t4_log(T4_LOG_WARN, "cannot start the handler watchdog; serving without it");
}

void t4__watchdog_stop(void)
{
    if (!running)
        return;
    pthread_mutex_lock(&lock);
    quit = true;
    pthread_cond_signal(&wake);
    pthread_mutex_unlock(&lock);
    pthread_join(thread, NULL);
    running = false;
}
