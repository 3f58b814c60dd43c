/* SPDX-License-Identifier: MIT */
/*
 * The backplane: relays broadcasts and pushes between instances so every
 * instance delivers them to its own members of the path (chapter section 14).
 *
 * The WebSocket side sees only these calls. With TINA4_WS_BACKPLANE unset
 * they are no-ops and no Redis code runs. Loop thread only.
 *
 * Lifecycle: t4__backplane_start (after the loop exists) -> publish /
 * presence / remote_count while serving -> t4__backplane_stop (before the
 * loop closes; closes its handles so the loop can finish).
 */
#ifndef T4_BACKPLANE_BACKPLANE_H
#define T4_BACKPLANE_BACKPLANE_H
#include "tina4.h"
#include "ws/history.h"
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

/* Reads cfg->ws_backplane / ws_backplane_url. Returns 0 (also when none is
 * configured) or T4_EINVAL for an unknown backplane or a malformed URL. A
 * Redis that is down at start is not an error: it is retried with backoff. */
int t4__backplane_start(uv_loop_t *loop, const t4_config *cfg);
void t4__backplane_stop(void);
bool t4__backplane_active(void);
/* The instance id (32 hex chars), unique across instances. */
const char *t4__backplane_instance_id(void);

/* Called after a broadcast or push was delivered locally. opcode is
 * T4__WS_OP_TEXT or T4__WS_OP_BINARY; exclude_id is the sender's connection
 * id for an exclude-self broadcast, else NULL. */
void t4__backplane_publish(const char *path, size_t path_len, uint8_t opcode, const void *data, size_t len,
                           const char *exclude_id);
/* Called when the local member count of a path changes (join or leave). */
void t4__backplane_presence(const char *path, size_t path_len, size_t local_count);
/* Connections on this path on OTHER live instances (0 without a backplane). */
size_t t4__backplane_remote_count(const char *path, size_t path_len);

/* A local connection set its presence on path (info: JSON text) or, with
 * info NULL, left; the other workers and instances are told. */
void t4__backplane_member(const char *path, size_t path_len, const char *id, const char *info);

/* Implemented by the WebSocket side (members.c): what other processes
 * report of their members. origin: "w<slot>" (a worker) or an instance id.
 * info NULL: the member left. A snapshot is mark, then members, then sweep
 * (what was not listed again has left). */
void t4__ws_remote_member(const char *origin, const char *path, size_t plen, const char *id, const char *info,
                          size_t ilen);
void t4__ws_remote_origin_gone(const char *origin);
void t4__ws_remote_mark(const char *origin);
void t4__ws_remote_sweep(const char *origin);
void t4__ws_remote_reset(void);
/* Visits this process's members with presence (for a snapshot). */
void t4__ws_members_each(void (*fn)(const char *path, size_t plen, const char *id, const char *info,
                                    void *arg),
                         void *arg);

/* A message from another worker (the bus): kind 'm' (MSG: deliver, no
 * position), 'f' (FWD: we own the path's history: position it), 'p'
 * (PMSG: the owner positioned it at epoch, offset), 'h' (HIST: a kept
 * message for our copy of the history, not delivered). */
void t4__ws_deliver_bus(char kind, uint64_t epoch, uint64_t offset, const char *path, size_t path_len,
                        uint8_t opcode, const void *data, size_t len, const char *exclude_id);
/* The epoch of a new history with workers (owner.c): the same on every
 * worker for a path and owner process; 0 while the owner is not linked. */
uint64_t t4__ws_bus_epoch(const char *path, size_t len);
/* History kept by the relay (Redis Streams): positions are cluster-wide.
 * publish_history sends a message of a path with history to be positioned;
 * it is delivered here too when it comes back (t4__ws_deliver_bus 'p').
 * Returns 0, or -1 when it cannot now (link down). */
bool t4__backplane_history(void);
int t4__backplane_publish_history(const char *path, size_t path_len, uint8_t opcode, const void *data,
                                  size_t len, const char *exclude_id, size_t maxlen, uint64_t ttl_ms);
/* The history size of path's route (0: it keeps none), and filling this
 * process's copy of a path's history from the one kept in Redis. */
size_t t4__ws_history_size(const char *path, size_t len);
void t4__ws_history_prime(const char *path, size_t len, uint64_t epoch, const t4__hist_item *items, size_t n);
/* A link to worker slot just opened (it may be a replacement): fn gets
 * every kept message of the histories that slot owns (its ring died with
 * it) or that we own (its copy is empty), oldest first per path. */
void t4__ws_history_sync(int slot,
                         void (*fn)(const char *path, size_t len, uint64_t epoch, uint64_t offset,
                                    uint8_t opcode, const void *data, size_t dlen, void *arg),
                         void *arg);
/* Relays to other instances only (not to the other workers). */
void t4__backplane_relay_publish(const char *path, size_t path_len, uint8_t opcode, const void *data,
                                 size_t len, const char *exclude_id);

/* Implemented by the WebSocket side: deliver a relayed message to the local
 * members of path, skipping the connection whose id is exclude_id. Returns
 * the number of recipients. */
int t4__ws_deliver_local(const char *path, size_t path_len, uint8_t opcode, const void *data, size_t len,
                         const char *exclude_id);
#endif
