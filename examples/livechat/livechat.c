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

/* A bare page for trying the chat in a browser (the full Frond chat page of
 * sections 11-13 is the templates issue). Messages are shown with
 * textContent, never innerHTML. */
static const char page[] =
    "<!doctype html><html><head><meta charset=utf-8><title>Live chat</title></head><body>"
    "<h1>Live chat: <span id=room></span></h1><p id=status>Connecting...</p><p id=online>Online: 0</p>"
    "<form id=name-form><input id=name placeholder='Your name'><button>Set name</button></form>"
    "<div id=messages style='border:1px solid #ddd;height:300px;overflow-y:auto;padding:8px'></div>"
    "<div id=typing style='color:#888;height:1.2em'></div>"
    "<form id=chat-form><input id=text placeholder='Type a message...' style='width:70%'>"
    "<button>Send</button></form><script>\n"
    "const room = decodeURIComponent(location.pathname.split('/').filter(Boolean)[1] || 'general');\n"
    "document.getElementById('room').textContent = room;\n"
    "const ws = new WebSocket((location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host +"
    " '/ws/livechat/' + encodeURIComponent(room));\n"
    "const show = (t, style) => { const d = document.createElement('div'); d.textContent = t;"
    " if (style) d.style.cssText = style; const m = document.getElementById('messages');"
    " m.appendChild(d); m.scrollTop = m.scrollHeight; };\n"
    "ws.onopen = () => { document.getElementById('status').textContent = 'Connected';"
    " const n = new URLSearchParams(location.search).get('name'); if (n) { "
    "document.getElementById('name').value = n; ws.send(JSON.stringify({type:'set-username', username:n})); } };\n"
    "ws.onclose = () => { document.getElementById('status').textContent = 'Disconnected'; };\n"
    "ws.onmessage = (e) => { const m = JSON.parse(e.data);\n"
    " if (m.type === 'message') show(m.from + ': ' + m.text);\n"
    " else if (m.type === 'typing') { const t = document.getElementById('typing');"
    " t.textContent = m.username + ' is typing...'; setTimeout(() => { t.textContent = ''; }, 2000); }\n"
    " else if (m.message) show(m.message, 'color:#888;font-style:italic');\n"
    " if (m.online !== undefined) document.getElementById('online').textContent = 'Online: ' + m.online; };\n"
    "document.getElementById('name-form').onsubmit = (e) => { e.preventDefault();"
    " ws.send(JSON.stringify({type:'set-username', username: document.getElementById('name').value})); };\n"
    "document.getElementById('chat-form').onsubmit = (e) => { e.preventDefault();"
    " const i = document.getElementById('text'); if (i.value.trim()) { ws.send(JSON.stringify({type:'message',"
    " text: i.value})); i.value = ''; } };\n"
    "document.getElementById('text').oninput = () => ws.send(JSON.stringify({type:'typing'}));\n"
    "</script></body></html>";

static void chat_page(t4_req *req, t4_res *res)
{
    (void)req;
    t4_res_html(res, 200, page);
}
T4_GET("/", chat_page)
T4_GET("/chat/{room}", chat_page)

int main(void)
{
    return t4_run(NULL) == 0 ? 0 : 1;
}
