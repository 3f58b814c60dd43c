/* SPDX-License-Identifier: MIT */
/*
 * get.c -- static file throughput: C keep-alive connections each GET the
 * same path again and again, one request at a time. Every response must be
 * 200 with a Content-Length (of -s bytes when given) and a body that is the
 * benchmark file: byte i is 'a' + i % 26 (bench/tls/run.sh writes it).
 * Reports responses/s and body bytes/s; the time from request to the last
 * body byte goes into a histogram.
 */
#include "lg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_HEAD 8192

typedef struct {
    lg_buf head;   /* response head so far */
    uint64_t left; /* body bytes still to come */
    uint64_t off;  /* body bytes seen of this response */
    uint64_t sent_ns;
    bool in_body;
} get_conn;

static lg_conn *conns;
static get_conn *gs;
static size_t nconns;
static bool running;
static uint64_t responses, body_bytes, bad;
static uint64_t want_size; /* 0: any */
static lg_hist hist;
static char request[512];
static size_t request_len;
static uint8_t pattern[4096 + 26];

static void send_request(lg_conn *c)
{
    get_conn *g = &gs[c->id];
    g->sent_ns = lg.now_ns;
    lg_send_raw(c, request, request_len);
}

static void on_open(lg_conn *c)
{
    send_request(c);
}

static void bad_response(lg_conn *c, const char *what)
{
    bad++;
    lg_proto_error(c, "%s", what);
}

/* The head is complete in g->head: status 200 and Content-Length. */
static bool parse_head(lg_conn *c, get_conn *g)
{
    char *s = (char *)g->head.data;
    if (strncmp(s, "HTTP/1.1 200 ", 13) != 0) {
        char line[80];
        snprintf(line, sizeof line, "response %.*s",
                 (int)strcspn(s, "\r\n") < 60 ? (int)strcspn(s, "\r\n") : 60, s);
        bad_response(c, line);
        return false;
    }
    const char *p = s;
    long long len = -1;
    while ((p = strstr(p, "\r\n")) && p[2] != '\r') {
        p += 2;
        if (strncasecmp(p, "Content-Length:", 15) == 0)
            len = strtoll(p + 15, NULL, 10);
        if (strncasecmp(p, "Transfer-Encoding:", 18) == 0 || strncasecmp(p, "Content-Encoding:", 17) == 0) {
            bad_response(c, "an encoded body (chunked or compressed): the benchmark wants the file as it is");
            return false;
        }
    }
    if (len < 0 || (want_size && (uint64_t)len != want_size)) {
        bad_response(c, len < 0 ? "no Content-Length" : "Content-Length is not the file's size");
        return false;
    }
    g->left = (uint64_t)len;
    g->off = 0;
    g->in_body = true;
    return true;
}

static void response_done(lg_conn *c, get_conn *g)
{
    g->in_body = false;
    g->head.len = 0;
    if (running) {
        responses++;
        lg_hist_add(&hist, lg.now_ns - g->sent_ns);
        send_request(c);
    }
}

static void on_data(lg_conn *c, const uint8_t *data, size_t n)
{
    get_conn *g = &gs[c->id];
    while (n > 0 && c->state == LG_OPEN) {
        if (g->in_body) {
            size_t k = n < g->left ? n : (size_t)g->left;
            /* the body is the pattern: compare in slices of the template */
            for (size_t i = 0; i < k;) {
                size_t m = k - i < 4096 ? k - i : 4096;
                if (memcmp(data + i, pattern + (g->off + i) % 26, m) != 0) {
                    bad_response(c, "the body differs from the file");
                    return;
                }
                i += m;
            }
            g->off += k;
            g->left -= k;
            if (running)
                body_bytes += k;
            data += k;
            n -= k;
            if (g->left == 0)
                response_done(c, g);
            continue;
        }
        /* head: byte by byte into the buffer until the blank line */
        size_t take = 0;
        bool end = false;
        while (take < n) {
            uint8_t ch = data[take++];
            lg_buf_reserve(&g->head, 2);
            g->head.data[g->head.len++] = ch;
            if (g->head.len >= 4 && memcmp(g->head.data + g->head.len - 4, "\r\n\r\n", 4) == 0) {
                end = true;
                break;
            }
            if (g->head.len > MAX_HEAD) {
                bad_response(c, "response head too long");
                return;
            }
        }
        data += take;
        n -= take;
        if (!end)
            return;
        g->head.data[g->head.len] = 0;
        if (!parse_head(c, g))
            return;
        if (g->left == 0)
            response_done(c, g);
    }
}

static const lg_handlers handlers = {.on_open = on_open, .on_data = on_data};

