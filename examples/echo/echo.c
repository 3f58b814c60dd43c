/* SPDX-License-Identifier: MIT */
/*
 * Section 3, "@websocket -- WebSocket as a Route": the simplest handler.
 * Every message comes back with "Echo: " in front of it.
 *
 * Run build/examples/echo, then connect to ws://localhost:7145/ws/echo
 * (e.g. `websocat ws://localhost:7145/ws/echo`) and type a line.
 */
#include <stdlib.h>
#include <string.h>
#include <tina4.h>

static void echo_handler(t4_ws *ws, t4_ws_event ev, t4_msg msg)
{
    if (ev != T4_WS_MESSAGE)
        return;
    if (!msg.binary) {
        t4_ws_sendf(ws, "Echo: %s", msg.data);
        return;
    }
    /* Binary stays binary: the same prefix, then the bytes unchanged. */
    char *out = malloc(6 + msg.len);
    if (!out)
        return;
    memcpy(out, "Echo: ", 6);
    memcpy(out + 6, msg.data, msg.len);
    t4_ws_send_binary(ws, out, 6 + msg.len);
    free(out);
}
T4_WEBSOCKET("/ws/echo", echo_handler)

int main(void)
{
    return t4_run(NULL) == 0 ? 0 : 1;
}
