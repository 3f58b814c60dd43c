/* SPDX-License-Identifier: MIT */
/*
 * Plain TCP: reads go straight to the connection's kind; the queue is
 * written with one writev (uv_try_write) per loop turn, and what the socket
 * does not take goes to uv_write in bounded pieces.
 */
#include "server/server.h"
#include <stdint.h>

#define WRITE_PIECE (64 * 1024) /* bytes per uv_write: see flush() */

static void tcp_flush(t4__conn *c)
{
    if (c->writing || c->closing)
        return;
    uv_buf_t iov[T4__MAX_IOV];
    while (c->q_len > 0) {
        size_t total;
        uint32_t n = t4__conn_fill_iov(c, iov, &total, SIZE_MAX);
        int r = t4__sock_try_write(c, iov, n);
        if (r < 0) {
            t4__conn_fail(c);
            return;
        }
        t4__conn_consume(c, (size_t)r);
        if ((size_t)r < total)
            break; /* the socket is full: hand the rest to libuv */
    }
    if (c->q_len == 0) {
        t4__conn_after_drain(c);
        return;
    }
    /* What the socket did not take goes to libuv in pieces of at most
     * WRITE_PIECE: each completion is visible progress for the send timeout
     * of a slow reader, and no write pins a whole backlog. */
    size_t total;
    uint32_t n = t4__conn_fill_iov(c, iov, &total, WRITE_PIECE);
    if (t4__sock_write(c, iov, n) != 0) {
        t4__conn_fail(c);
        return;
    }
    c->writing = true;
    c->q_inflight = (uint32_t)total;
}

static void tcp_written(t4__conn *c, int status)
{
    c->writing = false;
    size_t n = c->q_inflight;
    c->q_inflight = 0;
    if (status < 0) {
        /* Peer gone (EPIPE/ECONNRESET) or the handle is closing (ECANCELED). */
        if (!c->closing)
            t4__conn_fail(c);
        return;
    }
    t4__conn_consume(c, n); /* also the send-progress clock */
    if (c->closing)
        return;
    if (c->q_len > 0)
        tcp_flush(c);
    else
        t4__conn_after_drain(c);
}

static bool tcp_pending(const t4__conn *c)
{
    (void)c;
    return false;
}

static void tcp_closing(t4__conn *c)
{
    (void)c;
}

static bool tcp_tick(t4__conn *c, uint64_t now)
{
    (void)c;
    (void)now;
    return true;
}

static bool tcp_ready(const t4__conn *c)
{
    (void)c;
    return true;
}

static void tcp_free(t4__conn *c)
{
    (void)c;
}

const t4__transport t4__tcp_transport = {
    .name = "tcp",
    .on_read = t4__conn_input,
    .flush = tcp_flush,
    .written = tcp_written,
    .pending = tcp_pending,
    .closing = tcp_closing,
    .tick = tcp_tick,
    .ready = tcp_ready,
    .free = tcp_free,
    .direct_writes = true,
};
