/* SPDX-License-Identifier: MIT */
/*
 * A WebSocket connection (the t4_ws handed to handlers) and the internals
 * shared by handshake, protocol, API, groups and push.
 *
 * Lifecycle: created by the handshake (joins its group, OPEN fires) ->
 * leaves its group exactly once (close sent or received, protocol error,
 * drop, shutdown) and its CLOSE event is queued -> CLOSE fires after the
 * current handler returns, then the user data's free function runs -> the
 * struct is freed with its TCP handle.
 */
#ifndef T4_WS_WS_H
#define T4_WS_WS_H
#include "http/parser.h"
#include "http/routes.h"
#include "server/server.h"
#include "util/hmap.h"
#include "util/random_id.h"
#include "ws/frame.h"
#include "ws/history.h"
#include "ws/utf8.h"

typedef struct t4__group t4__group;

typedef enum {
    T4__WS_OPEN = 0,
    T4__WS_CLOSE_SENT, /* we sent a close frame; waiting for the peer's */
    T4__WS_CLOSED,     /* handshake done or connection failed; TCP closing */
} t4__ws_phase;

struct t4_ws {
    t4__conn *conn;
    t4_ws_handler handler;
    const t4__ws_route *route;
    char id[T4__ID_LEN + 1];
    char *path;           /* the concrete path: the group key */
    t4__group *group;     /* NULL once left */
    t4_ws *gprev, *gnext; /* group membership */
    t4__hnode hnode;      /* handle table entry */
    uint64_t handle;
    /* One block: the path, then "name\0value\0" pairs: params (path params,
     * then query pairs not shadowed by them), the handshake's headers (less
     * the upgrade mechanics), then its cookies. */
    char *blob; /* starts with the concrete path (the group key): see t4__ws_path */
    uint16_t nparams, nheaders, ncookies;
    json_t *params_json;
    char *remote_addr; /* computed on first t4_ws_remote_addr() */
    const char *protocol;
    /* the selected subprotocol (the route owns it), or NULL */ /* built on first t4_ws_params() */
    void *user;
    void (*user_free)(void *);
    char *presence; /* t4_ws_set_presence's info as JSON text, NULL: not listed */
    uint8_t phase;
    bool left : 1; /* out of its group; CLOSE event queued or fired */
    bool close_fired : 1;
    bool pending : 1;        /* on the pending CLOSE-event list */
    bool have_frame : 1;     /* a frame header has been parsed */
    bool msg_compressed : 1; /* the data message arriving has RSV1 (permessage-deflate) */
    unsigned pmd_wbits : 4;  /* permessage-deflate negotiated: our window bits 9..15, else 0 */
    bool v1 : 1;             /* speaks tina4.v1: framed messages with positions (v1.h) */
    uint8_t join;            /* t4_ws_join: how it joined (fresh, resumed, gap) */
    uint8_t msg_opcode;      /* TEXT/BINARY of a fragmented message in progress, else 0 */
    uint16_t close_code;
    char *close_reason;
    t4__ws_frame frame;
    uint64_t frame_seen; /* payload bytes of the current frame already unmasked/validated */
    t4__utf8 utf8;
    t4__buf *msg; /* reassembly of a fragmented message (only while one arrives) */
    uint64_t last_ping;
    t4_ws *next_pending;
};

static inline const char *t4__ws_path(const t4_ws *ws)
{
    return ws->blob;
}

/* The WebSocket kind (ws_conn.c): a connection switches to it on Upgrade. */
extern const t4__conn_ops t4__ws_ops;
/* Fires pending CLOSE events (after the current handler returns). */
void t4__ws_fire_pending(void);
/* After a sweep of ticks (releases the sweep's shared ping frame). */
void t4__ws_sweep_end(void);
/* The cross-thread push queue (push.c): drained on the loop's wake-up;
 * attach connects it to the wake-up, reset detaches and drops the queue. */
void t4__push_drain(void);
void t4__push_attach(uv_async_t *async, size_t max_message);
void t4__push_reset(void);

