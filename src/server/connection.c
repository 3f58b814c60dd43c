/* SPDX-License-Identifier: MIT */
/*
 * A connection's output queue and its closing.
 *
 * Output is corked: queueing only records a reference and marks the
 * connection dirty; once per loop turn every dirty connection is written with
 * one uv_try_write of all its buffers (writev), falling back to uv_write for
 * what the socket did not take. Ownership: the queue holds one reference per
 * item and releases it once the bytes are written or the connection closes.
 */
#include "server/input_budget.h"
#include "server/server.h"
#include "util/log.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MAX_IOV     64
#define WRITE_PIECE (64 * 1024) /* bytes per uv_write: see flush() */
#define LINGER_MS   2000        /* how long a closing socket waits for the peer's FIN */

static t4__outq_item *q_at(t4__conn *c, uint32_t i)
{
    return &c->q[(c->q_head + i) % c->q_cap];
}

static int q_grow(t4__conn *c)
{
    uint32_t cap = c->q_cap * 2;
    t4__outq_item *nq = malloc(cap * sizeof *nq);
    if (!nq)
        return -1;
    for (uint32_t i = 0; i < c->q_len; i++)
        nq[i] = *q_at(c, i);
    if (c->q != c->q_inline)
        free(c->q);
    c->q = nq;
    c->q_cap = cap;
    c->q_head = 0;
    return 0;
}

static void q_pop(t4__conn *c)
{
    t4__outq_item *it = q_at(c, 0);
    t4__sbuf_release(it->buf);
    it->buf = NULL;
    c->q_head = (c->q_head + 1) % c->q_cap;
    c->q_len--;
    if (c->q_len == 0)
        c->q_head = 0;
}

void t4__conn_trim(t4__conn *c)
{
    /* A grown queue is kept while the connection is busy (no malloc per
     * burst) and given back once it has been empty for a tick. */
    if (c->q_len == 0 && c->q != c->q_inline && !c->writing) {
        free(c->q);
        c->q = c->q_inline;
        c->q_cap = T4__OUTQ_INLINE;
        c->q_head = 0;
    }
}

static void mark_dirty(t4__conn *c)
{
    if (!c->dirty) {
        c->dirty = true;
        c->next_dirty = t4__srv->dirty;
        t4__srv->dirty = c;
    }
}

int t4__conn_queue(t4__conn *c, t4__sbuf *b)
{
    if (c->closing || c->shutting_down) {
        t4__sbuf_release(b);
        return T4_ECLOSED;
    }
    if (c->q_len == c->q_cap && q_grow(c) != 0) {
        t4__sbuf_release(b);
        return T4_ENOMEM;
    }
    t4__outq_item *it = &c->q[(c->q_head + c->q_len) % c->q_cap];
    it->buf = b;
    it->off = 0;
    if (c->q_len == 0 && !c->writing)
        c->last_write = uv_now(&t4__srv->loop); /* the send-timeout clock starts now */
    c->q_len++;
    c->out_bytes += b->len;
    mark_dirty(c);
    return 0;
}

int t4__conn_queue_copy(t4__conn *c, const void *p, size_t n)
{
    t4__sbuf *b = t4__sbuf_get(n);
    if (!b)
        return T4_ENOMEM;
    memcpy(b->data, p, n);
    b->len = n;
    return t4__conn_queue(c, b);
}

int t4__conn_write_small(t4__conn *c, const void *p, size_t n)
{
    if (c->closing || c->shutting_down)
        return T4_ECLOSED;
    size_t done = 0;
    if (c->q_len == 0 && !c->writing) {
        /* Nothing queued: writing now keeps the order and needs no buffer. */
        uv_buf_t b = uv_buf_init((char *)p, (unsigned)n);
        int r = uv_try_write((uv_stream_t *)&c->tcp, &b, 1);
        if (r > 0)
            done = (size_t)r;
        if (done)
            c->last_write = uv_now(&t4__srv->loop);
    }
    return done == n ? 0 : t4__conn_queue_copy(c, (const char *)p + done, n - done);
}

/* Drops `n` written bytes from the front of the queue. */
static void q_consume(t4__conn *c, size_t n)
{
    if (n)
        c->last_write = uv_now(&t4__srv->loop);
    c->out_bytes -= n;
    while (n > 0 && c->q_len > 0) {
        t4__outq_item *it = q_at(c, 0);
        size_t left = it->buf->len - it->off;
        if (n >= left) {
            n -= left;
            q_pop(c);
        } else {
            it->off += n;
            n = 0;
        }
    }
}

/* Up to MAX_IOV buffers and (about) max_bytes: the last one is cut short
 * rather than exceeded, so a queued write completes in bounded pieces. */
static uint32_t fill_iov(t4__conn *c, uv_buf_t *iov, size_t *total, size_t max_bytes)
{
    uint32_t n = c->q_len < MAX_IOV ? c->q_len : MAX_IOV;
    *total = 0;
    for (uint32_t i = 0; i < n; i++) {
        t4__outq_item *it = q_at(c, i);
        size_t len = it->buf->len - it->off;
        if (len > max_bytes - *total)
            len = max_bytes - *total;
        iov[i] = uv_buf_init(it->buf->data + it->off, (unsigned)len);
        *total += len;
        if (*total >= max_bytes)
            return i + 1;
    }
    return n;
}

static void flush(t4__conn *c);

