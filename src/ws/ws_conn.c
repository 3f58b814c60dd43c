/* SPDX-License-Identifier: MIT */
/*
 * The WebSocket protocol on a connection (RFC 6455): frames in, messages
 * reassembled and validated, control frames answered, the close handshake,
 * pings and idle timeouts, and the CLOSE event's exactly-once delivery.
 *
 * Frames are parsed straight from the read buffer. A frame's payload is
 * unmasked and (for text) UTF-8-checked as its bytes arrive, so an invalid
 * byte fails the connection at once (1007), even mid-frame. A whole
 * unfragmented frame is delivered in place with no copy.
 */
#include "backplane/backplane.h"
#include "runtime/current.h"
#include "server/input_budget.h"
#include "server/output_budget.h"
#include "util/log.h"
#include "util/mem.h"
#include "ws/deflate.h"
#include "ws/ws.h"
#include <stdlib.h>
#include <string.h>

static t4_ws *pending_head, *pending_tail;

t4__sbuf *t4__ws_frame_new(uint8_t opcode, const void *p, size_t len)
{
    t4__sbuf *b = t4__sbuf_get(len + T4__WS_MAX_HEADER);
    if (!b)
        return NULL;
    size_t hl = t4__ws_write_header((uint8_t *)b->data, true, opcode, len, NULL);
    if (len)
        memcpy(b->data + hl, p, len);
    b->len = hl + len;
    return b;
}

void t4__ws_leave(t4_ws *ws, int code, const char *reason)
{
    if (ws->left)
        return;
    ws->left = true;
    t4__group *g = ws->group;
    bool others = g && t4__group_count(g) > 1; /* else the group goes with it */
    t4__group_leave(ws);
    t4__ws_presence_left(ws, others ? g : NULL);
    t4__ws_handle_unregister(ws);
    ws->close_code = (uint16_t)code;
    ws->close_reason = t4__strdup(reason ? reason : "");
    ws->pending = true;
    ws->next_pending = NULL;
    if (pending_tail)
        pending_tail->next_pending = ws;
    else
        pending_head = ws;
    pending_tail = ws;
}

static void fire_close(t4_ws *ws)
{
    if (ws->close_fired)
        return;
    ws->close_fired = true;
    t4_msg m = {0};
    m.code = ws->close_code;
    m.reason = ws->close_reason ? ws->close_reason : "";
    m.data = "";
    t4__handler_enter(T4__RUN_WS_CLOSE, NULL, t4__ws_path(ws), (const void *)ws->handler);
    ws->handler(ws, T4_WS_CLOSE, m);
    t4__handler_leave();
    /* The framework frees per-connection data, so tracking users cannot leak. */
    if (ws->user_free && ws->user)
        ws->user_free(ws->user);
    ws->user = NULL;
    ws->user_free = NULL;
}

void t4__ws_fire_pending(void)
{
    while (pending_head) {
        t4_ws *ws = pending_head;
        pending_head = ws->next_pending;
        if (!pending_head)
            pending_tail = NULL;
        ws->pending = false;
        fire_close(ws);
    }
}

static void queue_close_frame(t4_ws *ws, int code, const char *reason)
{
    uint8_t payload[125];
    size_t n = 0;
    if (code != 1005 && code != 1006 && code != 0) {
        payload[0] = (uint8_t)(code >> 8);
        payload[1] = (uint8_t)code;
        size_t rl = reason ? strlen(reason) : 0;
        if (rl > 123)
            rl = 123;
        if (rl)
            memcpy(payload + 2, reason, rl);
        n = 2 + rl;
    }
    t4__sbuf *b = t4__ws_frame_new(T4__WS_OP_CLOSE, payload, n);
    if (b) /* bypasses the backpressure limit: a close must get out */
        t4__conn_queue(ws->conn, b);
}

void t4__ws_begin_close(t4_ws *ws, int code, const char *reason)
{
    if (ws->phase != T4__WS_OPEN)
        return;
    queue_close_frame(ws, code, reason);
    ws->phase = T4__WS_CLOSE_SENT;
    ws->conn->deadline = uv_now(&t4__srv->loop) + t4__srv->cfg.ws_close_timeout;
    t4__ws_leave(ws, code, reason);
}

