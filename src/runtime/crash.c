/* SPDX-License-Identifier: MIT */
/*
 * The crash report (see crash.h). Everything the signal handler does is
 * async-signal-safe: it formats with its own digits (no stdio), reads the
 * current-handler record and the routes table (plain memory, no locks), and
 * writes with write(2). glibc's backtrace() is safe once libgcc is loaded,
 * so it is called once at install time.
 */
#include "runtime/crash.h"
#include "runtime/current.h"
#include "runtime/routes_seen.h"
#include "runtime/symbols.h"
#include <execinfo.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* The kernel's id of the calling thread (for "on another thread"). */
static pid_t thread_id(void)
{
#ifdef SYS_gettid
    return (pid_t)syscall(SYS_gettid);
#else
    uint64_t id = 0; /* macOS */
    pthread_threadid_np(NULL, &id);
    return (pid_t)id;
#endif
}

#define ALTSTACK_SIZE (64 * 1024)
#define MAX_FRAMES    64

static const int fatal_signals[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT};
static pid_t loop_tid;
static volatile sig_atomic_t reported;

typedef struct {
    char *p;
    size_t n, cap;
} line;

static void add(line *l, const char *s)
{
    while (*s && l->n + 1 < l->cap)
        l->p[l->n++] = *s++;
}

static void add_uint(line *l, unsigned long long v, unsigned base, int width)
{
    char d[24];
    int k = 0;
    do {
        d[k++] = "0123456789abcdef"[v % base];
        v /= base;
    } while (v && k < 24);
    while (k < width && k < 24)
        d[k++] = '0';
    while (k > 0 && l->n + 1 < l->cap)
        l->p[l->n++] = d[--k];
}

/* The log's timestamp (2026-01-31T12:00:00.000Z) without gmtime_r, which is
 * not async-signal-safe: days to a civil date (Howard Hinnant's algorithm). */
static void add_stamp(line *l)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    long long secs = ts.tv_sec, z = secs / 86400 + 719468;
    long long rem = secs % 86400;
    long long era = z / 146097, doe = z - era * 146097;
    long long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    long long doy = doe - (365 * yoe + yoe / 4 - yoe / 100), mp = (5 * doy + 2) / 153;
    long long day = doy - (153 * mp + 2) / 5 + 1, month = mp < 10 ? mp + 3 : mp - 9;
    long long year = yoe + era * 400 + (month <= 2);
    add_uint(l, (unsigned long long)year, 10, 4);
    add(l, "-");
    add_uint(l, (unsigned long long)month, 10, 2);
    add(l, "-");
    add_uint(l, (unsigned long long)day, 10, 2);
    add(l, "T");
    add_uint(l, (unsigned long long)(rem / 3600), 10, 2);
    add(l, ":");
    add_uint(l, (unsigned long long)(rem / 60 % 60), 10, 2);
    add(l, ":");
    add_uint(l, (unsigned long long)(rem % 60), 10, 2);
    add(l, ".");
    add_uint(l, (unsigned long long)(ts.tv_nsec / 1000000), 10, 3);
    add(l, "Z");
}

static const char *signal_name(int sig)
{
    switch (sig) {
    case SIGSEGV:
        return "SIGSEGV (invalid memory access)";
    case SIGBUS:
        return "SIGBUS (bus error)";
    case SIGFPE:
        return "SIGFPE (arithmetic error)";
    case SIGILL:
        return "SIGILL (illegal instruction)";
    case SIGABRT:
        return "SIGABRT (abort)";
    default:
        return "a fatal signal";
    }
}

static void report(int sig, const siginfo_t *si)
{
    char buf[1536];
    line l = {buf, 0, sizeof buf};
    add_stamp(&l);
    add(&l, " tina4 error: worker ");
    add_uint(&l, (unsigned long long)getpid(), 10, 1);
    add(&l, " crashed: ");
    add(&l, signal_name(sig));
    if (sig != SIGABRT && si) {
        add(&l, " at address 0x");
        add_uint(&l, (unsigned long long)(uintptr_t)si->si_addr, 16, 1);
    }
    pid_t tid = thread_id();
    int depth = t4__run_depth;
    if (tid != loop_tid) {
        add(&l, " on a thread other than the loop's (tid ");
        add_uint(&l, (unsigned long long)tid, 10, 1);
        add(&l, ")");
    } else if (depth > 0) {
        char what[600];
        int d = depth > T4__RUNNING_DEPTH ? T4__RUNNING_DEPTH : depth;
        t4__routes_seen_describe(&t4__run_stack[d - 1], what, sizeof what);
        add(&l, " in ");
        add(&l, what);
        const char *path = t4__run_stack[d - 1].path;
        size_t wl = strlen(what), pl = path ? strnlen(path, 512) : 0;
        if (path && (pl > wl || strncmp(what + wl - pl, path, pl) != 0)) {
            add(&l, " (path ");
            add(&l, path);
            add(&l, ")");
        }
    } else {
        add(&l, " outside any route handler (in the server itself)");
    }
    add(&l, "\nbacktrace:\n");
    ssize_t w = write(STDERR_FILENO, buf, l.n);
    (void)w;
    void *frames[MAX_FRAMES];
    int n = backtrace(frames, MAX_FRAMES);
    for (int i = 0; i < n; i++) {
        /* A return address points after its call: look up the byte before. */
        uintptr_t off, at = (uintptr_t)frames[i];
        const char *name = t4__symbols_find(at - 1, &off);
        if (!name) {
            backtrace_symbols_fd(&frames[i], 1, STDERR_FILENO);
            continue;
        }
        line f = {buf, 0, sizeof buf};
        add(&f, "  ");
        add(&f, name);
        add(&f, "+0x");
        add_uint(&f, (unsigned long long)(off + 1), 16, 1);
        add(&f, " [0x");
        add_uint(&f, (unsigned long long)at, 16, 1);
        add(&f, "]\n");
        w = write(STDERR_FILENO, buf, f.n);
        (void)w;
    }
}

static void on_fatal(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    if (!reported) { /* one report, even if writing it faults */
        reported = 1;
        report(sig, si);
    }
    /* SA_RESETHAND restored the default action: die by the same signal, so
     * the supervisor (and a core dump) see the real cause. */
    raise(sig);
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, sig);
    sigprocmask(SIG_UNBLOCK, &s, NULL);
}

void t4__crash_install(void)
{
    static bool installed;
    loop_tid = thread_id();
    if (installed)
        return;
    installed = true;
    void *warm[2];
    backtrace(warm, 2); /* loads libgcc now, not inside the signal handler */
    t4__symbols_load();
    static void *altstack; /* lives as long as the process */
    stack_t st = {0};
    st.ss_sp = altstack = malloc(ALTSTACK_SIZE);
    st.ss_size = ALTSTACK_SIZE;
    if (st.ss_sp)
        sigaltstack(&st, NULL);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_fatal;
    sa.sa_flags = SA_SIGINFO | SA_RESETHAND | SA_ONSTACK;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < sizeof fatal_signals / sizeof *fatal_signals; i++)
        sigaction(fatal_signals[i], &sa, NULL);
}
