/* SPDX-License-Identifier: MIT */
/*
 * The local bus: with TINA4_WORKERS > 1, the workers of one supervisor
 * relay broadcasts, pushes and connection counts to each other so the
 * machine behaves as one server (docs/ARCHITECTURE.md, "The local bus").
 *
 * Each worker listens on a Unix stream socket in Linux's abstract namespace
 * named after the supervisor's random token and its slot, and connects to
 * every other worker's: it writes on the links it opened (so each sender's
 * messages arrive in order on one stream) and reads on the links it
 * accepted. Frames are length-prefixed (a 1 MiB message is one frame). A
 * worker that dies closes its links (the kernel does it), so the others drop
 * its counts at once and reconnect to its replacement when it says hello.
 *
 * backplane.c calls these beside the Redis relay; with no workers (the
 * default), t4__bus_start does nothing and every other call is a no-op.
 * Loop thread only.
 */
#ifndef T4_BACKPLANE_BUS_H
#define T4_BACKPLANE_BUS_H
#include "tina4.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

/* Returns 0 (also when this process is not a worker) or T4_EIO. */
int t4__bus_start(uv_loop_t *loop, const t4_config *cfg);
void t4__bus_stop(void);
bool t4__bus_active(void);
/* The supervisor's token (T4__BUS_TOKEN_LEN hex chars) while active, else
 * NULL: every worker's backplane instance id starts with it, which is how
 * the Redis relay recognises (and skips) what its local peers published. */
const char *t4__bus_token(void);
bool t4__bus_is_peer_id(const char *id, size_t len);

/* One hand-off per other worker; each delivers to its own members. */
void t4__bus_publish(const char *path, size_t path_len, uint8_t opcode, const void *data, size_t len,
                     const char *exclude_id);
void t4__bus_presence(const char *path, size_t path_len, size_t local_count);
/* A member's presence (info NULL: it left), to every other worker. */
void t4__bus_member(const char *path, size_t path_len, const char *id, const char *info);
/* Connections on this path on the other workers. */
size_t t4__bus_remote_count(const char *path, size_t path_len);
#endif
