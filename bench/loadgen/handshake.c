/* SPDX-License-Identifier: MIT */
/*
 * handshake.c -- new wss connections per second: C slots each loop on
 * connect, TLS handshake, WebSocket upgrade (checked as always), then a
 * reset (so no TIME_WAIT piles up), and the next connection. Full
 * handshakes by default; with --resume every connection offers the latest
 * session ticket. A few percent of offers end in a full handshake with
 * every server tried (OpenSSL 3.0's client, tickets shared by concurrent
 * connections), so fewer than 90% resumed is the error. The time from
 * connect to the 101 goes into a histogram.
 *
 * With --pid, the server's CPU per connection is reported too: the load
 * generator does as much public-key work as the server in a full handshake
 * (key share and signature check), so it is often the bottleneck, and
 * server CPU per handshake is the figure to compare then.
 */
#include "lg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static lg_conn *conns;
static size_t nconns;
static bool running, resume;
static uint64_t done, resumed, not_resumed;
static lg_hist hist;
static const lg_handlers handlers;

static void on_open(lg_conn *c)
{
    if (running) {
        done++;
        lg_hist_add(&hist, lg.now_ns - c->started_ns);
        if (lg_tls_resumed(c))
            resumed++;
        else if (resume)
            not_resumed++;
        if (!resume && lg_tls_resumed(c))
            lg_proto_error(c, "resumed although no session was offered");
    }
    lg_abort_reset(c);
}

static void on_gone(lg_conn *c)
{
    if (running && lg.failed == 0)
        lg_connect_one(c, c->id, &handlers);
}

static const lg_handlers handlers = {.on_open = on_open, .on_gone = on_gone};
static const lg_handlers warmup_handlers = {0};

static bool all_gone(void *arg)
{
    return lg.gone >= lg.started;
}

static bool got_ticket(void *arg)
{
    return lg.session != NULL || lg.failed > 0;
}

int lg_run_handshake(const lg_opts *o)
{
    lg_init(o->port, o->path);
    nconns = (size_t)o->connections;
    resume = o->resume;
    conns = calloc(nconns + 1, sizeof *conns);
    if (!conns) {
        fprintf(stderr, "loadgen: out of memory\n");
        return 2;
    }
    lg_hist_reset(&hist);
    bool ok = true;
    if (resume) {
        /* one connection first, for a ticket to offer */
        lg_conn *w = &conns[nconns];
        ok = lg_connect_all(w, 1, &warmup_handlers, 1, o->timeout) == 1 && lg_wait(got_ticket, NULL, 5.0) &&
             lg.session != NULL;
        if (!ok)
            lg_note_error("no session ticket from the server after a full handshake");
        lg_abort_reset(w);
        lg_wait(all_gone, NULL, 3.0);
    }
    double cpu0 = lg_self_cpu_s(), scpu0 = lg_server_cpu_s(o), busy0 = lg_machine_busy_s();
    uint64_t t0 = uv_hrtime();
    if (ok) {
        running = true;
        for (size_t i = 0; i < nconns; i++)
            lg_connect_one(&conns[i], (uint32_t)i, &handlers);
        lg_sleep(o->duration);
        running = false;
    }
    uint64_t t1 = uv_hrtime();
    double cpu1 = lg_self_cpu_s(), scpu1 = lg_server_cpu_s(o), busy1 = lg_machine_busy_s();
    lg_shutdown(conns, nconns);

    double secs = (double)(t1 - t0) / 1e9;
    double rate = secs > 0 ? (double)done / secs : 0;
    double lg_cpu = secs > 0.05 ? (cpu1 - cpu0) / secs : 0;
    double srv_cpu = (scpu0 >= 0 && scpu1 >= 0 && secs > 0) ? (scpu1 - scpu0) / secs : -1;
    double srv_us = (srv_cpu >= 0 && done) ? (scpu1 - scpu0) * 1e6 / (double)done : -1;
    double other = lg_other_cpu(busy0, busy1, cpu1 - cpu0, scpu1 - scpu0, secs);
    double p50 = (double)lg_hist_quantile(&hist, 0.50) / 1e3;
    double p99 = (double)lg_hist_quantile(&hist, 0.99) / 1e3;
    bool few_resumed = resume && resumed * 10 < done * 9;
    uint64_t errors = lg.proto_errors + (few_resumed ? not_resumed : 0);
    if (few_resumed)
        lg_note_error("%llu of %llu connections were not resumed", (unsigned long long)not_resumed,
                      (unsigned long long)done);

    char human[512], json[1024], srv_txt[48] = "n/a";
    if (srv_cpu >= 0)
        snprintf(srv_txt, sizeof srv_txt, "%.0f%% (%.0f us per connection)", srv_cpu * 100, srv_us);
    snprintf(human, sizeof human,
             "handshake [%s] %s, %zu at once, %.1f s: %llu connections (%.0f/s), resumed %llu, p50 %.0f us, "
             "p99 %.0f us, errors %llu, failed conns %llu, loadgen cpu %.0f%%, server cpu %s",
             o->label, resume ? "resumed" : "full", nconns, secs, (unsigned long long)done, rate,
             (unsigned long long)resumed, p50, p99, (unsigned long long)errors, (unsigned long long)lg.failed,
             lg_cpu * 100, srv_txt);
    snprintf(json, sizeof json,
             "{\"scenario\":\"%s\",\"server\":%s,\"connections\":%zu,\"duration_s\":%.3f,\"handshakes\":%llu,"
             "\"handshakes_per_s\":%.1f,\"resumed\":%llu,\"p50_us\":%.1f,\"p99_us\":%.1f,"
             "\"protocol_errors\":%llu,\"not_resumed\":%llu,\"failed_connections\":%llu,\"loadgen_cpu\":%.3f,"
             "\"server_cpu\":%.3f,\"server_us_per_handshake\":%.1f,\"other_cpu\":%.3f}",
             resume ? "handshake_resumed" : "handshake_full", lg_json_str(o->label), nconns, secs,
             (unsigned long long)done, rate, (unsigned long long)resumed, p50, p99,
             (unsigned long long)lg.proto_errors, (unsigned long long)not_resumed,
             (unsigned long long)lg.failed, lg_cpu, srv_cpu, srv_us, other);
    lg_print_result(human, json);
    if (lg.first_error[0])
        fprintf(stderr, "loadgen: first error: %s\n", lg.first_error);
    return (!ok || errors || lg.failed || done == 0) ? 1 : 0;
}
