/* SPDX-License-Identifier: MIT */
/*
 * History with workers (TINA4_WORKERS > 1): every path that keeps history
 * has one owner worker, chosen by a hash of the path, that gives its
 * messages their positions. A worker that publishes on a path it does not
 * own forwards the message to the owner (bus FWD) and delivers nothing
 * itself; the owner positions it, delivers it to its members and sends the
 * positioned message to every other worker (PMSG), which keeps it in its
 * own copy of the path's history (a replica, same epoch and offsets) and
 * delivers it. Each link of the bus is one ordered stream, so every worker
 * sees the owner's order: one sequence per path, machine-wide, and a client
 * that resumes on any worker is replayed from that worker's replica,
 * synchronously, as on one process (resume.c). Why: docs/ARCHITECTURE.md.
 *
 * The epoch of a path is derived from the supervisor's token, the owner's
 * pid and the path, so every worker opens a path's history with the same
 * epoch, and a replaced owner (whose ring died with it) starts a new one.
 * While the owner cannot be reached (it is being replaced), messages are
 * delivered everywhere without a position; clients see a gap on resume.
 */
#include "backplane/backplane.h"
#include "backplane/bus.h"
#include "ws/ws.h"
#include <string.h>

static const t4__ws_route *history_route(const char *path, size_t len)
{
    if (!t4__routes_ws_history())
        return NULL;
    const t4__group *g = t4__group_find(path, len);
    const t4__ws_route *r = g ? t4__group_route(g) : t4__routes_ws_for(path, len);
    return r && r->history_size ? r : NULL;
}

bool t4__ws_owned_history(const char *path, size_t len)
{
    return (t4__bus_active() || t4__backplane_history()) && history_route(path, len);
}

uint64_t t4__ws_bus_epoch(const char *path, size_t len)
{
    pid_t pid = t4__bus_owner_pid(path, len);
    const char *token = t4__bus_token();
    if (!pid || !token)
        return 0; /* the owner is not linked yet: a random epoch until its first message */
    /* Unseeded, so every worker computes the same. */
    uint64_t h = t4__bus_hash(token, strlen(token), T4__BUS_HASH_INIT);
    h = t4__bus_hash(&pid, sizeof pid, h);
    h = t4__bus_hash(path, len, h);
    h ^= h >> 29;
    return h ? h : 1;
}

/* Open members of g but the sender: who will get a forwarded message. */
static int recipients(const t4__group *g, const t4_ws *exclude)
{
    int n = 0;
    for (const t4_ws *m = t4__group_first(g); m; m = m->gnext)
        n += m != exclude && m->phase == T4__WS_OPEN;
    return n;
}

/* The owner's side: position, deliver here, then to every other worker. */
static int owner_deliver(const char *path, size_t len, uint8_t opcode, const void *data, size_t dlen,
                         const char *exclude_id, bool relay)
{
    t4__group *g = t4__group_find(path, len);
    uint64_t epoch = 0, offset = 0;
    int n =
        t4__ws_deliver(g, path, len, opcode, data, dlen, t4__group_member(g, exclude_id), &epoch, &offset);
    if (n < 0)
        return n;
    if (epoch)
        t4__bus_publish_at(epoch, offset, path, len, opcode, data, dlen, exclude_id);
    else
        t4__bus_publish(path, len, opcode, data, dlen, exclude_id);
    if (relay)
        t4__backplane_relay_publish(path, len, opcode, data, dlen, exclude_id);
    return n;
}

int t4__ws_publish_owned(const char *path, size_t len, uint8_t opcode, const void *data, size_t dlen,
                         const t4_ws *exclude)
{
    const char *xid = exclude ? exclude->id : NULL;
    if (t4__backplane_history()) {
        /* Redis positions it; every worker and instance (this one too)
         * delivers it when it comes back on the history channel. */
        const t4__ws_route *r = history_route(path, len);
        t4__group *g = t4__group_find(path, len);
        if (t4__backplane_publish_history(path, len, opcode, data, dlen, xid, r->history_size,
                                          (uint64_t)r->history_ttl * 1000) == 0)
            return recipients(g, exclude);
        /* Redis is unreachable: here and on this machine's workers, without a position. */
        int n = t4__ws_fanout(g, opcode, data, dlen, exclude, 0, 0);
        t4__bus_publish(path, len, opcode, data, dlen, xid);
        return n;
    }
    int owner = t4__bus_owner(path, len);
    if (owner < 0)
        return owner_deliver(path, len, opcode, data, dlen, xid, true);
    t4__group *g = t4__group_find(path, len);
    if (t4__bus_forward(owner, path, len, opcode, data, dlen, xid) == 0) {
        t4__backplane_relay_publish(path, len, opcode, data, dlen, xid);
        return recipients(g, exclude); /* delivered when the owner's copy comes back */
    }
    /* The owner is being replaced: delivered everywhere, without a position. */
    int n = t4__ws_fanout(g, opcode, data, dlen, exclude, 0, 0);
    t4__backplane_publish(path, len, opcode, data, dlen, xid);
    return n;
}

