/* SPDX-License-Identifier: MIT */
/*
 * History in Redis Streams (redis_history.h).
 *
 * Keys per path (a route with .history_size):
 *   tina4:ws:history:<path>       stream: one entry per message, id
 *                                 "<offset>-0", fields m (the body) ; trimmed
 *                                 with MAXLEN ~ history_size
 *   tina4:ws:history-meta:<path>  hash: e (the epoch, 16 hex), o (the last
 *                                 offset)
 * With .history_ttl both keys expire that long after the last message.
 *
 * One script does it all atomically: it reads (or sets, from the epoch the
 * caller proposes) the epoch, takes the next offset, XADDs, sets the
 * expiry and PUBLISHes "<epoch> <offset> <body>" on tina4:ws:history. As
 * the position is taken and the message published in one step, the channel
 * carries every path's messages in offset order, to every instance. Every
 * instance (the publisher too) delivers a message only when it comes back
 * on the channel, and keeps it in its local copy of the path's history
 * (t4__hist_append_at) - so a client resumes on any instance from memory,
 * and the epoch, kept in Redis, survives the crash of any instance.
 *
 * On every connect an instance reads what Redis keeps (SCAN for the meta
 * keys, then the epoch and the newest history_size entries of each path
 * its routes keep history for) into its own copies: a new or restarted
 * instance can then replay what was sent before it started (a deploy that
 * replaces every instance loses nothing).
 */
#include "backplane/redis_history.h"
#include "backplane/backplane.h"
#include "backplane/drops.h"
#include "backplane/hist_msg.h"
#include "backplane/link.h"
#include "util/log.h"
#include "util/random_id.h"
#include <inttypes.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char script[] =
    "local e = redis.call('HGET', KEYS[2], 'e')\n"
    "if not e then e = ARGV[1]; redis.call('HSET', KEYS[2], 'e', e) end\n"
    "local o = redis.call('HINCRBY', KEYS[2], 'o', 1)\n"
    "redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[2], o .. '-0', 'm', ARGV[5])\n"
    "if ARGV[3] ~= '0' then\n"
    "  redis.call('PEXPIRE', KEYS[1], ARGV[3]); redis.call('PEXPIRE', KEYS[2], ARGV[3])\n"
    "end\n"
    "redis.call('PUBLISH', ARGV[4], e .. ' ' .. o .. ' ' .. ARGV[5])\n"
    "return o\n";

static char sha[41];
static uv_loop_t *loop;
static const char *self;
static t4__bp_auth *auth;
static size_t max_message, max_path;
static t4__drops drop_bad = {.what = "malformed history message(s)"};
static t4__drops drop_unauth = {.what = "unauthenticated history message(s)",
                                .hint = "is TINA4_WS_BACKPLANE_SECRET the same on every instance?"};
static t4__drops drop_failed = {.what = "history message(s) Redis refused (see its log)"};

void t4__rhist_setup(uv_loop_t *lp, const char *id, t4__bp_auth *a, size_t max_msg, size_t max_p)
{
    loop = lp;
    self = id;
    auth = a;
    max_message = max_msg;
    max_path = max_p;
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned mdlen = 0;
    EVP_Digest(script, sizeof script - 1, md, &mdlen, EVP_sha1(), NULL);
    for (unsigned i = 0; i < mdlen && i < 20; i++)
        snprintf(sha + 2 * i, 3, "%02x", md[i]);
    t4__drops_reset(&drop_bad);
    t4__drops_reset(&drop_unauth);
    t4__drops_reset(&drop_failed);
}

#define META_PREFIX   "tina4:ws:history-meta:"
#define STREAM_PREFIX "tina4:ws:history:"

typedef struct {
    uint64_t epoch;
    size_t plen;
    char path[];
} prime_ctx;

static void on_epoch(redisAsyncContext *ac, void *r, void *priv)
{
    (void)ac;
    const redisReply *reply = r;
    prime_ctx *p = priv;
    t4__hist_pos pos;
    char buf[40];
    /* The epoch as 16 hex digits: parsed as a position "<epoch> 1 ". */
    if (reply && reply->type == REDIS_REPLY_STRING && reply->len == 16) {
        snprintf(buf, sizeof buf, "%.16s 1 ", reply->str);
        if (t4__hist_pos_parse(buf, strlen(buf), &pos) == 0)
            p->epoch = pos.epoch;
    }
}

