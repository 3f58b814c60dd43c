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

typedef enum {
    T4__CONN_HTTP = 0,
    T4__CONN_WS = 1,
} t4__conn_kind;

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
    size_t out_bytes;   /* queued and not yet written */
    uint64_t bytes_in;  /* bytes read so far (the minimum data rate's measure) */
    uint64_t rate_t0;   /* start of the current minimum-rate window (0: none) */
    uint64_t rate_b0;   /* bytes_in at rate_t0 */
    uint64_t last_read; /* uv_now of the last bytes read */
    uint64_t turn;      /* the loop turn turn_requests counts for */
    uint32_t turn_requests;
    t4__conn *next_deferred;
    uint64_t last_write; /* uv_now of the last output progress */
    uint64_t deadline;   /* kind-specific timeout, ms (0 = none) */
    uint8_t kind;
    bool dirty : 1;             /* on the flush list */
    bool writing : 1;           /* a uv_write is in flight */
    bool close_after_flush : 1; /* shut down once the queue drains */
    bool shutting_down : 1;     /* uv_shutdown sent; waiting for EOF */
    bool closing : 1;           /* uv_close called */
    bool read_stopped : 1;      /* input paused (backpressure or closing) */
    bool discard_input : 1;     /* protocol over: read and drop until EOF */
    bool peer_eof : 1;          /* the peer half-closed (its FIN arrived) */
    bool deferred : 1;          /* on the server's deferred list */
    t4__http_state *http;       /* request in progress (HTTP kind) */
    struct t4_ws *ws;           /* WebSocket state (WS kind) */
    t4__file_stream *stream;    /* a static file being sent (http/static.c) */
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
/* Bytes of input buffers this connection holds (c->in, a body, a message). */
size_t t4__conn_input_held(const t4__conn *c);
/* Pause/resume reading. */
void t4__conn_read_stop(t4__conn *c);
void t4__conn_read_start(t4__conn *c);

/* Processing entry points of the protocols (return bytes consumed). */
size_t t4__http_process(t4__conn *c, char *data, size_t len);
size_t t4__ws_process(t4__conn *c, char *data, size_t len);
/* Called when the peer closed or the socket failed (status: UV code or 0). */
void t4__http_on_disconnect(t4__conn *c);
void t4__ws_on_disconnect(t4__conn *c);
void t4__http_free(t4__conn *c);
/* Input held by a request in progress, and whether its body is arriving. */
size_t t4__http_input_held(const t4__conn *c);
bool t4__http_body_pending(const t4__conn *c);
/* Whether a WebSocket has a frame or fragmented message partly received,
 * and the input it holds for it. */
bool t4__ws_partial(const t4__conn *c);
size_t t4__ws_input_held(const t4__conn *c);
/* Cuts off a connection that sends too slowly (min rate, or evicted to
 * free input memory): 408 for HTTP, 1008 for WebSocket; its input buffers
 * are freed at once. */
void t4__http_too_slow(t4__conn *c);
void t4__ws_too_slow(t4__conn *c);
/* Restarts the request-timeout clock (reading resumed after a pause). */
void t4__http_reset_clock(t4__conn *c);
void t4__ws_free(t4__conn *c);
/* Periodic checks (timeouts, pings); now = uv_now. */
void t4__http_tick(t4__conn *c, uint64_t now);
void t4__ws_tick(t4__conn *c, uint64_t now);
/* Called when the queue drains (backpressure relief). */
void t4__ws_on_drain(t4__conn *c);
/* Static files (http/static.c): queue the next part of a file being sent
 * when the queue drains; release its state when the connection closes. */
void t4__static_on_drain(t4__conn *c);
void t4__static_free(t4__conn *c);
/* After a sweep of t4__ws_tick calls (releases shared sweep buffers). */
void t4__ws_sweep_end(void);
/* Shutdown (1001) or the end of a reload (1012): close the WebSocket with code. */
void t4__ws_shutdown(t4__conn *c, uint16_t code);
/* Fires pending CLOSE events (after the current handler returns). */
void t4__ws_fire_pending(void);
/* Drains the cross-thread push queue. */
void t4__push_drain(void);
/* Connects push to the loop's wake-up; reset detaches and drops the queue. */
void t4__push_attach(uv_async_t *async, size_t max_message);
void t4__push_reset(void);
#endif
