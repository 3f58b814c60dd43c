/* SPDX-License-Identifier: MIT */
/*
 * echo.c -- C connections each keep P messages of S bytes in flight against
 * /echo. Every echo is checked against what was sent (content, type, order);
 * round-trip latency goes into a histogram.
 *
 * Message seq on a connection: the first min(S,16) bytes are seq in hex,
 * the rest a fixed letter pattern, so text and binary payloads are equal and
 * valid UTF-8. In mixed mode odd seqs go as binary, even as text.
 */
#include "lg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    uint64_t sent;
    uint64_t recv;
    uint64_t *ts; /* send time of seq, at ts[seq % P] */
} echo_conn;

static lg_conn *conns;
static echo_conn *es;
static uint64_t *ts_pool;
static uint8_t *tmpl, *scratch;
static size_t S;
static int P, mode;
static bool running;
static lg_hist hist;
static uint64_t total_recv, total_sent, mismatches;
static size_t nconns;

static int op_for(uint64_t seq)
{
    if (mode == 0)
        return LG_OP_TEXT;
    if (mode == 1)
        return LG_OP_BINARY;
    return (seq & 1) ? LG_OP_BINARY : LG_OP_TEXT;
}

static size_t put_seq(uint8_t *dst, uint64_t seq)
{
    static const char hex[] = "0123456789abcdef";
    size_t k = S < 16 ? S : 16;
    for (size_t i = 0; i < k; i++)
        dst[k - 1 - i] = (uint8_t)hex[(seq >> (4 * i)) & 0xF];
    return k;
}

static void send_next(lg_conn *c)
{
    echo_conn *e = &es[c->id];
    uint64_t seq = e->sent++;
    total_sent++;
    e->ts[seq % (uint64_t)P] = lg.now_ns;
    put_seq(scratch, seq);
    lg_send(c, op_for(seq), scratch, S);
}

static void on_message(lg_conn *c, int opcode, const uint8_t *data, size_t len)
{
    echo_conn *e = &es[c->id];
    if (e->recv >= e->sent) {
        lg_proto_error(c, "echo of a message never sent");
        return;
    }
    uint64_t seq = e->recv++;
    total_recv++;
    uint8_t head[16];
    size_t k = put_seq(head, seq);
    if (opcode != op_for(seq) || len != S || memcmp(data, head, k) != 0 ||
        memcmp(data + k, tmpl + k, S - k) != 0) {
        if (mismatches++ == 0)
            lg_note_error("connection %u: echo %llu differs from what was sent (opcode %d, %zu bytes)", c->id,
                          (unsigned long long)seq, opcode, len);
    }
    uint64_t sent_at = e->ts[seq % (uint64_t)P];
    lg_hist_add(&hist, lg.now_ns > sent_at ? lg.now_ns - sent_at : 0);
    if (running)
        send_next(c);
}

static const lg_handlers handlers = {.on_message = on_message};

static bool all_echoed(void *arg)
{
    return total_recv >= total_sent || lg.failed > 0;
}