static bool all_done(void *arg)
{
    for (size_t i = 0; i < nconns; i++)
        if (gs[i].in_body && conns[i].state == LG_OPEN)
            return false;
    return true;
}

int lg_run_get(const lg_opts *o)
{
    lg_init(o->port, o->path);
    nconns = (size_t)o->connections;
    want_size = o->size_set ? o->size : 0;
    conns = calloc(nconns, sizeof *conns);
    gs = calloc(nconns, sizeof *gs);
    if (!conns || !gs) {
        fprintf(stderr, "loadgen: out of memory\n");
        return 2;
    }
    for (size_t i = 0; i < sizeof pattern; i++)
        pattern[i] = (uint8_t)('a' + i % 26);
    request_len = (size_t)snprintf(
        request, sizeof request, "GET %s HTTP/1.1\r\nHost: localhost:%d\r\nUser-Agent: tina4-loadgen\r\n\r\n",
        o->path, o->port);
    lg_hist_reset(&hist);
    running = true; /* the first responses warm up; counting starts below */
    size_t opened = lg_connect_all(conns, nconns, &handlers, (size_t)o->batch, o->timeout);
    bool ok = opened == nconns && lg.failed == 0;
    if (ok)
        lg_sleep(0.2);
    responses = body_bytes = 0;
    lg_hist_reset(&hist);
    double cpu0 = lg_self_cpu_s(), scpu0 = lg_server_cpu_s(o), busy0 = lg_machine_busy_s();
    uint64_t t0 = uv_hrtime();
    if (ok)
        lg_sleep(o->duration);
    running = false;
    uint64_t t1 = uv_hrtime();
    double cpu1 = lg_self_cpu_s(), scpu1 = lg_server_cpu_s(o), busy1 = lg_machine_busy_s();
    lg_wait(all_done, NULL, 5.0);
    lg_shutdown(conns, nconns);

    double secs = (double)(t1 - t0) / 1e9;
    double rps = secs > 0 ? (double)responses / secs : 0;
    double mibps = secs > 0 ? (double)body_bytes / secs / (1024.0 * 1024.0) : 0;
    double lg_cpu = secs > 0.05 ? (cpu1 - cpu0) / secs : 0;
    double srv_cpu = (scpu0 >= 0 && scpu1 >= 0 && secs > 0) ? (scpu1 - scpu0) / secs : -1;
    double other = lg_other_cpu(busy0, busy1, cpu1 - cpu0, scpu1 - scpu0, secs);
    double p50 = (double)lg_hist_quantile(&hist, 0.50) / 1e3;
    double p99 = (double)lg_hist_quantile(&hist, 0.99) / 1e3;

    char human[512], json[1280], srv_txt[16] = "n/a", label[512];
    snprintf(label, sizeof label, "%s", lg_json_str(o->label)); /* lg_json_str's buffer is reused */
    if (srv_cpu >= 0)
        snprintf(srv_txt, sizeof srv_txt, "%.0f%%", srv_cpu * 100);
    snprintf(
        human, sizeof human,
        "get [%s] %s%s, %zu connections, %.1f s: %.0f responses/s, %.1f MiB/s, p50 %.0f us, p99 %.0f us, "
        "bad responses %llu, failed conns %llu, loadgen cpu %.0f%%, server cpu %s",
        o->label, lg.tls ? "https " : "http ", o->path, nconns, secs, rps, mibps, p50, p99,
        (unsigned long long)bad, (unsigned long long)lg.failed, lg_cpu * 100, srv_txt);
    snprintf(
        json, sizeof json,
        "{\"scenario\":\"get\",\"server\":%s,\"path\":%s,\"tls\":%s,\"connections\":%zu,\"duration_s\":%.3f,"
        "\"responses\":%llu,\"responses_per_s\":%.1f,\"mib_per_s\":%.2f,\"p50_us\":%.1f,\"p99_us\":%.1f,"
        "\"bad_responses\":%llu,\"protocol_errors\":%llu,\"failed_connections\":%llu,\"loadgen_cpu\":%.3f,"
        "\"server_cpu\":%.3f,\"other_cpu\":%.3f}",
        label, lg_json_str(o->path), lg.tls ? "true" : "false", nconns, secs, (unsigned long long)responses,
        rps, mibps, p50, p99, (unsigned long long)bad, (unsigned long long)lg.proto_errors,
        (unsigned long long)lg.failed, lg_cpu, srv_cpu, other);
    lg_print_result(human, json);
    if (lg.first_error[0])
        fprintf(stderr, "loadgen: first error: %s\n", lg.first_error);
    return (!ok || bad || lg.proto_errors || lg.failed || responses == 0) ? 1 : 0;
}
