/* SPDX-License-Identifier: MIT */
/*
 * Section 6, "Closing a Connection" (and gotcha 7): /ws/secure checks a
 * ?token= query parameter when the connection opens. A missing or wrong
 * token gets {"error":"Unauthorized"} and a close with 1008 (policy
 * violation); a good one gets {"type":"welcome"}. The token is compared
 * against SECURE_TOKEN from the environment (or .env), default "letmein".
 *
 * Run build/examples/secure and connect to
 * ws://localhost:7145/ws/secure?token=letmein (and without the token).
 */
#include <stdlib.h>
#include <string.h>
#include <tina4.h>

/* Constant-time comparison, so the token cannot be guessed byte by byte. */
static bool valid_token(const char *token)
{
    const char *expected = getenv("SECURE_TOKEN");
    if (!expected || !*expected)
        expected = "letmein";
    size_t a = strlen(token), b = strlen(expected);
    unsigned char diff = a != b;
    for (size_t i = 0; i < a; i++)
        diff |= (unsigned char)token[i] ^ (unsigned char)expected[i % (b ? b : 1)];
    return diff == 0;
}

static void secure_handler(t4_ws *ws, t4_ws_event ev, t4_msg msg)
{
    if (ev == T4_WS_OPEN) {
        const char *token = t4_ws_param(ws, "token");
        if (!token || !*token || !valid_token(token)) {
            t4_ws_send_json(ws, json_pack("{s:s}", "error", "Unauthorized"));
            t4_ws_close(ws, 1008, "Unauthorized");
            return;
        }
        t4_ws_send_json(ws, json_pack("{s:s}", "type", "welcome"));
    }
}
T4_WEBSOCKET("/ws/secure", secure_handler)

int main(void)
{
    return t4_run(NULL) == 0 ? 0 : 1;
}
