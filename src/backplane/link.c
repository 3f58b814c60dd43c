/* SPDX-License-Identifier: MIT */
/* The Redis link: connections, handshake, reconnection (see link.h). */
#include "backplane/link.h"
#include "backplane/uv_adapter.h"
#include "util/log.h"
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { L_STOPPED, L_DOWN, L_RESOLVING, L_CONNECTING, L_UP };

typedef struct {
    uv_getaddrinfo_t req;
    unsigned gen;
} resolve_req;

static int state = L_STOPPED;
static uv_loop_t *loop;
static t4__redis_url url;
static char where[600]; /* the URL without its password, for log lines */
static const char *chans[4];
static size_t nchans;
static t4__link_events events;
static redisAsyncContext *cmd, *sub;
static int pending; /* handshake replies still expected */
static uv_timer_t retry_timer, hs_timer;
static bool timers_open, farewell_done;
static unsigned backoff;
static unsigned gen; /* bumped on every teardown: stale resolutions are ignored */
static resolve_req *resolving;
static bool warned; /* this outage was reported */
static uint64_t outage_start;
static double last_outage;

static void fail(const char *why);
static void begin_connect(void);

bool t4__link_is_up(void)
{
    return state == L_UP;
}

redisAsyncContext *t4__link_cmd(void)
{
    return state == L_UP ? cmd : NULL;
}

double t4__link_outage_seconds(void)
{
    return state == L_UP ? last_outage : (double)(uv_now(loop) - outage_start) / 1000.0;
}

static void maybe_up(void)
{
    if (state != L_CONNECTING || pending > 0)
        return;
    state = L_UP;
    uv_timer_stop(&hs_timer);
    backoff = T4__LINK_BACKOFF_MIN_MS;
    if (warned) {
        last_outage = (double)(uv_now(loop) - outage_start) / 1000.0;
        t4_log(T4_LOG_INFO, "backplane: connected to Redis at %s again after %.1f s", where, last_outage);
    } else {
        last_outage = 0;
        t4_log(T4_LOG_INFO, "backplane: connected to Redis at %s", where);
    }
    warned = false;
    if (events.on_up)
        events.on_up();
}

static void on_handshake_reply(redisAsyncContext *ac, void *r, void *priv)
{
    const redisReply *reply = r;
    if (!reply || (ac != cmd && ac != sub) || state != L_CONNECTING)
        return;
    if (reply->type == REDIS_REPLY_ERROR) {
        char why[300];
        snprintf(why, sizeof why, "%s refused: %s", (const char *)priv, reply->str);
        fail(why);
        return;
    }
    pending--;
    maybe_up();
}

static void on_sub_reply(redisAsyncContext *ac, void *r, void *priv)
{
    (void)priv;
    const redisReply *reply = r;
    if (!reply || ac != sub || reply->type != REDIS_REPLY_ARRAY || reply->elements < 3)
        return;
    const redisReply *kind = reply->element[0];
    if (kind->type != REDIS_REPLY_STRING)
        return;
    if (strcmp(kind->str, "message") == 0) {
        const redisReply *ch = reply->element[1], *msg = reply->element[2];
        if (state == L_UP && ch->type == REDIS_REPLY_STRING && msg->type == REDIS_REPLY_STRING &&
            events.on_message)
            events.on_message(ch->str, ch->len, msg->str, msg->len);
    } else if (strcmp(kind->str, "subscribe") == 0 && state == L_CONNECTING) {
        pending--;
        maybe_up();
    }
}

static void forget(const redisAsyncContext *ac)
{
    if (ac == cmd)
        cmd = NULL;
    else if (ac == sub)
        sub = NULL;
}

static void on_connect(const redisAsyncContext *ac, int status)
{
    if (status == REDIS_OK || (ac != cmd && ac != sub))
        return;
    char why[300];
    snprintf(why, sizeof why, "%s", ac->errstr[0] ? ac->errstr : "connection failed");
    forget(ac); /* hiredis frees it after this callback */
    fail(why);
}

static void on_disconnect(const redisAsyncContext *ac, int status)
{
    if (ac != cmd && ac != sub)
        return;
    char why[300];
    snprintf(why, sizeof why, "%s", status == REDIS_OK || !ac->errstr[0] ? "connection closed" : ac->errstr);
    forget(ac); /* being freed by hiredis */
    fail(why);
}

