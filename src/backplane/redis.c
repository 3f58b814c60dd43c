/* SPDX-License-Identifier: MIT */
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
 *                           "B id" (gone); parsed by presence_msg.c
 *
 * Members (t4_ws_set_presence), beside the counts:
 *   tina4:ws:members:<id>   hash "<conn> <path>" -> the "j" message of that
 *                           member; same TTL and heartbeat as the counts
 *   tina4:ws:members        channel: "j ..." / "l ..." (member_msg.h)
 * An instance's members go with it when its counts do (it said "B", or its
 * heartbeats stopped: presence.c's drop hook).
 *
 * Nothing read from Redis is trusted: envelopes larger than the message
 * limit allows are dropped (before decoding when even the raw size says
 * so), malformed presence is dropped, and with TINA4_WS_BACKPLANE_SECRET
 * everything without a correct MAC (auth.h) is dropped; each kind is
 * counted and logged at most once a second (drops.h).
 */
#include "backplane/auth.h"
#include "backplane/backplane.h"
#include "backplane/bus.h"
#include "backplane/drops.h"
#include "backplane/envelope.h"
#include "backplane/link.h"
#include "backplane/member_msg.h"
#include "backplane/presence.h"
#include "backplane/presence_msg.h"
#include "backplane/redis_history.h"
#include "backplane/relay.h"
#include "backplane/url.h"
#include "runtime/supervisor.h"
#include "util/log.h"
#include "ws/ws.h"
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define PRESENCE_CHANNEL "tina4:ws:presence"
#define INSTANCES_KEY    "tina4:ws:instances"
#define KEY_PREFIX       "tina4:ws:presence:"
#define MEMBERS_CHANNEL  "tina4:ws:members"
#define MEMBERS_PREFIX   "tina4:ws:members:"

static uv_loop_t *loop;
static const char *self; /* instance id */
static char self_key[64], members_key[64];
static bool binary_format;
static const char *data_channel;
static uint64_t hb_ms, ttl_ms;
static size_t max_queue;
static size_t in_flight; /* bytes PUBLISHed and not yet answered */
static bool overflowing;
static uint64_t dropped_msgs, dropped_bytes;   /* link down */
static uint64_t overflow_msgs, overflow_bytes; /* queue full */
static uint64_t ignored_envelopes;
static t4__bp_auth *auth; /* NULL: no TINA4_WS_BACKPLANE_SECRET */
static size_t max_message, max_path;
static t4__drops drop_big = {.what = "envelope(s) over TINA4_WS_MAX_MESSAGE"};
static t4__drops drop_unauth = {.what = "unauthenticated envelope(s)",
                                .hint = "is TINA4_WS_BACKPLANE_SECRET the same on every instance?"};
static t4__drops drop_pres_bad = {.what = "malformed presence message(s)"};
static t4__drops drop_member_bad = {.what = "malformed member message(s)"};
static t4__drops drop_member_unauth = {.what = "unauthenticated member message(s)",
                                       .hint = "is TINA4_WS_BACKPLANE_SECRET the same on every instance?"};
static t4__drops drop_pres_unauth = {.what = "unauthenticated presence message(s)",
                                     .hint = "is TINA4_WS_BACKPLANE_SECRET the same on every instance?"};
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
    if (rc == 0 && auth)
        rc = binary_format ? t4__bp_seal_bin(auth, &enc, 0) : t4__bp_seal_json(auth, &enc, 0);
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

#define SEQ_FIELD "_seq"

/* Publishes a presence message (path appended to the formatted text when
 * given), sealed when there is a secret. */
