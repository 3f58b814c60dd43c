/* SPDX-License-Identifier: MIT */
/*
 * The server loop: listener, accept, input handed to the connection's kind,
 * timers, signals and shutdown. It names no protocol: each connection is
 * driven through its kind's table (c->ops) over its transport (c->tp), and
 * the server-wide steps around the loop come from t4__protocols
 * (src/app/protocols.c). Output queues and closing are in connection.c, the
 * socket calls in socket.c.
 */
#include "server/server.h"
#include "runtime/supervisor.h"
#include "server/config.h"
#include "server/input_budget.h"
#include "server/listener.h"
#include "server/output_budget.h"
#include "server/slow_clients.h"
#include "tls/tls.h"
#include "util/log.h"
#ifdef __GLIBC__
#include <malloc.h> /* malloc_trim */
#endif
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

t4__server *t4__srv;
static volatile sig_atomic_t stop_requested;
static pthread_mutex_t srv_lock = PTHREAD_MUTEX_INITIALIZER; /* guards stop_async */
static uv_async_t *stop_async; /* the live wake-up handle, NULL outside the serving loop */

#define READBUF_SIZE (64 * 1024)

/* Which thread runs the loop, readable from any thread without a race. */
static _Atomic bool loop_running;
static pthread_t loop_thread_id;

bool t4__on_loop_thread(void)
{
    return loop_running && pthread_equal(pthread_self(), loop_thread_id);
}

int t4_bound_port(void)
{
    return t4__srv ? t4__srv->bound_port : 0;
}

static void refresh_date(t4__server *s)
{
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(s->date, sizeof s->date, "%a, %d %b %Y %H:%M:%S GMT", &tm);
}

/* ---------------------------------------------------------------- */
/* Reading                                                            */
/* ---------------------------------------------------------------- */

static size_t process(t4__conn *c, char *data, size_t len)
{
    if (c->discard_input)
        return len;
    return c->ops->process(c, data, len);
}

/* Keeps unprocessed bytes in the connection, within the input budget;
 * false (and the connection answered and closing) when refused. */
static bool buffer_input(t4__conn *c, const char *p, size_t n)
{
    int r = t4__input_append(&c->in, p, n);
    if (r == 0)
        return true;
    if (r == T4_ENOMEM)
        t4_log(T4_LOG_ERROR, "out of memory buffering input; closing connection");
    t4__input_free(&c->in);
    if (r == T4_EBACKPRESSURE)
        c->ops->over_budget(c); /* 503 + Retry-After, or close 1013 */
    else
        t4__conn_close_now(c);
    return false;
}

/* Processes what c->in holds; frees it when all is used. */
static void process_buffered(t4__conn *c)
{
    size_t used = 0;
    while (used < c->in.len && !c->closing && !c->discard_input) {
        size_t more = process(c, c->in.data + used, c->in.len - used);
        if (more == 0)
            break;
        used += more;
    }
    if (c->closing || c->discard_input || used >= c->in.len)
        t4__input_free(&c->in); /* idle connections own no input buffer */
    else
        t4__input_consume(&c->in, used);
}

void t4__conn_process_input(t4__conn *c)
{
    if (c->closing || c->close_after_flush || c->shutting_down || c->stream)
        return;
    t4__conn_read_start(c); /* the requests processed below may pause it again */
    if (c->in.len > 0) {
        t4__conn *outer = t4__srv->current;
        t4__srv->current = c;
        process_buffered(c);
        t4__srv->current = outer;
    }
    t4__protocols.settle();
}

static void on_resume_idle(uv_idle_t *h)
{
    t4__server *s = h->data;
    uv_idle_stop(h);
    t4__conn *list = s->deferred;
    s->deferred = NULL;
    while (list) {
        t4__conn *c = list;
        list = c->next_deferred;
        c->next_deferred = NULL;
        c->deferred = false;
        t4__conn_process_input(c); /* may defer it again, onto the new list */
    }
}

