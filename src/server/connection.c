/* SPDX-License-Identifier: MIT */
/*
 * A connection's output queue and its closing.
 *
 * Output is corked: queueing only records a reference and marks the
 * connection dirty; once per loop turn every dirty connection's transport
 * writes it (plain TCP: one writev of all its buffers, transport_tcp.c; TLS:
 * one encryption pass, src/tls). Ownership: the queue holds one reference
 * per item and releases it once the bytes are written (or encrypted) or the
 * connection closes.
 */
#include "server/input_budget.h"
#include "server/server.h"
#include "util/log.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define LINGER_MS 2000 /* how long a closing socket waits for the peer's FIN */

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

void t4__conn_mark_dirty(t4__conn *c)
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
    t4__conn_mark_dirty(c);
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
    if (c->q_len == 0 && !c->writing && c->tp->direct_writes) {
        /* Nothing queued: writing now keeps the order and needs no buffer. */
        uv_buf_t b = uv_buf_init((char *)p, (unsigned)n);
        int r = t4__sock_try_write(c, &b, 1);
        if (r > 0)
            done = (size_t)r;
        if (done)
            c->last_write = uv_now(&t4__srv->loop);
    }
    return done == n ? 0 : t4__conn_queue_copy(c, (const char *)p + done, n - done);
}

/* Drops `n` written bytes from the front of the queue. */
void t4__conn_consume(t4__conn *c, size_t n)
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
uint32_t t4__conn_fill_iov(t4__conn *c, uv_buf_t *iov, size_t *total, size_t max_bytes)
{
    uint32_t n = c->q_len < T4__MAX_IOV ? c->q_len : T4__MAX_IOV;
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

void t4__conn_after_drain(t4__conn *c)
{
    if (c->ops->drained(c) || c->closing)
        return; /* the kind is still producing output (the next part of a file) */
    if (c->q_len == 0 && c->close_after_flush && !c->closing)
        t4__conn_close_graceful(c);
    else if (c->q_len == 0 && !c->close_after_flush && !c->shutting_down && !c->closing &&
             (c->read_stopped || c->in.len > 0))
        t4__conn_process_input(c); /* output backpressure relieved: requests that waited go on */
}

void t4__conn_fail(t4__conn *c)
{
    if (c->closing)
        return;
    c->ops->disconnected(c);
    t4__conn_close_now(c);
}

void t4__flush_dirty(void)
{
    t4__server *s = t4__srv;
    while (s->dirty) {
        t4__conn *c = s->dirty;
        s->dirty = c->next_dirty;
        c->next_dirty = NULL;
        c->dirty = false;
        c->tp->flush(c);
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
    c->ops->free(c);
    c->tp->free(c);
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
    free(req); /* allocated by t4__sock_shutdown */
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
    if (c->q_len == 0 && !c->writing && !c->stream)
        c->tp->closing(c); /* the transport's goodbye (TLS close_notify) goes before the FIN */
    if (c->q_len > 0 || c->writing || c->stream || c->tp->pending(c)) {
        t4__conn_mark_dirty(c);
        return; /* t4__conn_after_drain() comes back here */
    }
    if (t4__sock_shutdown(c, on_shutdown) != 0) {
        t4__conn_close_now(c);
        return;
    }
    c->shutting_down = true;
    c->deadline = uv_now(&t4__srv->loop) + LINGER_MS;
    if (!c->peer_eof)
        t4__conn_read_start(c); /* to see the FIN */
}
