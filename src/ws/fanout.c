/* SPDX-License-Identifier: MIT */
/*
 * Broadcasts and pushes: a message gets its position when its path keeps
 * history (history.h), then goes to every open member of the path's group,
 * then to the backplane.
 *
 * Each frame variant is encoded once and shared by all the recipients that
 * need it: raw clients get today's bytes (plain, or compressed per deflate
 * window size); tina4.v1 clients get the same message behind its v1 head
 * (v1.h), also encoded once for all of them.
 */
#include "backplane/backplane.h"
#include "util/log.h"
#include "ws/deflate.h"
#include "ws/v1.h"
#include "ws/ws.h"
#include <stdlib.h>
#include <string.h>

/* One message as some recipients see it, with its frames made on first need. */
typedef struct {
    uint8_t opcode;
    const char *data;
    size_t len;
    t4__sbuf *plain, *z[7]; /* z[i]: window bits 9 + i; NULL when it did not shrink */
    unsigned tried;
} variant;

static t4__sbuf *frame_for(variant *v, const t4_ws *m)
{
    if (m->pmd_wbits >= 9 && v->len >= t4__srv->cfg.ws_compression_min) {
        unsigned i = m->pmd_wbits - 9u;
        if (!(v->tried & (1u << i))) {
            v->tried |= 1u << i;
            v->z[i] = t4__pmd_frame(v->opcode, v->data, v->len, m->pmd_wbits);
        }
        if (v->z[i])
            return v->z[i];
    }
    if (!v->plain)
        v->plain = t4__ws_frame_new(v->opcode, v->data, v->len);
    return v->plain;
}

static void variant_free(variant *v)
{
    if (v->plain)
        t4__sbuf_release(v->plain);
    for (int i = 0; i < 7; i++)
        if (v->z[i])
            t4__sbuf_release(v->z[i]);
}

static int queue(t4_ws *m, t4__sbuf *f)
{
    t4__sbuf_ref(f);
    return t4__ws_queue_frame(m, f);
}

/* The v1 form of a text message: head + text in one buffer (malloc'd). */
static char *v1_text(const char *head, size_t hl, const void *data, size_t len)
{
    char *s = malloc(hl + len + 1);
    if (s) {
        memcpy(s, head, hl);
        if (len)
            memcpy(s + hl, data, len);
    }
    return s;
}

/* Delivers one message to the open members of g; epoch 0 means the message
 * has no position. Returns the number of recipients or T4_ENOMEM. */
int t4__ws_fanout(t4__group *g, uint8_t opcode, const void *data, size_t len, const t4_ws *exclude,
                  uint64_t epoch, uint64_t offset)
{
    variant raw = {opcode, data, len, NULL, {0}, 0};
    variant v1 = {opcode, NULL, 0, NULL, {0}, 0};
    char *v1buf = NULL;
    t4__sbuf *pre = NULL, *skip = NULL; /* "b" head before a binary; "s" for the sender */
    int n = 0, r = 0;
    for (t4_ws *m = t4__group_first(g), *next; m; m = next) {
        next = m->gnext; /* m may leave the group (1013) while we loop */
        if (m->phase != T4__WS_OPEN)
            continue;
        char head[T4__V1_MAX_HEAD];
        if (m == exclude) {
            /* A v1 sender skips its own message but must not be replayed it
             * on resume: it is told the position it is past. */
            if (m->v1 && epoch) {
                if (!skip &&
                    !(skip = t4__ws_frame_new(T4__WS_OP_TEXT, head, t4__v1_head(head, 's', epoch, offset))))
                    goto nomem;
                queue(m, skip);
            }
            continue;
        }
        t4__sbuf *f;
        if (!m->v1) {
            f = frame_for(&raw, m);
        } else if (opcode == T4__WS_OP_TEXT) {
            if (!v1.data) {
                size_t hl = epoch ? t4__v1_head(head, 'p', epoch, offset) : (head[0] = '.', 1);
                if (!(v1buf = v1_text(head, hl, data, len)))
                    goto nomem;
                v1.data = v1buf;
                v1.len = hl + len;
            }
            f = frame_for(&v1, m);
        } else {
            if (epoch) {
                if (!pre &&
                    !(pre = t4__ws_frame_new(T4__WS_OP_TEXT, head, t4__v1_head(head, 'b', epoch, offset))))
                    goto nomem;
                if (queue(m, pre) != 0)
                    continue;
            }
            f = frame_for(&raw, m);
        }
        if (!f)
            goto nomem;
        if (queue(m, f) == 0)
            n++;
    }
    goto done;
nomem:
    r = n ? n : T4_ENOMEM;
    n = r;
done:
    if (n > 0)
        t4__conn_charge_fanout((size_t)n); /* the sender's share of this turn */
    variant_free(&raw);
    variant_free(&v1);
    free(v1buf);
    if (pre)
        t4__sbuf_release(pre);
    if (skip)
        t4__sbuf_release(skip);
    return n;
}

