/* SPDX-License-Identifier: MIT */
/*
 * hiredis <-> libuv: hiredis's event hooks on a uv_poll_t. Written here
 * rather than taken from <hiredis/adapters/libuv.h> because that adapter
 * (hiredis 0.14) drops poll errors: libuv reports a refused connection as a
 * poll error (status < 0), the adapter ignores it, and the context waits
 * forever. Here an error is handed to hiredis as readiness, so its own
 * checks (SO_ERROR on connect, read() otherwise) see the failure and call
 * the connect / disconnect callbacks.
 */
#ifndef T4_BACKPLANE_UV_ADAPTER_H
#define T4_BACKPLANE_UV_ADAPTER_H
#include <hiredis/async.h>
#include <uv.h>

/* Returns REDIS_OK or REDIS_ERR. The poll handle is closed (and its memory
 * freed in the close callback) when hiredis frees the context. */
int t4__redis_attach_uv(redisAsyncContext *ac, uv_loop_t *loop);
#endif
