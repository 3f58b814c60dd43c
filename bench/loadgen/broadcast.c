/* SPDX-License-Identifier: MIT */
/*
 * broadcast.c -- N subscribers and one publisher on the same path. The
 * publisher is a subscriber too, so its own copy acknowledges a message:
 * it keeps at most W unacknowledged (or publishes at R/s). Each binary
 * message carries seq and the send time (uv_hrtime, little endian) in its
 * first 16 bytes; every recipient checks order, loss and content and adds
 * the delivery latency to one histogram.
 *
 * Before measuring, warm-up messages (seq with the top bit set) go out
 * until every connection has received one, so nobody is still joining.
 */
#include "lg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WARMUP_BIT (1ull << 63)

typedef struct {
    uint64_t expect; /* next measured seq */
    uint64_t received;
    bool joined;
} sub_state;

static lg_conn *conns;
static sub_state *subs;
static size_t nall; /* subscribers + the publisher */
static lg_conn *pub;
static uint8_t *msgbuf;
static size_t S;
static int window;
static double rate;
static bool publishing;
static uint64_t published, acked, warmups, joined;
static uint64_t deliveries, lost_gaps, out_of_order, bad, dupes;
static uint64_t t_start, last_recv;
static lg_hist hist;
static uv_timer_t pace;

static void put_u64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_u64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

static void publish(uint64_t seq)
{
    put_u64(msgbuf, seq);
    put_u64(msgbuf + 8, lg.now_ns);
    lg_send(pub, LG_OP_BINARY, msgbuf, S);
}

static void publish_window(void)
{
    while (publishing && published - acked < (uint64_t)window) {
        published++;
        publish(published); /* measured seqs start at 1 */
    }
}

static void on_message(lg_conn *c, int opcode, const uint8_t *data, size_t len)
{
    sub_state *s = &subs[c->id];
    if (opcode != LG_OP_BINARY || len != S || memcmp(data + 16, msgbuf + 16, S - 16) != 0) {
        if (bad++ == 0)
            lg_note_error("connection %u: unexpected message (opcode %d, %zu bytes)", c->id, opcode, len);
        return;
    }
    uint64_t seq = get_u64(data);
    if (seq & WARMUP_BIT) {
        if (!s->joined) {
            s->joined = true;
            joined++;
        }
        return;
    }
    uint64_t ts = get_u64(data + 8);
    lg_hist_add(&hist, lg.now_ns > ts ? lg.now_ns - ts : 0);
    deliveries++;
    s->received++;
    last_recv = lg.now_ns;
    if (seq == s->expect) {
        s->expect++;
    } else if (seq > s->expect) {
        lost_gaps += seq - s->expect;
        s->expect = seq + 1;
    } else {
        out_of_order++;
    }
    if (s->received > published)
        dupes++;
    if (c == pub) {
        acked++;
        if (rate <= 0)
            publish_window();
    }
}

static const lg_handlers handlers = {.on_message = on_message};

static void on_pace(uv_timer_t *t)
{
    if (!publishing)
        return;
    lg.now_ns = uv_hrtime();
    uint64_t due = (uint64_t)(rate * (double)(lg.now_ns - t_start) / 1e9);
    while (published < due && (window <= 0 || published - acked < (uint64_t)window)) {
        published++;
        publish(published);
    }
}

static bool everyone_joined(void *arg)
{
    if (joined >= nall || lg.failed)
        return true;
    /* one warm-up message per 50 ms until everyone has one */
    static uint64_t last;
    if (lg.now_ns - last > 50000000ull) {
        last = lg.now_ns;
        publish(WARMUP_BIT | ++warmups);
    }
    return false;
}

static bool drained(void *arg)
{
    if (lg.failed)
        return true;
    for (size_t i = 0; i < nall; i++)
        if (subs[i].received < published && conns[i].state == LG_OPEN)
            return false;
    return true;
}

