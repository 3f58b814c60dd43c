/* SPDX-License-Identifier: MIT */
/*
 * TLS as a connection's transport (see tls.h).
 *
 * Reads: the raw bytes in the loop's read buffer are fed to the session;
 * each decrypted piece goes to the connection's kind through
 * t4__conn_input, exactly as plain bytes do.
 *
 * Writes (corked): once per loop turn, the queued plaintext (shared
 * broadcast frames included: ciphertext cannot be shared, the plaintext is)
 * is encrypted in one pass, small items gathered into full records, up to
 * ENCRYPT_BATCH bytes, then written with one try-write. What the socket does
 * not take is handed to libuv; nothing more is encrypted until it has gone,
 * so a slow reader keeps its backlog as queued plaintext, where
 * TINA4_WS_MAX_BACKPRESSURE and the output budget see it.
 */
#include "tls/session.h"
#include "tls/tls.h"
#include "util/log.h"
#include <string.h>

#define ENCRYPT_BATCH (64 * 1024)
#define RECORD        (16 * 1024)

SSL_CTX *t4__tls_ctx(void);

static const t4__conn_ops *plain_ops;
static char gather[RECORD]; /* small queue items joined into one record (loop thread) */

void t4__tls_set_plain_ops(const t4__conn_ops *ops)
{
    plain_ops = ops;
}

static bool deliver(void *arg, char *data, size_t n)
{
    t4__conn *c = arg;
    t4__conn_input(c, data, n);
    return !c->closing;
}

static void tls_on_read(t4__conn *c, char *data, size_t len)
{
    t4__tls *t = c->xport;
    bool was_handshaken = t->handshaken;
    t4__tls_status st = t4__tls_feed(t, data, len, deliver, c);
    if (t->handshaken && !was_handshaken)
        c->last_read = uv_now(&t4__srv->loop); /* the kind's clocks start now */
    switch (st) {
    case T4__TLS_OK:
    case T4__TLS_STOP:
        break;
    case T4__TLS_CLOSED: /* close_notify: the peer sends no more */
        t4__conn_input_end(c, UV_EOF);
        break;
    case T4__TLS_ERROR:
        t4_log(T4_LOG_DEBUG, "TLS: %s failed; closing", t->handshaken ? "a record" : "the handshake");
        c->ops->disconnected(c);
        t4__conn_close_graceful(c); /* the alert, if any, goes out before the FIN */
        break;
    }
    if (!c->closing && t4__tls_out_pending(t) > 0)
        t4__conn_mark_dirty(c); /* handshake answers, tickets, alerts */
}

/* Encrypts up to ENCRYPT_BATCH bytes of the queue; false on failure. */
static bool encrypt_batch(t4__conn *c, t4__tls *t)
{
    uv_buf_t iov[T4__MAX_IOV];
    size_t total, gathered = 0;
    uint32_t n = t4__conn_fill_iov(c, iov, &total, ENCRYPT_BATCH);
    for (uint32_t i = 0; i < n; i++) {
        const char *p = iov[i].base;
        size_t left = iov[i].len;
        while (left > 0) {
            if (gathered == 0 && left >= RECORD) { /* a whole record straight from the item */
                size_t k = left - left % RECORD;
                if (t4__tls_encrypt(t, p, k) != 0)
                    return false;
                p += k;
                left -= k;
                continue;
            }
            size_t k = left < RECORD - gathered ? left : RECORD - gathered;
            memcpy(gather + gathered, p, k);
            gathered += k;
            p += k;
            left -= k;
            if (gathered == RECORD) {
                if (t4__tls_encrypt(t, gather, gathered) != 0)
                    return false;
                gathered = 0;
            }
        }
    }
    if (gathered && t4__tls_encrypt(t, gather, gathered) != 0)
        return false;
    t4__conn_consume(c, total);
    return true;
}