void t4__conn_defer_input(t4__conn *c)
{
    t4__conn_read_stop(c);
    if (c->deferred)
        return;
    c->deferred = true;
    c->next_deferred = t4__srv->deferred;
    t4__srv->deferred = c;
    uv_idle_start(&t4__srv->resume_idle, on_resume_idle);
}

bool t4__conn_turn_spent(t4__conn *c, unsigned max_items, size_t max_output)
{
    if (c->turn != t4__srv->turn) {
        c->turn = t4__srv->turn;
        c->turn_requests = 0;
        c->turn_fanout = 0;
        c->turn_output = 0;
    }
    return c->turn_requests >= max_items || c->turn_output >= max_output ||
           c->turn_fanout >= T4__FANOUT_PER_TURN;
}

void t4__conn_charge_fanout(size_t n)
{
    t4__conn *c = t4__srv->current;
    if (!c || c->turn != t4__srv->turn)
        return; /* not handling input, or its counters are from an older turn */
    size_t sum = (size_t)c->turn_fanout + n;
    c->turn_fanout = sum > UINT16_MAX ? UINT16_MAX : (uint16_t)sum;
}

static void unlink_deferred(t4__conn *c)
{
    for (t4__conn **p = &t4__srv->deferred; *p; p = &(*p)->next_deferred) {
        if (*p == c) {
            *p = c->next_deferred;
            break;
        }
    }
    c->deferred = false;
}

size_t t4__conn_input_held(const t4__conn *c)
{
    return c->in.cap + c->ops->input_held(c);
}

void t4__conn_input_end(t4__conn *c, ssize_t nread)
{
    c->ops->disconnected(c);
    if (nread == UV_EOF && !c->closing && (c->q_len > 0 || c->writing || c->stream || c->tp->pending(c))) {
        /* A half-close: the peer sends no more but still reads. What we
         * queued for it (a response, a 1009 close frame) is delivered. */
        c->peer_eof = true;
        t4__conn_read_stop(c);
        t4__conn_close_graceful(c);
    } else {
        t4__conn_close_now(c);
    }
    t4__protocols.settle();
}

void t4__conn_input(t4__conn *c, char *data, size_t n)
{
    if (c->closing)
        return;
    t4__srv->current = c;
    if (c->in.len == 0) {
        /* Fast path: process straight from the loop buffer. */
        size_t used = process(c, data, n);
        /* The protocol may have switched (HTTP -> WebSocket) mid-buffer. */
        while (used < n && !c->closing && !c->discard_input) {
            size_t more = process(c, data + used, n - used);
            if (more == 0)
                break;
            used += more;
        }
        /* What is left (a partial request or frame, or requests that wait
         * for our output to drain) is kept, within the input budget. */
        if (used < n && !c->closing && !c->discard_input)
            buffer_input(c, data + used, n - used);
    } else if (buffer_input(c, data, n)) {
        process_buffered(c);
    }
    t4__srv->current = NULL;
    t4__protocols.settle();
}

void t4__conn_read_stop(t4__conn *c)
{
    if (!c->read_stopped && !c->closing) {
        t4__sock_read_stop(c);
        c->read_stopped = true;
    }
}

void t4__conn_read_start(t4__conn *c)
{
    if (c->read_stopped && !c->closing) {
        t4__sock_read_start(c);
        c->read_stopped = false;
        /* Time spent paused by us is not the client's slowness. */
        c->last_read = uv_now(&t4__srv->loop);
        c->ops->read_resumed(c);
    }
}

/* ---------------------------------------------------------------- */
/* Accepting                                                          */
/* ---------------------------------------------------------------- */

/* Connections refused for the connection limit are logged at most once a
 * second, with a count: a flood of them must not become a flood of lines. */
static uint64_t over_limit, over_limit_logged_at;