static void publish_presence(redisAsyncContext *c, const char *path, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void publish_presence(redisAsyncContext *c, const char *path, size_t len, const char *fmt, ...)
{
    t4__buf body = {0}, sealed = {0};
    va_list ap;
    va_start(ap, fmt);
    int rc = t4__buf_vappendf(&body, fmt, ap);
    va_end(ap);
    if (rc == 0 && path)
        rc = t4__buf_append(&body, path, len);
    if (rc == 0 && auth)
        rc = t4__bp_seal_presence(auth, &sealed, body.data, body.len);
    if (rc == 0) {
        const t4__buf *m = auth ? &sealed : &body;
        const char *argv[3] = {"PUBLISH", PRESENCE_CHANNEL, m->data};
        size_t lens[3] = {7, sizeof PRESENCE_CHANNEL - 1, m->len};
        redisAsyncCommandArgv(c, NULL, NULL, 3, argv, lens);
    }
    t4__buf_free(&body);
    t4__buf_free(&sealed);
}

/* HSET in our hash: path -> count (unless path is NULL) and / or "_seq" ->
 * seq (unless seq is 0), in one command; each value sealed when there is
 * a secret. */
static void hset(redisAsyncContext *c, const char *path, size_t len, size_t count, uint64_t seq)
{
    char v[2][128];
    const char *argv[6] = {"HSET", self_key};
    size_t lens[6] = {4, strlen(self_key)};
    int n = 2;
    if (path) {
        int vn = t4__bp_seal_value(auth, self_key, path, len, count, v[0], sizeof v[0]);
        if (vn < 0)
            return;
        argv[n] = path, lens[n++] = len;
        argv[n] = v[0], lens[n++] = (size_t)vn;
    }
    if (seq) {
        int vn = t4__bp_seal_value(auth, self_key, SEQ_FIELD, sizeof SEQ_FIELD - 1, seq, v[1], sizeof v[1]);
        if (vn < 0)
            return;
        argv[n] = SEQ_FIELD, lens[n++] = sizeof SEQ_FIELD - 1;
        argv[n] = v[1], lens[n++] = (size_t)vn;
    }
    redisAsyncCommandArgv(c, NULL, NULL, n, argv, lens);
}

static void send_change(const char *path, size_t len, size_t count, uint64_t seq, void *arg)
{
    redisAsyncContext *c = arg;
    if (!c)
        return; /* link down: the announcement on reconnect carries the state */
    if (count) {
        hset(c, path, len, count, seq);
    } else {
        const char *argv[3] = {"HDEL", self_key, path};
        size_t lens[3] = {4, strlen(self_key), len};
        redisAsyncCommandArgv(c, NULL, NULL, 3, argv, lens);
        hset(c, NULL, 0, 0, seq);
    }
    publish_presence(c, path, len, "P %s %" PRIu64 " %zu ", self, seq, count);
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

/* ---------------------------------------------------------------- */
/* Members                                                            */
/* ---------------------------------------------------------------- */

/* The member message, sealed when there is a secret, into out. */
static int member_message(t4__buf *out, const char *path, size_t len, const char *conn, const char *info)
{
    t4__buf body = {0};
    int rc = t4__member_msg_build(&body, self, conn, path, len, info);
    if (rc == 0)
        rc = auth ? t4__bp_seal_presence(auth, out, body.data, body.len)
                  : t4__buf_append(out, body.data, body.len);
    t4__buf_free(&body);
    return rc;
}

static void hset_member(redisAsyncContext *c, const char *path, size_t len, const char *conn,
                        const char *info)
{
    t4__buf field = {0}, v = {0};
    if (t4__buf_appendf(&field, "%s ", conn) == 0 && t4__buf_append(&field, path, len) == 0) {
        if (!info) {
            const char *argv[3] = {"HDEL", members_key, field.data};
            size_t lens[3] = {4, strlen(members_key), field.len};
            redisAsyncCommandArgv(c, NULL, NULL, 3, argv, lens);
        } else if (member_message(&v, path, len, conn, info) == 0) {
            const char *argv[4] = {"HSET", members_key, field.data, v.data};
            size_t lens[4] = {4, strlen(members_key), field.len, v.len};
            redisAsyncCommandArgv(c, NULL, NULL, 4, argv, lens);
        }
    }
    t4__buf_free(&field);
    t4__buf_free(&v);
}

static void member(const char *path, size_t len, const char *conn, const char *info)
{
    redisAsyncContext *c = t4__link_cmd();
    if (!c)
        return; /* link down: the announcement on reconnect carries the state */
    hset_member(c, path, len, conn, info);
    redisAsyncCommand(c, NULL, NULL, "PEXPIRE %s %" PRIu64, members_key, ttl_ms);
    t4__buf m = {0};
    if (member_message(&m, path, len, conn, info) == 0) {
        const char *argv[3] = {"PUBLISH", MEMBERS_CHANNEL, m.data};
        size_t lens[3] = {7, sizeof MEMBERS_CHANNEL - 1, m.len};
        redisAsyncCommandArgv(c, NULL, NULL, 3, argv, lens);
    }
    t4__buf_free(&m);
}

static void announce_member(const char *path, size_t len, const char *conn, const char *info, void *arg)
{
    hset_member(arg, path, len, conn, info);
}

/* A member message or hash value from Redis; src_want: the instance whose
 * hash it came from (NULL: the channel). */
static void on_member_message(const char *raw, size_t rawlen, const char *src_want)
{
    uint64_t now = uv_now(loop);
    const char *body;
    size_t len;
    t4__member_msg m;
    if (!t4__bp_open_presence(auth, raw, rawlen, &body, &len)) {
        t4__drops_add(&drop_member_unauth, now);
        return;
    }
    if (t4__member_msg_parse(body, len, max_path, &m) != 0 || (src_want && strcmp(m.src, src_want) != 0)) {
        t4__drops_add(&drop_member_bad, now);
        return;
    }
    if (strcmp(m.src, self) == 0 || t4__bus_is_peer_id(m.src, strlen(m.src)))
        return; /* ours, or a local worker's: the local bus carries those */
    t4__ws_remote_member(m.src, m.path, m.path_len, m.conn, m.info, m.info_len);
}

static void on_members_snapshot(redisAsyncContext *ac, void *r, void *priv)
{
    (void)ac;
    char *id = priv;
    const redisReply *h = r;
    if (h && h->type == REDIS_REPLY_ARRAY) {
        for (size_t i = 0; i + 1 < h->elements; i += 2)
            if (h->element[i + 1]->type == REDIS_REPLY_STRING)
                on_member_message(h->element[i + 1]->str, h->element[i + 1]->len, id);
        t4__ws_remote_sweep(id);
    }
    free(id);
}

/* presence.c forgets an instance (goodbye, expired, snapshot of a dead
 * one): its members go with it. */
static void instance_dropped(const char *id)
{
    t4__ws_remote_origin_gone(id);
}

static void announce_path(const char *path, size_t len, size_t count, void *arg)
{
    hset(arg, path, len, count, 0);
}

/* Writes our whole state (after a (re)connect, or when Redis lost it). */
static void announce(redisAsyncContext *c)
{
    t4__pres_local_flush(NULL, NULL); /* the full state follows */
    uint64_t seq = t4__pres_local_next_seq();
    redisAsyncCommand(c, NULL, NULL, "DEL %s", self_key);
    t4__pres_local_foreach(announce_path, c);
    hset(c, NULL, 0, 0, seq);
    redisAsyncCommand(c, NULL, NULL, "PEXPIRE %s %" PRIu64, self_key, ttl_ms);
    redisAsyncCommand(c, NULL, NULL, "DEL %s", members_key);
    t4__ws_members_each(announce_member, c);
    redisAsyncCommand(c, NULL, NULL, "PEXPIRE %s %" PRIu64, members_key, ttl_ms);
    redisAsyncCommand(c, NULL, NULL, "SADD %s %s", INSTANCES_KEY, self);
    publish_presence(c, NULL, 0, "J %s %" PRIu64, self, seq);
}

/* ---------------------------------------------------------------- */
/* Presence: the others                                               */
/* ---------------------------------------------------------------- */

/* Checks one value of the hash; counts it when dropped. */
static bool snapshot_value(const char *key, const redisReply *k, const redisReply *v, uint64_t max,
                           uint64_t *out)
{
    uint64_t now = uv_now(loop);
    if (k->type != REDIS_REPLY_STRING || v->type != REDIS_REPLY_STRING) {
        t4__drops_add(&drop_pres_bad, now);
        return false;
    }
    int rc = t4__bp_open_value(auth, key, k->str, k->len, v->str, v->len, max, out);
    if (rc != 0)
        t4__drops_add(rc == -2 ? &drop_pres_unauth : &drop_pres_bad, now);
    return rc == 0;
}

/* An instance's hash (HGETALL: field, value, ...) with the key's PTTL. */
static void apply_snapshot(const char *id, const redisReply *h, long long pttl)
{
    char key[64];
    snprintf(key, sizeof key, KEY_PREFIX "%s", id);
    uint64_t seq = 0;
    for (size_t i = 0; i + 1 < h->elements; i += 2) {
        const redisReply *k = h->element[i];
        if (k->type == REDIS_REPLY_STRING && k->len == sizeof SEQ_FIELD - 1 &&
            memcmp(k->str, SEQ_FIELD, k->len) == 0 &&
            !snapshot_value(key, k, h->element[i + 1], UINT64_MAX, &seq))
            return; /* a forged or broken hash: none of it */
    }
    uint64_t now = uv_now(loop);
    uint64_t age = (uint64_t)pttl < ttl_ms ? ttl_ms - (uint64_t)pttl : 0;
    t4__pres_snapshot_begin(id, seq, now > age ? now - age : 0);
    for (size_t i = 0; i + 1 < h->elements; i += 2) {
        const redisReply *k = h->element[i];
        uint64_t count;
        if (k->type == REDIS_REPLY_STRING && k->len == sizeof SEQ_FIELD - 1 &&
            memcmp(k->str, SEQ_FIELD, k->len) == 0)
            continue;
        if (k->type != REDIS_REPLY_STRING || !t4__pres_valid_path(k->str, k->len, max_path)) {
            t4__drops_add(&drop_pres_bad, now);
            continue;
        }
        if (snapshot_value(key, k, h->element[i + 1], T4__PRES_COUNT_MAX, &count))
            t4__pres_snapshot_add(k->str, k->len, (size_t)count);
    }
    t4__pres_snapshot_end();
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
            apply_snapshot(id, h, pttl);
        }
    }
    free(id);
}

