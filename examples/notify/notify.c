/* SPDX-License-Identifier: MIT */
/*
 * Section 9, "Live Notifications": per-user channels on
 * /ws/notifications/{user_id}, and an HTTP endpoint that pushes to one of
 * them. POST /api/orders/{order_id}/ship with a JSON body {"user_id": 42}
 * pushes an "Order Shipped" notification to /ws/notifications/42 (only that
 * path: /ws/notifications/4 and /420 hear nothing) and answers
 * {"message": "Order shipped, user notified"}.
 *
 * Run build/examples/notify, connect to
 * ws://localhost:7145/ws/notifications/42, then
 *   curl -X POST -d '{"user_id":42}' localhost:7145/api/orders/7/ship
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

static void notification_handler(t4_ws *ws, t4_ws_event ev, t4_msg msg)
{
    const char *user_id = t4_ws_param(ws, "user_id");

    if (ev == T4_WS_OPEN) {
        t4_log(T4_LOG_INFO, "[Notifications] User %s connected", user_id);
        t4_ws_send_json(
            ws, json_pack("{s:s, s:s}", "type", "connected", "message", "Listening for notifications"));
    } else if (ev == T4_WS_MESSAGE) {
        json_t *message = msg.binary ? NULL : json_loads(msg.data, 0, NULL);
        if (!json_is_object(message)) {
            t4_ws_send_json(ws,
                            json_pack("{s:s, s:s}", "type", "error", "message", "expected a JSON object"));
            json_decref(message);
            return;
        }
        const char *type = json_string_value(json_object_get(message, "type"));
        if (type && strcmp(type, "mark-read") == 0) {
            char *id = json_dumps(json_object_get(message, "id"), JSON_ENCODE_ANY);
            t4_log(T4_LOG_INFO, "[Notifications] User %s read notification %s", user_id, id ? id : "?");
            free(id);
        }
        json_decref(message);
    }
}
T4_WEBSOCKET("/ws/notifications/{user_id}", notification_handler)

static void ship_order(t4_req *req, t4_res *res)
{
    const char *order_id = t4_req_param(req, "order_id");
    json_t *body = t4_req_json(req); /* borrowed */
    if (!json_is_object(body)) {
        t4_res_json(res, 400, json_pack("{s:s}", "error", "expected a JSON object body"));
        return;
    }
    /* request.body.get("user_id", 0): a number or a string. */
    json_t *uid = json_object_get(body, "user_id");
    char user_id[64] = "0";
    if (json_is_integer(uid))
        snprintf(user_id, sizeof user_id, "%" JSON_INTEGER_FORMAT, json_integer_value(uid));
    else if (json_is_string(uid))
        snprintf(user_id, sizeof user_id, "%s", json_string_value(uid));

    /* Update order status in database... */

    char path[128], text[128], url[128], now[40];
    snprintf(path, sizeof path, "/ws/notifications/%s", user_id);
    snprintf(text, sizeof text, "Your order #%s has been shipped!", order_id);
    snprintf(url, sizeof url, "/orders/%s", order_id);
    iso_now(now);
    t4_push_json(path, json_pack("{s:s, s:s, s:s, s:s, s:s}", "type", "notification", "title",
                                 "Order Shipped", "message", text, "action_url", url, "timestamp", now));
    t4_res_json(res, 200, json_pack("{s:s}", "message", "Order shipped, user notified"));
}
T4_POST("/api/orders/{order_id}/ship", ship_order)

int main(void)
{
    return t4_run(NULL) == 0 ? 0 : 1;
}