static void over_limit_flush(uint64_t now, bool force)
{
    if (over_limit == 0 || (!force && now - over_limit_logged_at < 1000))
        return;
    t4_log(T4_LOG_WARN, "connection limit (%zu) reached: refused %llu connection(s)",
           t4__srv->cfg.max_connections, (unsigned long long)over_limit);
    over_limit = 0;
    over_limit_logged_at = now;
}

/* A socket the listener accepted (listener.c): becomes a connection. */
static void on_accept(uv_os_sock_t fd)
{
    t4__server *s = t4__srv;
    if (s->stopping || s->nconns >= s->cfg.max_connections) {
        if (!s->stopping) {
            over_limit++;
            over_limit_flush(uv_now(&s->loop), false);
        }
        close(fd);
        return;
    }
    t4__conn *c = calloc(1, sizeof *c);
    if (!c) {
        t4_log(T4_LOG_ERROR, "out of memory accepting a connection");
        close(fd);
        return;
    }
    uv_tcp_init(&s->loop, &c->tcp);
    c->tcp.data = c;
    c->q = c->q_inline;
    c->q_cap = T4__OUTQ_INLINE;
    if (uv_tcp_open(&c->tcp, fd) != 0) {
        close(fd);
        c->closing = true;
        uv_close((uv_handle_t *)&c->tcp, (uv_close_cb)free);
        return;
    }
    uv_tcp_nodelay(&c->tcp, 1);
    c->next = s->conns;
    if (s->conns)
        s->conns->prev = c;
    s->conns = c;
    s->nconns++;
    c->last_read = uv_now(&s->loop);
    c->ops = t4__protocols.accept_ops;
    c->tp = &t4__tcp_transport;
    t4__tls_accept(c); /* TLS under the kind when a certificate is configured */
    if (!c->closing)
        t4__sock_read_start(c);
}

/* Called by connection.c when a connection's handle has closed. */
void t4__server_unlink(t4__conn *c)
{
    t4__server *s = t4__srv;
    if (c->deferred)
        unlink_deferred(c); /* never leave a freed connection on the deferred list */
    if (c->prev)
        c->prev->next = c->next;
    else if (s->conns == c)
        s->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    c->prev = c->next = NULL;
    s->nconns--;
    if (s->stopping && s->nconns == 0)
        uv_stop(&s->loop);
}

/* ---------------------------------------------------------------- */
/* Timers, loop hooks, shutdown                                       */
/* ---------------------------------------------------------------- */

static void on_tick(uv_timer_t *t)
{
    t4__server *s = t4__srv;
    uint64_t now = uv_now(&s->loop);
    if (now - s->date_at >= 1000) {
        refresh_date(s);
        s->date_at = now;
        /* Bursts (a pong to every client, a broadcast backlog) leave whole
         * pages of freed buffers behind; give them back to the system so
         * idle memory stays what idle connections need. Cheap at 1 Hz. */
#ifdef __GLIBC__
        malloc_trim(64 * 1024);
#endif
    }
    t4__listener_flush_log(&s->listener, now, false); /* the counts of the last second */
    over_limit_flush(now, false);
    for (t4__conn *c = s->conns, *next; c; c = next) {
        next = c->next;
        if (c->closing)
            continue;
        if (c->shutting_down || c->close_after_flush) {
            /* A closing connection gets a bounded time to drain its output
             * and for the peer's FIN (see t4__conn_close_graceful). */
            if (now >= c->deadline)
                t4__conn_close_now(c);
            continue;
        }
        t4__conn_trim(c);
        if (!c->tp->tick(c, now) || !c->tp->ready(c))
            continue; /* closed, or still in its handshake: the kind has not started */
        c->ops->tick(c, now);
        if (!c->closing && !c->close_after_flush)
            t4__slow_check(c, now);
    }
    t4__protocols.sweep_end();
    t4__protocols.settle();
    (void)t;
}

/* Corking: everything queued during a loop turn leaves in one write per
 * connection. prepare runs before the loop blocks (covers timer callbacks),
 * check right after I/O callbacks. */
