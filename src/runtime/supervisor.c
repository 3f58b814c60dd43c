/* SPDX-License-Identifier: MIT */
/*
 * The supervisor (see supervisor.h). It is a plain loop around
 * sigtimedwait(): SIGCHLD, SIGTERM and SIGINT are blocked and taken
 * synchronously, so there is no signal handler and no libuv loop in the
 * supervisor, and nothing a worker inherits from it needs undoing beyond
 * the signal mask.
 *
 * Restarts: a worker that dies (a signal, or a non-zero exit) is replaced
 * after a delay that starts at BACKOFF_MIN_MS and doubles with every crash
 * of a burst up to BACKOFF_MAX_MS; the burst is over (and the delay back to
 * the minimum) once BURST_RESET_MS passed without a crash or a restart. The
 * first crash of a burst is logged; later ones are counted (each worker's
 * own crash report is in the log regardless).
 *
 * Reloads (SIGHUP with reload hooks, i.e. tina4 serve, or the hooks' poll):
 * generations of workers; without hooks SIGHUP only makes every worker
 * reload its TLS certificate (forward_sighup). The
 * slots are twice the workers; the current generation uses one half, and a
 * reload starts the next generation in the other half, then retires the
 * current one (SIGUSR2: stop accepting, finish, 1012 after the grace). A
 * retiring worker is no longer in a slot: it is not replaced, and it is
 * killed if it outlives its bound (TINA4_RELOAD_GRACE + the shutdown
 * timeout + a second).
 */
#include "runtime/supervisor.h"
#include "runtime/crash.h"
#include "runtime/reload.h"
#include "runtime/symbols.h"
#include "runtime/watchdog.h"
#include "server/listener.h"
#include "tls/tls.h"
#include "util/log.h"
#include "util/random_id.h"
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 10000
#define BURST_RESET_MS 30000
#define POLL_MS        200  /* t4_stop's flag is polled at least this often */
#define KILL_GRACE_MS  1000 /* after TINA4_SHUTDOWN_TIMEOUT, for the workers' own force-close */
#define START_FAILED   3    /* a worker's exit code when t4_run failed before serving (a bad setting) */

typedef struct {
    pid_t pid;           /* 0: not running */
    uint64_t respawn_at; /* when pid is 0: start a new worker at this time (ms) */
    bool stuck;          /* killed by us: a handler held its loop past TINA4_HANDLER_KILL */
} slot;

/* A worker's view: set in the child after fork. */
static struct {
    bool active;
    int fd, port;
    int slot, nslots, group; /* which of the supervisor's slots, how many, a generation's size */
    unsigned generation;     /* 0 at start, +1 per reload: which workers are older */
} worker = {false, -1, 0, -1, 0, 0, 0};

/* Names this supervisor's local bus (backplane/bus.h): random, so servers
 * on one machine (or in containers sharing a network namespace) never meet. */
static char bus_token[T4__ID_LEN + 1];

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

bool t4__worker_bus(int *index, int *nslots, int *group, unsigned *generation, const char **token)
{
    if (!worker.active)
        return false;
    *index = worker.slot;
    *generation = worker.generation;
    *nslots = worker.nslots;
    *group = worker.group;
    *token = bus_token;
    return true;
}

int t4__worker_listen_fd(int *port)
{
    if (worker.active && port)
        *port = worker.port;
    return worker.active ? worker.fd : -1;
}

void t4__worker_exit(int rc)
{
    if (!worker.active)
        return;
    t4__watchdog_stop();
    fflush(stdout);
    /* In a worker, t4_run fails only before serving (the listening socket
     * is inherited): a setting its start-up refused, which a replacement
     * would refuse too. */
    exit(rc == 0 ? 0 : START_FAILED);
}

static void print_banner(const t4_config *cfg, int port)
{
    if (cfg->quiet_banner)
        return;
    printf("  Tina4 C v%s\n", T4_VERSION);
    bool tls = t4__tls_enabled();
    printf("  HTTP server running at %s://%s:%d\n", tls ? "https" : "http", cfg->host, port);
    printf("  WebSocket server running at %s://%s:%d\n", tls ? "wss" : "ws", cfg->host, port);
    if (cfg->workers > 1)
        printf("  %d worker processes\n", cfg->workers);
    printf("  Press Ctrl+C to stop\n");
    fflush(stdout);
}

