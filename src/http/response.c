/* SPDX-License-Identifier: MIT */
/* t4_res_*: building and queueing HTTP responses. */
#include "http/request.h"
#include "util/log.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *t4__status_text(int s)
{
    switch (s) {
    case 100:
        return "Continue";
    case 101:
        return "Switching Protocols";
    case 200:
        return "OK";
    case 201:
        return "Created";
    case 202:
        return "Accepted";
    case 204:
        return "No Content";
    case 206:
        return "Partial Content";
    case 301:
        return "Moved Permanently";
    case 302:
        return "Found";
    case 303:
        return "See Other";
    case 304:
        return "Not Modified";
    case 307:
        return "Temporary Redirect";
    case 308:
        return "Permanent Redirect";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 406:
        return "Not Acceptable";
    case 408:
        return "Request Timeout";
    case 409:
        return "Conflict";
    case 410:
        return "Gone";
    case 411:
        return "Length Required";
    case 412:
        return "Precondition Failed";
    case 413:
        return "Content Too Large";
    case 414:
        return "URI Too Long";
    case 415:
        return "Unsupported Media Type";
    case 416:
        return "Range Not Satisfiable";
    case 417:
        return "Expectation Failed";
    case 422:
        return "Unprocessable Content";
    case 426:
        return "Upgrade Required";
    case 429:
        return "Too Many Requests";
    case 431:
        return "Request Header Fields Too Large";
    case 500:
        return "Internal Server Error";
    case 501:
        return "Not Implemented";
    case 502:
        return "Bad Gateway";
    case 503:
        return "Service Unavailable";
    case 505:
        return "HTTP Version Not Supported";
    default:
        return "Unknown";
    }
}

/* A header name or value must not smuggle CR/LF into the response. */
static bool header_safe(const char *s)
{
    for (; *s; s++)
        if (*s == '\r' || *s == '\n')
            return false;
    return true;
}

int t4__http_write_response(t4__conn *c, int status, const char *content_type, const t4__res_header *extra,
                            const void *body, size_t len, bool head_only, bool keep_alive)
{
    if (len > (size_t)INT32_MAX)
        return T4_ETOOBIG; /* libuv buffers are 32-bit */
    char head[512];
    bool no_body_status = status == 204 || status == 304 || (status >= 100 && status < 200);
    int n = snprintf(head, sizeof head, "HTTP/1.1 %d %s\r\nDate: %s\r\nServer: tina4-c\r\n", status,
                     t4__status_text(status), t4__srv->date);
    size_t extra_len = 0;
    for (const t4__res_header *h = extra; h; h = h->next)
        extra_len += strlen(h->name) + strlen(h->value) + 4;
    size_t total = (size_t)n + extra_len + 128 + (content_type ? strlen(content_type) : 0) +
                   ((head_only || no_body_status) ? 0 : len);
    t4__sbuf *b = t4__sbuf_get(total);
    if (!b)
        return T4_ENOMEM;
    char *p = b->data;
    memcpy(p, head, (size_t)n);
    p += n;
    if (content_type && !no_body_status)
        p += sprintf(p, "Content-Type: %s\r\n", content_type);
    if (!no_body_status)
        p += sprintf(p, "Content-Length: %zu\r\n", len);
    for (const t4__res_header *h = extra; h; h = h->next)
        p += sprintf(p, "%s: %s\r\n", h->name, h->value);
    p += sprintf(p, "Connection: %s\r\n\r\n", keep_alive ? "keep-alive" : "close");
    if (!head_only && !no_body_status && len) {
        memcpy(p, body, len);
        p += len;
    }
    b->len = (size_t)(p - b->data);
    return t4__conn_queue(c, b);
}

void t4__http_fail(t4__conn *c, int status, const char *hname, const char *hvalue)
{
    t4__res_header h = {NULL, hname, hvalue};
    char body[128];
    int n = snprintf(body, sizeof body, "%d %s\n", status, t4__status_text(status));
    t4__http_write_response(c, status, "text/plain; charset=utf-8", hname ? &h : NULL, body, (size_t)n, false,
                            false);
    t4__conn_close_graceful(c);
}

int t4_res_header(t4_res *res, const char *name, const char *value)
{
    if (!res || !name || !value || !*name || !header_safe(name) || !header_safe(value) || strchr(name, ':')) {
        t4_log(T4_LOG_ERROR, "t4_res_header: invalid header name or value");
        return T4_EINVAL;
    }
    if (res->sent)
        return T4_ESTATE;
    t4__res_header *h = t4__arena_alloc(res->arena, sizeof *h);
    if (!h)
        return T4_ENOMEM;
    h->name = t4__arena_strndup(res->arena, name, strlen(name));
    h->value = t4__arena_strndup(res->arena, value, strlen(value));
    if (!h->name || !h->value)
        return T4_ENOMEM;
    h->next = NULL;
    if (res->headers_tail)
        res->headers_tail->next = h;
    else
        res->headers = h;
    res->headers_tail = h;
    return 0;
}

int t4_res_send(t4_res *res, int status, const char *content_type, const void *body, size_t len)
{
    if (!res || status < 100 || status > 999 || (len && !body) ||
        (content_type && !header_safe(content_type))) {
        t4_log(T4_LOG_ERROR, "t4_res_send: invalid argument");
        return T4_EINVAL;
    }
    if (res->sent) {
        t4_log(T4_LOG_ERROR, "t4_res_send: a response was already sent for this request");
        return T4_ESTATE;
    }
    res->sent = true;
    res->status = status;
    return t4__http_write_response(res->conn, status, content_type, res->headers, body, len, res->head_only,
                                   res->keep_alive);
}

/* NULL text is a bad argument (as t4_ws_send), not an empty body. */
static int null_body(const char *fn)
{
    t4_log(T4_LOG_ERROR, "%s: NULL body", fn);
    return T4_EINVAL;
}

int t4_res_text(t4_res *res, int status, const char *text)
{
    if (!text)
        return null_body("t4_res_text");
    return t4_res_send(res, status, "text/plain; charset=utf-8", text, strlen(text));
}

int t4_res_html(t4_res *res, int status, const char *html)
{
    if (!html)
        return null_body("t4_res_html");
    return t4_res_send(res, status, "text/html; charset=utf-8", html, strlen(html));
}

int t4_res_json(t4_res *res, int status, json_t *value)
{
    if (!value) {
        /* No effect, as every failed call: a handler that then sends
         * nothing still answers 500. */
        t4_log(T4_LOG_ERROR, "t4_res_json: NULL value (did json_pack fail?)");
        return T4_EINVAL;
    }
    char *s = json_dumps(value, JSON_COMPACT | JSON_ENCODE_ANY);
    json_decref(value);
    if (!s)
        return T4_ENOMEM;
    int r = t4_res_send(res, status, "application/json", s, strlen(s));
    free(s);
    return r;
}

int t4_res_printf(t4_res *res, int status, const char *content_type, const char *fmt, ...)
{
    size_t len;
    va_list ap;
    va_start(ap, fmt);
    char *s = t4__vformat(&len, fmt, ap);
    va_end(ap);
    if (!s)
        return fmt ? T4_ENOMEM : T4_EINVAL;
    int r = t4_res_send(res, status, content_type, s, len);
    free(s);
    return r;
}
