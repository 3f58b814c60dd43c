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
#include <sys/types.h>
#include <uv.h>

/* Returns 0 (also when this process is not a worker) or T4_EIO. */
int t4__bus_start(uv_loop_t *loop, const t4_config *cfg);
void t4__bus_stop(void);
/* A worker whose reload grace is over frees its name for the next
 * generation (its links stay until it stops) and tells its peers it owns no
 * path any more (RETIRE): the newer generation's owners take over. */
void t4__bus_unlisten(void);
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
/* FNV-1a, unseeded: the same in every worker (t4__hash_bytes is seeded per
 * process), for what the workers must agree on. */
static inline uint64_t t4__bus_hash(const void *p, size_t n, uint64_t h)
{
    const unsigned char *s = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ s[i]) * 0x100000001b3ULL;
    return h;
}
#define T4__BUS_HASH_INIT 0xcbf29ce484222325ULL

/* Paths with history: one owner worker positions their messages.
 * t4__bus_owner: the owner's slot, or -1 when it is this worker (or there
 * is no bus); t4__bus_owner_pid: its process (0: not linked yet). */
int t4__bus_owner(const char *path, size_t path_len);
/* Whether this worker's reload grace is over (t4__bus_unlisten): it owns no
 * path any more, and passes on what is forwarded to it. */
bool t4__bus_retired(void);
pid_t t4__bus_owner_pid(const char *path, size_t path_len);
/* To the owner (FWD): 0, or -1 when it cannot be reached now. */
int t4__bus_forward(int slot, const char *path, size_t path_len, uint8_t opcode, const void *data, size_t len,
                    const char *exclude_id);
/* From the owner to every other worker, with the position it gave (PMSG). */
void t4__bus_publish_at(uint64_t epoch, uint64_t offset, const char *path, size_t path_len, uint8_t opcode,
                        const void *data, size_t len, const char *exclude_id);
/* A member's presence (info NULL: it left), to every other worker. */
void t4__bus_member(const char *path, size_t path_len, const char *id, const char *info);
/* Connections on this path on the other workers. */
size_t t4__bus_remote_count(const char *path, size_t path_len);
#endif
