/*
 * The Redis backplane (TINA4_WS_BACKPLANE=redis): the relay table of
 * relay.h on top of the link (link.c), the envelopes (envelope.c) and the
 * cluster counts (presence.c).
 *
 * Messages: publish() delivers nothing (the caller delivered locally
 * already); it PUBLISHes one envelope on the data channel. Redis echoes it
 * back to us too: envelopes whose src is ours are skipped, everything else
 * is delivered to our local members of the path, never re-published.
 *
 * While the link is down (or more than max_queue bytes await Redis's
 * answer) a message is delivered locally only: it is counted, and the count
 * is logged once when the link returns.
 *
 * Presence (cluster counts), keys and channel:
 *   tina4:ws:presence:<id>  hash path -> count, plus "_seq"; TTL 3 heartbeats
 *   tina4:ws:instances      set of instance ids (cleaned lazily)
 *   tina4:ws:presence       channel: "P id seq count path" (a change),
 *                           "H id seq" (heartbeat), "J id seq" (announced),
 *                           "B id" (gone)
 */
#include "backplane/backplane.h"
#include "backplane/envelope.h"
#include "backplane/link.h"
#include "backplane/presence.h"
#include "backplane/relay.h"
#include "backplane/url.h"
#include "util/log.h"
#include "ws/ws.h"
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define PRESENCE_CHANNEL "tina4:ws:presence"
#define INSTANCES_KEY    "tina4:ws:instances"
#define KEY_PREFIX       "tina4:ws:presence:"

static uv_loop_t *loop;
static const char *self; /* instance id */
static char self_key[64];
static bool binary_format;
static const char *data_channel;
static uint64_t hb_ms, ttl_ms;
static size_t max_queue;
static size_t in_flight; /* bytes PUBLISHed and not yet answered */
static bool overflowing;
static uint64_t dropped_msgs, dropped_bytes;   /* link down */
static uint64_t overflow_msgs, overflow_bytes; /* queue full */
static uint64_t ignored_envelopes;
static t4__buf enc;
static uv_timer_t tick_timer, flush_timer;
static unsigned ticks;
static bool hb_outstanding;
static bool started;

/* ---------------------------------------------------------------- */
/* Sending                                                            */
/* ---------------------------------------------------------------- */

static void on_publish_reply(redisAsyncContext *ac, void *r, void *priv)
{
    (void)ac, (void)r;
    size_t n = (size_t)(uintptr_t)priv;
    in_flight = in_flight >= n ? in_flight - n : 0;
    if (overflowing && in_flight <= max_queue / 2) {
        overflowing = false;
        t4_log(T4_LOG_WARN,
               "backplane: Redis caught up; %" PRIu64 " message(s) (%" PRIu64
               " bytes) were delivered locally only while TINA4_WS_BACKPLANE_MAX_QUEUE was full",
               overflow_msgs, overflow_bytes);
        overflow_msgs = overflow_bytes = 0;
    }
}

static void publish(const char *path, size_t path_len, uint8_t opcode, const void *data, size_t len,
                    const char *exclude_id)
{
    redisAsyncContext *c = t4__link_cmd();
    if (!c) {
        dropped_msgs++;
        dropped_bytes += len;
        return;
    }
    if (in_flight + len > max_queue) {
        if (!overflowing) {
            overflowing = true;
            t4_log(T4_LOG_WARN,
                   "backplane: %zu bytes await Redis (TINA4_WS_BACKPLANE_MAX_QUEUE=%zu); messages are "
                   "delivered locally only until it catches up",
                   in_flight, max_queue);
        }
        overflow_msgs++;
        overflow_bytes += len;
        return;
    }
    enc.len = 0;
    int rc = binary_format
                 ? t4__envelope_encode_bin(&enc, self, path, path_len, opcode, data, len, exclude_id)
                 : t4__envelope_encode_json(&enc, self, path, path_len, opcode, data, len, exclude_id);
    if (rc != 0) {
        t4__debug("backplane: cannot encode a message for %.*s (not UTF-8, or no memory)", (int)path_len,
                  path);
        return;
    }
    const char *argv[3] = {"PUBLISH", data_channel, enc.data};
    size_t argvlen[3] = {7, strlen(data_channel), enc.len};
    if (redisAsyncCommandArgv(c, on_publish_reply, (void *)(uintptr_t)enc.len, 3, argv, argvlen) == REDIS_OK)
        in_flight += enc.len;
    if (enc.cap > 1024 * 1024) /* do not keep a huge buffer around */
        t4__buf_free(&enc);
}