void t4__ws_fail(t4_ws *ws, int code, const char *reason)
{
    t4_log(T4_LOG_DEBUG, "WebSocket %s failed: %d %s", ws->id, code, reason);
    if (ws->phase == T4__WS_OPEN)
        queue_close_frame(ws, code, reason);
    ws->phase = T4__WS_CLOSED;
    t4__ws_leave(ws, code, reason);
    t4__conn_close_graceful(ws->conn);
}

int t4__ws_queue_frame(t4_ws *ws, t4__sbuf *b)
{
    if (ws->phase != T4__WS_OPEN) {
        t4__sbuf_release(b);
        return T4_ECLOSED;
    }
    t4__conn *c = ws->conn;
    /* A slow consumer: rather than drop messages silently (or grow without
     * bound) the peer is told with 1013 and can reconnect. An idle queue
     * always takes one message, however large. */
    if (c->out_bytes > 0 && c->out_bytes + b->len > t4__srv->cfg.ws_max_backpressure) {
        t4__sbuf_release(b);
        t4_log(T4_LOG_WARN,
               "WebSocket %s on %s: %zu bytes unsent (TINA4_WS_MAX_BACKPRESSURE); closing with 1013", ws->id,
               t4__ws_path(ws), c->out_bytes);
        t4__ws_begin_close(ws, 1013, "slow consumer: message backlog too large");
        return T4_EBACKPRESSURE;
    }
    /* The server's output budget is spent: a connection whose socket is
     * already full (a write in flight) is the one holding memory, so it is
     * closed rather than handed more (t4__output_over logs it). */
    if (c->writing && t4__output_over()) {
        t4__sbuf_release(b);
        t4__ws_begin_close(ws, 1013, "slow consumer: server output memory limit");
        return T4_EBACKPRESSURE;
    }
    return t4__conn_queue(c, b);
}

t4__sbuf *t4__ws_message_frame(const t4_ws *ws, uint8_t opcode, const void *data, size_t len)
{
    if (ws->pmd_wbits && len >= t4__srv->cfg.ws_compression_min) {
        t4__sbuf *z = t4__pmd_frame(opcode, data, len, ws->pmd_wbits);
        if (z)
            return z;
    }
    return t4__ws_frame_new(opcode, data, len);
}

static void deliver(t4_ws *ws, char *data, size_t len, bool binary)
{
    if (ws->phase != T4__WS_OPEN)
        return;
    char saved = data[len]; /* NUL-terminate in place (a spare byte always follows) */
    data[len] = '\0';
    t4_msg m = {data, len, binary, 0, NULL};
    t4__handler_enter(T4__RUN_WS_MESSAGE, NULL, t4__ws_path(ws), (const void *)ws->handler);
    ws->handler(ws, T4_WS_MESSAGE, m);
    t4__handler_leave();
    data[len] = saved;
}

/* A compressed message (whole, in place or reassembled): inflated into the
 * loop's buffer, checked, delivered. */
static void deliver_inflated(t4_ws *ws, const uint8_t *p, size_t len, bool text)
{
    char *out;
    size_t n;
    switch (t4__pmd_inflate(p, len, t4__srv->cfg.ws_max_message, &out, &n)) {
    case T4__PMD_OK:
        break;
    case T4__PMD_TOO_BIG:
        t4__ws_fail(ws, 1009, "message too big");
        return;
    case T4__PMD_CORRUPT:
        t4__ws_fail(ws, 1002, "invalid compressed data");
        return;
    default:
        t4__ws_fail(ws, 1011, "out of memory");
        return;
    }
    if (text && !t4__utf8_valid((const uint8_t *)out, n)) {
        t4__ws_fail(ws, 1007, "text message is not valid UTF-8");
        return;
    }
    deliver(ws, out, n, !text);
    t4__pmd_trim();
}

