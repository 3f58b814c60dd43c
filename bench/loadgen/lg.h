/* SPDX-License-Identifier: MIT */
/*
 * lg.h -- tina4-loadgen: a WebSocket load generator on libuv.
 *
 * One thread, one loop. Every connection is an lg_conn; the scenarios
 * (echo, broadcast, idle) drive them through lg_handlers callbacks.
 * Outbound frames are appended to a per-connection buffer and flushed once
 * per loop iteration (uv_try_write first, uv_write for the rest), so a burst
 * of messages costs one syscall. Inbound bytes land in one shared read
 * buffer; only an incomplete frame tail is copied into the connection.
 * Only 127.0.0.1 is ever contacted.
 */
#ifndef LG_H
#define LG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

typedef struct ssl_st SSL;
typedef struct ssl_ctx_st SSL_CTX;
typedef struct ssl_session_st SSL_SESSION;

#define LG_OP_CONT   0x0
#define LG_OP_TEXT   0x1
#define LG_OP_BINARY 0x2
#define LG_OP_CLOSE  0x8
#define LG_OP_PING   0x9
#define LG_OP_PONG   0xA

/* A growable byte buffer that is reused, never shrunk. */
typedef struct {
    uint8_t *data;
    size_t len;
    size_t cap;
} lg_buf;

/* Makes room for `extra` more bytes; exits on out-of-memory. */
void lg_buf_reserve(lg_buf *b, size_t extra);
void lg_buf_free(lg_buf *b);

typedef struct lg_conn lg_conn;

typedef struct {
    void (*on_open)(lg_conn *c);                                                 /* handshake done */
    void (*on_message)(lg_conn *c, int opcode, const uint8_t *data, size_t len); /* whole message */
    void (*on_pong)(lg_conn *c);
    void (*on_gone)(lg_conn *c); /* the socket is closed (failed or not) */
    /* Set: the connection is raw (plain HTTP): on_open right after connect
     * (TLS handshake still under way: what is sent waits for it), and every
     * byte read goes here; no WebSocket upgrade. */
    void (*on_data)(lg_conn *c, const uint8_t *data, size_t len);
} lg_handlers;

enum { LG_IDLE = 0, LG_CONNECTING, LG_HANDSHAKE, LG_OPEN, LG_CLOSING, LG_CLOSED };

struct lg_conn {
    uv_tcp_t tcp;
    uv_connect_t connect_req;
    uv_write_t write_req;
    const lg_handlers *h;
    lg_conn *next_dirty;
    uint32_t id;
    uint8_t state;
    bool writing;    /* write_req in flight (wbuf belongs to libuv) */
    bool dirty;      /* on the flush list */
    bool close_sent; /* we sent a close frame */
    bool failed;     /* counted as a failed connection */
    bool pending;    /* counted by the batch connector */
    uint8_t msg_opcode;
    char accept[32]; /* expected Sec-WebSocket-Accept */
    lg_buf in;       /* handshake bytes or an incomplete frame */
    lg_buf msg;      /* fragments of a message */
    lg_buf out;      /* frames not yet handed to the kernel */
    lg_buf wbuf;     /* frames handed to uv_write */
    /* --tls: an OpenSSL client over a BIO of our own (tls.c). `out` holds
     * plaintext; it is encrypted into `raw` once the handshake is done, and
     * `raw` is what goes to the socket. */
    SSL *ssl;
    const uint8_t *tin; /* ciphertext being fed to OpenSSL (the read buffer) */
    size_t tin_len;
    lg_buf raw;
    bool tls_ready; /* handshake complete */
    uint64_t started_ns;
};

typedef struct {
    uv_loop_t *loop;
    int port;
    const char *path;
    uint64_t now_ns; /* uv_hrtime() at the start of the current callback */
    /* counters */
    uint64_t opened;
    uint64_t failed;          /* connect/handshake failures and unexpected drops */
    uint64_t started;         /* connects started */
    uint64_t failed_connects; /* connects or handshakes that failed */
    uint64_t gone;            /* sockets fully closed */
    uint64_t proto_errors;    /* protocol violations seen from the server */
    uint64_t pings_sent;
    uint64_t pongs;
    char first_error[256];
    bool quiet_drops; /* shutting down: a drop is not a failure */
    lg_conn *dirty_head;
    uv_prepare_t prepare;
    uv_check_t check;
    uint64_t rng;
    SSL_CTX *tls;         /* --tls: every connection speaks TLS */
    bool tls_resume;      /* offer the latest session ticket (handshake --resume) */
    SSL_SESSION *session; /* the latest ticket received */
    uint64_t tickets;     /* session tickets received */
} lg_ctx;

extern lg_ctx lg;

void lg_init(int port, const char *path);
/* Connects conns[0..n) to 127.0.0.1:port/path (TCP connect + WebSocket
 * handshake), at most `batch` in progress at once; conns[i].id = i. */
void lg_connect_many(lg_conn *conns, size_t n, const lg_handlers *h, size_t batch);
/* Connects like lg_connect_many and runs the loop until every connection
 * opened or failed (or timeout_s passed); returns how many opened. */