/* Frees both connections (not one that hiredis is freeing already: forget()
 * has cleared it). Safe inside a hiredis callback: the free is deferred. */
static void drop_connections(void)
{
    redisAsyncContext *a = cmd, *b = sub;
    cmd = sub = NULL;
    if (a)
        redisAsyncFree(a);
    if (b)
        redisAsyncFree(b);
}

static void on_retry(uv_timer_t *t)
{
    (void)t;
    if (state == L_DOWN)
        begin_connect();
}

static void fail(const char *why)
{
    if (state != L_RESOLVING && state != L_CONNECTING && state != L_UP)
        return;
    bool was_up = state == L_UP;
    state = L_DOWN;
    gen++;
    uv_timer_stop(&hs_timer);
    drop_connections();
    if (!warned) {
        warned = true;
        outage_start = uv_now(loop);
        if (was_up)
            t4_log(T4_LOG_WARN,
                   "backplane: lost the connection to Redis at %s (%s); local delivery continues, "
                   "reconnecting (messages are not relayed to other instances until then)",
                   where, why);
        else
            t4_log(T4_LOG_WARN,
                   "backplane: cannot reach Redis at %s (%s); serving local connections only, retrying "
                   "every %u ms at most",
                   where, why, T4__LINK_BACKOFF_MAX_MS);
    } else {
        t4__debug("backplane: reconnect to %s failed: %s", where, why);
    }
    if (was_up && events.on_down)
        events.on_down();
    uv_timer_start(&retry_timer, on_retry, backoff, 0);
    backoff = backoff * 2 > T4__LINK_BACKOFF_MAX_MS ? T4__LINK_BACKOFF_MAX_MS : backoff * 2;
}

void t4__link_fail(const char *why)
{
    fail(why);
}

static redisAsyncContext *open_ctx(const char *ip, char *err, size_t errsz)
{
    redisAsyncContext *ac = redisAsyncConnect(ip, url.port);
    if (!ac) {
        snprintf(err, errsz, "out of memory");
        return NULL;
    }
    if (ac->err) {
        snprintf(err, errsz, "%s", ac->errstr);
        redisAsyncFree(ac);
        return NULL;
    }
    if (t4__redis_attach_uv(ac, loop) != REDIS_OK) {
        snprintf(err, errsz, "cannot attach to the event loop");
        redisAsyncFree(ac);
        return NULL;
    }
    redisAsyncSetConnectCallback(ac, on_connect);
    redisAsyncSetDisconnectCallback(ac, on_disconnect);
    return ac;
}

static void send_auth(redisAsyncContext *ac)
{
    if (!url.has_password)
        return;
    if (url.has_user)
        redisAsyncCommand(ac, on_handshake_reply, "AUTH", "AUTH %s %s", url.user, url.password);
    else
        redisAsyncCommand(ac, on_handshake_reply, "AUTH", "AUTH %s", url.password);
    pending++;
}

static void connect_ip(const char *ip)
{
    char err[300];
    state = L_CONNECTING;
    pending = 0;
    if (!(cmd = open_ctx(ip, err, sizeof err)) || !(sub = open_ctx(ip, err, sizeof err))) {
        fail(err);
        return;
    }
    send_auth(cmd);
    if (url.db) {
        redisAsyncCommand(cmd, on_handshake_reply, "SELECT", "SELECT %d", url.db);
        pending++;
    }
    redisAsyncCommand(cmd, on_handshake_reply, "PING", "PING");
    pending++;
    send_auth(sub);
    const char *argv[5] = {"SUBSCRIBE"};
    for (size_t i = 0; i < nchans; i++)
        argv[i + 1] = chans[i];
    redisAsyncCommandArgv(sub, on_sub_reply, NULL, (int)nchans + 1, argv, NULL);
    pending += (int)nchans;
}

