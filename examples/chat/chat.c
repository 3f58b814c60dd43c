/* SPDX-License-Identifier: MIT */
/*
 * Section 4, "A Complete Handler": /ws/chat answers all three events.
 * OPEN sends a system welcome with your_id; every message comes back to its
 * sender as {"type":"message","from":id,"text":...,"timestamp":...}, where
 * text is the message's "text" field (or the raw message when it has none).
 *
 * Run build/examples/chat, connect to ws://localhost:7145/ws/chat and send
 * {"text":"hello"}.
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

static void chat_handler(t4_ws *ws, t4_ws_event ev, t4_msg msg)
{
    if (ev == T4_WS_OPEN) {
        t4_log(T4_LOG_INFO, "[Chat] New connection: %s", t4_ws_id(ws));
        t4_ws_send_json(ws, json_pack("{s:s, s:s, s:s}", "type", "system", "message", "Welcome to the chat!",
                                      "your_id", t4_ws_id(ws)));
    } else if (ev == T4_WS_MESSAGE) {
        json_t *message = msg.binary ? NULL : json_loads(msg.data, 0, NULL);
        if (!message) {
            t4_ws_send_json(ws, json_pack("{s:s, s:s}", "type", "error", "message", "expected JSON"));
            return;
        }
        /* message.get("text", data): the text field, else the whole message. */
        json_t *text = json_is_object(message) ? json_object_get(message, "text") : NULL;
        text = text ? json_incref(text) : json_string(msg.data);
        t4_log(T4_LOG_INFO, "[Chat] %s: %.200s", t4_ws_id(ws), msg.data);
        char now[40];
        iso_now(now);
        t4_ws_send_json(ws, json_pack("{s:s, s:s, s:o, s:s}", "type", "message", "from", t4_ws_id(ws), "text",
                                      text, "timestamp", now));
        json_decref(message);
    } else if (ev == T4_WS_CLOSE) {
        t4_log(T4_LOG_INFO, "[Chat] Disconnected: %s", t4_ws_id(ws));
    }
}
T4_WEBSOCKET("/ws/chat", chat_handler)

int main(void)
{
    return t4_run(NULL) == 0 ? 0 : 1;
}