size_t lg_connect_all(lg_conn *conns, size_t n, const lg_handlers *h, size_t batch, double timeout_s);
/* Runs the loop until done(arg) is true; false on timeout. */
bool lg_wait(bool (*done)(void *), void *arg, double timeout_s);
void lg_sleep(double s);
/* Closes every connection (close handshake, then force) and waits. */
void lg_shutdown(lg_conn *conns, size_t n);
/* Queues one unfragmented message; flushed at the end of this loop turn. */
void lg_send(lg_conn *c, int opcode, const void *data, size_t len);
/* Queues raw bytes (a raw connection: on_data handlers). */
void lg_send_raw(lg_conn *c, const void *data, size_t len);
/* Starts connecting one connection outside lg_connect_many (conn->id = id). */
void lg_connect_one(lg_conn *c, uint32_t id, const lg_handlers *h);
/* Closes the socket now with a reset (no TIME_WAIT left behind). */
void lg_abort_reset(lg_conn *c);
/* Sends close 1000 (once). The socket is closed when the server closes. */
void lg_close(lg_conn *c);
/* Closes the socket now. */
void lg_abort(lg_conn *c);
/* Records a protocol error (first message is kept) and drops the connection. */
void lg_proto_error(lg_conn *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void lg_note_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
uint64_t lg_rand(void);

/* TLS (tls.c). lg_tls_setup makes the client context: no certificate
 * verification unless ca_file is given (then the chain and the name
 * "localhost" are checked). 0 on success. */
int lg_tls_setup(const char *ca_file, bool resume);
/* Starts the client handshake on a connected socket (ClientHello into raw). */
int lg_tls_start(lg_conn *c);
/* Feeds ciphertext; the plaintext goes to consume. -1 on a TLS error (noted). */
int lg_tls_input(lg_conn *c, const uint8_t *p, size_t n,
                 void (*consume)(lg_conn *c, const uint8_t *data, size_t len));
/* Encrypts c->out into c->raw once the handshake is done. -1 on error. */
int lg_tls_encrypt(lg_conn *c);
bool lg_tls_resumed(const lg_conn *c);
void lg_tls_free(lg_conn *c);
const char *lg_tls_version(const lg_conn *c);

/* Latency histogram: log-linear buckets over nanoseconds (< 1% error). */
#define LG_HIST_BUCKETS 3840
typedef struct {
    uint64_t counts[LG_HIST_BUCKETS];
    uint64_t n;
    uint64_t max;
    uint64_t min;
    long double sum;
} lg_hist;

void lg_hist_reset(lg_hist *h);
void lg_hist_add(lg_hist *h, uint64_t ns);
/* The value at quantile q in [0,1], in nanoseconds (0 when empty). */
uint64_t lg_hist_quantile(const lg_hist *h, double q);

/* Process statistics. */
long lg_proc_rss_kb(int pid);   /* VmRSS in kB (with direct children: workers), -1 if unknown */
double lg_proc_cpu_s(int pid);  /* utime+stime in seconds (with direct children), -1 if unknown */
double lg_self_cpu_s(void);     /* this process's user+sys seconds */
double lg_machine_busy_s(void); /* every CPU's busy seconds (/proc/stat), -1 if unknown */
/* Cores used by other processes between two readings: machine busy minus
 * this process and the server (-1 if unknown). */
double lg_other_cpu(double busy0, double busy1, double self_s, double server_s, double secs);

#define LG_MAX_PIDS 8
/* Options shared by the scenarios. */
typedef struct {
    const char *scenario;
    const char *label;
    const char *path;
    int port;
    int connections;       /* echo: connections; broadcast: subscribers; idle: connections */
    int pipeline;          /* echo: messages in flight per connection */
    size_t size;           /* message size in bytes */
    double duration;       /* seconds */
    double rate;           /* broadcast: messages/s (0 = as fast as the window allows) */
    int window;            /* broadcast: max unacknowledged messages */
    double ping;           /* idle: ping every N seconds (0 = never) */
    int pid;               /* server pid for RSS/CPU, 0 = none (the first of pids) */
    int pids[LG_MAX_PIDS]; /* --pid A,B: the server's processes (e.g. nginx and tina4-c behind it) */
    int npids;
    int batch;      /* max connects in progress */
    int mode;       /* echo: 0 text, 1 binary, 2 alternate */
    double timeout; /* seconds allowed for connecting everyone */
    bool size_set;  /* --size given */
    bool resume;    /* handshake: resume sessions */
} lg_opts;

/* The server's RSS and CPU: the sum over o->pids (each with its direct
 * children), -1 if unknown. */
long lg_server_rss_kb(const lg_opts *o);
double lg_server_cpu_s(const lg_opts *o);

int lg_run_echo(const lg_opts *o);
int lg_run_broadcast(const lg_opts *o);
int lg_run_idle(const lg_opts *o);
int lg_run_handshake(const lg_opts *o);
int lg_run_get(const lg_opts *o);

/* Helpers for the scenarios' reports. */
void lg_print_result(const char *human, const char *json);
const char *lg_json_str(const char *s); /* a JSON string literal (static buffer) */

#endif
