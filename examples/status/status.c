/* SPDX-License-Identifier: MIT */
/*
 * Section 6, "Sending JSON": send_json on /ws/status. OPEN sends
 * {"type":"welcome","connection_id":id}; every message is acknowledged with
 * {"type":"ack","received":<the message as a string>}.
 *
 * Run build/examples/status, connect to ws://localhost:7145/ws/status and
 * send anything.
 */
#include <tina4.h>

static void status_handler(t4_ws *ws, t4_ws_event ev, t4_msg msg)
{
    if (ev == T4_WS_OPEN) {
        t4_ws_send_json(ws, json_pack("{s:s, s:s}", "type", "welcome", "connection_id", t4_ws_id(ws)));
    } else if (ev == T4_WS_MESSAGE) {
        if (msg.binary) {
            /* JSON strings are text: binary has no faithful "received". */
            t4_ws_send_json(ws,
                            json_pack("{s:s, s:s}", "type", "error", "message", "expected a text message"));
            return;
        }
        t4_ws_send_json(ws, json_pack("{s:s, s:s%}", "type", "ack", "received", msg.data, msg.len));
    }
}
T4_WEBSOCKET("/ws/status", status_handler)

int main(void)
{
    return t4_run(NULL) == 0 ? 0 : 1;
}