/* A worker of a past generation, finishing after a reload. */
typedef struct {
    pid_t pid;
    uint64_t kill_at;
    bool killed;
} retiree;

typedef struct {
    t4_config *cfg;
    int fd, port;
    slot *slots; /* [2 * workers]: the current generation is [half * workers, + workers) */
    int half;
    unsigned generation; /* of the current workers: +1 per reload */
    retiree *retiring;
    size_t nretiring, capretiring;
    unsigned long reloads;
    const t4__reload_hooks *hooks;
    sigset_t old_mask;
    bool stopping;
    bool failed; /* a worker could not start: t4_run fails once all are gone */
    uint64_t kill_at;
    bool killed;
    /* the current crash burst */
    uint64_t burst_last; /* last crash or restart (ms); 0: no burst */
    unsigned delay_ms;   /* the next restart's delay */
    unsigned burst_crashes;
    unsigned long total_crashes;
} supervisor;

/* Forks a worker into slot i. Returns true in the child (which then serves). */
static bool spawn(supervisor *sv, int i)
{
    fflush(stdout);
    fflush(stderr);
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0) {
#ifdef __linux__
        /* A worker must not outlive its supervisor: the kernel sends it
         * SIGTERM (a graceful stop) when the supervisor dies... */
        prctl(PR_SET_PDEATHSIG, SIGTERM);
#endif
        if (getppid() != parent) /* ...unless it died before that call */
            _exit(0);
        sigprocmask(SIG_SETMASK, &sv->old_mask, NULL);
        /* A terminal's hangup reaches the whole process group: the
         * supervisor reloads; a worker must not die of it (with TLS, the
         * server's own SIGHUP handler reloads the certificate instead). */
        signal(SIGHUP, SIG_IGN);
        free(sv->retiring); /* the supervisor's bookkeeping, not the worker's */
        sv->retiring = NULL;
        worker.active = true;
        worker.fd = sv->fd;
        worker.port = sv->port;
        worker.slot = i;
        worker.nslots = 2 * sv->cfg->workers;
        worker.group = sv->cfg->workers;
        worker.generation = sv->generation;
        sv->cfg->quiet_banner = true;
        t4__crash_install();
        if (sv->hooks && sv->hooks->worker_init && sv->hooks->worker_init(sv->hooks->ctx) != 0)
            _exit(1); /* said why; the supervisor retries with the backoff */
        t4__watchdog_start(sv->cfg->handler_warn, sv->cfg->handler_kill, parent);
        return true;
    }
    if (pid < 0) {
        t4_log(T4_LOG_ERROR, "cannot start a worker: fork: %s; retrying", strerror(errno));
        sv->slots[i].pid = 0;
        sv->slots[i].respawn_at = now_ms() + BACKOFF_MAX_MS;
        return false;
    }
    sv->slots[i].pid = pid;
    sv->slots[i].stuck = false;
    return false;
}

static void begin_stop(supervisor *sv, const char *why)
{
    if (sv->stopping)
        return;
    sv->stopping = true;
    sv->kill_at = now_ms() + sv->cfg->shutdown_timeout + KILL_GRACE_MS;
    int live = 0;
    for (int i = 0; i < 2 * sv->cfg->workers; i++)
        if (sv->slots[i].pid > 0) {
            kill(sv->slots[i].pid, SIGTERM);
            live++;
        }
    for (size_t i = 0; i < sv->nretiring; i++) {
        kill(sv->retiring[i].pid, SIGTERM); /* ends its grace: WebSockets close now */
        live++;
    }
    t4_log(T4_LOG_INFO, "%s: stopping %d worker(s)", why, live);
}

