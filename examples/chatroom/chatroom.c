/* SPDX-License-Identifier: MIT */
/*
 * The exercise of the chapter's sections 12-13: a chat room.
 *   GET /room/{room_name}     the chat page (Frond templates room.html + base.html)
 *   /ws/room/{room_name}      open: welcome with the count; "set-name"; "chat";
 *                             close: "<name> left the room" with the count
 * `make run` serves it: open http://localhost:7145/room/general in two tabs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <tina4.h>

typedef struct {
    char name[64];
} member;

static json_int_t online(t4_ws *ws)
{
    return (json_int_t)t4_ws_connection_count(ws);
}

static void room_ws(t4_ws *ws, t4_ws_event ev, t4_msg msg)
{
    const char *room = t4_ws_param(ws, "room_name");
    member *m = t4_ws_data(ws);

    if (ev == T4_WS_OPEN) {
        m = calloc(1, sizeof *m);
        if (m)
            strcpy(m->name, "Anonymous");
        t4_ws_set_data(ws, m, free); /* freed by the framework after CLOSE */
        char text[256];
        snprintf(text, sizeof text,
                 "Welcome to room: %s. Set your name with: {\"type\": \"set-name\", \"name\": \"YourName\"}",
                 room);
        t4_ws_send_json(
            ws, json_pack("{s:s, s:s, s:I}", "type", "system", "message", text, "online", online(ws)));
        t4_ws_broadcast_json(ws,
                             json_pack("{s:s, s:s, s:I}", "type", "system", "message", "A new user joined",
                                       "online", online(ws)),
                             true);
    } else if (ev == T4_WS_MESSAGE) {
        json_t *in = json_loads(msg.data, 0, NULL);
        const char *type = json_string_value(json_object_get(in, "type"));
        if (!json_is_object(in) || !m) {
            t4_ws_send_json(ws,
                            json_pack("{s:s, s:s}", "type", "error", "message", "expected a JSON object"));
        } else if (type && strcmp(type, "set-name") == 0) {
            const char *name = json_string_value(json_object_get(in, "name"));
            char text[200];
            snprintf(text, sizeof text, "%s changed their name to %.63s", m->name, name ? name : "Anonymous");
            snprintf(m->name, sizeof m->name, "%s", name && *name ? name : "Anonymous");
            t4_ws_broadcast_json(ws, json_pack("{s:s, s:s}", "type", "system", "message", text), false);
        } else if (!type || strcmp(type, "chat") == 0) {
            const char *text = json_string_value(json_object_get(in, "text"));
            char stamp[16];
            time_t now = time(NULL);
            struct tm tm;
            gmtime_r(&now, &tm);
            strftime(stamp, sizeof stamp, "%H:%M:%S", &tm);
            t4_ws_broadcast_json(ws,
                                 json_pack("{s:s, s:s, s:s, s:s}", "type", "chat", "from", m->name, "text",
                                           text ? text : "", "timestamp", stamp),
                                 false);
        }
        json_decref(in);
    } else if (ev == T4_WS_CLOSE) {
        char text[128];
        snprintf(text, sizeof text, "%s left the room", m ? m->name : "Anonymous");
        t4_ws_broadcast_json(
            ws, json_pack("{s:s, s:s, s:I}", "type", "system", "message", text, "online", online(ws)), false);
    }
}
T4_WEBSOCKET("/ws/room/{room_name}", room_ws)

static void room_page(t4_req *req, t4_res *res)
{
    t4_res_template(res, 200, "room.html", json_pack("{s:s}", "room", t4_req_param(req, "room_name")));
}
T4_GET("/room/{room_name}", room_page)

static void home(t4_req *req, t4_res *res)
{
    (void)req;
    t4_res_header(res, "Location", "/room/general");
    t4_res_text(res, 302, "See /room/general\n");
}
T4_GET("/", home)

int main(void)
{
    /* The templates ship beside this file; TINA4_TEMPLATES overrides. */
    setenv("TINA4_TEMPLATES", T4_EXAMPLE_DIR "/templates", 0);
    return t4_run(NULL) == 0 ? 0 : 1;
}