static void on_close_frame(t4_ws *ws, const uint8_t *p, size_t len)
{
    int code = 1005;
    char reason[124] = "";
    if (len == 1) {
        t4__ws_fail(ws, 1002, "close frame with a 1-byte payload");
        return;
    }
    if (len >= 2) {
        code = (p[0] << 8) | p[1];
        if (!t4__ws_close_code_valid(code)) {
            t4__ws_fail(ws, 1002, "invalid close code");
            return;
        }
        if (!t4__utf8_valid(p + 2, len - 2)) {
            t4__ws_fail(ws, 1007, "close reason is not valid UTF-8");
            return;
        }
        memcpy(reason, p + 2, len - 2);
        reason[len - 2] = '\0';
    }
    if (ws->phase == T4__WS_OPEN) {
        queue_close_frame(ws, code, ""); /* echo the code: the handshake completes */
        t4__ws_leave(ws, code, reason);
    }
    ws->phase = T4__WS_CLOSED;
    /* The server closes the TCP connection first (RFC 6455 7.1.1). */
    t4__conn_close_graceful(ws->conn);
}

static void free_msg(t4_ws *ws)
{
    if (ws->msg) {
        t4__input_free(ws->msg);
        free(ws->msg);
        ws->msg = NULL;
    }
}

static bool frame_is_text(const t4_ws *ws)
{
    return ws->frame.opcode == T4__WS_OP_TEXT ||
           (ws->frame.opcode == T4__WS_OP_CONT && ws->msg_opcode == T4__WS_OP_TEXT);
}

static void on_frame(t4_ws *ws, uint8_t *payload, size_t len)
{
    const t4__ws_frame *f = &ws->frame;
    switch (f->opcode) {
    case T4__WS_OP_CLOSE:
        on_close_frame(ws, payload, len);
        return;
    case T4__WS_OP_PING:
        if (ws->phase == T4__WS_OPEN && ws->conn->q_len == 0 && !ws->conn->writing) {
            /* Nothing queued: answer at once from the stack, no buffer. */
            uint8_t pong[T4__WS_MAX_HEADER + 125];
            size_t hl = t4__ws_write_header(pong, true, T4__WS_OP_PONG, len, NULL);
            memcpy(pong + hl, payload, len); /* control payloads are <= 125 bytes */
            t4__conn_write_small(ws->conn, pong, hl + len);
        } else if (ws->phase == T4__WS_OPEN) {
            /* Through the backpressure policy: a peer that floods pings
             * without reading must not grow our queue without bound. */
            t4__sbuf *b = t4__ws_frame_new(T4__WS_OP_PONG, payload, len);
            if (b)
                t4__ws_queue_frame(ws, b);
        }
        return;
    case T4__WS_OP_PONG:
        return; /* liveness is tracked by any read */
    default:
        break;
    }
    bool text = frame_is_text(ws);
    bool compressed = ws->msg_compressed;
    if (f->fin && text && !compressed && !t4__utf8_complete(&ws->utf8)) {
        t4__ws_fail(ws, 1007, "text message is not valid UTF-8");
        return;
    }
    if (f->opcode != T4__WS_OP_CONT && f->fin) {
        if (compressed)
            deliver_inflated(ws, payload, len, text);
        else
            deliver(ws, (char *)payload, len, !text);
        return;
    }
    if (!ws->msg && !(ws->msg = calloc(1, sizeof *ws->msg))) {
        t4__ws_fail(ws, 1011, "out of memory");
        return;
    }
    int ar = t4__input_append(ws->msg, payload, len);
    if (ar != 0) {
        t4__ws_fail(ws, ar == T4_EBACKPRESSURE ? 1013 : 1011,
                    ar == T4_EBACKPRESSURE ? "server busy: input memory limit" : "out of memory");
        return;
    }
    if (f->fin) {
        ws->msg_opcode = 0;
        if (compressed)
            deliver_inflated(ws, (const uint8_t *)ws->msg->data, ws->msg->len, text);
        else
            deliver(ws, ws->msg->data, ws->msg->len, !text);
        free_msg(ws); /* idle connections keep no message buffer */
    }
}

static const char *frame_error_text(t4__ws_frame_status st)
{
    switch (st) {
    case T4__WS_FRAME_ERR_RSV:
        return "reserved bits set";
    case T4__WS_FRAME_ERR_OPCODE:
        return "reserved opcode";
    case T4__WS_FRAME_ERR_CONTROL:
        return "control frame fragmented or too long";
    case T4__WS_FRAME_ERR_UNMASKED:
        return "client frame not masked";
    default:
        return "invalid frame length";
    }
}

