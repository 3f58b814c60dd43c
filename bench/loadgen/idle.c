/* SPDX-License-Identifier: MIT */
/*
 * idle.c -- opens N connections (at most --batch connecting at once), holds
 * them for D seconds, optionally pinging each every --ping seconds, and
 * reads the server's VmRSS before and after: the memory cost of an idle
 * WebSocket connection.
 */
#include "lg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static lg_conn *conns;
static size_t nconns;
static uv_timer_t ping_timer;

static void on_ping_timer(uv_timer_t *t)
{
    static const uint8_t payload[8] = {'t', '4', 'p', 'i', 'n', 'g', '!', '!'};
    for (size_t i = 0; i < nconns; i++)
        lg_send(&conns[i], LG_OP_PING, payload, sizeof payload);
}

static const lg_handlers handlers = {0};

static bool pongs_in(void *arg)
{
    return lg.pongs >= lg.pings_sent || lg.failed;
}

static size_t count_open(void)
{
    size_t n = 0;
    for (size_t i = 0; i < nconns; i++)
        n += conns[i].state == LG_OPEN;
    return n;
}

int lg_run_idle(const lg_opts *o)
{
    lg_init(o->port, o->path);
    nconns = (size_t)o->connections;
    conns = calloc(nconns, sizeof *conns);
    if (!conns) {
        fprintf(stderr, "loadgen: out of memory\n");
        return 2;
    }
    long rss0 = lg_server_rss_kb(o);
    uint64_t t0 = uv_hrtime();
    size_t opened = lg_connect_all(conns, nconns, &handlers, (size_t)o->batch, o->timeout);
    uint64_t t1 = uv_hrtime();
    lg_sleep(0.5); /* let the server finish its side of the last handshakes */
    long rss1 = lg_server_rss_kb(o);

    double scpu0 = lg_server_cpu_s(o);
    uint64_t h0 = uv_hrtime();
    if (opened == nconns && lg.failed == 0) {
        if (o->ping > 0) {
            uv_timer_init(lg.loop, &ping_timer);
            uint64_t every = (uint64_t)(o->ping * 1000);
            uv_timer_start(&ping_timer, on_ping_timer, every, every);
        }
        lg_sleep(o->duration);
        if (o->ping > 0) {
            uv_close((uv_handle_t *)&ping_timer, NULL);
            if (!lg_wait(pongs_in, NULL, 5.0))
                lg_note_error("%llu pings unanswered", (unsigned long long)(lg.pings_sent - lg.pongs));
        }
    }
    double hold = (double)(uv_hrtime() - h0) / 1e9;
    double scpu1 = lg_server_cpu_s(o);
    long rss2 = lg_server_rss_kb(o);
    size_t still_open = count_open();
    uint64_t unanswered = lg.pings_sent > lg.pongs ? lg.pings_sent - lg.pongs : 0;
    lg_shutdown(conns, nconns);

    double connect_s = (double)(t1 - t0) / 1e9;
    double cps = connect_s > 0 ? (double)opened / connect_s : 0;
    double per_conn =
        (rss0 >= 0 && rss2 >= 0 && opened) ? (double)(rss2 - rss0) * 1024.0 / (double)opened : -1;
    double srv_cpu = (scpu0 >= 0 && scpu1 >= 0 && hold > 0) ? (scpu1 - scpu0) / hold : -1;
    uint64_t dropped = opened - still_open;

    char human[512], json[1024];
    snprintf(human, sizeof human,
             "idle [%s] %zu/%zu connections opened in %.2f s (%.0f/s), held %.1f s, ping every %g s: "
             "%llu pings %llu pongs, dropped %llu; server RSS %ld -> %ld -> %ld kB, %.0f bytes/connection",
             o->label, opened, nconns, connect_s, cps, hold, o->ping, (unsigned long long)lg.pings_sent,
             (unsigned long long)lg.pongs, (unsigned long long)dropped, rss0, rss1, rss2, per_conn);
    snprintf(json, sizeof json,
             "{\"scenario\":\"idle\",\"server\":%s,\"connections\":%zu,\"opened\":%zu,\"connect_s\":%.3f,"
             "\"connects_per_s\":%.1f,\"hold_s\":%.3f,\"ping_s\":%.1f,\"pings\":%llu,\"pongs\":%llu,"
             "\"dropped\":%llu,\"rss_before_kb\":%ld,\"rss_connected_kb\":%ld,\"rss_after_kb\":%ld,"
             "\"bytes_per_conn\":%.1f,\"server_cpu_idle\":%.4f,\"protocol_errors\":%llu,"
             "\"failed_connections\":%llu}",
             lg_json_str(o->label), nconns, opened, connect_s, cps, hold, o->ping,
             (unsigned long long)lg.pings_sent, (unsigned long long)lg.pongs, (unsigned long long)dropped,
             rss0, rss1, rss2, per_conn, srv_cpu, (unsigned long long)lg.proto_errors,
             (unsigned long long)lg.failed);
    lg_print_result(human, json);
    if (lg.first_error[0])
        fprintf(stderr, "loadgen: first error: %s\n", lg.first_error);
    return (lg.proto_errors || lg.failed || opened != nconns || dropped || unanswered) ? 1 : 0;
}
