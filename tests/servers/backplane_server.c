/* SPDX-License-Identifier: MIT */
/*
 * backplane_server: the server the backplane tests run (three instances,
 * one Redis). Honours every TINA4_* setting.
 *   /room/{room}     every message to everyone on the path (sender included)
 *   /others/{room}   every message to everyone else on the path (exclude-self)
 *   GET  /count/{rest:path}  {"cluster": n, "local": m, "pid": p} for the path /{rest}
 *                            (pid: the worker process that answered)
 *   POST /push/{rest:path}   the body pushed to /{rest} (binary with ?binary=1)
 *   /pres/{room}     presence events, history (1000): OPEN sets presence
 *                    {"name": ?name}; "who" -> t4_ws_presence, "path-who" ->
 *                    t4_path_presence; anything else is broadcast to everyone
 */
#include <stdio.h>
#include <string.h>
#include <tina4.h>
#include <unistd.h>

static void relay(t4_ws *ws, t4_msg msg, bool exclude_self)
{
    if (msg.binary)
        t4_ws_broadcast_binary(ws, msg.data, msg.len, exclude_self);
    else
        t4_ws_broadcast_text(ws, msg.data, msg.len, exclude_self);
}

static void room(t4_ws *ws, t4_ws_event ev, t4_msg msg)
{
    if (ev == T4_WS_MESSAGE)
        relay(ws, msg, false);
}
T4_WEBSOCKET("/room/{room}", room)

static void others(t4_ws *ws, t4_ws_event ev, t4_msg msg)
{
    if (ev == T4_WS_MESSAGE)
        relay(ws, msg, true);
}
T4_WEBSOCKET("/others/{room}", others)

static void pres(t4_ws *ws, t4_ws_event ev, t4_msg msg)
{
    if (ev == T4_WS_OPEN && t4_ws_param(ws, "name"))
        t4_ws_set_presence(ws, json_pack("{s:s}", "name", t4_ws_param(ws, "name")));
    else if (ev == T4_WS_MESSAGE && strcmp(msg.data, "who") == 0)
        t4_ws_send_json(ws, t4_ws_presence(ws));
    else if (ev == T4_WS_MESSAGE && strcmp(msg.data, "path-who") == 0)
        t4_ws_send_json(ws, t4_path_presence(t4_ws_path(ws)));
    else if (ev == T4_WS_MESSAGE)
        relay(ws, msg, false);
}
T4_WEBSOCKET_WITH("/pres/{room}", pres, .presence_events = true, .history_size = 1000)

static void count(t4_req *req, t4_res *res)
{
    char path[1024];
    snprintf(path, sizeof path, "/%s", t4_req_param(req, "rest"));
    t4_res_json(res, 200,
                json_pack("{s:I,s:I,s:I}", "cluster", (json_int_t)t4_path_connection_count(path), "local",
                          (json_int_t)t4_path_local_connection_count(path), "pid", (json_int_t)getpid()));
}
T4_GET("/count/{rest:path}", count)

static void push(t4_req *req, t4_res *res)
{
    char path[1024];
    snprintf(path, sizeof path, "/%s", t4_req_param(req, "rest"));
    size_t len;
    const char *body = t4_req_body(req, &len);
    const char *bin = t4_req_query(req, "binary");
    int n = bin && strcmp(bin, "1") == 0 ? t4_push_binary(path, body, len) : t4_push_text(path, body, len);
    t4_res_json(res, n < 0 ? 400 : 200, json_pack("{s:i}", "delivered", n));
}
T4_POST("/push/{rest:path}", push)

int main(void)
{
    return t4_run(NULL) == 0 ? 0 : 1;
}