static void on_prepare(uv_prepare_t *h)
{
    (void)h;
    t4__protocols.settle();
    t4__flush_dirty();
}

static void on_check(uv_check_t *h)
{
    (void)h;
    t4__protocols.settle();
    t4__flush_dirty();
    /* A new turn starts after the I/O callbacks: input deferred in them is
     * resumed (idle phase) with a fresh per-turn allowance. */
    t4__srv->turn++;
}

static void force_close_all(uv_timer_t *t)
{
    (void)t;
    t4_log(T4_LOG_WARN, "shutdown timeout: closing %zu remaining connection(s)", t4__srv->nconns);
    for (t4__conn *c = t4__srv->conns; c; c = c->next) {
        c->ops->disconnected(c);
        t4__conn_close_now(c);
    }
    t4__protocols.settle();
}

/* The second step of a drain: every WebSocket gets code (1001 at shutdown,
 * 1012 at the end of a reload's grace), then the shutdown bound runs. */
static void close_websockets(t4__server *s, uint16_t code)
{
    if (s->websockets_closed)
        return;
    s->websockets_closed = true;
    for (t4__conn *c = s->conns, *next; c; c = next) {
        next = c->next;
        if (!c->closing && c->ops->lingers)
            c->ops->shutdown(c, code); /* WebSocket: a close frame with code */
    }
    t4__protocols.settle();
    t4__flush_dirty();
    if (s->nconns == 0)
        uv_stop(&s->loop);
    else
        uv_timer_start(&s->shutdown_timer, force_close_all, s->cfg.shutdown_timeout, 0);
}

/* The first step: stop accepting; idle keep-alive connections close, a
 * response in progress finishes (with Connection: close). fresh: a
 * connection accepted with no byte read yet is answered too rather than
 * closed (at a reload its request is on the way and must not fail). */
static void stop_http(t4__server *s, bool fresh)
{
    s->stopping = true;
    t4__listener_stop(&s->listener);
    for (t4__conn *c = s->conns, *next; c; c = next) {
        next = c->next;
        if (c->closing || c->ops->lingers)
            continue;
        if (fresh && (c->bytes_in == 0 || !c->tp->ready(c)))
            continue; /* its first request (or its TLS handshake) is under way: answer it, then close */
        c->ops->shutdown(c, 0); /* HTTP: idle closes now, a response in flight finishes */
    }
}

static void begin_shutdown(t4__server *s)
{
    if (!s->stopping) {
        t4_log(T4_LOG_INFO, "shutting down: closing %zu connection(s)", s->nconns);
        stop_http(s, false);
    }
    close_websockets(s, 1001); /* also ends a reload's grace early */
}

void t4__server_drain_http(void)
{
    t4__server *s = t4__srv;
    if (!s || s->stopping)
        return;
    t4_log(T4_LOG_INFO, "worker %d retiring (reload): accepts no more, finishing %zu connection(s)",
           (int)getpid(), s->nconns);
    s->retiring = true;
    stop_http(s, true);
    t4__flush_dirty();
    if (s->nconns == 0)
        uv_stop(&s->loop);
}

void t4__server_close_websockets(uint16_t code)
{
    if (t4__srv && t4__srv->stopping)
        close_websockets(t4__srv, code);
}

static void on_wakeup(uv_async_t *a)
{
    t4__protocols.wakeup();
    if (stop_requested)
        begin_shutdown(a->data);
}

static void on_signal(uv_signal_t *h, int signum)
{
    t4_log(T4_LOG_INFO, "received %s", signum == SIGINT ? "SIGINT" : "SIGTERM");
    begin_shutdown(h->data);
}

void t4_stop(void)
{
    stop_requested = 1; /* also honoured by a t4_run that has not started yet */
    pthread_mutex_lock(&srv_lock);
    if (stop_async)
        uv_async_send(stop_async);
    pthread_mutex_unlock(&srv_lock);
}

