/* SPDX-License-Identifier: MIT */
/*
 * The exercise of the chapter's sections 12-13: a chat room, with history
 * and presence.
 *   GET /room/{room_name}      the chat page (Frond templates room.html + base.html)
 *   /ws/room/{room_name}?name= the room: the last 200 messages (a day at most)
 *                              are kept, so a page joining shows the last 50
 *                              and a connection that drops misses nothing;
 *                              who is here comes from presence ({"name",
 *                              "typing"}). Messages in: {"type":"chat","text",
 *                              "cid"}, {"type":"set-name","name"},
 *                              {"type":"typing","typing":bool}. Out:
 *                              {"type":"chat","from","text","cid","ts"} (ts in
 *                              ms since the epoch: the page shows local time)
 * `make run` serves it: open http://localhost:7145/room/general in two tabs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <tina4.h>

typedef struct {
    char name[64];
    bool typing;
} member;

static void announce(t4_ws *ws, const member *m)
{
    t4_ws_set_presence(ws, json_pack("{s:s, s:b}", "name", m->name, "typing", m->typing));
}

static void room_ws(t4_ws *ws, t4_ws_event ev, t4_msg msg)
{
    member *m = t4_ws_data(ws);
    if (ev == T4_WS_OPEN) {
        m = calloc(1, sizeof *m);
        if (!m)
            return;
        const char *name = t4_ws_param(ws, "name");
        snprintf(m->name, sizeof m->name, "%s", name && *name ? name : "Anonymous");
        t4_ws_set_data(ws, m, free); /* freed by the framework after CLOSE */
        announce(ws, m);             /* one "joined" line per user, with the name */
        return;
    }
    if (ev != T4_WS_MESSAGE || !m)
        return; /* leaving is told by presence */
    json_t *in = json_loads(msg.data, 0, NULL);
    const char *type = json_string_value(json_object_get(in, "type"));
    if (!json_is_object(in) || !type) {
        t4_ws_send_json(ws, json_pack("{s:s, s:s}", "type", "error", "message", "expected a JSON object"));
    } else if (strcmp(type, "set-name") == 0) {
        const char *name = json_string_value(json_object_get(in, "name"));
        snprintf(m->name, sizeof m->name, "%s", name && *name ? name : "Anonymous");
        announce(ws, m);
    } else if (strcmp(type, "typing") == 0) {
        bool typing = json_is_true(json_object_get(in, "typing"));
        if (typing != m->typing) {
            m->typing = typing; /* presence, not a message: typing is not kept in history */
            announce(ws, m);
        }
    } else if (strcmp(type, "chat") == 0) {
        const char *text = json_string_value(json_object_get(in, "text"));
        const char *cid = json_string_value(json_object_get(in, "cid"));
        struct timeval tv;
        gettimeofday(&tv, NULL);
        m->typing = false;
        t4_ws_broadcast_json(ws,
                             json_pack("{s:s, s:s, s:s, s:s, s:I}", "type", "chat", "from", m->name, "text",
                                       text ? text : "", "cid", cid ? cid : "", "ts",
                                       (json_int_t)tv.tv_sec * 1000 + tv.tv_usec / 1000),
                             false);
        announce(ws, m);
    }
    json_decref(in);
}
T4_WEBSOCKET_WITH("/ws/room/{room_name}", room_ws, .history_size = 200, .history_ttl = 86400,
                  .presence_events = true)

static void room_page(t4_req *req, t4_res *res)
{
    t4_res_template(res, 200, "room.html", json_pack("{s:s}", "room", t4_req_param(req, "room_name")));
}
T4_GET("/room/{room_name}", room_page)

/* A favicon without a file: a speech bubble in SVG. */
static void favicon(t4_req *req, t4_res *res)
{
    (void)req;
    static const char svg[] = "<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 32 32'>"
                              "<path d='M4 6h24v15H13l-6 5v-5H4z' fill='#2f6fed'/>"
                              "<circle cx='11' cy='13.5' r='2' fill='#fff'/><circle cx='16' cy='13.5' r='2' "
                              "fill='#fff'/><circle cx='21' cy='13.5' r='2' fill='#fff'/></svg>";
    t4_res_header(res, "Cache-Control", "public, max-age=86400");
    t4_res_send(res, 200, "image/svg+xml", svg, sizeof svg - 1);
}
T4_GET("/favicon.svg", favicon)

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