int lg_run_broadcast(const lg_opts *o)
{
    if (o->size < 16) {
        fprintf(stderr, "loadgen: broadcast messages need at least 16 bytes (seq + timestamp)\n");
        return 2;
    }
    lg_init(o->port, o->path);
    S = o->size;
    rate = o->rate;
    window = rate > 0 ? 0 : o->window;
    size_t nsubs = (size_t)o->connections;
    nall = nsubs + 1;
    conns = calloc(nall, sizeof *conns);
    subs = calloc(nall, sizeof *subs);
    msgbuf = malloc(S);
    if (!conns || !subs || !msgbuf) {
        fprintf(stderr, "loadgen: out of memory\n");
        return 2;
    }
    for (size_t i = 0; i < S; i++)
        msgbuf[i] = (uint8_t)('A' + i % 26);
    for (size_t i = 0; i < nall; i++)
        subs[i].expect = 1;
    lg_hist_reset(&hist);
    pub = &conns[nsubs];

    size_t opened = lg_connect_all(conns, nall, &handlers, (size_t)o->batch, o->timeout);
    bool ok = opened == nall && lg.failed == 0;
    if (ok && !lg_wait(everyone_joined, NULL, 10.0)) {
        lg_note_error("only %llu of %zu connections received the warm-up broadcast",
                      (unsigned long long)joined, nall);
        ok = false;
    }
    ok = ok && lg.failed == 0;

    double cpu0 = lg_self_cpu_s(), scpu0 = lg_server_cpu_s(o), busy0 = lg_machine_busy_s();
    t_start = uv_hrtime();
    lg.now_ns = t_start;
    if (ok) {
        /* warm-ups still in the pipes arrive before seq 1 on every socket */
        publishing = true;
        if (rate > 0) {
            uv_timer_init(lg.loop, &pace);
            uv_timer_start(&pace, on_pace, 1, 1);
        } else {
            publish_window();
        }
        lg_sleep(o->duration);
        publishing = false;
        if (rate > 0)
            uv_close((uv_handle_t *)&pace, NULL);
    }
    uint64_t t_end = uv_hrtime();
    double cpu1 = lg_self_cpu_s(), scpu1 = lg_server_cpu_s(o), busy1 = lg_machine_busy_s();
    bool all_in = lg_wait(drained, NULL, 10.0);
    uint64_t lost = 0;
    for (size_t i = 0; i < nall; i++)
        if (subs[i].received < published)
            lost += published - subs[i].received;
    if (!all_in)
        lg_note_error("%llu deliveries missing after 10 s of draining", (unsigned long long)lost);
    lg_shutdown(conns, nall);

    double send_secs = (double)(t_end - t_start) / 1e9;
    double other = lg_other_cpu(busy0, busy1, cpu1 - cpu0, scpu1 - scpu0, send_secs);
    double span = last_recv > t_start ? (double)(last_recv - t_start) / 1e9 : send_secs;
    double dps = span > 0 ? (double)deliveries / span : 0;
    double mps = send_secs > 0 ? (double)published / send_secs : 0;
    double lg_cpu = send_secs > 0.05 ? (cpu1 - cpu0) / send_secs : 0;
    double srv_cpu = (scpu0 >= 0 && scpu1 >= 0 && send_secs > 0) ? (scpu1 - scpu0) / send_secs : -1;
    double p50 = (double)lg_hist_quantile(&hist, 0.50) / 1e3;
    double p99 = (double)lg_hist_quantile(&hist, 0.99) / 1e3;
    double mx = (double)hist.max / 1e3;
    uint64_t errors = lg.proto_errors + bad + dupes;
    char mode[64];
    if (rate > 0)
        snprintf(mode, sizeof mode, "rate %.0f/s", rate);
    else
        snprintf(mode, sizeof mode, "window %d", window);

    char human[512], json[1024], srv_txt[16] = "n/a";
    if (srv_cpu >= 0)
        snprintf(srv_txt, sizeof srv_txt, "%.0f%%", srv_cpu * 100);
    snprintf(
        human, sizeof human,
        "broadcast [%s] %zu subscribers + publisher, %zu B, %s, %.1f s: %llu published (%.0f msg/s), %.0f "
        "deliveries/s, p50 %.0f us, p99 %.0f us, max %.0f us, lost %llu, out-of-order %llu, errors %llu, "
        "failed conns %llu, loadgen cpu %.0f%%, server cpu %s",
        o->label, nsubs, S, mode, send_secs, (unsigned long long)published, mps, dps, p50, p99, mx,
        (unsigned long long)lost, (unsigned long long)out_of_order, (unsigned long long)errors,
        (unsigned long long)lg.failed, lg_cpu * 100, srv_txt);
    snprintf(
        json, sizeof json,
        "{\"scenario\":\"broadcast\",\"server\":%s,\"subscribers\":%zu,\"recipients\":%zu,\"size\":%zu,"
        "\"window\":%d,\"rate\":%.1f,\"duration_s\":%.3f,\"published\":%llu,\"msgs_per_s\":%.1f,"
        "\"deliveries\":%llu,\"deliveries_per_s\":%.1f,\"p50_us\":%.1f,\"p99_us\":%.1f,\"max_us\":%.1f,"
        "\"lost\":%llu,\"out_of_order\":%llu,\"gaps\":%llu,\"protocol_errors\":%llu,\"bad_messages\":%llu,"
        "\"failed_connections\":%llu,\"loadgen_cpu\":%.3f,\"server_cpu\":%.3f,\"other_cpu\":%.3f}",
        lg_json_str(o->label), nsubs, nall, S, window, rate, send_secs, (unsigned long long)published, mps,
        (unsigned long long)deliveries, dps, p50, p99, mx, (unsigned long long)lost,
        (unsigned long long)out_of_order, (unsigned long long)lost_gaps, (unsigned long long)lg.proto_errors,
        (unsigned long long)(bad + dupes), (unsigned long long)lg.failed, lg_cpu, srv_cpu, other);
    lg_print_result(human, json);
    if (lg.first_error[0])
        fprintf(stderr, "loadgen: first error: %s\n", lg.first_error);
    return (!ok || errors || lost || out_of_order || lg.failed) ? 1 : 0;
}