static void describe_exit(int status, bool stuck, char *out, size_t cap)
{
    if (stuck) {
        snprintf(out, cap, "was killed: a handler held its loop past TINA4_HANDLER_KILL");
    } else if (WIFSIGNALED(status)) {
        int sig = WTERMSIG(status);
        const char *name = sigabbrev_np(sig);
        snprintf(out, cap, "killed by SIG%s%s", name ? name : "?", WCOREDUMP(status) ? " (core dumped)" : "");
    } else {
        snprintf(out, cap, "exited with code %d", WEXITSTATUS(status));
    }
}

static void on_exit_of(supervisor *sv, int i, int status)
{
    pid_t pid = sv->slots[i].pid;
    sv->slots[i].pid = 0;
    if (sv->stopping)
        return;
    if (WIFEXITED(status) && WEXITSTATUS(status) == START_FAILED) {
        sv->failed = true;
        begin_stop(sv, "a worker could not start (see above)");
        return;
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
        /* A worker only stops cleanly when asked to: t4_stop() in it (or a
         * SIGTERM sent to it alone) means the server is to stop. */
        begin_stop(sv, "a worker stopped (t4_stop or a signal to it)");
        return;
    }
    uint64_t now = now_ms();
    bool first = sv->burst_last == 0 || now - sv->burst_last >= BURST_RESET_MS;
    if (first) {
        sv->delay_ms = BACKOFF_MIN_MS;
        sv->burst_crashes = 0;
    }
    sv->burst_crashes++;
    sv->total_crashes++;
    sv->slots[i].respawn_at = now + sv->delay_ms;
    if (first) {
        char how[96];
        describe_exit(status, sv->slots[i].stuck, how, sizeof how);
        t4_log(T4_LOG_ERROR,
               "worker %d %s; replacing it in %u ms (more crashes within %d s are not logged here: "
               "each restart waits twice as long, up to %d s)",
               (int)pid, how, sv->delay_ms, BURST_RESET_MS / 1000, BACKOFF_MAX_MS / 1000);
    }
    sv->delay_ms = sv->delay_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : sv->delay_ms * 2;
    sv->burst_last = now;
}

static void kill_stuck(supervisor *sv, pid_t pid)
{
    for (int i = 0; i < 2 * sv->cfg->workers; i++)
        if (pid > 0 && sv->slots[i].pid == pid && !sv->stopping) {
            sv->slots[i].stuck = true;
            kill(pid, SIGKILL);
        }
}

static void reap(supervisor *sv)
{
    int status;
    pid_t pid;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
        for (int i = 0; i < 2 * sv->cfg->workers; i++)
            if (sv->slots[i].pid == pid)
                on_exit_of(sv, i, status);
        for (size_t i = 0; i < sv->nretiring; i++)
            if (sv->retiring[i].pid == pid) { /* a past generation's worker is done */
                sv->retiring[i] = sv->retiring[--sv->nretiring];
                break;
            }
    }
}

static int live_workers(const supervisor *sv)
{
    int n = (int)sv->nretiring;
    for (int i = 0; i < 2 * sv->cfg->workers; i++)
        n += sv->slots[i].pid > 0;
    return n;
}

static bool retire(supervisor *sv, pid_t pid, uint64_t now)
{
    if (sv->nretiring == sv->capretiring) {
        size_t cap = sv->capretiring ? sv->capretiring * 2 : 8;
        retiree *r = realloc(sv->retiring, cap * sizeof *r);
        if (!r)
            return false;
        sv->retiring = r;
        sv->capretiring = cap;
    }
    uint64_t bound = (uint64_t)sv->cfg->reload_grace + sv->cfg->shutdown_timeout + KILL_GRACE_MS;
    sv->retiring[sv->nretiring++] = (retiree){pid, now + bound, false};
    kill(pid, SIGUSR2);
    return true;
}

/* A reload: build (if there is a hook), start the next generation in the
 * other half of the slots, retire the current one. Returns true in a new
 * worker (which then serves). */
