/* SPDX-License-Identifier: MIT */
/*
 * History in Redis Streams (TINA4_WS_BACKPLANE=redis): a message on a path
 * whose route keeps history is given its position by Redis, so positions
 * are cluster-wide, and is kept in a stream there. See redis_history.c.
 * Loop thread only; redis.c owns the link and calls these.
 */
#ifndef T4_BACKPLANE_REDIS_HISTORY_H
#define T4_BACKPLANE_REDIS_HISTORY_H
#include "backplane/auth.h"
#include <hiredis/async.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#define T4__RHIST_CHANNEL "tina4:ws:history"

void t4__rhist_setup(uv_loop_t *loop, const char *self, t4__bp_auth *auth, size_t max_message,
                     size_t max_path);
/* The link is up: loads the script. */
void t4__rhist_on_up(redisAsyncContext *c);
/* Sends the message to be positioned, kept and published (delivered to
 * every instance, this one included, when it comes back on the channel).
 * Returns 0, or -1 when the link is down. */
int t4__rhist_publish(const char *path, size_t plen, uint8_t opcode, const void *data, size_t len,
                      const char *exclude_id, size_t maxlen, uint64_t ttl_ms);
void t4__rhist_on_message(const char *m, size_t len);
void t4__rhist_flush_drops(uint64_t now);
#endif
