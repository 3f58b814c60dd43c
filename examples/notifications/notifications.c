/* SPDX-License-Identifier: MIT */
/*
 * Section 4, "Connection Events": the notifications handler. OPEN sends a
 * welcome with the connection id, {"type":"ping"} is answered with a pong
 * carrying an ISO 8601 UTC timestamp, OPEN/MESSAGE/CLOSE are logged.
 *
 * Run build/examples/notifications, connect to
 * ws://localhost:7145/ws/notifications and send {"type":"ping"}.
 */
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <tina4.h>

/* Like Python's datetime.now(timezone.utc).isoformat(). */
static void iso_now(char out[40])
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    struct tm tm;
    gmtime_r(&tv.tv_sec, &tm);
    char base[24];
    strftime(base, sizeof base, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out, 40, "%s.%06ld+00:00", base, (long)tv.tv_usec);
}

static void notifications_handler(t4_ws *ws, t4_ws_event ev, t4_msg msg)
{
    if (ev == T4_WS_OPEN) {
        t4_log(T4_LOG_INFO, "Client connected: %s", t4_ws_id(ws));
        t4_ws_send_json(ws, json_pack("{s:s, s:s, s:s}", "type", "welcome", "message",
                                      "Connected to notifications", "connection_id", t4_ws_id(ws)));
    } else if (ev == T4_WS_MESSAGE) {
        t4_log(T4_LOG_INFO, "Received from %s: %.200s", t4_ws_id(ws), msg.binary ? "(binary)" : msg.data);
        json_error_t err;
        json_t *message = msg.binary ? NULL : json_loads(msg.data, 0, &err);
        if (!json_is_object(message)) {
            /* Messages are strings, not dicts (gotcha 2): bad JSON gets an answer, not a crash. */
            t4_ws_send_json(ws,
                            json_pack("{s:s, s:s}", "type", "error", "message", "expected a JSON object"));
            json_decref(message);
            return;
        }
        const char *type = json_string_value(json_object_get(message, "type"));
        if (type && strcmp(type, "ping") == 0) {
            char now[40];
            iso_now(now);
            t4_ws_send_json(ws, json_pack("{s:s, s:s}", "type", "pong", "timestamp", now));
        }
        json_decref(message);
    } else if (ev == T4_WS_CLOSE) {
        t4_log(T4_LOG_INFO, "Client disconnected: %s", t4_ws_id(ws));
    }
}
T4_WEBSOCKET("/ws/notifications", notifications_handler)

int main(void)
{
    return t4_run(NULL) == 0 ? 0 : 1;
}
