/* SPDX-License-Identifier: MIT */
/*
 * Section 6, "Broadcasting to All Clients": every client on
 * /ws/announcements hears joins, leaves (with online_count) and every
 * announcement, the sender included.
 *
 * Run build/examples/announcements, connect two clients to
 * ws://localhost:7145/ws/announcements and send {"text":"hello"} from one.
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

static void announcements_handler(t4_ws *ws, t4_ws_event ev, t4_msg msg)
{
    if (ev == T4_WS_OPEN) {
        /* The joiner is already counted (and hears its own join). */
        t4_ws_broadcast_json(ws,
                             json_pack("{s:s, s:s, s:I}", "type", "system", "message", "A new user joined",
                                       "online_count", (json_int_t)t4_ws_connection_count(ws)),
                             false);
    } else if (ev == T4_WS_MESSAGE) {
        json_t *message = msg.binary ? NULL : json_loads(msg.data, 0, NULL);
        if (!json_is_object(message)) {
            t4_ws_send_json(ws,
                            json_pack("{s:s, s:s}", "type", "error", "message", "expected a JSON object"));
            json_decref(message);
            return;
        }
        const char *text = json_string_value(json_object_get(message, "text"));
        char now[40];
        iso_now(now);
        t4_ws_broadcast_json(ws,
                             json_pack("{s:s, s:s, s:s, s:s}", "type", "announcement", "from", t4_ws_id(ws),
                                       "text", text ? text : "", "timestamp", now),
                             false);
        json_decref(message);
    } else if (ev == T4_WS_CLOSE) {
        /* The leaver is no longer counted: online_count is who remains. */
        t4_ws_broadcast_json(ws,
                             json_pack("{s:s, s:s, s:I}", "type", "system", "message", "A user left",
                                       "online_count", (json_int_t)t4_ws_connection_count(ws)),
                             false);
    }
}
T4_WEBSOCKET("/ws/announcements", announcements_handler)

int main(void)
{
    return t4_run(NULL) == 0 ? 0 : 1;
}