static void fetch_snapshot(const char *id, size_t len)
{
    redisAsyncContext *c = t4__link_cmd();
    if (!c || !t4__pres_valid_id(id, len) || (len == strlen(self) && memcmp(id, self, len) == 0) ||
        t4__bus_is_peer_id(id, len))
        return; /* ours, or a worker of this machine: the local bus counts those */
    char *copy = strndup(id, len);
    if (!copy)
        return;
    redisAsyncCommand(c, NULL, NULL, "MULTI");
    redisAsyncCommand(c, NULL, NULL, "HGETALL " KEY_PREFIX "%s", copy);
    redisAsyncCommand(c, NULL, NULL, "PTTL " KEY_PREFIX "%s", copy);
    redisAsyncCommand(c, on_snapshot, copy, "EXEC");
    char *copy2 = strdup(copy);
    if (!copy2)
        return;
    t4__ws_remote_mark(copy2); /* what the snapshot does not list has left */
    redisAsyncCommand(c, on_members_snapshot, copy2, "HGETALL " MEMBERS_PREFIX "%s", copy2);
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

/* See presence_msg.h for the messages. */
static void on_presence_message(const char *raw, size_t rawlen)
{
    uint64_t now = uv_now(loop);
    const char *body;
    size_t len;
    if (!t4__bp_open_presence(auth, raw, rawlen, &body, &len)) {
        t4__drops_add(&drop_pres_unauth, now);
        return;
    }
    t4__pres_msg m;
    if (t4__pres_msg_parse(body, len, max_path, &m) != 0) {
        t4__drops_add(&drop_pres_bad, now);
        return;
    }
    if (strcmp(m.id, self) == 0 || t4__bus_is_peer_id(m.id, m.id_len))
        return; /* ours, echoed back, or a local worker's: the local bus counts those */
    switch (m.kind) {
    case 'B':
        t4__pres_remote_forget(m.id);
        break;
    case 'H':
        if (t4__pres_remote_seen(m.id, m.seq, now))
            fetch_snapshot(m.id, m.id_len);
        break;
    case 'J':
        t4__pres_remote_seen(m.id, m.seq, now);
        fetch_snapshot(m.id, m.id_len);
        break;
    default: /* 'P' */
        t4__pres_remote_update(m.id, m.seq, m.path, m.path_len, m.count, now);
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
    /* Another worker's of this machine: the bus delivered it already. Told
     * from the first bytes, so each worker pays little for its peers'
     * messages (every worker has its own link: docs/BENCHMARKS.md). */
    const char *token = t4__bus_token();
    if (token && (binary_format ? t4__envelope_bin_src_starts(m, len, token, T4__BUS_TOKEN_LEN)
                                : t4__envelope_json_src_starts(m, len, token, T4__BUS_TOKEN_LEN)))
        return;
    uint64_t now = uv_now(loop);
    /* Too large for any message we may deliver: not even decoded. */
    if (len > (binary_format ? t4__envelope_bin_max(max_message, max_path)
                             : t4__envelope_json_max(max_message, max_path))) {
        t4__drops_add(&drop_big, now);
        return;
    }
    if (auth && !(binary_format ? t4__bp_open_bin(auth, m, len) : t4__bp_open_json(auth, m, len))) {
        t4__drops_add(&drop_unauth, now);
        return;
    }
    t4__envelope e;
    int rc = binary_format ? t4__envelope_decode_bin(m, len, &e) : t4__envelope_decode_json(m, len, &e);
    if (rc == T4__ENV_OK && e.len > max_message) {
        t4__drops_add(&drop_big, now);
    } else if (rc == T4__ENV_OK && !(e.src_len == strlen(self) && memcmp(e.src, self, e.src_len) == 0) &&
               !t4__bus_is_peer_id(e.src, e.src_len)) { /* a local worker's came by the bus already */
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
    else if (clen == sizeof MEMBERS_CHANNEL - 1 && memcmp(channel, MEMBERS_CHANNEL, clen) == 0)
        on_member_message(data, len, NULL);
    else if (clen == sizeof T4__RHIST_CHANNEL - 1 && memcmp(channel, T4__RHIST_CHANNEL, clen) == 0)
        t4__rhist_on_message(data, len);
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
    t4__rhist_on_up(c);
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
    t4__drops *drops[] = {&drop_big,         &drop_unauth,     &drop_pres_bad,
                          &drop_pres_unauth, &drop_member_bad, &drop_member_unauth};
    for (size_t i = 0; i < sizeof drops / sizeof drops[0]; i++)
        t4__drops_flush(drops[i], now);
    t4__rhist_flush_drops(now);
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
    redisAsyncCommand(c, NULL, NULL, "PEXPIRE %s %" PRIu64, members_key, ttl_ms);
    redisAsyncCommand(c, NULL, NULL, "SADD %s %s", INSTANCES_KEY, self);
    publish_presence(c, NULL, 0, "H %s %" PRIu64, self, t4__pres_local_seq());
}

/* ---------------------------------------------------------------- */
/* Start, stop                                                        */
/* ---------------------------------------------------------------- */

static void farewell(redisAsyncContext *c)
{
    t4__pres_local_flush(NULL, NULL);
    redisAsyncCommand(c, NULL, NULL, "DEL %s", self_key);
    redisAsyncCommand(c, NULL, NULL, "DEL %s", members_key);
    redisAsyncCommand(c, NULL, NULL, "SREM %s %s", INSTANCES_KEY, self);
    publish_presence(c, NULL, 0, "B %s", self);
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
    const char *secret = cfg->ws_backplane_secret ? cfg->ws_backplane_secret : "";
    t4__bp_auth_free(auth);
    auth = NULL;
    if (*secret && !(auth = t4__bp_auth_new(secret, strlen(secret)))) {
        t4_log(T4_LOG_ERROR, "TINA4_WS_BACKPLANE_SECRET: cannot set up HMAC-SHA256 (OpenSSL)");
        return T4_EIO;
    }
    max_message = cfg->ws_max_message ? cfg->ws_max_message : 1024 * 1024;
    max_path = cfg->http_max_header ? cfg->http_max_header : 16 * 1024;
    t4__drops *drops[] = {&drop_big,         &drop_unauth,     &drop_pres_bad,
                          &drop_pres_unauth, &drop_member_bad, &drop_member_unauth};
    for (size_t i = 0; i < sizeof drops / sizeof drops[0]; i++)
        t4__drops_reset(drops[i]);
    loop = lp;
    self = instance_id;
    snprintf(self_key, sizeof self_key, KEY_PREFIX "%s", self);
    snprintf(members_key, sizeof members_key, MEMBERS_PREFIX "%s", self);
    t4__pres_set_drop_hook(instance_dropped);
    t4__rhist_setup(loop, self, auth, max_message, max_path);
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
    const char *channels[4] = {data_channel, PRESENCE_CHANNEL, MEMBERS_CHANNEL, T4__RHIST_CHANNEL};
    static const t4__link_events ev = {on_up, on_down, on_message};
    t4_log(T4_LOG_INFO,
           "backplane: redis, instance %s, %s envelopes on channel %s, heartbeat %" PRIu64 " ms, %s", self,
           binary_format ? "binary" : "JSON", data_channel, hb_ms,
           auth ? "authenticated (HMAC-SHA256)" : "not authenticated (no TINA4_WS_BACKPLANE_SECRET)");
    if (t4__link_start(loop, &url, channels, 4, &ev) != 0) {
        uv_close((uv_handle_t *)&tick_timer, NULL);
        uv_close((uv_handle_t *)&flush_timer, NULL);
        started = false;
        t4__bp_auth_free(auth);
        auth = NULL;
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
    t4__pres_set_drop_hook(NULL); /* stopping: nobody to tell */
    t4__pres_clear();
    t4__buf_free(&enc);
    t4__bp_auth_free(auth);
    auth = NULL;
}

const t4__relay t4__relay_redis = {"redis",  start,        stop,   publish,
                                   presence, remote_count, member, t4__rhist_publish};
