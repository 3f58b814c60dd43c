/* SPDX-License-Identifier: MIT */
/*
 * Section 7, "Path-Scoped Isolation": /ws/chat/{room}. Each concrete path
 * is its own group, so /ws/chat/general never hears /ws/chat/random. Joins
 * and leaves are broadcast with the room's "online" count; messages are
 * broadcast to the room (sender included).
 *
 * Run build/examples/rooms, connect to ws://localhost:7145/ws/chat/general
 * and ws://localhost:7145/ws/chat/random, and send
 * {"username":"Alice","text":"hi"}.
 */
#include <stdio.h>
#include <sys/time.h>
#include <time.h>
#include <tina4.h>

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

static void room_handler(t4_ws *ws, t4_ws_event ev, t4_msg msg)
{
    const char *room = t4_ws_param(ws, "room");
    char text[256];

    if (ev == T4_WS_OPEN) {
        t4_log(T4_LOG_INFO, "[Room %s] New connection: %s", room, t4_ws_id(ws));
        snprintf(text, sizeof text, "Someone joined room %s", room);
        t4_ws_broadcast_json(ws,
                             json_pack("{s:s, s:s, s:s, s:I}", "type", "system", "message", text, "room",
                                       room, "online", (json_int_t)t4_ws_connection_count(ws)),
                             false);
    } else if (ev == T4_WS_MESSAGE) {
        json_t *message = msg.binary ? NULL : json_loads(msg.data, 0, NULL);
        if (!json_is_object(message)) {
            t4_ws_send_json(ws,
                            json_pack("{s:s, s:s}", "type", "error", "message", "expected a JSON object"));
            json_decref(message);
            return;
        }
        const char *from = json_string_value(json_object_get(message, "username"));
        const char *body = json_string_value(json_object_get(message, "text"));
        char now[40];
        iso_now(now);
        t4_ws_broadcast_json(ws,
                             json_pack("{s:s, s:s, s:s, s:s, s:s}", "type", "message", "room", room, "from",
                                       from ? from : "Anonymous", "text", body ? body : "", "timestamp", now),
                             false);
        json_decref(message);
    } else if (ev == T4_WS_CLOSE) {
        snprintf(text, sizeof text, "Someone left room %s", room);
        t4_ws_broadcast_json(ws,
                             json_pack("{s:s, s:s, s:s, s:I}", "type", "system", "message", text, "room",
                                       room, "online", (json_int_t)t4_ws_connection_count(ws)),
                             false);
    }
}
T4_WEBSOCKET("/ws/chat/{room}", room_handler)

int main(void)
{
    return t4_run(NULL) == 0 ? 0 : 1;
}
