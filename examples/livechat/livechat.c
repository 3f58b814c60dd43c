/*
 * The live chat of the chapter's section 8: usernames, typing indicators and
 * per-room isolation on /ws/livechat/{room}. Run: build/examples/livechat
 * and connect to ws://localhost:7145/ws/livechat/general.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tina4.h>
#include <time.h>

typedef struct {
    char username[64];
} chat_user;

static void iso_now(char out[32])
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void livechat(t4_ws *ws, t4_ws_event ev, t4_msg msg)
{
    const char *room = t4_ws_param(ws, "room");
    chat_user *user = t4_ws_data(ws);
    char now[32];
    iso_now(now);

    if (ev == T4_WS_OPEN) {
        /* Per-connection data: the framework frees it after CLOSE. */
        user = calloc(1, sizeof *user);
        if (user)
            strcpy(user->username, "Anonymous");
        t4_ws_set_data(ws, user, free);
        char text[256];
        snprintf(text, sizeof text, "Connected to room: %s", room);
        t4_ws_send_json(ws, json_pack("{s:s, s:s, s:s, s:I}", "type", "welcome", "message", text, "your_id",
                                      t4_ws_id(ws), "online", (json_int_t)t4_ws_connection_count(ws)));
    } else if (ev == T4_WS_MESSAGE) {
        json_t *m = json_loads(msg.data, 0, NULL);
        if (!json_is_object(m)) {
            t4_ws_send_json(ws, json_pack("{s:s, s:s}", "type", "error", "message", "expected a JSON object"));
            json_decref(m);
            return;
        }
        const char *type = json_string_value(json_object_get(m, "type"));
        if (!type)
            type = "message";
        const char *name = user ? user->username : "Anonymous";
        if (strcmp(type, "set-username") == 0) {
            const char *nn = json_string_value(json_object_get(m, "username"));
            if (nn && user) {
                char text[200];
                snprintf(text, sizeof text, "%s is now known as %.63s", user->username, nn);
                snprintf(user->username, sizeof user->username, "%s", nn);
                t4_ws_broadcast_json(ws, json_pack("{s:s, s:s}", "type", "system", "message", text), false);
            }
        } else if (strcmp(type, "message") == 0) {
            const char *text = json_string_value(json_object_get(m, "text"));
            t4_ws_broadcast_json(ws,
                                 json_pack("{s:s, s:s, s:s, s:s, s:s}", "type", "message", "from", name, "from_id",
                                           t4_ws_id(ws), "text", text ? text : "", "timestamp", now),
                                 false);
        } else if (strcmp(type, "typing") == 0) {
            t4_ws_broadcast_json(ws, json_pack("{s:s, s:s}", "type", "typing", "username", name), true);
        }
        json_decref(m);
    } else if (ev == T4_WS_CLOSE) {
        char text[128];
        snprintf(text, sizeof text, "%s left the chat", user ? user->username : "Unknown");
        t4_ws_broadcast_json(ws,
                             json_pack("{s:s, s:s, s:I}", "type", "system", "message", text, "online",
                                       (json_int_t)t4_ws_connection_count(ws)),
                             false);
    }
}
T4_WEBSOCKET("/ws/livechat/{room}", livechat)

int main(void)
{
    return t4_run(NULL) == 0 ? 0 : 1;
}
