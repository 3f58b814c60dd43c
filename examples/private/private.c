/* SPDX-License-Identifier: MIT */
/*
 * Section 5, "Sending to a Single Client": /ws/private answers only the
 * client that asked. {"action":"get-time"} -> {"type":"time","server_time"}
 * and {"action":"get-status"} -> {"type":"status","uptime","connections",
 * "memory_mb"} (connections = this path's connection_count, memory_mb = the
 * resident set from /proc/self/statm, rounded to 2 decimals).
 *
 * Run build/examples/private, connect to ws://localhost:7145/ws/private and
 * send {"action":"get-status"}.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <tina4.h>
#include <unistd.h>

static time_t started;

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

/* psutil.Process().memory_info().rss in MiB, from /proc/self/statm. */
static double memory_mb(void)
{
    unsigned long size = 0, resident = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f)
        return 0;
    int n = fscanf(f, "%lu %lu", &size, &resident);
    fclose(f);
    if (n != 2)
        return 0;
    double mb = (double)resident * (double)sysconf(_SC_PAGESIZE) / 1024.0 / 1024.0;
    return round(mb * 100.0) / 100.0;
}

static void private_handler(t4_ws *ws, t4_ws_event ev, t4_msg msg)
{
    if (ev != T4_WS_MESSAGE)
        return;
    json_t *message = msg.binary ? NULL : json_loads(msg.data, 0, NULL);
    if (!json_is_object(message)) {
        t4_ws_send_json(ws, json_pack("{s:s, s:s}", "type", "error", "message", "expected a JSON object"));
        json_decref(message);
        return;
    }
    const char *action = json_string_value(json_object_get(message, "action"));
    if (!action)
        action = "";
    if (strcmp(action, "get-time") == 0) {
        char now[40];
        iso_now(now);
        t4_ws_send_json(ws, json_pack("{s:s, s:s}", "type", "time", "server_time", now));
    }
    if (strcmp(action, "get-status") == 0) {
        t4_ws_send_json(ws, json_pack("{s:s, s:I, s:I, s:f}", "type", "status", "uptime",
                                      (json_int_t)(time(NULL) - started), "connections",
                                      (json_int_t)t4_ws_connection_count(ws), "memory_mb", memory_mb()));
    }
    json_decref(message);
}
T4_WEBSOCKET("/ws/private", private_handler)

int main(void)
{
    started = time(NULL);
    return t4_run(NULL) == 0 ? 0 : 1;
}