int t4__ws_relayed_owned(const char *path, size_t len, uint8_t opcode, const void *data, size_t dlen,
                         const char *exclude_id)
{
    if (t4__backplane_history()) { /* history goes by its own channel: an older sender */
        t4__group *g = t4__group_find(path, len);
        return t4__ws_fanout(g, opcode, data, dlen, t4__group_member(g, exclude_id), 0, 0);
    }
    int owner = t4__bus_owner(path, len);
    if (owner < 0)
        return owner_deliver(path, len, opcode, data, dlen, exclude_id, false);
    if (t4__bus_owner_pid(path, len))
        return 0; /* the owner got it from Redis too: its positioned copy comes by the bus */
    t4__group *g = t4__group_find(path, len);
    return t4__ws_fanout(g, opcode, data, dlen, t4__group_member(g, exclude_id), 0, 0);
}

void t4__ws_deliver_bus(char kind, uint64_t epoch, uint64_t offset, const char *path, size_t len,
                        uint8_t opcode, const void *data, size_t dlen, const char *exclude_id)
{
    t4__group *g = t4__group_find(path, len);
    if (kind == 'f') {
        /* Forwarded to us as the owner. A worker whose reload grace is
         * over owns nothing any more: it passes the message on to the newer
         * generation's owner (only a retired worker does, so a message
         * never goes back and forth). */
        int owner = t4__bus_retired() ? t4__bus_owner(path, len) : -1;
        if (owner < 0 || t4__bus_forward(owner, path, len, opcode, data, dlen, exclude_id) != 0)
            owner_deliver(path, len, opcode, data, dlen, exclude_id, false);
        return;
    }
    if (kind == 'h') {
        /* A kept message for our copy: adopted when we hold nothing of the
         * path yet (we are new), appended when it follows what we hold. */
        t4__hist *h = t4__ws_history_for(g, path, len);
        if (h && ((h->count == 0 && h->last == 0) || (h->epoch == epoch && offset > h->last)))
            t4__hist_append_at(h, epoch, offset, opcode, data, dlen, uv_now(&t4__srv->loop));
        if (h && !g && h->count == 0 && h->listeners == 0)
            t4__hist_release(h);
        return;
    }
    if (kind == 'p') {
        t4__hist *h = t4__ws_history_for(g, path, len);
        if (h) {
            if (h->epoch == epoch && offset <= h->last)
                return; /* had it already */
            t4__hist_append_at(h, epoch, offset, opcode, data, dlen, uv_now(&t4__srv->loop));
            if (!g && h->count == 0 && h->listeners == 0)
                t4__hist_release(h);
        }
    } else {
        epoch = offset = 0;
    }
    t4__ws_fanout(g, opcode, data, dlen, t4__group_member(g, exclude_id), epoch, offset);
}

size_t t4__ws_history_size(const char *path, size_t len)
{
    const t4__ws_route *r = history_route(path, len);
    return r ? r->history_size : 0;
}

void t4__ws_history_prime(const char *path, size_t len, uint64_t epoch, const t4__hist_item *items, size_t n)
{
    t4__group *g = t4__group_find(path, len);
    t4__hist *h = t4__ws_history_for(g, path, len);
    if (!h)
        return;
    t4__hist_prime(h, epoch, items, n, uv_now(&t4__srv->loop));
    if (!g && h->count == 0 && h->listeners == 0)
        t4__hist_release(h);
}

typedef struct {
    int slot;
    void (*fn)(const char *path, size_t len, uint64_t epoch, uint64_t offset, uint8_t opcode,
               const void *data, size_t dlen, void *arg);
    void *arg;
} sync_ctx;

static void sync_one(t4__hist *h, void *arg)
{
    sync_ctx *c = arg;
    int owner = t4__bus_owner(h->path, h->len); /* -1: ours */
    if (owner != -1 && owner != c->slot)
        return; /* a third worker's: it sends its own */
    for (uint64_t off = t4__hist_first(h); h->count && off <= h->last; off++) {
        const t4__hist_entry *e = t4__hist_at(h, off);
        c->fn(h->path, h->len, h->epoch, e->offset, e->opcode, e->data, e->len, c->arg);
    }
}

void t4__ws_history_sync(int slot,
                         void (*fn)(const char *path, size_t len, uint64_t epoch, uint64_t offset,
                                    uint8_t opcode, const void *data, size_t dlen, void *arg),
                         void *arg)
{
    if (t4__backplane_history())
        return; /* Redis keeps it: every worker reads it from there */
    sync_ctx c = {slot, fn, arg};
    t4__hist_each(sync_one, &c);
}
