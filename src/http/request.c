/* SPDX-License-Identifier: MIT */
/* t4_req_*: read-only views of the request, decoded lazily into its arena. */
#include "http/request.h"
#include "util/log.h"
#include <strings.h>

typedef struct {
    t4__arena *a;
    t4__pair *head, **tail;
} pair_ctx;

static void add_pair(const char *name, const char *value, void *ctx)
{
    pair_ctx *pc = ctx;
    t4__pair *p = t4__arena_alloc(pc->a, sizeof *p);
    if (!p)
        return;
    p->name = t4__arena_strndup(pc->a, name, strlen(name));
    p->value = t4__arena_strndup(pc->a, value, strlen(value));
    p->next = NULL;
    if (!p->name || !p->value)
        return;
    *pc->tail = p;
    pc->tail = &p->next;
}

t4__pair *t4__pairs_from_query(t4__arena *a, const char *s, size_t n)
{
    pair_ctx pc = {a, NULL, NULL};
    pc.tail = &pc.head;
    t4__parse_query(s, n, add_pair, &pc);
    return pc.head;
}

t4__pair *t4__pairs_from_cookies(t4__arena *a, const char *s, size_t n)
{
    pair_ctx pc = {a, NULL, NULL};
    pc.tail = &pc.head;
    t4__parse_cookies(s, n, add_pair, &pc);
    return pc.head;
}

const char *t4__pairs_get(const t4__pair *p, const char *name)
{
    for (; p; p = p->next)
        if (strcmp(p->name, name) == 0)
            return p->value;
    return NULL;
}

const char *t4_req_method(const t4_req *req)
{
    return req ? req->method : NULL;
}

const char *t4_req_path(const t4_req *req)
{
    return req ? req->path : NULL;
}

const char *t4_req_query_string(const t4_req *req)
{
    return req ? req->query_string : NULL;
}

const char *t4_req_query(const t4_req *req_c, const char *name)
{
    t4_req *req = (t4_req *)req_c; /* lazily filled cache */
    if (!req || !name)
        return NULL;
    if (!req->query_parsed) {
        req->query_parsed = true;
        req->query = t4__pairs_from_query(req->arena, req->head->query.p, req->head->query.n);
    }
    return t4__pairs_get(req->query, name);
}

const char *t4_req_param(const t4_req *req_c, const char *name)
{
    t4_req *req = (t4_req *)req_c;
    if (!req || !name)
        return NULL;
    for (size_t i = 0; i < req->nparams; i++) {
        if (strcmp(req->params[i].name, name) == 0) {
            if (!req->param_values) {
                req->param_values = t4__arena_alloc(req->arena, sizeof(char *) * T4__MAX_PARAMS);
                if (!req->param_values)
                    return NULL;
                memset(req->param_values, 0, sizeof(char *) * T4__MAX_PARAMS);
            }
            if (!req->param_values[i])
                req->param_values[i] =
                    t4__arena_strndup(req->arena, req->params[i].value, req->params[i].value_len);
            return req->param_values[i];
        }
    }
    return t4_req_query(req, name);
}

const char *t4_req_header(const t4_req *req, const char *name)
{
    if (!req || !name)
        return NULL;
    const t4__http_header *h = t4__http_find_header(req->head, name);
    if (!h)
        return NULL;
    return t4__arena_strndup(req->arena, h->value.p, h->value.n);
}

const char *t4_req_cookie(const t4_req *req_c, const char *name)
{
    t4_req *req = (t4_req *)req_c;
    if (!req || !name)
        return NULL;
    if (!req->cookies_parsed) {
        req->cookies_parsed = true;
        const t4__http_header *h = t4__http_find_header(req->head, "Cookie");
        if (h)
            req->cookies = t4__pairs_from_cookies(req->arena, h->value.p, h->value.n);
    }
    return t4__pairs_get(req->cookies, name);
}

const char *t4_req_remote_addr(const t4_req *req)
{
    if (!req)
        return NULL;
    char addr[64];
    if (t4__conn_peer_addr(req->conn, addr, sizeof addr) != 0)
        return NULL;
    return t4__arena_strndup(req->arena, addr, strlen(addr));
}

const char *t4_req_body(const t4_req *req, size_t *len)
{
    if (!req) {
        if (len)
            *len = 0;
        return NULL;
    }
    if (len)
        *len = req->body_len;
    return req->body;
}

json_t *t4_req_json(t4_req *req)
{
    if (!req)
        return NULL;
    if (!req->json_tried) {
        req->json_tried = true;
        if (req->body_len > 0)
            req->json = json_loadb(req->body, req->body_len, JSON_DECODE_ANY, NULL);
    }
    return req->json;
}

const char *t4_req_form(t4_req *req, const char *name)
{
    if (!req || !name)
        return NULL;
    if (!req->form_parsed) {
        req->form_parsed = true;
        const t4__http_header *ct = t4__http_find_header(req->head, "Content-Type");
        if (ct && ct->value.n >= 33 && strncasecmp(ct->value.p, "application/x-www-form-urlencoded", 33) == 0)
            req->form = t4__pairs_from_query(req->arena, req->body, req->body_len);
    }
    return t4__pairs_get(req->form, name);
}
