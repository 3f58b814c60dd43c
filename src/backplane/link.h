/* SPDX-License-Identifier: MIT */
/*
 * The Redis link: two hiredis async connections on the server's libuv loop
 * (one for commands, one subscribed to the backplane channels, as Redis
 * allows nothing else on a subscribed connection), with AUTH / SELECT,
 * reconnection with capped exponential backoff, and one warning per outage.
 *
 * States: DOWN (waiting to retry) -> CONNECTING (resolve, connect both,
 * AUTH, SELECT, SUBSCRIBE) -> UP. Losing either connection, an error reply
 * during the handshake, a handshake that takes too long or
 * t4__link_fail() take the link DOWN and schedule a retry.
 *
 * Nothing here blocks: host names are resolved with uv_getaddrinfo and
 * hiredis connects non-blocking. Loop thread only.
 */
#ifndef T4_BACKPLANE_LINK_H
#define T4_BACKPLANE_LINK_H
#include "backplane/url.h"
#include <hiredis/async.h>
#include <stdbool.h>
#include <stddef.h>
#include <uv.h>

#define T4__LINK_BACKOFF_MIN_MS 100
#define T4__LINK_BACKOFF_MAX_MS 3000
#define T4__LINK_HANDSHAKE_MS   5000

typedef struct {
    void (*on_up)(void);   /* both connections ready and subscribed */
    void (*on_down)(void); /* an UP link was lost (once per loss) */
    void (*on_message)(const char *channel, size_t clen, const char *data, size_t len);
} t4__link_events;

/* Starts connecting (returns at once). channels: at most 4. */
int t4__link_start(uv_loop_t *loop, const t4__redis_url *url, const char *const *channels, size_t nchannels,
                   const t4__link_events *ev);
bool t4__link_is_up(void);
/* The command connection while UP, else NULL. */
redisAsyncContext *t4__link_cmd(void);
/* Treats the link as lost (e.g. a heartbeat went unanswered). */
void t4__link_fail(const char *why);
/* Seconds the current outage has lasted (0 when UP). */
double t4__link_outage_seconds(void);
/* Stops: if UP, farewell(cmd) may queue last commands, which get up to
 * T4__LINK_FAREWELL_MS to be answered (the loop is run meanwhile); then
 * every connection is freed and every handle closed (their close callbacks
 * run on the caller's next uv_run). */
#define T4__LINK_FAREWELL_MS 1000
void t4__link_stop(void (*farewell)(redisAsyncContext *cmd));
#endif