/* Header-time checks; returns false after failing the connection. */
static bool accept_header(t4_ws *ws)
{
    const t4__ws_frame *f = &ws->frame;
    /* permessage-deflate: RSV1 marks the first frame of a compressed data
     * message, nothing else (RFC 7692 6). */
    if ((f->rsv & 4) && (f->opcode == T4__WS_OP_CONT || f->opcode >= T4__WS_OP_CLOSE)) {
        t4__ws_fail(ws, 1002, "RSV1 on a control or continuation frame");
        return false;
    }
    if (f->opcode >= T4__WS_OP_CLOSE)
        return true;
    if (f->opcode == T4__WS_OP_CONT && !ws->msg_opcode) {
        t4__ws_fail(ws, 1002, "continuation frame without a message to continue");
        return false;
    }
    if (f->opcode != T4__WS_OP_CONT && ws->msg_opcode) {
        t4__ws_fail(ws, 1002, "new message before the fragmented one ended");
        return false;
    }
    uint64_t so_far = f->opcode == T4__WS_OP_CONT && ws->msg ? ws->msg->len : 0;
    if (so_far + f->len > t4__srv->cfg.ws_max_message) {
        t4__ws_fail(ws, 1009, "message too big");
        return false;
    }
    if (f->opcode != T4__WS_OP_CONT) {
        ws->msg_compressed = (f->rsv & 4) != 0; /* validated after inflating */
        t4__utf8_init(&ws->utf8);
        if (!f->fin)
            ws->msg_opcode = f->opcode;
    }
    return true;
}

/* Frames of one connection handled in one loop turn; the rest wait for the
 * next turn (with T4__FANOUT_PER_TURN, what its handlers' broadcasts may
 * cost), so a client flooding tiny messages into a busy room cannot hold the
 * loop: before, 9000 one-byte messages per write to a room of 200 made every
 * other client wait ~900 ms. */
#define FRAMES_PER_TURN 256

static size_t t4__ws_process(t4__conn *c, char *data, size_t len)
{
    t4_ws *ws = c->ws;
    size_t used = 0;
    while (used < len && !c->closing && !c->discard_input) {
        uint8_t *p = (uint8_t *)data + used;
        size_t avail = len - used;
        if (!ws->have_frame) {
            if (t4__conn_turn_spent(c, FRAMES_PER_TURN, SIZE_MAX)) {
                t4__conn_defer_input(c); /* the rest on the next turn */
                break;
            }
            t4__ws_frame_status st = t4__ws_parse_frame(p, avail, true, ws->pmd_wbits ? 4 : 0, &ws->frame);
            if (st == T4__WS_FRAME_NEED_MORE)
                break;
            if (st != T4__WS_FRAME_OK) {
                t4__ws_fail(ws, 1002, frame_error_text(st));
                return len;
            }
            if (!accept_header(ws))
                return len;
            ws->have_frame = true;
            ws->frame_seen = 0;
        }
        size_t hl = ws->frame.header_len;
        uint64_t flen = ws->frame.len;
        size_t have = (uint64_t)(avail - hl) < flen ? avail - hl : (size_t)flen;
        uint8_t *payload = p + hl;
        if (have > ws->frame_seen) {
            size_t from = (size_t)ws->frame_seen;
            t4__ws_unmask(payload + from, have - from, ws->frame.mask, from);
            if (frame_is_text(ws) && ws->frame.opcode < T4__WS_OP_CLOSE && !ws->msg_compressed &&
                !t4__utf8_feed(&ws->utf8, payload + from, have - from)) {
                t4__ws_fail(ws, 1007, "text message is not valid UTF-8");
                return len;
            }
            ws->frame_seen = have;
        }
        if (have < flen)
            break; /* the rest of the frame is still on its way */
        ws->have_frame = false;
        c->turn_requests++;
        on_frame(ws, payload, (size_t)flen);
        used += hl + (size_t)flen;
    }
    return used;
}

static bool t4__ws_partial(const t4__conn *c)
{
    const t4_ws *ws = c->ws;
    return ws && ws->phase == T4__WS_OPEN && (ws->have_frame || ws->msg || c->in.len > 0);
}

static size_t t4__ws_input_held(const t4__conn *c)
{
    return c->ws && c->ws->msg ? c->ws->msg->cap : 0;
}

