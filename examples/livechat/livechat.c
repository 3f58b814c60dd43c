/* SPDX-License-Identifier: MIT */
/*
 * The live chat of the chapter's section 8: usernames, typing indicators and
 * per-room isolation on /ws/livechat/{room}, plus a chat page on frond.js
 * (sections 10-11). Run: build/examples/livechat and open
 * http://localhost:7145/chat/general?name=Alice in two tabs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <tina4.h>

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
        /* Not in section 8: tells the others the new count ("online", which
         * the chapter's page already displays; no "message", so nothing is
         * printed). */
        t4_ws_broadcast_json(
            ws, json_pack("{s:s, s:I}", "type", "join", "online", (json_int_t)t4_ws_connection_count(ws)),
            true);
    } else if (ev == T4_WS_MESSAGE) {
        json_t *m = json_loads(msg.data, 0, NULL);
        if (!json_is_object(m)) {
            t4_ws_send_json(ws,
                            json_pack("{s:s, s:s}", "type", "error", "message", "expected a JSON object"));
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
                                 json_pack("{s:s, s:s, s:s, s:s, s:s}", "type", "message", "from", name,
                                           "from_id", t4_ws_id(ws), "text", text ? text : "", "timestamp",
                                           now),
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

/* The chat page (GET / and GET /chat/{room}), on frond.js's WebSocket client
 * (served by every tina4-c server at /js/frond.js): it reconnects by itself
 * and buffers what is sent while disconnected. The name comes from a form,
 * prefilled from ?name= (no prompt()); everything from the server is shown
 * with textContent, never innerHTML. */
static const char page[] =
    "<!doctype html>\n"
    "<html><head><meta charset=utf-8><meta name=viewport content='width=device-width, initial-scale=1'>\n"
    "<title>Live chat</title>\n"
    "<style>\n"
    "body { font-family: system-ui, sans-serif; max-width: 720px; margin: 2em auto; padding: 0 1em; }\n"
    "#messages { border: 1px solid #ddd; height: 320px; overflow-y: auto; padding: 8px; }\n"
    "#messages div { margin-bottom: 6px; }\n"
    ".system { color: #888; font-style: italic; }\n"
    "#typing { color: #888; height: 1.4em; font-style: italic; }\n"
    "form { display: flex; gap: 8px; margin: 8px 0; }\n"
    "form input { flex: 1; padding: 6px; }\n"
    "</style></head><body>\n"
    "<h1>Live chat: <span id=room></span></h1>\n"
    "<p><span id=status>Connecting...</span> &middot; <span id=online>Online: 0</span></p>\n"
    "<form id=name-form><input id=name placeholder='Your name' maxlength=63><button>Set "
    "name</button></form>\n"
    "<div id=messages></div>\n"
    "<div id=typing></div>\n"
    "<form id=chat-form><input id=text placeholder='Type a message...' "
    "autocomplete=off><button>Send</button></form>\n"
    "<script src='/js/frond.js'></script>\n"
    "<script>\n"
    "(function () {\n"
    "  'use strict';\n"
    "  const $ = (id) => document.getElementById(id);\n"
    "  const room = decodeURIComponent(location.pathname.split('/').filter(Boolean)[1] || 'general');\n"
    "  $('room').textContent = room;\n"
    "  document.title = 'Live chat: ' + room;\n"
    "  let username = (new URLSearchParams(location.search).get('name') || '').trim();\n"
    "  $('name').value = username;\n"
    "\n"
    "  // Everything from the server is shown with textContent, never innerHTML.\n"
    "  function show(text, from) {\n"
    "    const div = document.createElement('div');\n"
    "    if (from !== undefined) {\n"
    "      const b = document.createElement('strong');\n"
    "      b.textContent = from + ': ';\n"
    "      div.appendChild(b);\n"
    "      div.appendChild(document.createTextNode(text));\n"
    "      div.className = 'msg';\n"
    "    } else {\n"
    "      div.textContent = text;\n"
    "      div.className = 'system';\n"
    "    }\n"
    "    const box = $('messages');\n"
    "    box.appendChild(div);\n"
    "    box.scrollTop = box.scrollHeight;\n"
    "  }\n"
    "\n"
    "  const ws = frond.ws('/ws/livechat/' + encodeURIComponent(room));\n"
    "\n"
    "  // The server forgets our name when the connection drops. frond.js sends\n"
    "  // what was buffered before the open handlers run, so the name is queued\n"
    "  // as soon as a connection ends: it then goes first on the next one, ahead\n"
    "  // of anything typed during the outage.\n"
    "  let nameQueued = false;\n"
    "  function queueName() {\n"
    "    if (username && !nameQueued) {\n"
    "      nameQueued = true;\n"
    "      ws.sendJson({ type: 'set-username', username: username });\n"
    "    }\n"
    "  }\n"
    "  queueName();\n"
    "\n"
    "  ws.on('open', function () {\n"
    "    nameQueued = false;\n"
    "    $('status').textContent = 'Connected';\n"
    "  });\n"
    "  ws.on('close', function (code, reason, willReconnect) {\n"
    "    $('status').textContent = willReconnect ? 'Disconnected. Reconnecting...' : 'Disconnected';\n"
    "    queueName();\n"
    "  });\n"
    "  ws.on('reconnect', function (attempt) {\n"
    "    $('status').textContent = 'Reconnecting... attempt ' + attempt;\n"
    "  });\n"
    "  ws.on('reconnect_failed', function () {\n"
    "    $('status').textContent = 'Could not reconnect; reload the page to try again';\n"
    "  });\n"
    "  ws.on('overflow', function () {\n"
    "    show('Offline too long: an unsent message was dropped');\n"
    "  });\n"
    "\n"
    "  let typingTimer = null;\n"
    "  ws.on('message', function (data) {\n"
    "    let msg;\n"
    "    try { msg = JSON.parse(data); } catch (e) { return; }\n"
    "    if (!msg || typeof msg !== 'object') return;\n"
    "    if (msg.type === 'message') {\n"
    "      show(String(msg.text), String(msg.from));\n"
    "    } else if (msg.type === 'typing') {\n"
    "      $('typing').textContent = msg.username + ' is typing...';\n"
    "      clearTimeout(typingTimer);\n"
    "      typingTimer = setTimeout(function () { $('typing').textContent = ''; }, 2000);\n"
    "    } else if (typeof msg.message === 'string') {\n"
    "      show(msg.message);\n"
    "    }\n"
    "    if (msg.online !== undefined) $('online').textContent = 'Online: ' + msg.online;\n"
    "  });\n"
    "\n"
    "  $('name-form').addEventListener('submit', function (e) {\n"
    "    e.preventDefault();\n"
    "    const n = $('name').value.trim();\n"
    "    if (!n) return;\n"
    "    username = n;\n"
    "    ws.sendJson({ type: 'set-username', username: n });\n"
    "    const url = new URL(location.href);\n"
    "    url.searchParams.set('name', n);\n"
    "    history.replaceState(null, '', url);\n"
    "  });\n"
    "  $('chat-form').addEventListener('submit', function (e) {\n"
    "    e.preventDefault();\n"
    "    const input = $('text');\n"
    "    if (input.value.trim()) {\n"
    "      ws.sendJson({ type: 'message', text: input.value });\n"
    "      input.value = '';\n"
    "    }\n"
    "  });\n"
    "  let lastTyping = 0;\n"
    "  $('text').addEventListener('input', function () {\n"
    "    if (ws.connected && Date.now() - lastTyping > 1000) {\n"
    "      lastTyping = Date.now();\n"
    "      ws.sendJson({ type: 'typing' });\n"
    "    }\n"
    "  });\n"
    "})();\n"
    "</script>\n"
    "</body></html>\n";

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