/* Groups (groups.c): concrete path -> members. */
t4__group *t4__group_join(t4_ws *ws);
void t4__group_leave(t4_ws *ws);
t4__group *t4__group_find(const char *path, size_t len);
size_t t4__group_count(const t4__group *g);
t4_ws *t4__group_first(const t4__group *g);
/* The path's history (NULL when its route keeps none) and route. */
t4__hist *t4__group_hist(const t4__group *g);
const t4__ws_route *t4__group_route(const t4__group *g);
/* The member of g with that id (NULL: none, or id NULL). */
t4_ws *t4__group_member(const t4__group *g, const char *id);
/* Visits every group. */
void t4__group_each(void (*fn)(t4__group *g, void *arg), void *arg);
/* Normalises a decoded path into its group key: drops one trailing slash. */
size_t t4__group_key_len(const char *path, size_t len);

/* Handles (api.c). */
void t4__ws_handle_register(t4_ws *ws);
void t4__ws_handle_unregister(t4_ws *ws);

/* Frames (ws_conn.c). */
t4__sbuf *t4__ws_frame_new(uint8_t opcode, const void *p, size_t len);
/* Queues a frame to ws (takes b's reference). Applies the backpressure
 * policy: over TINA4_WS_MAX_BACKPRESSURE the peer is closed with 1013. */
int t4__ws_queue_frame(t4_ws *ws, t4__sbuf *b);
/* Sends a close frame, leaves the group, queues the CLOSE event. */
void t4__ws_begin_close(t4_ws *ws, int code, const char *reason);
/* Fails the connection (protocol error): close frame, then TCP close. */
void t4__ws_fail(t4_ws *ws, int code, const char *reason);
/* Leaves the group and queues the CLOSE event (once). */
void t4__ws_leave(t4_ws *ws, int code, const char *reason);
/* A message frame for ws: compressed when it negotiated permessage-deflate
 * and the message is at least TINA4_WS_COMPRESSION_MIN bytes and shrinks,
 * else plain. */
t4__sbuf *t4__ws_message_frame(const t4_ws *ws, uint8_t opcode, const void *data, size_t len);
/* A text message to one connection: framed for tina4.v1 ("." + text) when
 * it speaks it, else as is. */
t4__sbuf *t4__ws_text_frame(const t4_ws *ws, uint8_t opcode, const void *data, size_t len);
/* Sends what a joining tina4.v1 client asked for (history.c positions,
 * resume.c): the welcome, then the messages it missed. Sets ws->join. */
void t4__ws_resume_join(t4_ws *ws, const t4__http_head *h);
/* Presence (members.c): tells the path's members ws left (g: its group,
 * which it has just left, or NULL when the group went with it: the other
 * processes are told all the same); the list as JSON text (malloc'd) for the welcome. */
void t4__ws_presence_left(t4_ws *ws, t4__group *g);
char *t4__ws_presence_json(const t4_ws *ws);
/* Periodic: drops expired history (called once per sweep). */
void t4__ws_history_tick(uint64_t now);
/* A broadcast or push: delivered to the local members of the path at once
 * (each frame variant encoded once), then relayed by the backplane, if any. Returns
 * the number of local recipients. */
int t4__ws_publish(const char *path, size_t path_len, uint8_t opcode, const void *data, size_t len,
                   const t4_ws *exclude);
/* Delivery (fanout.c): to the open members of g, at (epoch, offset) (epoch
 * 0: no position); returns the recipients or T4_ENOMEM. */
int t4__ws_fanout(t4__group *g, uint8_t opcode, const void *data, size_t len, const t4_ws *exclude,
                  uint64_t epoch, uint64_t offset);
/* The history a message to path goes into (created on first need), or NULL. */
t4__hist *t4__ws_history_for(const t4__group *g, const char *path, size_t len);
/* Positions the message (when path keeps history) and delivers it to g;
 * the position given is stored in *epoch_out / *offset_out when not NULL. */
int t4__ws_deliver(t4__group *g, const char *path, size_t path_len, uint8_t opcode, const void *data,
                   size_t len, const t4_ws *exclude, uint64_t *epoch_out, uint64_t *offset_out);
/* History with workers (owner.c): true when path keeps history and the
 * local bus is up - its messages then go through the path's owner worker. */
bool t4__ws_owned_history(const char *path, size_t len);
int t4__ws_publish_owned(const char *path, size_t len, uint8_t opcode, const void *data, size_t dlen,
                         const t4_ws *exclude);
/* A message relayed from another instance (Redis) on such a path. */
int t4__ws_relayed_owned(const char *path, size_t len, uint8_t opcode, const void *data, size_t dlen,
                         const char *exclude_id);
#endif