/* ---------------------------------------------------------------- */
/* Presence: our side                                                 */
/* ---------------------------------------------------------------- */

static void send_change(const char *path, size_t len, size_t count, uint64_t seq, void *arg)
{
    redisAsyncContext *c = arg;
    if (!c)
        return; /* link down: the announcement on reconnect carries the state */
    char cnt[24], sq[24];
    snprintf(cnt, sizeof cnt, "%zu", count);
    snprintf(sq, sizeof sq, "%" PRIu64, seq);
    if (count) {
        const char *argv[6] = {"HSET", self_key, path, cnt, "_seq", sq};
        size_t lens[6] = {4, strlen(self_key), len, strlen(cnt), 4, strlen(sq)};
        redisAsyncCommandArgv(c, NULL, NULL, 6, argv, lens);
    } else {
        const char *argv[3] = {"HDEL", self_key, path};
        size_t lens[3] = {4, strlen(self_key), len};
        redisAsyncCommandArgv(c, NULL, NULL, 3, argv, lens);
        redisAsyncCommand(c, NULL, NULL, "HSET %s _seq %s", self_key, sq);
    }
    t4__buf msg = {0};
    if (t4__buf_appendf(&msg, "P %s %s %s ", self, sq, cnt) == 0 && t4__buf_append(&msg, path, len) == 0) {
        const char *argv[3] = {"PUBLISH", PRESENCE_CHANNEL, msg.data};
        size_t lens[3] = {7, sizeof PRESENCE_CHANNEL - 1, msg.len};
        redisAsyncCommandArgv(c, NULL, NULL, 3, argv, lens);
    }
    t4__buf_free(&msg);
}

static void on_flush(uv_timer_t *t)
{
    (void)t;
    t4__pres_local_flush(send_change, t4__link_cmd());
}

static void presence(const char *path, size_t path_len, size_t local_count)
{
    if (t4__pres_local_set(path, path_len, local_count) != 0)
        return;
    /* Coalesced: one update per path per loop turn, however many joins. */
    if (!uv_is_active((uv_handle_t *)&flush_timer))
        uv_timer_start(&flush_timer, on_flush, 0, 0);
}

static void announce_path(const char *path, size_t len, size_t count, void *arg)
{
    redisAsyncContext *c = arg;
    char cnt[24];
    snprintf(cnt, sizeof cnt, "%zu", count);
    const char *argv[4] = {"HSET", self_key, path, cnt};
    size_t lens[4] = {4, strlen(self_key), len, strlen(cnt)};
    redisAsyncCommandArgv(c, NULL, NULL, 4, argv, lens);
}

/* Writes our whole state (after a (re)connect, or when Redis lost it). */
static void announce(redisAsyncContext *c)
{
    t4__pres_local_flush(NULL, NULL); /* the full state follows */
    uint64_t seq = t4__pres_local_next_seq();
    redisAsyncCommand(c, NULL, NULL, "DEL %s", self_key);
    t4__pres_local_foreach(announce_path, c);
    redisAsyncCommand(c, NULL, NULL, "HSET %s _seq %" PRIu64, self_key, seq);
    redisAsyncCommand(c, NULL, NULL, "PEXPIRE %s %" PRIu64, self_key, ttl_ms);
    redisAsyncCommand(c, NULL, NULL, "SADD %s %s", INSTANCES_KEY, self);
    char msg[80];
    snprintf(msg, sizeof msg, "J %s %" PRIu64, self, seq);
    redisAsyncCommand(c, NULL, NULL, "PUBLISH %s %s", PRESENCE_CHANNEL, msg);
}

/* ---------------------------------------------------------------- */
/* Presence: the others                                               */
/* ---------------------------------------------------------------- */

static bool valid_id(const char *id, size_t len)
{
    if (len == 0 || len > 32)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!((id[i] >= '0' && id[i] <= '9') || (id[i] >= 'a' && id[i] <= 'f') ||
              (id[i] >= 'A' && id[i] <= 'F')))
            return false;
    return true;
}

