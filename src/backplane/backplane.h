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

/* Implemented by the WebSocket side: deliver a relayed message to the local
 * members of path, skipping the connection whose id is exclude_id. Returns
 * the number of recipients. */
int t4__ws_deliver_local(const char *path, size_t path_len, uint8_t opcode, const void *data, size_t len,
                         const char *exclude_id);
#endif