/* The history a message to this path goes into, or NULL: the group's
 * (created with it), else - nobody listening here - the route's, created
 * on first need. Without any history route this is one flag test. */
t4__hist *t4__ws_history_for(const t4__group *g, const char *path, size_t len)
{
    if (g)
        return t4__group_hist(g);
    if (!t4__routes_ws_history())
        return NULL;
    t4__hist *h = t4__hist_find(path, len);
    if (h)
        return h;
    const t4__ws_route *r = t4__routes_ws_for(path, len);
    return r && r->history_size ? t4__hist_open(path, len, r->history_size, r->history_ttl) : NULL;
}

int t4__ws_deliver(t4__group *g, const char *path, size_t path_len, uint8_t opcode, const void *data,
                   size_t len, const t4_ws *exclude, uint64_t *epoch_out, uint64_t *offset_out)
{
    uint64_t epoch = 0, offset = 0;
    t4__hist *h = t4__ws_history_for(g, path, path_len);
    if (h) {
        offset = t4__hist_append(h, opcode, data, len, uv_now(&t4__srv->loop));
        epoch = h->epoch;
        if (!offset) /* not kept (memory): still positioned, past what was */
            offset = h->last;
        if (!g && h->count == 0 && h->listeners == 0)
            t4__hist_release(h); /* nothing kept and nobody here: it costs nothing */
    }
    if (epoch_out) {
        *epoch_out = epoch;
        *offset_out = offset;
    }
    return g ? t4__ws_fanout(g, opcode, data, len, exclude, epoch, offset) : 0;
}

int t4__ws_publish(const char *path, size_t path_len, uint8_t opcode, const void *data, size_t len,
                   const t4_ws *exclude)
{
    /* The limit applies both ways: we never send what we would refuse. */
    if (len > t4__srv->cfg.ws_max_message) {
        t4_log(T4_LOG_ERROR, "broadcast/push of %zu bytes refused: over TINA4_WS_MAX_MESSAGE (%zu)", len,
               t4__srv->cfg.ws_max_message);
        return T4_ETOOBIG;
    }
    path_len = t4__group_key_len(path, path_len);
    if (t4__ws_owned_history(path, path_len))
        return t4__ws_publish_owned(path, path_len, opcode, data, len, exclude);
    int n = t4__ws_deliver(t4__group_find(path, path_len), path, path_len, opcode, data, len, exclude, NULL,
                           NULL);
    if (n < 0)
        return n;
    t4__backplane_publish(path, path_len, opcode, data, len, exclude ? exclude->id : NULL);
    return n;
}

int t4__ws_deliver_local(const char *path, size_t path_len, uint8_t opcode, const void *data, size_t len,
                         const char *exclude_id)
{
    if (t4__ws_owned_history(path, path_len))
        return t4__ws_relayed_owned(path, path_len, opcode, data, len, exclude_id);
    t4__group *g = t4__group_find(path, path_len);
    return t4__ws_deliver(g, path, path_len, opcode, data, len, t4__group_member(g, exclude_id), NULL, NULL);
}

t4__sbuf *t4__ws_text_frame(const t4_ws *ws, uint8_t opcode, const void *data, size_t len)
{
    if (!ws->v1 || opcode != T4__WS_OP_TEXT)
        return t4__ws_message_frame(ws, opcode, data, len);
    char small[256];
    char *s = len < sizeof small ? small : malloc(len + 1);
    if (!s)
        return NULL;
    s[0] = '.';
    if (len)
        memcpy(s + 1, data, len);
    t4__sbuf *b = t4__ws_message_frame(ws, opcode, s, len + 1);
    if (s != small)
        free(s);
    return b;
}
