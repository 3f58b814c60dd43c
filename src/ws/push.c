/* SPDX-License-Identifier: MIT */
/*
 * Push to a path from anywhere (the chapter's push_to_websocket).
 *
 * On the loop thread a push is delivered at once. From any other thread it
 * goes on a mutex-guarded FIFO and one uv_async wakes the loop, which
 * delivers everything queued in call order. (libuv coalesces async wake-ups,
 * so one wake-up may carry many pushes.)
 */
#include "util/log.h"
#include "util/mem.h"
#include "ws/ws.h"
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

typedef struct push_item {
    struct push_item *next;
    uint8_t opcode;
    size_t path_len, len;
    char data[]; /* path, then payload */
} push_item;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static push_item *head, *tail;
static uv_async_t *wake;   /* the running loop's wake-up, NULL when none */
static size_t max_message; /* the running server's TINA4_WS_MAX_MESSAGE */

void t4__push_attach(uv_async_t *async, size_t max_msg)
{
    pthread_mutex_lock(&lock);
    wake = async;
    max_message = max_msg;
    pthread_mutex_unlock(&lock);
}

static size_t path_key_len(const char *path)
{
    const char *q = strchr(path, '?'); /* the query string never splits a group */
    return q ? (size_t)(q - path) : strlen(path);
}

static int push(const char *path, uint8_t opcode, const void *data, size_t len)
{
    if (!path || path[0] != '/' || (len && !data)) {
        t4_log(T4_LOG_ERROR, "t4_push: the path must start with '/' and data must not be NULL");
        return T4_EINVAL;
    }
    if (opcode == T4__WS_OP_TEXT && !t4__utf8_valid(data, len)) {
        t4_log(T4_LOG_ERROR, "t4_push: text is not valid UTF-8 (push it as binary)");
        return T4_EINVAL;
    }
    size_t plen = path_key_len(path);
    if (t4__on_loop_thread())
        return t4__ws_publish(path, plen, opcode, data, len, NULL);
    push_item *it = malloc(sizeof *it + plen + len + 1);
    if (!it)
        return T4_ENOMEM;
    it->next = NULL;
    it->opcode = opcode;
    it->path_len = plen;
    it->len = len;
    memcpy(it->data, path, plen);
    if (len)
        memcpy(it->data + plen, data, len);
    pthread_mutex_lock(&lock);
    if (!wake) {
        pthread_mutex_unlock(&lock);
        free(it);
        return T4_ESTATE; /* no server to deliver it */
    }
    if (len > max_message) {
        pthread_mutex_unlock(&lock);
        free(it);
        t4_log(T4_LOG_ERROR, "t4_push of %zu bytes refused: over TINA4_WS_MAX_MESSAGE (%zu)", len,
               max_message);
        return T4_ETOOBIG; /* refused now, not dropped later */
    }
    if (tail)
        tail->next = it;
    else
        head = it;
    tail = it;
    uv_async_send(wake);
    pthread_mutex_unlock(&lock);
    return 0;
}

void t4__push_drain(void)
{
    pthread_mutex_lock(&lock);
    push_item *list = head;
    head = tail = NULL;
    pthread_mutex_unlock(&lock);
    while (list) {
        push_item *next = list->next;
        t4__ws_publish(list->data, list->path_len, list->opcode, list->data + list->path_len, list->len,
                       NULL);
        free(list);
        list = next;
    }
}

void t4__push_reset(void)
{
    pthread_mutex_lock(&lock);
    wake = NULL;
    push_item *list = head;
    head = tail = NULL;
    pthread_mutex_unlock(&lock);
    while (list) {
        push_item *next = list->next;
        free(list);
        list = next;
    }
}

int t4_push_text(const char *path, const char *text, size_t len)
{
    return push(path, T4__WS_OP_TEXT, text, len);
}

int t4_push(const char *path, const char *text)
{
    if (!text) { /* a bad argument, not an empty message (as t4_ws_send) */
        t4_log(T4_LOG_ERROR, "t4_push: NULL text");
        return T4_EINVAL;
    }
    return push(path, T4__WS_OP_TEXT, text, strlen(text));
}

int t4_push_binary(const char *path, const void *data, size_t len)
{
    return push(path, T4__WS_OP_BINARY, data, len);
}

int t4_push_json(const char *path, json_t *value)
{
    if (!value) {
        t4_log(T4_LOG_ERROR, "t4_push_json: NULL value (did json_pack fail?)");
        return T4_EINVAL;
    }
    char *s = json_dumps(value, JSON_COMPACT | JSON_ENCODE_ANY);
    json_decref(value);
    if (!s)
        return T4_ENOMEM;
    int r = push(path, T4__WS_OP_TEXT, s, strlen(s));
    free(s);
    return r;
}

int t4_pushf(const char *path, const char *fmt, ...)
{
    size_t len;
    va_list ap;
    va_start(ap, fmt);
    char *s = t4__vformat(&len, fmt, ap);
    va_end(ap);
    if (!s)
        return fmt ? T4_ENOMEM : T4_EINVAL;
    int r = push(path, T4__WS_OP_TEXT, s, len);
    free(s);
    return r;
}
