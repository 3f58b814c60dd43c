/* SPDX-License-Identifier: MIT */
/*
 * A worker's side of a reload. The supervisor sends SIGUSR2 to each worker
 * of the generation it retires: the worker stops accepting and finishes its
 * HTTP responses at once, keeps its WebSockets open for TINA4_RELOAD_GRACE
 * (their clients keep talking, across the bus, to the new generation too),
 * then closes them with 1012 (Service Restart) and exits once they are
 * gone. A second SIGUSR2 ends the grace early: the supervisor sends it when
 * a newer reload needs this worker's bus name.
 */
#include "backplane/bus.h"
#include "runtime/reload.h"
#include "runtime/supervisor.h"
#include "server/server.h"
#include <signal.h>
#include <stddef.h>

static t4__reload_hooks hooks;
static bool have_hooks;

static struct {
    uv_signal_t sig;
    uv_timer_t grace;
    unsigned grace_ms;
    bool draining, grace_over;
} w;

void t4__reload_set_hooks(const t4__reload_hooks *h)
{
    have_hooks = h != NULL;
    if (h)
        hooks = *h;
}

const t4__reload_hooks *t4__reload_hooks_get(void)
{
    return have_hooks ? &hooks : NULL;
}

static void end_grace(void)
{
    if (w.grace_over)
        return;
    w.grace_over = true;
    uv_timer_stop(&w.grace);
    /* A newer generation may need this worker's bus name now; the links
     * already made stay, so CLOSE handlers' broadcasts still reach everyone. */
    t4__bus_unlisten();
    t4__server_close_websockets(1012);
}

static void on_grace(uv_timer_t *t)
{
    (void)t;
    end_grace();
}

static void on_sigusr2(uv_signal_t *h, int signum)
{
    (void)h, (void)signum;
    if (w.draining) {
        end_grace();
        return;
    }
    w.draining = true;
    t4__server_drain_http();
    uv_timer_start(&w.grace, on_grace, w.grace_ms, 0);
}

void t4__worker_attach(uv_loop_t *loop, const t4_config *cfg)
{
    if (t4__worker_listen_fd(NULL) < 0)
        return;
    w.draining = w.grace_over = false;
    w.grace_ms = cfg->reload_grace;
    uv_timer_init(loop, &w.grace);
    uv_signal_init(loop, &w.sig);
    uv_signal_start(&w.sig, on_sigusr2, SIGUSR2);
}