static bool reload(supervisor *sv, const char *why)
{
    if (sv->stopping)
        return false;
    t4_log(T4_LOG_INFO, "reload (%s)", why);
    if (sv->hooks && sv->hooks->build && sv->hooks->build(sv->hooks->ctx) != 0) {
        t4_log(T4_LOG_ERROR, "reload: the build failed; the current workers go on serving the last good one");
        return false;
    }
    t4__tls_reload(); /* the new workers fork from this process's context: give it the files as they are now
                       */
    /* Workers retired by an earlier reload hold the bus names of the half
     * we are about to use: their grace ends now (a second SIGUSR2). */
    for (size_t i = 0; i < sv->nretiring; i++)
        kill(sv->retiring[i].pid, SIGUSR2);
    int n = sv->cfg->workers, old = sv->half;
    sv->half ^= 1;
    sv->generation++;
    for (int i = sv->half * n; i < sv->half * n + n; i++) {
        sv->slots[i] = (slot){0};
        if (spawn(sv, i))
            return true;
    }
    /* The new workers are polling the listening socket (or about to: a
     * connection waits in its queue meanwhile); the old ones stop now. */
    uint64_t now = now_ms();
    int retired = 0;
    for (int i = old * n; i < old * n + n; i++) {
        if (sv->slots[i].pid > 0 && retire(sv, sv->slots[i].pid, now))
            retired++;
        else if (sv->slots[i].pid > 0)
            kill(sv->slots[i].pid, SIGTERM); /* no memory to track it: stop it plainly */
        sv->slots[i] = (slot){0};
    }
    sv->reloads++;
    t4_log(T4_LOG_INFO,
           "reload %lu: %d new worker(s); %d old worker(s) finishing (WebSockets get 1012 in %u ms)",
           sv->reloads, n, retired, sv->cfg->reload_grace);
    return false;
}

/* SIGHUP to a program with no reload hooks (an app, not tina4 serve): its
 * routes cannot change (the workers are forks of this very image), so a new
 * generation would only cost every WebSocket a 1012. What can change is the
 * TLS certificate: each current worker reloads it in place, keeping every
 * connection (templates and public files are read live anyway). */
static void forward_sighup(supervisor *sv)
{
    int n = sv->cfg->workers;
    t4_log(T4_LOG_INFO, "received SIGHUP: the workers reload the TLS certificate (routes are built in)");
    t4__tls_reload(); /* here too: a worker replaced after a crash forks from this context */
    for (int i = sv->half * n; i < sv->half * n + n; i++)
        if (sv->slots[i].pid > 0)
            kill(sv->slots[i].pid, SIGHUP);
}

/* Kills retiring workers past their bound; returns the ms until the next
 * such deadline (at most cap). */
static uint64_t check_retiring(supervisor *sv, uint64_t now, uint64_t cap)
{
    for (size_t i = 0; i < sv->nretiring; i++) {
        retiree *r = &sv->retiring[i];
        if (r->killed)
            continue;
        if (now >= r->kill_at) {
            r->killed = true;
            t4_log(T4_LOG_WARN, "reload: old worker %d still running past its bound; killing it",
                   (int)r->pid);
            kill(r->pid, SIGKILL);
        } else if (r->kill_at - now < cap) {
            cap = r->kill_at - now;
        }
    }
    return cap;
}

