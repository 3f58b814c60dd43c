/* SPDX-License-Identifier: MIT */
/*
 * The protocol layer as the server loop sees it: accepted connections start
 * as HTTP (an Upgrade switches them to WebSocket), and the server-wide steps
 * around the loop (templates, backplane, pushes, CLOSE events) are wired
 * here, so src/server names no protocol.
 */
#include "backplane/backplane.h"
#include "frond/templates.h"
#include "http/redirect.h"
#include "http/request.h"
#include "http/routes.h"
#include "server/server.h"
#include "tls/tls.h"
#include "util/log.h"
#include "ws/deflate.h"
#include "ws/history.h"
#include "ws/ws.h"

static int start(t4__server *s)
{
    t4__tls_set_plain_ops(&t4__http_redirect_ops); /* plain HTTP on a redirecting TLS port */
    t4__templates_configure(s->cfg.templates_dir, s->cfg.debug, s->cfg.template_max_size,
                            s->cfg.template_max_nodes);
    t4__hist_set_limit(s->cfg.ws_history_memory);
    return t4__backplane_start(&s->loop, &s->cfg);
}

static void attach(t4__server *s)
{
    t4__push_attach(&s->wakeup, s->cfg.ws_max_message);
}

static void listening(const t4__server *s)
{
    t4_log(T4_LOG_INFO, "listening on %s:%d (%zu HTTP route(s), %zu WebSocket route(s))", s->cfg.host,
           s->bound_port, t4__routes_http_count(), t4__routes_ws_count());
}

static void stop(void)
{
    t4__push_reset(); /* later pushes from other threads get T4_ESTATE */
    t4__backplane_stop();
}

static void cleanup(void)
{
    t4__pmd_cleanup();
    t4__templates_shutdown();
    t4__hist_reset(); /* a new run starts new histories (new epochs) */
}

const t4__server_hooks t4__protocols = {
    .accept_ops = &t4__http_ops,
    .start = start,
    .attach = attach,
    .wakeup = t4__push_drain,
    .settle = t4__ws_fire_pending,
    .sweep_end = t4__ws_sweep_end,
    .listening = listening,
    .stop = stop,
    .cleanup = cleanup,
};
