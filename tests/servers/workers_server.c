/* SPDX-License-Identifier: MIT */
/*
 * workers_server: the test server for workers, crash reports and the
 * watchdog (tests/integration/workers*.test.mjs, crash*.test.mjs).
 *
 * HTTP
 *   GET /pid                 this worker's process id
 *   GET /crash?unless=PID    a null write (SIGSEGV), unless this worker is PID
 *                            (then 409 "not me": the client tries again)
 *   GET /abort               abort() (SIGABRT)
 *   GET /sleep?ms=N          holds the loop N ms, then "slept"
 *   GET /stop                t4_stop() in this worker
 *   GET /push?path=P&msg=M   t4_push(P, M) from the handler (&thread=1: from a
 *                            thread of this worker, joined before answering)
 *   GET /count?path=P        "<machine-wide count> <this worker's count> <pid>"
 * WebSocket
 *   /echo                    "pid" -> "pid:<pid>", anything else echoed
 *   /ws/chat/{room}          "crash" -> a null write in the MESSAGE handler
 *   /bus/{room}              "pid" -> "pid:<pid>"; "all:T" broadcasts T to the
 *                            room, "others:T" to the room but the sender;
 *                            "count" -> "count:<machine-wide> <local>";
 *                            "big:N" broadcasts N bytes ("B" then 'x's);
 *                            "seq:N" broadcasts "s0" .. "s<N-1>" to the others
 *   /pres/{room}             presence events and history (1000): OPEN sets
 *                            presence {"name": ?name, "pid": <pid>}; "pid" ->
 *                            "pid:<pid>", "who" -> t4_ws_presence, "path-who"
 *                            -> t4_path_presence, "all:T" broadcasts T,
 *                            "seq:N:P" broadcasts "P0" .. "P<N-1>"
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <tina4.h>
#include <unistd.h>

/* A real invalid write, hidden from the sanitizers (which would otherwise
 * report it themselves and exit instead of dying by the signal). */
__attribute__((noinline, no_sanitize("address", "undefined"))) static void null_write(void)
{
    volatile int *volatile p = NULL;
    *p = 42;
}

static void pid_route(t4_req *req, t4_res *res)
{
    (void)req;
    t4_res_printf(res, 200, "text/plain", "%d", (int)getpid());
}

static void crash_route(t4_req *req, t4_res *res)
{
    const char *unless = t4_req_query(req, "unless");
    if (unless && atoi(unless) == (int)getpid()) {
        t4_res_text(res, 409, "not me");
        return;
    }
    null_write();
    t4_res_text(res, 200, "survived?");
}

static void abort_route(t4_req *req, t4_res *res)
{
    (void)req;
    (void)res;
    abort();
}

static void sleep_route(t4_req *req, t4_res *res)
{
    const char *ms = t4_req_query(req, "ms");
    fprintf(stderr, "sleep: start\n"); /* tests wait for this: the request is in flight */
    /* Signals (SIGTERM) interrupt nanosleep: sleep the whole time anyway. */
    struct timespec left = {0, 0};
    long n = ms ? atol(ms) : 2000;
    left.tv_sec = n / 1000;
    left.tv_nsec = (n % 1000) * 1000000L;
    while (nanosleep(&left, &left) != 0)
        ;
    t4_res_text(res, 200, "slept");
}

static void stop_route(t4_req *req, t4_res *res)
{
    (void)req;
    t4_res_text(res, 200, "stopping");
    t4_stop();
}

static void echo(t4_ws *ws, t4_ws_event ev, t4_msg msg)
{
    if (ev != T4_WS_MESSAGE)
        return;
    if (strcmp(msg.data, "pid") == 0)
        t4_ws_sendf(ws, "pid:%d", (int)getpid());
    else
        t4_ws_send(ws, msg.data);
}

static void chat(t4_ws *ws, t4_ws_event ev, t4_msg msg)
{
    if (ev == T4_WS_MESSAGE && strcmp(msg.data, "crash") == 0)
        null_write();
    else if (ev == T4_WS_MESSAGE)
        t4_ws_send(ws, msg.data);
}

static void *push_thread(void *arg)
{
    const char **pm = arg;
    t4_push(pm[0], pm[1]);
    return NULL;
}