static void after_drain(t4__conn *c)
{
    if (c->stream) {
        t4__static_on_drain(c); /* the next part of a file being sent */
        if (c->stream || c->closing)
            return; /* still sending it: neither idle nor done */
    }
    if (c->kind == T4__CONN_WS)
        t4__ws_on_drain(c);
    if (c->q_len == 0 && c->close_after_flush && !c->closing)
        t4__conn_close_graceful(c);
    else if (c->q_len == 0 && !c->close_after_flush && !c->shutting_down && !c->closing &&
             (c->read_stopped || c->in.len > 0))
        t4__conn_process_input(c); /* output backpressure relieved: requests that waited go on */
}

static void on_write(uv_write_t *w, int status)
{
    t4__conn *c = w->handle->data;
    w->data = t4__srv ? t4__srv->free_writes : NULL;
    if (t4__srv)
        t4__srv->free_writes = w;
    else
        free(w);
    c->writing = false;
    size_t n = c->q_inflight;
    c->q_inflight = 0;
    if (status < 0) {
        /* Peer gone (EPIPE/ECONNRESET) or the handle is closing (ECANCELED). */
        if (!c->closing) {
            if (c->kind == T4__CONN_WS)
                t4__ws_on_disconnect(c);
            t4__conn_close_now(c);
        }
        return;
    }
    q_consume(c, n); /* also the send-progress clock */
    if (c->closing)
        return;
    if (c->q_len > 0)
        flush(c);
    else
        after_drain(c);
}

static void flush(t4__conn *c)
{
    if (c->writing || c->closing)
        return;
    uv_buf_t iov[MAX_IOV];
    while (c->q_len > 0) {
        size_t total;
        uint32_t n = fill_iov(c, iov, &total, SIZE_MAX);
        int r = uv_try_write((uv_stream_t *)&c->tcp, iov, n);
        if (r == UV_EAGAIN || r == UV_ENOSYS)
            r = 0;
        if (r < 0) {
            if (c->kind == T4__CONN_WS)
                t4__ws_on_disconnect(c);
            t4__conn_close_now(c);
            return;
        }
        q_consume(c, (size_t)r);
        if ((size_t)r < total)
            break; /* the socket is full: hand the rest to libuv */
    }
    if (c->q_len == 0) {
        after_drain(c);
        return;
    }
    /* What the socket did not take goes to libuv in pieces of at most
     * WRITE_PIECE: each completion is visible progress for the send timeout
     * of a slow reader, and no write pins a whole backlog. */
    size_t total;
    uint32_t n = fill_iov(c, iov, &total, WRITE_PIECE);
    uv_write_t *w = t4__srv->free_writes;
    if (w)
        t4__srv->free_writes = w->data;
    else if (!(w = malloc(sizeof *w))) {
        t4__conn_close_now(c);
        return;
    }
    if (uv_write(w, (uv_stream_t *)&c->tcp, iov, n, on_write) != 0) {
        free(w);
        if (c->kind == T4__CONN_WS)
            t4__ws_on_disconnect(c);
        t4__conn_close_now(c);
        return;
    }
    c->writing = true;
    c->q_inflight = (uint32_t)total;
}

void t4__flush_dirty(void)
{
    t4__server *s = t4__srv;
    while (s->dirty) {
        t4__conn *c = s->dirty;
        s->dirty = c->next_dirty;
        c->next_dirty = NULL;
        c->dirty = false;
        flush(c);
    }
}

/* ---------------------------------------------------------------- */
/* Closing                                                            */
/* ---------------------------------------------------------------- */

static void unlink_dirty(t4__conn *c)
{
    for (t4__conn **p = &t4__srv->dirty; *p; p = &(*p)->next_dirty) {
        if (*p == c) {
            *p = c->next_dirty;
            break;
        }
    }
    c->dirty = false;
}

static void on_closed(uv_handle_t *h)
{
    t4__conn *c = h->data;
    if (c->dirty && t4__srv)
        unlink_dirty(c); /* never leave a freed connection on the flush list */
    while (c->q_len > 0)
        q_pop(c);
    if (c->q != c->q_inline)
        free(c->q);
    t4__input_free(&c->in);
    t4__http_free(c);
    t4__ws_free(c);
    t4__static_free(c);
    if (t4__srv)
        t4__server_unlink(c);
    free(c);
}

void t4__conn_close_now(t4__conn *c)
{
    if (c->closing)
        return;
    c->closing = true;
    /* Leave the dirty list lazily: flush() skips closing connections. */
    uv_close((uv_handle_t *)&c->tcp, on_closed);
}

static void on_shutdown(uv_shutdown_t *req, int status)
{
    t4__conn *c = req->data;
    free(req);
    if (status < 0 || c->peer_eof)
        t4__conn_close_now(c); /* both directions are done */
    /* else: keep reading (and discarding) until the peer's FIN or the
     * linger deadline checked by the tick. */
}

void t4__conn_close_graceful(t4__conn *c)
{
    if (c->closing || c->shutting_down)
        return;
    if (!c->close_after_flush) {
        c->close_after_flush = true;
        /* Bounded: a peer that never reads cannot keep us waiting. */
        c->deadline = uv_now(&t4__srv->loop) + t4__srv->cfg.ws_close_timeout;
    }
    c->discard_input = true;
    if (c->q_len > 0 || c->writing || c->stream) {
        mark_dirty(c);
        return; /* after_drain() comes back here */
    }
    uv_shutdown_t *req = malloc(sizeof *req);
    if (!req) {
        t4__conn_close_now(c);
        return;
    }
    req->data = c;
    if (uv_shutdown(req, (uv_stream_t *)&c->tcp, on_shutdown) != 0) {
        free(req);
        t4__conn_close_now(c);
        return;
    }
    c->shutting_down = true;
    c->deadline = uv_now(&t4__srv->loop) + LINGER_MS;
    if (!c->peer_eof)
        t4__conn_read_start(c); /* to see the FIN */
}
