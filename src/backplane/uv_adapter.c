/* SPDX-License-Identifier: MIT */
/* hiredis event hooks on libuv (see uv_adapter.h). */
#include "backplane/uv_adapter.h"
#include <stdlib.h>

typedef struct {
    redisAsyncContext *ac; /* NULL once hiredis let go of it */
    uv_poll_t poll;
    int events;
} t4__uvr;

static void on_poll(uv_poll_t *h, int status, int events)
{
    t4__uvr *p = h->data;
    if (status < 0) {
        /* libuv stopped the handle. Let hiredis find the error itself:
         * a pending connect checks SO_ERROR, a connected socket reads. */
        if (!p->ac)
            return;
        if (!(p->ac->c.flags & REDIS_CONNECTED))
            redisAsyncHandleWrite(p->ac);
        else
            redisAsyncHandleRead(p->ac);
        return;
    }
    if (p->ac && (events & UV_READABLE))
        redisAsyncHandleRead(p->ac);
    if (p->ac && (events & UV_WRITABLE))
        redisAsyncHandleWrite(p->ac);
}

static void update(t4__uvr *p)
{
    if (p->events)
        uv_poll_start(&p->poll, p->events, on_poll);
    else
        uv_poll_stop(&p->poll);
}

static void add_read(void *d)
{
    t4__uvr *p = d;
    p->events |= UV_READABLE;
    update(p);
}

static void del_read(void *d)
{
    t4__uvr *p = d;
    p->events &= ~UV_READABLE;
    update(p);
}

static void add_write(void *d)
{
    t4__uvr *p = d;
    p->events |= UV_WRITABLE;
    update(p);
}

static void del_write(void *d)
{
    t4__uvr *p = d;
    p->events &= ~UV_WRITABLE;
    update(p);
}

static void on_closed(uv_handle_t *h)
{
    free(h->data);
}

static void cleanup(void *d)
{
    t4__uvr *p = d;
    p->ac = NULL;
    uv_close((uv_handle_t *)&p->poll, on_closed);
}

int t4__redis_attach_uv(redisAsyncContext *ac, uv_loop_t *loop)
{
    if (ac->ev.data)
        return REDIS_ERR;
    t4__uvr *p = calloc(1, sizeof *p);
    if (!p)
        return REDIS_ERR;
    if (uv_poll_init(loop, &p->poll, ac->c.fd) != 0) {
        free(p);
        return REDIS_ERR;
    }
    p->ac = ac;
    p->poll.data = p;
    ac->ev.data = p;
    ac->ev.addRead = add_read;
    ac->ev.delRead = del_read;
    ac->ev.addWrite = add_write;
    ac->ev.delWrite = del_write;
    ac->ev.cleanup = cleanup;
    return REDIS_OK;
}