static void on_snapshot(redisAsyncContext *ac, void *r, void *priv)
{
    (void)ac;
    char *id = priv;
    const redisReply *reply = r;
    /* EXEC -> [HGETALL reply, PTTL reply] */
    if (reply && reply->type == REDIS_REPLY_ARRAY && reply->elements == 2 &&
        reply->element[0]->type == REDIS_REPLY_ARRAY && reply->element[1]->type == REDIS_REPLY_INTEGER) {
        const redisReply *h = reply->element[0];
        long long pttl = reply->element[1]->integer;
        redisAsyncContext *c = t4__link_cmd();
        if (h->elements == 0 || pttl <= 0) {
            /* Its key expired: the instance is gone. */
            t4__pres_remote_forget(id);
            if (c)
                redisAsyncCommand(c, NULL, NULL, "SREM %s %s", INSTANCES_KEY, id);
        } else {
            uint64_t seq = 0;
            for (size_t i = 0; i + 1 < h->elements; i += 2)
                if (h->element[i]->type == REDIS_REPLY_STRING && strcmp(h->element[i]->str, "_seq") == 0)
                    seq = strtoull(h->element[i + 1]->str, NULL, 10);
            uint64_t now = uv_now(loop);
            uint64_t age = (uint64_t)pttl < ttl_ms ? ttl_ms - (uint64_t)pttl : 0;
            t4__pres_snapshot_begin(id, seq, now > age ? now - age : 0);
            for (size_t i = 0; i + 1 < h->elements; i += 2) {
                const redisReply *k = h->element[i], *v = h->element[i + 1];
                if (k->type != REDIS_REPLY_STRING || v->type != REDIS_REPLY_STRING || k->len == 0 ||
                    k->str[0] != '/')
                    continue;
                t4__pres_snapshot_add(k->str, k->len, (size_t)strtoull(v->str, NULL, 10));
            }
            t4__pres_snapshot_end();
        }
    }
    free(id);
}

static void fetch_snapshot(const char *id, size_t len)
{
    redisAsyncContext *c = t4__link_cmd();
    if (!c || !valid_id(id, len) || (len == strlen(self) && memcmp(id, self, len) == 0))
        return;
    char *copy = strndup(id, len);
    if (!copy)
        return;
    redisAsyncCommand(c, NULL, NULL, "MULTI");
    redisAsyncCommand(c, NULL, NULL, "HGETALL " KEY_PREFIX "%s", copy);
    redisAsyncCommand(c, NULL, NULL, "PTTL " KEY_PREFIX "%s", copy);
    redisAsyncCommand(c, on_snapshot, copy, "EXEC");
}

static void on_members(redisAsyncContext *ac, void *r, void *priv)
{
    (void)ac, (void)priv;
    const redisReply *reply = r;
    if (!reply || reply->type != REDIS_REPLY_ARRAY)
        return;
    for (size_t i = 0; i < reply->elements; i++)
        if (reply->element[i]->type == REDIS_REPLY_STRING)
            fetch_snapshot(reply->element[i]->str, reply->element[i]->len);
}

/* "P id seq count path" | "H id seq" | "J id seq" | "B id" */
static void on_presence_message(const char *m, size_t len)
{
    if (len < 3 || m[1] != ' ')
        return;
    char kind = m[0];
    const char *id = m + 2, *end = m + len;
    const char *sp = memchr(id, ' ', (size_t)(end - id));
    size_t idlen = (size_t)((sp ? sp : end) - id);
    if (!valid_id(id, idlen) || (idlen == strlen(self) && memcmp(id, self, idlen) == 0))
        return;
    char idz[33];
    memcpy(idz, id, idlen);
    idz[idlen] = '\0';
    if (kind == 'B') {
        t4__pres_remote_forget(idz);
        return;
    }
    if (!sp)
        return;
    char *e;
    uint64_t seq = strtoull(sp + 1, &e, 10);
    if (e == sp + 1 || e > end)
        return;
    uint64_t now = uv_now(loop);
    if (kind == 'H') {
        if (t4__pres_remote_seen(idz, seq, now))
            fetch_snapshot(idz, idlen);
    } else if (kind == 'J') {
        t4__pres_remote_seen(idz, seq, now);
        fetch_snapshot(idz, idlen);
    } else if (kind == 'P') {
        if (*e != ' ')
            return;
        const char *cs = e + 1;
        size_t count = (size_t)strtoull(cs, &e, 10);
        if (e == cs || e >= end || *e != ' ' || e + 1 >= end)
            return;
        t4__pres_remote_update(idz, seq, e + 1, (size_t)(end - e - 1), count, now);
    }
}

