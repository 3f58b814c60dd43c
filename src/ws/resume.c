/* SPDX-License-Identifier: MIT */
/*
 * Joining over tina4.v1 (docs/RESUME_PROTOCOL.md): a client that offered
 * tina4.v1 gets a welcome first, then - before its OPEN handler runs and
 * before any live message can come - the messages it missed (a resume) or
 * the last n it asked for (a fresh join with history). All of it is queued
 * in the same loop turn as the join, so nothing can slip in between: no
 * gap, no duplicate.
 */
#include "server/output_budget.h"
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

/* What replaying entries from+1 .. from+count queues for one connection:
 * payloads plus a v1 head and a frame header each. */
static size_t replay_bytes(t4__hist *hist, uint64_t from, long long count)
{
    size_t sum = 0;
    for (long long i = 1; i <= count; i++)
        sum += t4__hist_at(hist, from + (uint64_t)i)->len + T4__V1_MAX_HEAD + 14;
    return sum;
}

/* Queues a replayed message: past the per-send backpressure check on purpose
 * (t4__ws_resume_join bounds the whole replay by TINA4_WS_MAX_BACKPRESSURE
 * first, so a queue never holds more than that). */
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
    /* A replay queues a copy per joiner, so it is bounded like any output:
     * a client asking for history and never reading must not multiply
     * memory. With the server's output budget spent, the join is answered
     * 1013 (try again later). A replay larger than one connection may have
     * queued (TINA4_WS_MAX_BACKPRESSURE) is cut to the newest messages that
     * fit: a fresh join gets fewer than it asked for, a resume becomes a
     * gap (the client is told it missed too much, and reloads). */
    if (count > 0 && t4__output_over()) {
        t4__ws_fail(ws, 1013, "server busy: try again later");
        return;
    }
    size_t cap = t4__srv->cfg.ws_max_backpressure, bytes = count > 0 ? replay_bytes(hist, from, count) : 0;
    if (bytes > cap) {
        if (ws->join == T4_WS_JOIN_RESUMED) {
            ws->join = T4_WS_JOIN_GAP;
            from = hist->last;
            count = 0;
        } else {
            while (count > 0 && bytes > cap) { /* drop the oldest until the rest fits */
                from++;
                count--;
                bytes -= t4__hist_at(hist, from)->len + T4__V1_MAX_HEAD + 14;
            }
        }
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