int t4__supervise(t4_config *cfg, volatile sig_atomic_t *stop_flag)
{
    const t4__reload_hooks *hooks = t4__reload_hooks_get();
    if (cfg->workers <= 1 && !hooks) /* one worker: no supervisor, unless it rebuilds on reloads */
        return T4__SERVE_HERE;
    static slot *slots; /* static: a worker's copy stays reachable, not a leak */
    supervisor sv = {.cfg = cfg, .fd = -1, .hooks = hooks};
    /* Blocked (and taken with sigtimedwait below) before the port opens: a
     * SIGTERM sent as soon as the port answers must stop us gracefully, not
     * kill us by its default action. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGCHLD);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGUSR1); /* a worker's watchdog: "kill me, I am stuck" */
    sigaddset(&set, SIGHUP);  /* reload */
    sigprocmask(SIG_BLOCK, &set, &sv.old_mask);
    int rc = t4__listener_bind(cfg->host, cfg->port, &sv.fd, &sv.port);
    if (rc == 0) {
        free(slots);
        slots = sv.slots = calloc(2 * (size_t)cfg->workers, sizeof *sv.slots);
        rc = !slots ? T4_ENOMEM : t4__random_id(bus_token) != 0 ? T4_EIO : 0;
        if (rc != 0)
            close(sv.fd);
    }
    if (rc != 0) {
        sigprocmask(SIG_SETMASK, &sv.old_mask, NULL);
        return rc;
    }
    bus_token[T4__BUS_TOKEN_LEN] = '\0';
    t4__symbols_load(); /* once, for every worker's crash reports (a restart stays fast) */
    print_banner(cfg, sv.port);
    t4_log(T4_LOG_INFO, "supervisor %d: %d worker(s) on %s:%d (SIGHUP %s)", (int)getpid(), cfg->workers,
           cfg->host, sv.port, hooks ? "rebuilds and reloads" : "reloads the TLS certificate");

    for (int i = 0; i < cfg->workers; i++)
        if (spawn(&sv, i))
            return T4__SERVE_HERE;
    if (*stop_flag)
        begin_stop(&sv, "stop requested");
    for (;;) {
        reap(&sv);
        uint64_t now = now_ms();
        uint64_t wait = POLL_MS;
        if (!sv.stopping) {
            wait = check_retiring(&sv, now, wait);
            for (int i = sv.half * cfg->workers; i < (sv.half + 1) * cfg->workers; i++) {
                if (sv.slots[i].pid != 0)
                    continue;
                if (sv.slots[i].respawn_at <= now) {
                    if (spawn(&sv, i))
                        return T4__SERVE_HERE;
                    sv.burst_last = now; /* the new worker must live a while to end the burst */
                } else if (sv.slots[i].respawn_at - now < wait) {
                    wait = sv.slots[i].respawn_at - now;
                }
            }
        } else {
            if (live_workers(&sv) == 0)
                break;
            if (now >= sv.kill_at && !sv.killed) {
                sv.killed = true;
                t4_log(T4_LOG_WARN, "shutdown timeout: killing %d worker(s) still running",
                       live_workers(&sv));
                for (int i = 0; i < 2 * cfg->workers; i++)
                    if (sv.slots[i].pid > 0)
                        kill(sv.slots[i].pid, SIGKILL);
                for (size_t i = 0; i < sv.nretiring; i++)
                    kill(sv.retiring[i].pid, SIGKILL);
            } else if (!sv.killed && sv.kill_at - now < wait) {
                wait = sv.kill_at - now;
            }
        }
        struct timespec ts = {(time_t)(wait / 1000), (long)(wait % 1000) * 1000000L};
        siginfo_t si;
        int sig = sigtimedwait(&set, &si, &ts);
        if (sig == SIGTERM || sig == SIGINT) {
            begin_stop(&sv, sig == SIGTERM ? "received SIGTERM" : "received SIGINT");
        } else if (*stop_flag) {
            begin_stop(&sv, "stop requested");
        } else if (sig == SIGUSR1) {
            kill_stuck(&sv, si.si_pid);
        } else if (sig == SIGHUP && !sv.hooks) {
            forward_sighup(&sv);
        } else if (sig == SIGHUP) {
            if (reload(&sv, "SIGHUP"))
                return T4__SERVE_HERE;
        } else if (!sv.stopping && sv.hooks && sv.hooks->poll && sv.hooks->poll(sv.hooks->ctx)) {
            if (reload(&sv, "a source file changed"))
                return T4__SERVE_HERE;
        }
    }
    close(sv.fd);
    *stop_flag = 0; /* the next t4_run starts afresh */
    sigprocmask(SIG_SETMASK, &sv.old_mask, NULL);
    free(slots);
    slots = NULL;
    free(sv.retiring);
    if (sv.total_crashes)
        t4_log(T4_LOG_INFO, "stopped (%lu worker crash(es) since start)", sv.total_crashes);
    else
        t4_log(T4_LOG_INFO, "stopped");
    return sv.failed ? T4_EINVAL : 0;
}
