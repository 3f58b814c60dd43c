/* SPDX-License-Identifier: MIT */
/*
 * The socket of a connection: the one place that calls libuv to read, write
 * and shut it down. Transports (plain TCP, TLS) sit on top: reads go to
 * c->tp->on_read, write completions to c->tp->written.
 */
#include "server/server.h"
#include <stdlib.h>

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    (void)h;
    (void)suggested;
    /* Every socket reads into the one loop buffer; only bytes that remain
     * unprocessed are copied into the connection (uSockets' approach), so an
     * idle connection owns no read buffer. One byte is kept spare so a
     * message can be NUL-terminated in place. */
    if (t4__srv->readbuf_busy) {
        buf->base = NULL;
        buf->len = 0;
        return;
    }
    t4__srv->readbuf_busy = true;
    buf->base = t4__srv->readbuf;
    buf->len = t4__srv->readbuf_size - 1;
}

static void on_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf)
{
    t4__conn *c = stream->data;
    if (buf->base == t4__srv->readbuf)
        t4__srv->readbuf_busy = false;
    if (nread == UV_ENOBUFS)
        return; /* no buffer this time (cannot happen: reads are not nested) */
    if (nread < 0) {
        t4__conn_input_end(c, nread);
        return;
    }
    if (nread == 0)
        return;
    c->last_read = uv_now(&t4__srv->loop);
    c->bytes_in += (uint64_t)nread;
    if (c->closing)
        return;
    c->tp->on_read(c, buf->base, (size_t)nread);
}

void t4__sock_read_start(t4__conn *c)
{
    uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
}

void t4__sock_read_stop(t4__conn *c)
{
    uv_read_stop((uv_stream_t *)&c->tcp);
}

int t4__sock_try_write(t4__conn *c, const uv_buf_t *iov, unsigned n)
{
    int r = uv_try_write((uv_stream_t *)&c->tcp, iov, n);
    return r == UV_EAGAIN || r == UV_ENOSYS ? 0 : r;
}

static void on_write(uv_write_t *w, int status)
{
    t4__conn *c = w->handle->data;
    w->data = t4__srv ? t4__srv->free_writes : NULL;
    if (t4__srv)
        t4__srv->free_writes = w;
    else
        free(w);
    c->tp->written(c, status);
}

int t4__sock_write(t4__conn *c, const uv_buf_t *iov, unsigned n)
{
    uv_write_t *w = t4__srv->free_writes; /* recycled: no malloc per write */
    if (w)
        t4__srv->free_writes = w->data;
    else if (!(w = malloc(sizeof *w)))
        return UV_ENOMEM;
    int r = uv_write(w, (uv_stream_t *)&c->tcp, iov, n, on_write);
    if (r != 0)
        free(w);
    return r;
}

int t4__sock_shutdown(t4__conn *c, uv_shutdown_cb cb)
{
    uv_shutdown_t *req = malloc(sizeof *req);
    if (!req)
        return UV_ENOMEM;
    req->data = c;
    int r = uv_shutdown(req, (uv_stream_t *)&c->tcp, cb);
    if (r != 0)
        free(req);
    return r;
}