static void push_route(t4_req *req, t4_res *res)
{
    const char *pm[2] = {t4_req_query(req, "path"), t4_req_query(req, "msg")};
    if (!pm[0] || !pm[1]) {
        t4_res_text(res, 400, "path and msg");
        return;
    }
    const char *th = t4_req_query(req, "thread");
    if (th && strcmp(th, "1") == 0) {
        pthread_t t;
        pthread_create(&t, NULL, push_thread, pm);
        pthread_join(t, NULL);
    } else {
        t4_push(pm[0], pm[1]);
    }
    t4_res_printf(res, 200, "text/plain", "%d", (int)getpid());
}

static void count_route(t4_req *req, t4_res *res)
{
    const char *path = t4_req_query(req, "path");
    t4_res_printf(res, 200, "text/plain", "%zu %zu %d", t4_path_connection_count(path ? path : "/"),
                  t4_path_local_connection_count(path ? path : "/"), (int)getpid());
}

static void bus_room(t4_ws *ws, t4_ws_event ev, t4_msg msg)
{
    if (ev != T4_WS_MESSAGE)
        return;
    if (strcmp(msg.data, "pid") == 0) {
        t4_ws_sendf(ws, "pid:%d", (int)getpid());
    } else if (strncmp(msg.data, "all:", 4) == 0) {
        t4_ws_broadcast(ws, msg.data + 4, false);
    } else if (strncmp(msg.data, "others:", 7) == 0) {
        t4_ws_broadcast(ws, msg.data + 7, true);
    } else if (strcmp(msg.data, "count") == 0) {
        t4_ws_sendf(ws, "count:%zu %zu", t4_ws_connection_count(ws), t4_ws_local_connection_count(ws));
    } else if (strncmp(msg.data, "big:", 4) == 0) {
        size_t n = (size_t)atol(msg.data + 4);
        char *big = malloc(n + 1);
        if (!big)
            return;
        memset(big, 'x', n);
        big[0] = 'B';
        big[n] = '\0';
        t4_ws_broadcast_text(ws, big, n, false);
        free(big);
    } else if (strncmp(msg.data, "seq:", 4) == 0) {
        long n = atol(msg.data + 4);
        for (long i = 0; i < n; i++)
            t4_ws_broadcastf(ws, true, "s%ld", i);
    }
}

static void pres_room(t4_ws *ws, t4_ws_event ev, t4_msg msg)
{
    if (ev == T4_WS_OPEN) {
        const char *name = t4_ws_param(ws, "name");
        if (name)
            t4_ws_set_presence(ws, json_pack("{s:s, s:i}", "name", name, "pid", (int)getpid()));
        return;
    }
    if (ev != T4_WS_MESSAGE)
        return;
    if (strcmp(msg.data, "pid") == 0) {
        t4_ws_sendf(ws, "pid:%d", (int)getpid());
    } else if (strcmp(msg.data, "who") == 0) {
        t4_ws_send_json(ws, t4_ws_presence(ws));
    } else if (strcmp(msg.data, "path-who") == 0) {
        t4_ws_send_json(ws, t4_path_presence(t4_ws_path(ws)));
    } else if (strncmp(msg.data, "all:", 4) == 0) {
        t4_ws_broadcast(ws, msg.data + 4, false);
    } else if (strncmp(msg.data, "seq:", 4) == 0) {
        char *end;
        long n = strtol(msg.data + 4, &end, 10);
        const char *prefix = *end == ':' ? end + 1 : "m";
        for (long i = 0; i < n; i++)
            t4_ws_broadcastf(ws, false, "%s%ld", prefix, i);
    }
}

T4_GET("/pid", pid_route)
T4_GET("/push", push_route)
T4_GET("/count", count_route)
T4_GET("/crash", crash_route)
T4_GET("/abort", abort_route)
T4_GET("/sleep", sleep_route)
T4_GET("/stop", stop_route)
T4_WEBSOCKET("/echo", echo)
T4_WEBSOCKET("/ws/chat/{room}", chat)
T4_WEBSOCKET("/bus/{room}", bus_room)
T4_WEBSOCKET_WITH("/pres/{room}", pres_room, .presence_events = true, .history_size = 1000)

int main(void)
{
    return t4_run(NULL) == 0 ? 0 : 1;
}
