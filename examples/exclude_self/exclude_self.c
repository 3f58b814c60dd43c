/* SPDX-License-Identifier: MIT */
/*
 * Section 6, "Broadcast Excluding Sender": on /ws/messages the sender gets
 * a {"type":"sent","text":...} confirmation and everyone else on the path
 * gets the {"type":"message","from":username,...} (broadcast with
 * exclude_self).
 *
 * Run build/examples/exclude_self, connect two clients to
 * ws://localhost:7145/ws/messages and send {"username":"Alice","text":"hi"}.
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

static void messages_handler(t4_ws *ws, t4_ws_event ev, t4_msg msg)
{
    if (ev != T4_WS_MESSAGE)
        return;
    json_t *message = msg.binary ? NULL : json_loads(msg.data, 0, NULL);
    if (!json_is_object(message)) {
        t4_ws_send_json(ws, json_pack("{s:s, s:s}", "type", "error", "message", "expected a JSON object"));
        json_decref(message);
        return;
    }
    /* message.get("text") is None (null) when absent. */
    json_t *text = json_object_get(message, "text");
    const char *from = json_string_value(json_object_get(message, "username"));

    /* Send to sender (confirmation) */
    t4_ws_send_json(ws, json_pack("{s:s, s:O}", "type", "sent", "text", text ? text : json_null()));

    /* Send to everyone else */
    char now[40];
    iso_now(now);
    t4_ws_broadcast_json(ws,
                         json_pack("{s:s, s:s, s:O, s:s}", "type", "message", "from",
                                   from ? from : "Anonymous", "text", text ? text : json_null(), "timestamp",
                                   now),
                         true);
    json_decref(message);
}
T4_WEBSOCKET("/ws/messages", messages_handler)

int main(void)
{
    return t4_run(NULL) == 0 ? 0 : 1;
}
