/* SPDX-License-Identifier: MIT */
/*
 * tina4-bench-server: the server the conformance suite, the integration
 * tests and the benchmarks run against. Listens on TINA4_PORT and honours
 * every TINA4_* setting.
 *   /echo               every message back unchanged (text stays text)
 *   /broadcast          every message to every connection on the path
 *   /broadcast/{room}   the same, per concrete path (sender included)
 *   /history/{room}     the same, keeping the last 10 000 messages of each
 *                       room (positions and resume for tina4.v1 clients)
 *   POST /push/{rest:path}  the body pushed to /{rest} (text), JSON {"delivered": n}
 */
#include <stdio.h>
#include <string.h>
#include <tina4.h>

static void echo(t4_ws *ws, t4_ws_event ev, t4_msg msg)
{
    if (ev != T4_WS_MESSAGE)
        return;
    if (msg.binary)
        t4_ws_send_binary(ws, msg.data, msg.len);
    else
        t4_ws_send_text(ws, msg.data, msg.len);
}
T4_WEBSOCKET("/echo", echo)

static void fanout(t4_ws *ws, t4_ws_event ev, t4_msg msg)
{
    if (ev != T4_WS_MESSAGE)
        return;
    if (msg.binary)
        t4_ws_broadcast_binary(ws, msg.data, msg.len, false);
    else
        t4_ws_broadcast_text(ws, msg.data, msg.len, false);
}
T4_WEBSOCKET("/broadcast", fanout)
T4_WEBSOCKET("/broadcast/{room}", fanout)
T4_WEBSOCKET_WITH("/history/{room}", fanout, .history_size = 10000)

static void push(t4_req *req, t4_res *res)
{
    char path[1024];
    snprintf(path, sizeof path, "/%s", t4_req_param(req, "target"));
    size_t len;
    const char *body = t4_req_body(req, &len);
    int n = t4_push_text(path, body, len);
    t4_res_json(res, n < 0 ? 400 : 200, json_pack("{s:i}", "delivered", n));
}
T4_POST("/push/{target:path}", push)

int main(void)
{
    return t4_run(NULL) == 0 ? 0 : 1;
}