static void on_resolved(uv_getaddrinfo_t *req, int status, struct addrinfo *res)
{
    resolve_req *r = (resolve_req *)req;
    bool current = r->gen == gen && state == L_RESOLVING;
    if (resolving == r)
        resolving = NULL;
    free(r);
    char ip[64] = "";
    if (status == 0 && current) {
        const struct addrinfo *pick = NULL;
        for (const struct addrinfo *a = res; a && !pick; a = a->ai_next)
            if (a->ai_family == AF_INET)
                pick = a;
        for (const struct addrinfo *a = res; a && !pick; a = a->ai_next)
            if (a->ai_family == AF_INET6)
                pick = a;
        if (pick && pick->ai_family == AF_INET)
            uv_ip4_name((const struct sockaddr_in *)pick->ai_addr, ip, sizeof ip);
        else if (pick)
            uv_ip6_name((const struct sockaddr_in6 *)pick->ai_addr, ip, sizeof ip);
    }
    if (res)
        uv_freeaddrinfo(res);
    if (!current)
        return;
    if (!ip[0]) {
        char why[300];
        snprintf(why, sizeof why, "cannot resolve %s: %s", url.host,
                 status ? uv_strerror(status) : "no address");
        fail(why);
        return;
    }
    connect_ip(ip);
}

static void on_handshake_timeout(uv_timer_t *t)
{
    (void)t;
    char why[100];
    snprintf(why, sizeof why, "no answer within %d ms", T4__LINK_HANDSHAKE_MS);
    fail(why);
}

static void begin_connect(void)
{
    state = L_RESOLVING;
    uv_timer_start(&hs_timer, on_handshake_timeout, T4__LINK_HANDSHAKE_MS, 0);
    unsigned char addr[16];
    if (inet_pton(AF_INET, url.host, addr) == 1 || inet_pton(AF_INET6, url.host, addr) == 1) {
        connect_ip(url.host);
        return;
    }
    resolve_req *r = calloc(1, sizeof *r);
    if (!r) {
        fail("out of memory");
        return;
    }
    r->gen = gen;
    struct addrinfo hints;
    memset(&hints, 0, sizeof hints);
    hints.ai_socktype = SOCK_STREAM;
    int rc = uv_getaddrinfo(loop, &r->req, on_resolved, url.host, NULL, &hints);
    if (rc != 0) {
        free(r);
        char why[300];
        snprintf(why, sizeof why, "cannot resolve %s: %s", url.host, uv_strerror(rc));
        fail(why);
        return;
    }
    resolving = r;
}

int t4__link_start(uv_loop_t *lp, const t4__redis_url *u, const char *const *channels, size_t n,
                   const t4__link_events *ev)
{
    if (n == 0 || n > 4)
        return -1;
    loop = lp;
    url = *u;
    t4__redis_url_display(u, where, sizeof where);
    for (size_t i = 0; i < n; i++)
        chans[i] = channels[i];
    nchans = n;
    events = *ev;
    backoff = T4__LINK_BACKOFF_MIN_MS;
    warned = false;
    cmd = sub = NULL;
    uv_timer_init(loop, &retry_timer);
    uv_timer_init(loop, &hs_timer);
    timers_open = true;
    state = L_DOWN;
    begin_connect();
    return 0;
}

static void on_farewell_deadline(uv_timer_t *t)
{
    (void)t;
    farewell_done = true;
}

void t4__link_stop(void (*farewell)(redisAsyncContext *c))
{
    bool up = state == L_UP;
    state = L_STOPPED;
    gen++;
    if (resolving) {
        uv_cancel((uv_req_t *)&resolving->req); /* its callback frees it */
        resolving = NULL;
    }
    if (!timers_open)
        return;
    uv_timer_stop(&retry_timer);
    uv_timer_stop(&hs_timer);
    redisAsyncContext *s = sub;
    sub = NULL;
    if (s)
        redisAsyncFree(s);
    if (up && farewell && cmd) {
        farewell(cmd);
        redisAsyncDisconnect(cmd); /* after the replies: on_disconnect clears cmd */
        farewell_done = false;
        uv_timer_start(&hs_timer, on_farewell_deadline, T4__LINK_FAREWELL_MS, 0);
        while (cmd && !farewell_done)
            uv_run(loop, UV_RUN_ONCE);
        uv_timer_stop(&hs_timer);
    }
    redisAsyncContext *c = cmd;
    cmd = NULL;
    if (c)
        redisAsyncFree(c);
    uv_close((uv_handle_t *)&retry_timer, NULL);
    uv_close((uv_handle_t *)&hs_timer, NULL);
    timers_open = false;
}