static size_t remote_count(const char *path, size_t path_len)
{
    return t4__pres_remote_count(path, path_len);
}

/* ---------------------------------------------------------------- */
/* Receiving                                                          */
/* ---------------------------------------------------------------- */

static void on_data_message(const char *m, size_t len)
{
    if (binary_format ? t4__envelope_bin_from(m, len, self) : t4__envelope_json_from(m, len, self))
        return; /* ours, echoed back: delivered locally already */
    t4__envelope e;
    int rc = binary_format ? t4__envelope_decode_bin(m, len, &e) : t4__envelope_decode_json(m, len, &e);
    if (rc == T4__ENV_OK && !(e.src_len == strlen(self) && memcmp(e.src, self, e.src_len) == 0)) {
        size_t plen = t4__group_key_len(e.path, e.path_len);
        t4__ws_deliver_local(e.path, plen, e.opcode, e.data, e.len, e.exclude);
    } else if (rc != T4__ENV_OK) {
        if (ignored_envelopes++ == 0 || T4__LOG_ON(T4_LOG_DEBUG))
            t4_log(rc == T4__ENV_BAD ? T4_LOG_WARN : T4_LOG_DEBUG,
                   "backplane: ignoring a%s envelope on %s (%zu bytes)%s",
                   rc == T4__ENV_BAD ? " malformed" : "n envelope of another kind: an", data_channel, len,
                   ignored_envelopes == 1 ? " (further ones are logged at debug level)" : "");
    }
    t4__envelope_free(&e);
}

static void on_message(const char *channel, size_t clen, const char *data, size_t len)
{
    if (clen == strlen(data_channel) && memcmp(channel, data_channel, clen) == 0)
        on_data_message(data, len);
    else if (clen == sizeof PRESENCE_CHANNEL - 1 && memcmp(channel, PRESENCE_CHANNEL, clen) == 0)
        on_presence_message(data, len);
}

/* ---------------------------------------------------------------- */
/* Link events, heartbeat                                             */
/* ---------------------------------------------------------------- */

static void on_up(void)
{
    redisAsyncContext *c = t4__link_cmd();
    in_flight = 0;
    hb_outstanding = false;
    if (dropped_msgs)
        t4_log(T4_LOG_WARN,
               "backplane: %" PRIu64 " message(s) (%" PRIu64
               " bytes) published while Redis was unreachable were delivered to this instance's "
               "connections only (not relayed)",
               dropped_msgs, dropped_bytes);
    dropped_msgs = dropped_bytes = 0;
    announce(c);
    redisAsyncCommand(c, on_members, NULL, "SMEMBERS %s", INSTANCES_KEY);
}

static void on_down(void)
{
    in_flight = 0;
    overflowing = false;
}

static void on_heartbeat_reply(redisAsyncContext *ac, void *r, void *priv)
{
    (void)ac, (void)priv;
    const redisReply *reply = r;
    if (!reply)
        return;
    hb_outstanding = false;
    redisAsyncContext *c = t4__link_cmd();
    if (c && reply->type == REDIS_REPLY_INTEGER && reply->integer == 0) {
        t4_log(T4_LOG_INFO,
               "backplane: Redis lost this instance's presence (restarted or flushed?); announcing again");
        announce(c);
    }
}

static void on_tick(uv_timer_t *t)
{
    (void)t;
    uint64_t now = uv_now(loop);
    /* A remote instance is gone once unheard for 2.5 heartbeats (checked
     * every quarter heartbeat: at most 2.75 heartbeats after its last). */
    t4__pres_remote_expire(now, hb_ms * 5 / 2, hb_ms);
    if (++ticks % 4 != 0)
        return;
    redisAsyncContext *c = t4__link_cmd();
    if (!c)
        return;
    if (hb_outstanding) {
        t4__link_fail("Redis did not answer the last heartbeat");
        return;
    }
    hb_outstanding = true;
    redisAsyncCommand(c, on_heartbeat_reply, NULL, "PEXPIRE %s %" PRIu64, self_key, ttl_ms);
    redisAsyncCommand(c, NULL, NULL, "SADD %s %s", INSTANCES_KEY, self);
    char msg[80];
    snprintf(msg, sizeof msg, "H %s %" PRIu64, self, t4__pres_local_seq());
    redisAsyncCommand(c, NULL, NULL, "PUBLISH %s %s", PRESENCE_CHANNEL, msg);
}

