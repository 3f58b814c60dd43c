/* SPDX-License-Identifier: MIT */
/*
 * SIGHUP reloads the TLS certificate in place: in a single process, and in
 * each worker, to which a supervisor without reload hooks (a built app)
 * forwards its SIGHUP. Under tina4 serve the supervisor starts new workers
 * instead, which load the certificate afresh.
 */
#include "tls/tls.h"
#include "util/log.h"

static uv_signal_t sighup;
static bool active;

static void on_sighup(uv_signal_t *h, int signum)
{
    (void)h;
    (void)signum;
    t4_log(T4_LOG_INFO, "received SIGHUP: reloading the TLS certificate");
    t4__tls_reload(); /* on failure the old certificate stays; the error is logged */
}

void t4__tls_sighup_start(uv_loop_t *loop)
{
    if (active || !t4__tls_enabled())
        return;
    uv_signal_init(loop, &sighup);
    uv_signal_start(&sighup, on_sighup, SIGHUP);
    uv_unref((uv_handle_t *)&sighup); /* never keeps the loop alive by itself */
    active = true;
}

void t4__tls_sighup_stop(void)
{
    if (!active)
        return;
    active = false;
    uv_signal_stop(&sighup);
    if (!uv_is_closing((uv_handle_t *)&sighup))
        uv_close((uv_handle_t *)&sighup, NULL);
}