static void tls_flush(t4__conn *c)
{
    t4__tls *t = c->xport;
    if (c->writing || c->closing || !t)
        return;
    for (;;) {
        size_t pending = t4__tls_out_pending(t);
        if (pending > 0) {
            uv_buf_t b = uv_buf_init(t->out.data + t->out_off, (unsigned)pending);
            int r = t4__sock_try_write(c, &b, 1);
            if (r < 0) {
                t4__conn_fail(c);
                return;
            }
            if (r > 0)
                c->last_write = uv_now(&t4__srv->loop);
            t4__tls_out_done(t, (size_t)r);
            if ((size_t)r < pending) {
                b = uv_buf_init(t->out.data + t->out_off, (unsigned)(pending - (size_t)r));
                if (t4__sock_write(c, &b, 1) != 0) {
                    t4__conn_fail(c);
                    return;
                }
                c->writing = true;
                c->q_inflight = (uint32_t)b.len;
                return;
            }
        }
        if (!t->handshaken && !t->failed)
            return; /* handshake bytes only: the kind has not started */
        if (c->q_len == 0 || t->failed)
            break;
        if (!encrypt_batch(c, t)) {
            t4__conn_fail(c);
            return;
        }
    }
    if (t->failed) {
        while (c->q_len > 0) /* nothing can be encrypted any more */
            t4__conn_consume(c, c->out_bytes);
    }
    t4__conn_after_drain(c);
}

static void tls_written(t4__conn *c, int status)
{
    t4__tls *t = c->xport;
    c->writing = false;
    size_t n = c->q_inflight;
    c->q_inflight = 0;
    if (status < 0) {
        if (!c->closing)
            t4__conn_fail(c);
        return;
    }
    c->last_write = uv_now(&t4__srv->loop); /* send progress, for the send timeouts */
    t4__tls_out_done(t, n);
    if (!c->closing)
        tls_flush(c);
}

static bool tls_pending(const t4__conn *c)
{
    const t4__tls *t = c->xport;
    return t && t4__tls_out_pending(t) > 0;
}

static void tls_closing(t4__conn *c)
{
    t4__tls *t = c->xport;
    if (!t)
        return;
    t4__tls_goodbye(t);
    if (t4__tls_out_pending(t) > 0)
        t4__conn_mark_dirty(c);
}

static bool tls_ready(const t4__conn *c)
{
    const t4__tls *t = c->xport;
    return t && t->handshaken;
}

static bool tls_tick(t4__conn *c, uint64_t now)
{
    if (tls_ready(c))
        return true;
    const t4__tls *t = c->xport;
    if (t->failed)
        return true; /* its alert is leaving: the closing deadline applies */
    /* From accept: the whole handshake gets this long, however it trickles. */
    if (now - t->started >= t4__srv->cfg.tls_handshake_timeout) {
        t4_log(T4_LOG_DEBUG, "TLS handshake not done within TINA4_TLS_HANDSHAKE_TIMEOUT: closing");
        t4__conn_close_now(c);
        return false;
    }
    return true;
}

static void tls_free(t4__conn *c)
{
    t4__tls_free(c->xport);
    c->xport = NULL;
}

const t4__transport t4__tls_transport = {
    .name = "tls",
    .on_read = tls_on_read,
    .flush = tls_flush,
    .written = tls_written,
    .pending = tls_pending,
    .closing = tls_closing,
    .tick = tls_tick,
    .ready = tls_ready,
    .free = tls_free,
    .direct_writes = false,
};

/* TINA4_TLS_REDIRECT: the first bytes decide, then the connection is TLS
 * or plain for good. */
static void sniff_on_read(t4__conn *c, char *data, size_t len)
{
    if (t4__tls_sniff((const unsigned char *)data, len) == T4__SNIFF_PLAIN && plain_ops) {
        tls_free(c);
        c->tp = &t4__tcp_transport;
        c->ops = plain_ops;
        c->tp->on_read(c, data, len);
        return;
    }
    c->tp = &t4__tls_transport;
    tls_on_read(c, data, len);
}

static const t4__transport sniff_transport = {
    .name = "tls-or-plain",
    .on_read = sniff_on_read,
    .flush = tls_flush,
    .written = tls_written,
    .pending = tls_pending,
    .closing = tls_closing,
    .tick = tls_tick,
    .ready = tls_ready,
    .free = tls_free,
    .direct_writes = false,
};

void t4__tls_accept(t4__conn *c)
{
    if (!t4__tls_enabled())
        return;
    t4__tls *t = t4__tls_new(t4__tls_ctx());
    if (!t) {
        t4_log(T4_LOG_ERROR, "out of memory starting a TLS session; closing connection");
        t4__conn_close_now(c);
        return;
    }
    t->started = uv_now(&t4__srv->loop);
    c->xport = t;
    c->tp = t4__srv->cfg.tls_redirect ? &sniff_transport : &t4__tls_transport;
}
