/* SPDX-License-Identifier: MIT */
/*
 * The redirect kind (see redirect.h): one request head is read, answered
 * 308 (or 400 for an upgrade) and the connection closes. Its head must
 * arrive whole within TINA4_HTTP_HEADER_TIMEOUT of the switch, like any.
 */
#include "http/redirect.h"
#include "http/request.h"
#include "util/log.h"

#define LOCATION_MAX 2048

static size_t process(t4__conn *c, char *data, size_t len)
{
    const t4_config *cfg = &t4__srv->cfg;
    if (c->deadline == 0)
        c->deadline = uv_now(&t4__srv->loop) + cfg->http_header_timeout;
    t4__http_head h;
    int status = 400;
    int r = t4__http_parse_head_max(data, len, 0, cfg->http_max_header, cfg->http_max_headers, &h, &status);
    if (r == T4__HTTP_INCOMPLETE)
        return 0; /* kept in c->in (within the input budget) until the rest arrives */
    if (r < 0) {
        t4__http_fail(c, status, NULL, NULL);
        return len;
    }
    if (h.upgrade_websocket) {
        t4_log(T4_LOG_DEBUG, "plain WebSocket upgrade on the TLS port: answering 400");
        t4__http_fail(c, 400, NULL, NULL);
        return len;
    }
    char loc[LOCATION_MAX];
    if (t4__https_location(&h, loc, sizeof loc) < 0) {
        t4__http_fail(c, 400, NULL, NULL);
        return len;
    }
    t4__http_fail(c, 308, "Location", loc); /* answers, then closes */
    return len;
}

static size_t input_held(const t4__conn *c)
{
    (void)c;
    return 0;
}

static bool receiving(const t4__conn *c)
{
    (void)c;
    return false;
}

static void cut(t4__conn *c)
{
    t4__conn_close_now(c);
}

static void nothing(t4__conn *c)
{
    (void)c;
}

static bool drained(t4__conn *c)
{
    (void)c;
    return false;
}

static void tick(t4__conn *c, uint64_t now)
{
    uint64_t limit = c->deadline ? c->deadline : c->last_read + t4__srv->cfg.http_header_timeout;
    if (now >= limit)
        t4__conn_close_now(c); /* no whole head in time */
}

static void shutdown_conn(t4__conn *c, uint16_t code)
{
    (void)code;
    t4__conn_close_graceful(c);
}

const t4__conn_ops t4__http_redirect_ops = {
    .name = "https-redirect",
    .process = process,
    .input_held = input_held,
    .receiving = receiving,
    .too_slow = cut,
    .over_budget = cut,
    .read_resumed = nothing,
    .drained = drained,
    .disconnected = nothing,
    .tick = tick,
    .shutdown = shutdown_conn,
    .free = nothing,
};