/* ---------------------------------------------------------------- */
/* Start, stop                                                        */
/* ---------------------------------------------------------------- */

static void farewell(redisAsyncContext *c)
{
    t4__pres_local_flush(NULL, NULL);
    redisAsyncCommand(c, NULL, NULL, "DEL %s", self_key);
    redisAsyncCommand(c, NULL, NULL, "SREM %s %s", INSTANCES_KEY, self);
    char msg[80];
    snprintf(msg, sizeof msg, "B %s", self);
    redisAsyncCommand(c, NULL, NULL, "PUBLISH %s %s", PRESENCE_CHANNEL, msg);
}

static int start(uv_loop_t *lp, const t4_config *cfg, const char *instance_id)
{
    t4__redis_url url;
    const char *why;
    if (t4__redis_url_parse(cfg->ws_backplane_url, &url, &why) != 0) {
        t4_log(T4_LOG_ERROR, "TINA4_WS_BACKPLANE_URL: malformed Redis URL: %s", why);
        return T4_EINVAL;
    }
    const char *fmt =
        cfg->ws_backplane_format && *cfg->ws_backplane_format ? cfg->ws_backplane_format : "json";
    if (strcasecmp(fmt, "json") != 0 && strcasecmp(fmt, "binary") != 0) {
        t4_log(T4_LOG_ERROR, "TINA4_WS_BACKPLANE_FORMAT=%s: expected json (the default) or binary", fmt);
        return T4_EINVAL;
    }
    loop = lp;
    self = instance_id;
    snprintf(self_key, sizeof self_key, KEY_PREFIX "%s", self);
    binary_format = strcasecmp(fmt, "binary") == 0;
    data_channel = binary_format ? T4__BP_CHANNEL_BIN : T4__BP_CHANNEL_JSON;
    hb_ms = cfg->ws_backplane_heartbeat ? cfg->ws_backplane_heartbeat : 5000;
    ttl_ms = hb_ms * 3;
    max_queue = cfg->ws_backplane_max_queue ? cfg->ws_backplane_max_queue : 8 * 1024 * 1024;
    in_flight = 0;
    overflowing = false;
    dropped_msgs = dropped_bytes = overflow_msgs = overflow_bytes = ignored_envelopes = 0;
    ticks = 0;
    hb_outstanding = false;
    uv_timer_init(loop, &tick_timer);
    uv_timer_init(loop, &flush_timer);
    uint64_t tick = hb_ms / 4 ? hb_ms / 4 : 1;
    uv_timer_start(&tick_timer, on_tick, tick, tick);
    started = true;
    const char *channels[2] = {data_channel, PRESENCE_CHANNEL};
    static const t4__link_events ev = {on_up, on_down, on_message};
    t4_log(T4_LOG_INFO, "backplane: redis, instance %s, %s envelopes on channel %s, heartbeat %" PRIu64 " ms",
           self, binary_format ? "binary" : "JSON", data_channel, hb_ms);
    if (t4__link_start(loop, &url, channels, 2, &ev) != 0) {
        uv_close((uv_handle_t *)&tick_timer, NULL);
        uv_close((uv_handle_t *)&flush_timer, NULL);
        started = false;
        return T4_EINVAL;
    }
    return 0;
}

static void stop(void)
{
    if (!started)
        return;
    started = false;
    uv_timer_stop(&tick_timer);
    uv_timer_stop(&flush_timer);
    t4__link_stop(farewell);
    uv_close((uv_handle_t *)&tick_timer, NULL);
    uv_close((uv_handle_t *)&flush_timer, NULL);
    t4__pres_clear();
    t4__buf_free(&enc);
}

const t4__relay t4__relay_redis = {"redis", start, stop, publish, presence, remote_count};
