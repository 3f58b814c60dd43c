/* SPDX-License-Identifier: MIT */
/*
 * The server: one libuv loop that owns the listener and every connection.
 *
 * Lifecycle: t4_run() initialises the one server, serves until a stop is
 * requested, then drains and returns. Connections: accepted -> HTTP ->
 * (maybe) upgraded to WebSocket -> closing -> closed; a connection's memory
 * is freed only in its handle's close callback (libuv's rule).
 */
#ifndef T4_SERVER_SERVER_H
#define T4_SERVER_SERVER_H
#include "server/listener.h"
#include "tina4.h"
#include "util/arena.h"
#include "util/buf.h"
#include "util/sbuf.h"
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

typedef struct t4__conn t4__conn;
typedef struct t4__http_state t4__http_state;
typedef struct t4__file_stream t4__file_stream;

/* One queued output buffer (a reference to a shared buffer + start offset). */
typedef struct {
    t4__sbuf *buf;
    size_t off;
} t4__outq_item;

#define T4__OUTQ_INLINE 2

/*
 * A connection kind's operations: its "socket context", as h2o and uSockets
 * call it. The loop (server.c, connection.c, slow_clients.c) drives every
 * connection through its table and names no protocol; HTTP (http_conn.c)
 * and WebSocket (ws_conn.c) each provide one, and a connection changes kind
 * by switching its table (an Upgrade). Every entry is required.
 */
typedef struct t4__conn_ops {
    const char *name;
    /* Long-lived (WebSocket): a retiring worker keeps it through the
     * reload's grace and ends it last; short-lived kinds (HTTP) end first. */
    bool lingers;
    /* Protocol bytes arrived (plaintext under TLS); returns the bytes used.
     * 0 keeps the rest in c->in for later (incomplete, or paused). */
    size_t (*process)(t4__conn *c, char *data, size_t len);
    /* Input memory the kind holds besides c->in (a body, a fragmented message). */
    size_t (*input_held)(const t4__conn *c);
    /* Whether a body or a frame is partly received: the minimum data rate
     * applies, and the connection may be cut off to free input memory. */
    bool (*receiving)(const t4__conn *c);
    /* Cuts off a sender that is too slow (408 / 1008), freeing its input now. */
    void (*too_slow)(t4__conn *c);
    /* The input budget refused this connection's bytes (503 / 1013). */
    void (*over_budget)(t4__conn *c);
    /* Reading resumed after the server paused it: time paused is not the
     * client's slowness. */
    void (*read_resumed)(t4__conn *c);
    /* The output queue drained. Returns true while the kind is still
     * producing output for it (a file being sent): not idle yet. */
    bool (*drained)(t4__conn *c);
    /* The peer closed or the socket failed (before the connection closes). */
    void (*disconnected)(t4__conn *c);
    /* Periodic checks on the tick (timeouts, pings); now = uv_now. */
    void (*tick)(t4__conn *c, uint64_t now);
    /* The server is stopping (or, at a reload, retiring): begin this
     * connection's graceful end. code: the WebSocket close code (1001 at
     * shutdown, 1012 at the end of a reload's grace); HTTP finishes the
     * response in flight. */
    void (*shutdown)(t4__conn *c, uint16_t code);
    /* The connection's memory is going: release the kind's state. */
    void (*free)(t4__conn *c);
} t4__conn_ops;

/*
 * The transport under a connection: every byte between the socket and the
 * kind passes through it. Plain TCP (transport_tcp.c) hands reads straight
 * to the kind and writes the queue with writev; TLS (src/tls) decrypts
 * reads into plaintext for the kind and encrypts the queue per loop turn.
 * The socket calls themselves are in socket.c.
 */
typedef struct t4__transport {
    const char *name;
    /* Bytes read from the socket (in the loop's read buffer). */
    void (*on_read)(t4__conn *c, char *data, size_t len);
    /* Writes what is queued (once per loop turn, and after each write completes). */
    void (*flush)(t4__conn *c);
    /* A uv_write started by flush completed (status: 0 or a UV error). */
    void (*written)(t4__conn *c, int status);
    /* Whether the transport still has bytes of its own to write (its
     * goodbye, a handshake answer): the connection is not drained yet. */
    bool (*pending)(const t4__conn *c);
    /* The connection is ending gracefully: queue the transport's goodbye
     * (TLS close_notify) before the FIN. */
    void (*closing)(t4__conn *c);
    /* Periodic: false when it closed the connection (a stalled handshake). */
    bool (*tick)(t4__conn *c, uint64_t now);
    /* Whether the kind may run (the handshake is done). */
    bool (*ready)(const t4__conn *c);
    void (*free)(t4__conn *c);
    bool direct_writes; /* a small control frame may be written at once (no encryption) */
} t4__transport;

extern const t4__transport t4__tcp_transport;