int lg_run_echo(const lg_opts *o)
{
    lg_init(o->port, o->path);
    nconns = (size_t)o->connections;
    P = o->pipeline;
    S = o->size;
    mode = o->mode;
    conns = calloc(nconns, sizeof *conns);
    es = calloc(nconns, sizeof *es);
    ts_pool = calloc(nconns * (size_t)P, sizeof *ts_pool);
    tmpl = malloc(S + 16);
    scratch = malloc(S + 16);
    if (!conns || !es || !ts_pool || !tmpl || !scratch) {
        fprintf(stderr, "loadgen: out of memory\n");
        return 2;
    }
    for (size_t i = 0; i < S; i++)
        tmpl[i] = (uint8_t)('a' + i % 26);
    memcpy(scratch, tmpl, S);
    for (size_t i = 0; i < nconns; i++)
        es[i].ts = ts_pool + i * (size_t)P;
    lg_hist_reset(&hist);

    size_t opened = lg_connect_all(conns, nconns, &handlers, (size_t)o->batch, o->timeout);

    double cpu0 = lg_self_cpu_s(), scpu0 = lg_server_cpu_s(o), busy0 = lg_machine_busy_s();
    uint64_t t0 = uv_hrtime();
    lg.now_ns = t0;
    running = opened == nconns && lg.failed == 0;
    if (running) {
        for (size_t i = 0; i < nconns; i++)
            for (int j = 0; j < P; j++)
                send_next(&conns[i]);
        lg_sleep(o->duration);
    }
    running = false;
    uint64_t t1 = uv_hrtime();
    double cpu1 = lg_self_cpu_s(), scpu1 = lg_server_cpu_s(o), busy1 = lg_machine_busy_s();
    uint64_t measured = total_recv;
    if (!lg_wait(all_echoed, NULL, 5.0))
        lg_note_error("%llu messages were never echoed", (unsigned long long)(total_sent - total_recv));
    uint64_t missing = total_sent - total_recv;
    lg_shutdown(conns, nconns);

    double secs = (double)(t1 - t0) / 1e9;
    double other = lg_other_cpu(busy0, busy1, cpu1 - cpu0, scpu1 - scpu0, secs);
    double rate = secs > 0 ? (double)measured / secs : 0;
    double lg_cpu = secs > 0.05 ? (cpu1 - cpu0) / secs : 0;
    double srv_cpu = (scpu0 >= 0 && scpu1 >= 0 && secs > 0) ? (scpu1 - scpu0) / secs : -1;
    double p50 = (double)lg_hist_quantile(&hist, 0.50) / 1e3;
    double p99 = (double)lg_hist_quantile(&hist, 0.99) / 1e3;
    double mx = (double)hist.max / 1e3;
    uint64_t errors = lg.proto_errors + mismatches + missing;
    static const char *modes[] = {"text", "binary", "mixed"};

    char human[512], json[1024], srv_txt[16] = "n/a";
    if (srv_cpu >= 0)
        snprintf(srv_txt, sizeof srv_txt, "%.0f%%", srv_cpu * 100);
    snprintf(
        human, sizeof human,
        "echo [%s] %zu conns x %d in flight x %zu B, %.1f s: %.0f msg/s, p50 %.0f us, p99 %.0f us, max %.0f "
        "us, errors %llu, failed conns %llu, loadgen cpu %.0f%%, server cpu %s",
        o->label, nconns, P, S, secs, rate, p50, p99, mx, (unsigned long long)errors,
        (unsigned long long)lg.failed, lg_cpu * 100, srv_txt);
    snprintf(json, sizeof json,
             "{\"scenario\":\"echo\",\"server\":%s,\"connections\":%zu,\"pipeline\":%d,\"size\":%zu,"
             "\"mode\":\"%s\",\"duration_s\":%.3f,\"messages\":%llu,\"msgs_per_s\":%.1f,\"p50_us\":%.1f,"
             "\"p99_us\":%.1f,\"max_us\":%.1f,\"mismatches\":%llu,\"missing\":%llu,\"protocol_errors\":%llu,"
             "\"failed_connections\":%llu,\"loadgen_cpu\":%.3f,\"server_cpu\":%.3f,\"other_cpu\":%.3f}",
             lg_json_str(o->label), nconns, P, S, modes[mode], secs, (unsigned long long)measured, rate, p50,
             p99, mx, (unsigned long long)mismatches, (unsigned long long)missing,
             (unsigned long long)lg.proto_errors, (unsigned long long)lg.failed, lg_cpu, srv_cpu, other);
    lg_print_result(human, json);
    if (lg.first_error[0])
        fprintf(stderr, "loadgen: first error: %s\n", lg.first_error);
    return (errors || lg.failed || opened != nconns) ? 1 : 0;
}