/* ---------------------------------------------------------------- */
/* Run                                                                */
/* ---------------------------------------------------------------- */

static uint64_t min_nonzero(uint64_t a, uint64_t b)
{
    return a == 0 ? b : (b == 0 || a < b ? a : b);
}

static void print_banner(const t4__server *s)
{
    if (s->cfg.quiet_banner)
        return;
    printf("  Tina4 C v%s\n", T4_VERSION);
    bool tls = t4__tls_enabled();
    printf("  HTTP server running at %s://%s:%d\n", tls ? "https" : "http", s->cfg.host, s->bound_port);
    printf("  WebSocket server running at %s://%s:%d\n", tls ? "wss" : "ws", s->cfg.host, s->bound_port);
    printf("  Press Ctrl+C to stop\n");
    fflush(stdout);
}

static int start_listening(t4__server *s)
{
    int port, fd = t4__worker_listen_fd(&port); /* a worker serves the supervisor's socket */
    int r = 0;
    if (fd >= 0)
        t4__listener_adopt(&s->listener, &s->loop, fd, port, on_accept);
    else
        r = t4__listener_start(&s->listener, &s->loop, s->cfg.host, s->cfg.port, on_accept);
    if (r == 0)
        s->bound_port = s->listener.port;
    return r;
}

static void close_walk(uv_handle_t *h, void *arg)
{
    (void)arg;
    if (!uv_is_closing(h)) {
        if (h->type == UV_TCP && h->data)
            t4__conn_close_now(h->data);
        else
            uv_close(h, NULL);
    }
}