struct t4__conn {
    uv_tcp_t tcp;
    t4__conn *prev, *next; /* all connections (for timeouts and shutdown) */
    t4__conn *next_dirty;  /* on the server's to-flush list while dirty */
    t4__buf in;            /* unprocessed input; empty (and freed) when idle */
    /* Output queue: a ring of references, inline for the common short queue. */
    t4__outq_item *q;
    uint32_t q_head, q_len, q_cap;
    uint32_t q_inflight; /* bytes handed to an in-flight uv_write */
    t4__outq_item q_inline[T4__OUTQ_INLINE];
    size_t out_bytes;       /* queued and not yet written */
    uint64_t bytes_in;      /* bytes read so far (the minimum data rate's measure) */
    uint64_t rate_t0;       /* start of the current minimum-rate window (0: none) */
    uint64_t rate_b0;       /* bytes_in at rate_t0 */
    uint64_t last_read;     /* uv_now of the last bytes read */
    uint64_t turn;          /* the loop turn the three counters below are for */
    uint16_t turn_requests; /* requests or frames handled in that turn */
    uint16_t turn_fanout;   /* messages its handlers queued to other connections (saturating) */
    uint32_t turn_output;   /* bytes its requests queued for itself (saturating) */
    t4__conn *next_deferred;
    uint64_t last_write;        /* uv_now of the last output progress */
    uint64_t deadline;          /* kind-specific timeout, ms (0 = none) */
    const t4__conn_ops *ops;    /* what the connection speaks (HTTP, WebSocket...) */
    const t4__transport *tp;    /* how its bytes travel (TCP, TLS) */
    void *xport;                /* the transport's state (NULL for TCP) */
    bool dirty : 1;             /* on the flush list */
    bool writing : 1;           /* a uv_write is in flight */
    bool close_after_flush : 1; /* shut down once the queue drains */
    bool shutting_down : 1;     /* uv_shutdown sent; waiting for EOF */
    bool closing : 1;           /* uv_close called */
    bool read_stopped : 1;      /* input paused (backpressure or closing) */
    bool discard_input : 1;     /* protocol over: read and drop until EOF */
    bool peer_eof : 1;          /* the peer half-closed (its FIN arrived) */
    bool deferred : 1;          /* on the server's deferred list */
    /* The kinds' state, opaque here. */
    t4__http_state *http;    /* request in progress (HTTP kind) */
    struct t4_ws *ws;        /* WebSocket state (WS kind) */
    t4__file_stream *stream; /* output the kind produces on drain (a file being sent): the
                                connection is busy while it is set */
};

typedef struct t4__server {
    uv_loop_t loop;
    t4__listener listener;
    uv_prepare_t prepare;
    uv_check_t check;
    uv_timer_t tick;
    uv_timer_t shutdown_timer;
    uv_async_t wakeup; /* stop requests and pushes from other threads */
    uv_signal_t sigint, sigterm;
    t4_config cfg;
    pthread_t loop_thread;
    t4__conn *conns; /* list of all connections */
    size_t nconns;
    t4__conn *dirty; /* connections with queued output */
    uint64_t tick_ms;
    char date[40]; /* the HTTP Date header value, refreshed per tick */
    uint64_t date_at;
    t4__arena arena; /* per-request scratch memory */
    char *readbuf;   /* one read buffer for every socket */
    size_t readbuf_size;
    bool readbuf_busy;
    bool stopping;
    /* A reload retires this worker: it accepts no more, but an upgrade on a
     * connection it already accepted is still answered (the WebSocket gets
     * 1012 with the others) until its WebSockets have been closed. */
    bool retiring;
    bool websockets_closed; /* the drain's WebSocket step has run */
    int bound_port;
    t4__conn *current;           /* the connection whose input is being processed */
    uint64_t turn;               /* loop iterations (counted in the check hook) */
    uv_idle_t resume_idle;       /* runs deferred input on the next turn */
    t4__conn *deferred;          /* connections whose input waits for the next turn */
    uint64_t reclaim_idle_until; /* no reclaim scan before this (uv_now): the last found nothing */
    uv_write_t *free_writes;     /* recycled write requests */
} t4__server;

/* The running server (NULL when none). Internal modules use it directly. */
extern t4__server *t4__srv;

bool t4__on_loop_thread(void);
/* Unlinks a closed connection from the server's list (connection.c). */
void t4__server_unlink(t4__conn *c);
/* A reload's drain (runtime/reload_worker.c), in two steps: stop accepting
 * and finish HTTP (WebSockets stay open), then, after the grace, close the
 * WebSockets with code. A shutdown (SIGTERM) meanwhile closes them at once. */
void t4__server_drain_http(void);
void t4__server_close_websockets(uint16_t code);

/* Output: queue a reference (takes one ref of b) and mark the connection to
 * be flushed at the end of this loop turn (corking). Returns 0 or T4_ECLOSED. */
int t4__conn_queue(t4__conn *c, t4__sbuf *b);
/* A small control frame (pong): written at once when nothing is queued
 * (no allocation), else queued as a copy. */
