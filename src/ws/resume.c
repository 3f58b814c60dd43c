/* SPDX-License-Identifier: MIT */
/*
 * Joining over tina4.v1 (docs/RESUME_PROTOCOL.md): a client that offered
 * tina4.v1 gets a welcome first, then - before its OPEN handler runs and
 * before any live message can come - the messages it missed (a resume) or
 * the last n it asked for (a fresh join with history). All of it is queued
 * in the same loop turn as the join, so nothing can slip in between: no
 * gap, no duplicate.
 */
#include "util/log.h"
#include "ws/v1.h"
#include "ws/ws.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Every token the client offered in Sec-WebSocket-Protocol, read for ours. */
static void read_offer(const t4__http_head *h, t4__v1_offer *o)
{
    static const char name[] = "Sec-WebSocket-Protocol";
    for (size_t i = 0; i < h->num_headers; i++) {
        const t4__http_header *hd = &h->headers[i];
        if (hd->name.n != sizeof name - 1 || strncasecmp(hd->name.p, name, hd->name.n) != 0)
            continue;
        const char *p = hd->value.p, *end = p + hd->value.n;
        while (p < end) {
            while (p < end && (*p == ' ' || *p == ',' || *p == '\t'))
                p++;
            const char *e = p;
            while (e < end && *e != ',' && *e != ' ' && *e != '\t')
                e++;
            if (e > p)
                t4__v1_parse_token(p, (size_t)(e - p), o);
            p = e;
        }
    }
}

/* Queues a replayed message: past the backpressure limit on purpose (what
 * is replayed is bounded by the history itself). */
static int replay_one(t4_ws *ws, uint64_t epoch, const t4__hist_entry *e)
{
    char head[T4__V1_MAX_HEAD];
    t4__sbuf *b;
    if (e->opcode == T4__WS_OP_TEXT) {
        size_t hl = t4__v1_head(head, 'p', epoch, e->offset);
        char *s = malloc(hl + e->len + 1);
        if (!s)
            return T4_ENOMEM;
        memcpy(s, head, hl);
        memcpy(s + hl, e->data, e->len);
        b = t4__ws_message_frame(ws, T4__WS_OP_TEXT, s, hl + e->len);
        free(s);
    } else {
        b = t4__ws_frame_new(T4__WS_OP_TEXT, head, t4__v1_head(head, 'b', epoch, e->offset));
        if (!b || t4__conn_queue(ws->conn, b) != 0)
            return T4_ENOMEM;
        b = t4__ws_message_frame(ws, e->opcode, e->data, e->len);
    }
    return b ? t4__conn_queue(ws->conn, b) : T4_ENOMEM;
}

void t4__ws_resume_join(t4_ws *ws, const t4__http_head *h)
{
    t4__v1_offer o = {0};
    read_offer(h, &o);
    t4__hist *hist = t4__group_hist(ws->group);
    uint64_t epoch = 0, from = 0;
    long long count = 0;
    ws->join = T4_WS_JOIN_FRESH;
    if (hist) {
        t4__hist_expire(hist, uv_now(&t4__srv->loop));
        epoch = hist->epoch;
        from = hist->last;
    }
    if (o.resume) {
        count = hist ? t4__hist_missed(hist, o.epoch, o.offset) : -1;
        if (count < 0) {
            ws->join = T4_WS_JOIN_GAP;
            count = 0;
        } else {
            ws->join = T4_WS_JOIN_RESUMED;
            from = o.offset;
        }
    } else if (hist && o.history) {
        count = (long long)(o.history < hist->count ? o.history : hist->count);
        from = hist->last - (uint64_t)count;
    }
    static const char *const kind[] = {"fresh", "resumed", "gap"};
    char *welcome = NULL;
    char ep[T4__V1_MAX_HEAD] = "";
    if (epoch) {
        size_t n = t4__v1_head(ep, 's', epoch, 0);
        ep[n - 2] = '\0'; /* just the 16 hex digits after the type byte */
    }
    char *presence = ws->route->presence_events ? t4__ws_presence_json(ws) : NULL;
    int wl = asprintf(&welcome,
                      "c{\"type\":\"welcome\",\"id\":\"%s\",\"join\":\"%s\",\"epoch\":\"%s\",\"offset\":%llu,"
                      "\"count\":%lld%s%s}",
                      ws->id, kind[ws->join], epoch ? ep + 1 : "", (unsigned long long)from, count,
                      presence ? ",\"presence\":" : "", presence ? presence : "");
    free(presence);
    t4__sbuf *b = wl < 0 ? NULL : t4__ws_frame_new(T4__WS_OP_TEXT, welcome, (size_t)wl);
    if (wl >= 0)
        free(welcome);
    if (!b || t4__conn_queue(ws->conn, b) != 0) {
        t4__ws_fail(ws, 1011, "out of memory");
        return;
    }
    for (uint64_t off = from + 1; count > 0 && off <= from + (uint64_t)count; off++) {
        if (replay_one(ws, epoch, t4__hist_at(hist, off)) != 0) {
            t4__ws_fail(ws, 1011, "out of memory");
            return;
        }
    }
    if (count)
        t4_log(T4_LOG_DEBUG, "WebSocket %s on %s: %s, %lld message(s) replayed", ws->id, t4__ws_path(ws),
               kind[ws->join], count);
}

void t4__ws_history_tick(uint64_t now)
{
    static uint64_t last;
    if (now - last < 1000 || t4__hist_paths() == 0)
        return;
    last = now;
    t4__hist_expire_all(now);
}