/* XREVRANGE: newest first, each [id "<offset>-0", [m, body]]. */
static void on_entries(redisAsyncContext *ac, void *r, void *priv)
{
    (void)ac;
    const redisReply *reply = r;
    prime_ctx *p = priv;
    t4__hist_item *items = NULL;
    size_t n = 0;
    if (!p->epoch || !reply || reply->type != REDIS_REPLY_ARRAY || reply->elements == 0 ||
        !(items = calloc(reply->elements, sizeof *items)))
        goto done;
    for (size_t i = reply->elements; i-- > 0;) {
        const redisReply *e = reply->element[i];
        if (e->type != REDIS_REPLY_ARRAY || e->elements != 2 || e->element[0]->type != REDIS_REPLY_STRING ||
            e->element[1]->type != REDIS_REPLY_ARRAY || e->element[1]->elements != 2 ||
            e->element[1]->element[1]->type != REDIS_REPLY_STRING)
            continue;
        const redisReply *v = e->element[1]->element[1];
        const char *body;
        size_t blen;
        t4__hist_msg m;
        char *end;
        unsigned long long off = strtoull(e->element[0]->str, &end, 10);
        if (!off || *end != '-' || !t4__bp_open_presence(auth, v->str, v->len, &body, &blen) ||
            t4__hist_body_parse(body, blen, max_path, &m) != 0 || m.path_len != p->plen ||
            memcmp(m.path, p->path, p->plen) != 0 || (n && off <= items[n - 1].offset)) {
            t4__drops_add(&drop_bad, uv_now(loop));
            continue;
        }
        items[n++] = (t4__hist_item){off, m.opcode, m.data, m.len};
    }
    if (n)
        t4__ws_history_prime(p->path, p->plen, p->epoch, items, n);
done:
    free(items);
    free(p);
}

static void scan(redisAsyncContext *c, const char *cursor);

static void on_scan(redisAsyncContext *ac, void *r, void *priv)
{
    (void)priv;
    const redisReply *reply = r;
    if (!reply || reply->type != REDIS_REPLY_ARRAY || reply->elements != 2 ||
        reply->element[0]->type != REDIS_REPLY_STRING || reply->element[1]->type != REDIS_REPLY_ARRAY)
        return;
    const redisReply *keys = reply->element[1];
    for (size_t i = 0; i < keys->elements; i++) {
        const redisReply *k = keys->element[i];
        size_t pl = sizeof META_PREFIX - 1;
        if (k->type != REDIS_REPLY_STRING || k->len <= pl || k->str[pl] != '/' || k->len - pl > max_path)
            continue;
        const char *path = k->str + pl;
        size_t plen = k->len - pl, size = t4__ws_history_size(path, plen);
        prime_ctx *p;
        if (!size || !(p = calloc(1, sizeof *p + plen + 1)))
            continue; /* not a path this application keeps history for */
        memcpy(p->path, path, plen);
        p->plen = plen;
        char count[24];
        snprintf(count, sizeof count, "%zu", size);
        t4__buf sk = {0};
        if (t4__buf_append(&sk, STREAM_PREFIX, sizeof STREAM_PREFIX - 1) != 0 ||
            t4__buf_append(&sk, path, plen) != 0) {
            t4__buf_free(&sk);
            free(p);
            continue;
        }
        /* One connection runs them in order: the epoch is known when the
         * entries come; on_entries frees p (also when the link drops). */
        const char *a1[3] = {"HGET", k->str, "e"};
        size_t l1[3] = {4, k->len, 1};
        redisAsyncCommandArgv(ac, on_epoch, p, 3, a1, l1);
        const char *a2[6] = {"XREVRANGE", sk.data, "+", "-", "COUNT", count};
        size_t l2[6] = {9, sk.len, 1, 1, 5, strlen(count)};
        if (redisAsyncCommandArgv(ac, on_entries, p, 6, a2, l2) != REDIS_OK)
            free(p); /* the link is going: on_epoch gets no reply, so does not touch p */
        t4__buf_free(&sk);
    }
    if (strcmp(reply->element[0]->str, "0") != 0)
        scan(ac, reply->element[0]->str);
}