static void t4__ws_too_slow(t4__conn *c)
{
    t4_ws *ws = c->ws;
    t4__input_free(&c->in); /* the partial frame's memory goes back now */
    free_msg(ws);
    ws->have_frame = false;
    ws->msg_opcode = 0;
    t4__ws_fail(ws, 1008, "too slow: below TINA4_MIN_DATA_RATE");
}

static bool t4__ws_on_drain(t4__conn *c)
{
    (void)c;
    return false; /* nothing produced on demand */
}

static void t4__ws_on_disconnect(t4__conn *c)
{
    t4_ws *ws = c->ws;
    if (!ws)
        return;
    t4__ws_leave(ws, 1006, "");
    ws->phase = T4__WS_CLOSED;
}

static void t4__ws_shutdown(t4__conn *c, uint16_t code)
{
    if (c->ws)
        t4__ws_begin_close(c->ws, code, code == 1012 ? "service restart" : "server shutting down");
}

static t4__sbuf *ping; /* the sweep's shared ping frame */

void t4__ws_sweep_end(void)
{
    t4__ws_history_tick(uv_now(&t4__srv->loop));
    t4__sbuf_release(ping);
    ping = NULL;
}

static void t4__ws_tick(t4__conn *c, uint64_t now)
{
    t4_ws *ws = c->ws;
    const t4_config *cfg = &t4__srv->cfg;
    if (ws->phase == T4__WS_CLOSE_SENT) {
        if (now >= c->deadline)
            t4__conn_close_now(c); /* the peer never answered our close */
        return;
    }
    if (ws->phase != T4__WS_OPEN)
        return;
    if (now - c->last_read >= cfg->ws_idle_timeout) {
        t4_log(T4_LOG_DEBUG, "WebSocket %s silent for %u ms: closing", ws->id, cfg->ws_idle_timeout);
        t4__ws_begin_close(ws, 1001, "idle timeout");
        return;
    }
    uint64_t last = c->last_read > ws->last_ping ? c->last_read : ws->last_ping;
    if (now - last >= cfg->ws_ping_interval) {
        /* Every ping is the same frame: one shared buffer for the whole
         * sweep, not one allocation per connection. */
        if (!ping)
            ping = t4__ws_frame_new(T4__WS_OP_PING, "tina4", 5);
        if (ping) {
            t4__sbuf_ref(ping);
            t4__conn_queue(c, ping);
        }
        ws->last_ping = now;
    }
}

static void t4__ws_free(t4__conn *c)
{
    t4_ws *ws = c->ws;
    if (!ws)
        return;
    t4__ws_leave(ws, 1006, "");
    if (ws->pending) {
        /* Its CLOSE event has not fired yet: take it off the list, fire now. */
        t4_ws **pp = &pending_head;
        t4_ws *prev = NULL;
        while (*pp && *pp != ws) {
            prev = *pp;
            pp = &(*pp)->next_pending;
        }
        if (*pp) {
            *pp = ws->next_pending;
            if (pending_tail == ws)
                pending_tail = prev;
        }
        ws->pending = false;
    }
    fire_close(ws);
    if (ws->params_json)
        json_decref(ws->params_json);
    free(ws->remote_addr);
    free_msg(ws);
    free(ws->close_reason);
    free(ws->presence);
    free(ws->blob); /* also holds path */
    free(ws);
    c->ws = NULL;
}

static void over_budget(t4__conn *c)
{
    if (c->ws)
        t4__ws_fail(c->ws, 1013, "server busy: input memory limit");
    else
        t4__conn_close_now(c);
}

static void read_resumed(t4__conn *c)
{
    (void)c; /* the idle timeout counts from c->last_read, reset by the server */
}

const t4__conn_ops t4__ws_ops = {
    .name = "websocket",
    .lingers = true,
    .process = t4__ws_process,
    .input_held = t4__ws_input_held,
    .receiving = t4__ws_partial,
    .too_slow = t4__ws_too_slow,
    .over_budget = over_budget,
    .read_resumed = read_resumed,
    .drained = t4__ws_on_drain,
    .disconnected = t4__ws_on_disconnect,
    .tick = t4__ws_tick,
    .shutdown = t4__ws_shutdown,
    .free = t4__ws_free,
};