int t4__conn_write_small(t4__conn *c, const void *p, size_t n);
/* Queue a copy of bytes. */
int t4__conn_queue_copy(t4__conn *c, const void *p, size_t n);
/* Puts c on the list flushed at the end of this loop turn (a transport
 * with bytes of its own to write). */
void t4__conn_mark_dirty(t4__conn *c);
/* Writes everything queued on dirty connections (called per loop turn). */
void t4__flush_dirty(void);
/* Graceful close: flush what is queued, send FIN, wait briefly for the
 * peer's FIN (so unread input does not turn into an RST that destroys our
 * last bytes), then close. */
void t4__conn_close_graceful(t4__conn *c);
/* The peer's IP address as text into out (INET6_ADDRSTRLEN bytes). 0 or -1. */
int t4__conn_peer_addr(t4__conn *c, char *out, size_t outsz);
/* Gives an idle connection's grown output queue back (per tick). */
void t4__conn_trim(t4__conn *c);
/* Immediate close (drops queued output). */
void t4__conn_close_now(t4__conn *c);
/* Processes input kept in c->in (after a pause: output drained, a file
 * fully queued), then resumes reading. */
void t4__conn_process_input(t4__conn *c);
/* Fairness: a connection that had its share of requests this loop turn
 * stops reading; the rest of its input is processed on the next turn, so one
 * client's pipelined flood cannot hold the loop. */
void t4__conn_defer_input(t4__conn *c);
/* The share: whether c, about to handle one more request or frame, has had
 * its share of this loop turn: max_items handled, max_output bytes queued
 * for itself, or T4__FANOUT_PER_TURN messages queued to other connections by
 * its handlers (a broadcast to 1000 costs 1000). Resets the counters at a
 * new turn. The caller then defers the rest of c's input. */
#define T4__FANOUT_PER_TURN 32768
bool t4__conn_turn_spent(t4__conn *c, unsigned max_items, size_t max_output);
/* Charges n deliveries to the connection whose input is being handled (a
 * handler's broadcast); nothing when none is (a push from a thread). */
void t4__conn_charge_fanout(size_t n);
/* Bytes of input buffers this connection holds (c->in, a body, a message). */
size_t t4__conn_input_held(const t4__conn *c);
/* Pause/resume reading. */
void t4__conn_read_stop(t4__conn *c);
void t4__conn_read_start(t4__conn *c);

/* Protocol bytes for c->ops (plaintext: the transport has decoded them):
 * processed at once, the rest kept in c->in within the input budget. */
void t4__conn_input(t4__conn *c, char *data, size_t len);
/* The socket reported end of input or an error (nread: a UV code). */
void t4__conn_input_end(t4__conn *c, ssize_t nread);

/* For transports (connection.c): the queue as an iovec of at most max_bytes,
 * dropping n written bytes from its front, and what follows a drained queue. */
#define T4__MAX_IOV 64
uint32_t t4__conn_fill_iov(t4__conn *c, uv_buf_t *iov, size_t *total, size_t max_bytes);
void t4__conn_consume(t4__conn *c, size_t n);
void t4__conn_after_drain(t4__conn *c);
/* The connection failed while writing: the kind is told, the socket closed. */
void t4__conn_fail(t4__conn *c);

/* The socket (socket.c): the one place that reads and writes it. */
void t4__sock_read_start(t4__conn *c);
void t4__sock_read_stop(t4__conn *c);
/* Bytes the socket took now (0 when full), or a UV error. */
int t4__sock_try_write(t4__conn *c, const uv_buf_t *iov, unsigned n);
/* Queues a write with libuv; c->tp->written(c, status) follows. 0 or a UV error. */
int t4__sock_write(t4__conn *c, const uv_buf_t *iov, unsigned n);
/* Sends FIN once the writes before it are done; 0 or a UV error. */
int t4__sock_shutdown(t4__conn *c, uv_shutdown_cb cb);

/*
 * What the protocol layer gives the loop (src/app/protocols.c): the kind an
 * accepted connection starts as, and the server-wide steps around the loop.
 */
typedef struct t4__server_hooks {
    const t4__conn_ops *accept_ops;
    /* Before listening (templates, backplane); 0 or a T4_E code. */
    int (*start)(t4__server *s);
    /* The cross-thread wake-up handle exists (pushes). */
    void (*attach)(t4__server *s);
    /* Another thread woke the loop. */
    void (*wakeup)(void);
    /* After every batch of callbacks: deferred events fire (CLOSE). */
    void (*settle)(void);
    /* After a tick's sweep over every connection. */
    void (*sweep_end)(void);
    /* The "listening on" log line. */
    void (*listening)(const t4__server *s);
    /* The loop is ending: no more cross-thread work, backplane stopped. */
    void (*stop)(void);
    /* After the loop has closed: process-wide caches released. */
    void (*cleanup)(void);
} t4__server_hooks;
extern const t4__server_hooks t4__protocols;
#endif