static void scan(redisAsyncContext *c, const char *cursor)
{
    redisAsyncCommand(c, on_scan, NULL, "SCAN %s MATCH %s* COUNT 200", cursor, META_PREFIX);
}

void t4__rhist_on_up(redisAsyncContext *c)
{
    /* Before any EVALSHA: commands on one connection run in order. */
    const char *argv[3] = {"SCRIPT", "LOAD", script};
    size_t lens[3] = {6, 4, sizeof script - 1};
    redisAsyncCommandArgv(c, NULL, NULL, 3, argv, lens);
    scan(c, "0");
}

static void on_reply(redisAsyncContext *ac, void *r, void *priv)
{
    (void)ac, (void)priv;
    const redisReply *reply = r;
    if (reply && reply->type == REDIS_REPLY_ERROR) {
        if (drop_failed.total == 0)
            t4_log(T4_LOG_WARN, "backplane: history script: %s", reply->str);
        t4__drops_add(&drop_failed, uv_now(loop));
    }
}

int t4__rhist_publish(const char *path, size_t plen, uint8_t opcode, const void *data, size_t len,
                      const char *exclude_id, size_t maxlen, uint64_t ttl_ms)
{
    redisAsyncContext *c = t4__link_cmd();
    if (!c)
        return -1;
    t4__buf body = {0}, sealed = {0}, k1 = {0}, k2 = {0};
    uint64_t epoch = 0;
    while (!epoch)
        if (t4__random_bytes(&epoch, sizeof epoch) != 0)
            epoch = 1;
    char ep[17], ml[24], ttl[24];
    snprintf(ep, sizeof ep, "%016" PRIx64, epoch);
    snprintf(ml, sizeof ml, "%zu", maxlen ? maxlen : 1);
    snprintf(ttl, sizeof ttl, "%" PRIu64, ttl_ms);
    int rc = t4__hist_body_build(&body, self, opcode, exclude_id, path, plen, data, len);
    if (rc == 0 && auth)
        rc = t4__bp_seal_presence(auth, &sealed, body.data, body.len);
    if (rc == 0)
        rc = t4__buf_append(&k1, "tina4:ws:history:", 17) | t4__buf_append(&k1, path, plen) |
             t4__buf_append(&k2, "tina4:ws:history-meta:", 22) | t4__buf_append(&k2, path, plen);
    if (rc == 0) {
        const t4__buf *m = auth ? &sealed : &body;
        const char *argv[10] = {"EVALSHA", sha, "2", k1.data,           k2.data,
                                ep,        ml,  ttl, T4__RHIST_CHANNEL, m->data};
        size_t lens[10] = {
            7, 40, 1, k1.len, k2.len, 16, strlen(ml), strlen(ttl), sizeof T4__RHIST_CHANNEL - 1, m->len};
        redisAsyncCommandArgv(c, on_reply, NULL, 10, argv, lens);
    }
    t4__buf_free(&body);
    t4__buf_free(&sealed);
    t4__buf_free(&k1);
    t4__buf_free(&k2);
    return rc == 0 ? 0 : -1;
}

void t4__rhist_on_message(const char *m, size_t len)
{
    t4__hist_pos pos;
    t4__hist_msg h;
    const char *body;
    size_t blen;
    if (t4__hist_pos_parse(m, len, &pos) != 0) {
        t4__drops_add(&drop_bad, uv_now(loop));
        return;
    }
    if (!t4__bp_open_presence(auth, pos.body, pos.body_len, &body, &blen)) {
        t4__drops_add(&drop_unauth, uv_now(loop));
        return;
    }
    if (t4__hist_body_parse(body, blen, max_path, &h) != 0 || h.len > max_message) {
        t4__drops_add(&drop_bad, uv_now(loop));
        return;
    }
    /* Ours too: we deliver only what comes back, in the channel's order. */
    t4__ws_deliver_bus('p', pos.epoch, pos.offset, h.path, h.path_len, h.opcode, h.data, h.len,
                       h.exclude[0] ? h.exclude : NULL);
}

void t4__rhist_flush_drops(uint64_t now)
{
    t4__drops_flush(&drop_bad, now);
    t4__drops_flush(&drop_unauth, now);
    t4__drops_flush(&drop_failed, now);
}