int t4_run(const t4_config *cfg_in)
{
    t4_config cfg;
    if (cfg_in) {
        cfg = *cfg_in;
        t4__config_defaults(&cfg);
    } else if (t4_config_from_env(&cfg) != 0) {
        return T4_EINVAL;
    }
    if (cfg.port < -1 || cfg.port > 65535) {
        t4_log(T4_LOG_ERROR, "t4_run: port %d: expected 1-65535, or -1 for any free port", cfg.port);
        return T4_EINVAL;
    }
    if (t4__srv) {
        t4_log(T4_LOG_ERROR, "t4_run: a server is already running in this process");
        return T4_ESTATE;
    }
    t4__log_level = cfg.log_level;
    signal(SIGPIPE, SIG_IGN);
    /* Before workers fork: a bad certificate is one start-up error, and the
     * workers share the context (and its ticket keys: resumption works on
     * whichever worker a client lands). */
    if (t4__tls_configure(&cfg) != 0)
        return T4_EINVAL;
    /* TINA4_WORKERS > 1: this process supervises, and only the forked
     * workers go on from here (runtime/supervisor.h). */
    int sup = t4__supervise(&cfg, &stop_requested);
    if (sup != T4__SERVE_HERE) {
        t4__tls_cleanup();
        return sup;
    }

    t4__server *s = calloc(1, sizeof *s);
    if (!s)
        return T4_ENOMEM;
    s->cfg = cfg;
    s->readbuf_size = READBUF_SIZE + 1;
    s->readbuf = malloc(s->readbuf_size);
    if (!s->readbuf) {
        free(s);
        return T4_ENOMEM;
    }
    uv_loop_init(&s->loop);
    s->loop_thread = pthread_self();
    loop_thread_id = s->loop_thread;
    loop_running = true;
    refresh_date(s);

    pthread_mutex_lock(&srv_lock);
    t4__srv = s;
    pthread_mutex_unlock(&srv_lock);

    t4__input_set_limit(s->cfg.max_input_memory);
    t4__output_set_limit(s->cfg.max_output_memory);
    int rc = t4__protocols.start(s);
    /* SIGINT and SIGTERM wait (blocked) from before the port opens until
     * their handlers are in place: a stop sent as soon as the port answers
     * is then a graceful one, not death by the default action. */
    sigset_t stop_signals, old_mask;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop_signals, &old_mask);
    if (rc == 0)
        rc = start_listening(s);
    if (rc == 0) {
        uv_prepare_init(&s->loop, &s->prepare);
        uv_prepare_start(&s->prepare, on_prepare);
        uv_idle_init(&s->loop, &s->resume_idle);
        s->resume_idle.data = s;
        uv_check_init(&s->loop, &s->check);
        uv_check_start(&s->check, on_check);
        uv_async_init(&s->loop, &s->wakeup, on_wakeup);
        s->wakeup.data = s;
        t4__protocols.attach(s);
        pthread_mutex_lock(&srv_lock);
        stop_async = &s->wakeup;
        pthread_mutex_unlock(&srv_lock);
        uv_signal_init(&s->loop, &s->sigint);
        uv_signal_init(&s->loop, &s->sigterm);
        s->sigint.data = s->sigterm.data = s;
        uv_signal_start(&s->sigint, on_signal, SIGINT);
        uv_signal_start(&s->sigterm, on_signal, SIGTERM);
        pthread_sigmask(SIG_SETMASK, &old_mask, NULL); /* a pending stop is delivered to them now */
        t4__tls_sighup_start(&s->loop); /* SIGHUP (a worker: from the supervisor) reloads the certificate */
        t4__worker_attach(&s->loop, &s->cfg); /* a worker: the supervisor's reload signals */
        uv_timer_init(&s->loop, &s->shutdown_timer);
        uv_timer_init(&s->loop, &s->tick);
        /* One coarse timer sweeps every connection's deadlines (no timer per
         * socket); its period is a quarter of the shortest timeout. */
        uint64_t shortest = min_nonzero(
            min_nonzero(min_nonzero(cfg.ws_ping_interval, cfg.ws_idle_timeout), cfg.http_header_timeout),
            min_nonzero(
                min_nonzero(cfg.http_keepalive, cfg.ws_close_timeout),
                min_nonzero(cfg.min_data_rate_grace, t4__tls_enabled() ? cfg.tls_handshake_timeout : 0)));
        s->tick_ms = shortest / 4;
        if (s->tick_ms < 10)
            s->tick_ms = 10;
        if (s->tick_ms > 1000)
            s->tick_ms = 1000;
        uv_timer_start(&s->tick, on_tick, s->tick_ms, s->tick_ms);
        print_banner(s);
        t4__protocols.listening(s);
        if (stop_requested)
            begin_shutdown(s);
        uv_run(&s->loop, UV_RUN_DEFAULT);
        t4__listener_flush_log(&s->listener, uv_now(&s->loop), true);
        over_limit_flush(uv_now(&s->loop), true);
        t4_log(T4_LOG_INFO, "stopped");
    } else {
        pthread_sigmask(SIG_SETMASK, &old_mask, NULL);
    }

    pthread_mutex_lock(&srv_lock);
    stop_async = NULL; /* before the handle closes: t4_stop must not touch it */
    pthread_mutex_unlock(&srv_lock);
    t4__protocols.stop();            /* later pushes from other threads get T4_ESTATE */
    t4__listener_stop(&s->listener); /* when the loop ended without a shutdown */
    /* Close whatever is left (handles, connections) and let callbacks run. */
    t4__protocols.settle();
    uv_walk(&s->loop, close_walk, NULL);
    uv_run(&s->loop, UV_RUN_DEFAULT);
    t4__protocols.settle();
    uv_loop_close(&s->loop);

    loop_running = false;
    t4__srv = NULL;
    stop_requested = 0; /* the next t4_run starts afresh */
    while (s->free_writes) {
        uv_write_t *w = s->free_writes;
        s->free_writes = w->data;
        free(w);
    }
    t4__arena_free(&s->arena);
    free(s->readbuf);
    free(s);
    t4__sbuf_pool_clear();
    t4__protocols.cleanup();
    t4__tls_cleanup();
    t4__worker_exit(rc); /* a worker ends here */
    return rc;
}
