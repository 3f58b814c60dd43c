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

void t4__rhist_on_up(redisAsyncContext *c)
{
    /* Before any EVALSHA: commands on one connection run in order. */
    const char *argv[3] = {"SCRIPT", "LOAD", script};
    size_t lens[3] = {6, 4, sizeof script - 1};
    redisAsyncCommandArgv(c, NULL, NULL, 3, argv, lens);
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
