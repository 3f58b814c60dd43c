/* SPDX-License-Identifier: MIT */
/*
 * The local bus between the workers of one supervisor (see bus.h).
 *
 * Frames: body length u32 | type u8 | body (host byte order: both ends are
 * the same program on the same machine).
 *   HELLO  slot u32 | pid u32 | generation u32   first frame on every link
 *   RETIRE (empty)   a reload's grace is over: the sender owns no path any more
 *   MSG    opcode u8 | exclude[32] (all zero: none) | path_len u32 | path | payload
 *   COUNT  count u64 | path            the sender's count on path (absolute)
 *   RESET  (empty)                     forget my counts and members (a snapshot follows)
 *   MEMBER id[32] | path_len u32 | path | info   a member's presence (info:
 *          JSON text; empty: it left), snapshotted like counts
 *   FWD    as MSG: a message on a path with history, to the path's owner
 *   PMSG   epoch u64 | offset u64 | as MSG: the owner's positioned message
 *   HIST   as PMSG, history only (not delivered): sent when a link opens,
 *          so a replacement worker gets the histories it owns or copies
 * (paths with history have one owner worker, which positions their
 * messages: docs/ARCHITECTURE.md, "History with workers")
 * A link carries frames one way: from the worker that connected it to the
 * worker that accepted it.
 *
 * Slow peers: what waits to be written to one peer is bounded by
 * TINA4_WS_BACKPLANE_MAX_QUEUE; a frame that would go over it is dropped for
 * that peer (counted, logged at most once a second), never waited for. A
 * dropped COUNT marks the link for a resync: once its queue has drained to
 * half, RESET and a fresh snapshot of our counts put the peer right again.
 */
#include "backplane/bus.h"
#include "backplane/backplane.h"
#include "backplane/bus_counts.h"
#include "backplane/drops.h"
#include "runtime/supervisor.h"
#include "util/log.h"
#include "util/random_id.h"
#include "ws/history.h"
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define TICK_MS  100 /* reconnects to missing peers, flushes the drop log */
#define HDR      5
#define READ_MIN 65536
#define EXCL_LEN T4__ID_LEN

enum {
    F_HELLO = 1,
    F_MSG = 2,
    F_COUNT = 3,
    F_RESET = 4,
    F_MEMBER = 5,
    F_FWD = 6,
    F_PMSG = 7,
    F_HIST = 8,
    F_RETIRE = 9
};

/* One encoded frame, shared by the writes to every peer. */
typedef struct {
    unsigned refs;
    size_t len;
    uint8_t bytes[];
} frame;

typedef struct blink {
    uv_pipe_t pipe;
    bool out; /* we opened it and write on it; else we accepted it and read */
    bool closing;
    bool resync;  /* a COUNT was dropped: RESET + snapshot once drained */
    int slot;     /* the peer's slot; -1 until an accepted link says hello */
    pid_t pid;    /* the peer's process */
    uint32_t gen; /* the peer's generation (from its hello, on an accepted link) */
    bool retired; /* the peer said RETIRE: it positions no more paths */
    uint8_t *rbuf;
    size_t rlen, rcap;
    struct blink *prev, *next; /* every link, for t4__bus_stop */
} blink;

typedef struct {
    uv_write_t req;
    frame *f;
    blink *l;
} wreq;

static struct {
    bool active;
    uv_loop_t *loop;
    int slot, nslots;
    int own_lo, own_hi; /* the slots of this worker's generation: [own_lo, own_hi) */
    uint32_t gen;       /* this worker's generation (0, then +1 per reload) */
    bool retired;       /* our reload grace is over: the newer generation owns the paths */
    char token[T4__BUS_TOKEN_LEN + 1];
    int lfd;
    uv_poll_t lpoll;
    uv_timer_t tick;
    blink **out; /* [nslots]: the link we write to each peer on */
    blink **in;  /* [nslots]: the link each peer writes to us on (after its hello) */
    blink *all;
    size_t max_queue, max_frame;
    bool linked_logged;
    bool unlistened; /* retiring after a reload: our name is for the next generation */
    t4__drops drops;
} bus = {.lfd = -1};

static void wr32(uint8_t *p, uint32_t v)
{
    memcpy(p, &v, 4);
}

static uint32_t rd32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

static socklen_t bus_name(int slot, struct sockaddr_un *a)
{
    memset(a, 0, sizeof *a);
    a->sun_family = AF_UNIX;
    /* Abstract namespace (leading NUL): no file to clean up after a crash,
     * and the name is free again the moment its socket closes. */
    int n = snprintf(a->sun_path + 1, sizeof a->sun_path - 1, "tina4-bus-%s-%d", bus.token, slot);
    return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)n);
}

static bool same_user(int fd, pid_t *pid)
{
#ifdef SO_PEERCRED
    struct ucred cr;
    socklen_t len = sizeof cr;
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) != 0 || cr.uid != getuid())
        return false;
    *pid = cr.pid;
    return true;
#else /* BSD, macOS: no pid (the bus is off there anyway, see t4__bus_start) */
    uid_t uid;
    gid_t gid;
    *pid = 0;
    return getpeereid(fd, &uid, &gid) == 0 && uid == getuid();
#endif
}

/* Non-blocking, close-on-exec Unix sockets, where SOCK_NONBLOCK and accept4
 * exist (Linux) and where they do not. */
#if !defined(SOCK_NONBLOCK) || !defined(__linux__)
static int nb_cloexec(int fd)
{
    if (fd >= 0 && (fcntl(fd, F_SETFD, FD_CLOEXEC) != 0 || fcntl(fd, F_SETFL, O_NONBLOCK) != 0)) {
        close(fd);
        return -1;
    }
    return fd;
}
#endif

static int unix_socket(void)
{
#ifdef SOCK_NONBLOCK
    return socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
#else
    return nb_cloexec(socket(AF_UNIX, SOCK_STREAM, 0));
#endif
}

static int unix_accept(int lfd)
{
#ifdef __linux__
    return accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
#else
    return nb_cloexec(accept(lfd, NULL, NULL));
#endif
}

/* ---------------------------------------------------------------- */
/* Frames and writes                                                  */
/* ---------------------------------------------------------------- */

static frame *frame_new(uint8_t type, size_t body)
{
    frame *f = malloc(sizeof *f + HDR + body);
    if (!f)
        return NULL;
    f->refs = 1;
    f->len = HDR + body;
    wr32(f->bytes, (uint32_t)body);
    f->bytes[4] = type;
    return f;
}

static void frame_release(frame *f)
{
    if (f && --f->refs == 0)
        free(f);
}

static void link_close(blink *l, const char *why);
static void send_snapshot(blink *l, bool reset);
static void connect_out(int slot);
static frame *msg_frame(uint8_t type, const uint64_t *pos, const char *path, size_t path_len, uint8_t opcode,
                        const void *data, size_t len, const char *exclude_id);
static void hist_one(const char *path, size_t len, uint64_t epoch, uint64_t offset, uint8_t opcode,
                     const void *data, size_t dlen, void *arg);

static void on_written(uv_write_t *req, int status)
{
    wreq *w = (wreq *)req;
    blink *l = w->l;
    frame_release(w->f);
    free(w);
    if (status == UV_ECANCELED || l->closing)
        return; /* the link is closing: l is freed after the last of these */
    if (status < 0) {
        link_close(l, uv_strerror(status));
        return;
    }
    if (l->resync && l->pipe.write_queue_size <= bus.max_queue / 2) {
        l->resync = false;
        send_snapshot(l, true);
    }
}

/* Queues f on l unless that would take l's backlog over the bound. */
static void link_send(blink *l, frame *f, bool is_count)
{
    if (l->closing)
        return;
    if (l->pipe.write_queue_size + f->len > bus.max_queue) {
        t4__drops_add(&bus.drops, uv_now(bus.loop));
        if (is_count)
            l->resync = true;
        return;
    }
    wreq *w = malloc(sizeof *w);
    if (!w) {
        t4__drops_add(&bus.drops, uv_now(bus.loop));
        l->resync |= is_count;
        return;
    }
    w->f = f;
    w->l = l;
    f->refs++;
    uv_buf_t b = uv_buf_init((char *)f->bytes, (unsigned)f->len);
    int rc = uv_write(&w->req, (uv_stream_t *)&l->pipe, &b, 1, on_written);
    if (rc != 0) {
        f->refs--;
        free(w);
        link_close(l, uv_strerror(rc));
    }
}

static void send_count(blink *l, const char *path, size_t len, size_t count)
{
    frame *f = frame_new(F_COUNT, 8 + len);
    if (!f) {
        l->resync = true;
        return;
    }
    uint64_t c = count;
    memcpy(f->bytes + HDR, &c, 8);
    memcpy(f->bytes + HDR + 8, path, len);
    link_send(l, f, true);
    frame_release(f);
}

static void snapshot_one(const char *path, size_t len, size_t count, void *arg)
{
    send_count(arg, path, len, count);
}

static frame *member_frame(const char *path, size_t len, const char *id, const char *info)
{
    size_t il = info ? strlen(info) : 0;
    frame *f = frame_new(F_MEMBER, EXCL_LEN + 4 + len + il);
    if (!f)
        return NULL;
    uint8_t *p = f->bytes + HDR;
    memset(p, 0, EXCL_LEN);
    memcpy(p, id, strnlen(id, EXCL_LEN));
    wr32(p + EXCL_LEN, (uint32_t)len);
    memcpy(p + EXCL_LEN + 4, path, len);
    if (il)
        memcpy(p + EXCL_LEN + 4 + len, info, il);
    return f;
}

/* Members travel like counts: one lost marks the link for a resync. */
static void member_one(const char *path, size_t len, const char *id, const char *info, void *arg)
{
    blink *l = arg;
    frame *f = member_frame(path, len, id, info);
    if (!f) {
        l->resync = true;
        return;
    }
    link_send(l, f, true);
    frame_release(f);
}

static void send_snapshot(blink *l, bool reset)
{
    if (reset) {
        frame *f = frame_new(F_RESET, 0);
        if (!f) {
            l->resync = true;
            return;
        }
        link_send(l, f, true);
        frame_release(f);
    }
    t4__busc_foreach_local(snapshot_one, l);
    t4__ws_members_each(member_one, l);
}

/* ---------------------------------------------------------------- */
/* Links                                                              */
/* ---------------------------------------------------------------- */

/* A peer's counts and members drop out (it died, restarted or resyncs). */
static void peer_clear(int slot)
{
    char origin[16];
    snprintf(origin, sizeof origin, "w%d", slot);
    t4__busc_clear_peer(slot);
    t4__ws_remote_origin_gone(origin);
}

static void check_linked(void)
{
    if (bus.linked_logged)
        return;
    for (int i = bus.own_lo; i < bus.own_hi; i++)
        if (i != bus.slot && (!bus.out[i] || !bus.in[i]))
            return;
    bus.linked_logged = true;
    t4_log(T4_LOG_INFO, "bus: worker %d (slot %d) linked to its %d peer(s)", (int)getpid(), bus.slot,
           bus.own_hi - bus.own_lo - 1);
}

static void on_link_closed(uv_handle_t *h)
{
    blink *l = h->data;
    free(l->rbuf);
    free(l);
}

static void link_close(blink *l, const char *why)
{
    if (l->closing)
        return;
    l->closing = true;
    if (l->out && l->slot >= 0 && bus.out && bus.out[l->slot] == l) {
        bus.out[l->slot] = NULL; /* the tick (or the peer's next hello) reconnects */
    } else if (!l->out && l->slot >= 0 && bus.in && bus.in[l->slot] == l) {
        bus.in[l->slot] = NULL;
        peer_clear(l->slot); /* its connections are gone with it */
        if (why)
            t4_log(T4_LOG_WARN, "bus: link from worker %d (slot %d) lost: %s", (int)l->pid, l->slot, why);
    }
    if (l->prev)
        l->prev->next = l->next;
    else if (bus.all == l)
        bus.all = l->next;
    if (l->next)
        l->next->prev = l->prev;
    l->prev = l->next = NULL;
    uv_close((uv_handle_t *)&l->pipe, on_link_closed);
}

static void handle_hello(blink *l, const uint8_t *p, size_t n)
{
    if (l->out || l->slot >= 0 || n != 12) {
        link_close(l, "unexpected hello");
        return;
    }
    int slot = (int)rd32(p);
    pid_t pid = (pid_t)rd32(p + 4);
    l->gen = rd32(p + 8);
    if (slot < 0 || slot >= bus.nslots || slot == bus.slot || pid != l->pid) {
        link_close(l, "bad hello");
        return;
    }
    if (bus.in[slot])
        link_close(bus.in[slot], NULL); /* its previous life, not noticed yet */
    l->slot = slot;
    bus.in[slot] = l;
    peer_clear(slot); /* a new process: its counts start from its snapshot */
    /* Our link to that slot may still lead to the process it replaced. */
    if (bus.out[slot] && bus.out[slot]->pid != pid)
        link_close(bus.out[slot], NULL);
    if (!bus.out[slot])
        connect_out(slot);
    check_linked();
}

static void handle_msg(blink *l, uint8_t type, const uint8_t *p, size_t n)
{
    uint64_t pos[2] = {0, 0};
    if (type == F_PMSG || type == F_HIST) {
        if (n < 16)
            goto bad;
        memcpy(pos, p, 16);
        p += 16, n -= 16;
        if (!pos[0] || !pos[1])
            goto bad;
    }
    if (n < 1 + EXCL_LEN + 4)
        goto bad;
    uint8_t opcode = p[0];
    char exclude[EXCL_LEN + 1];
    memcpy(exclude, p + 1, EXCL_LEN);
    exclude[EXCL_LEN] = '\0';
    size_t plen = rd32(p + 1 + EXCL_LEN);
    size_t head = 1 + EXCL_LEN + 4;
    if ((opcode != 0x1 && opcode != 0x2) || plen > n - head)
        goto bad;
    t4__ws_deliver_bus(type == F_MSG   ? 'm'
                       : type == F_FWD ? 'f'
                                       : 'p',
                       pos[0], pos[1], (const char *)p + head, plen, opcode, p + head + plen, n - head - plen,
                       exclude[0] ? exclude : NULL);
    return;
bad:
    link_close(l, "malformed message frame");
}

static void handle_member(blink *l, const uint8_t *p, size_t n)
{
    if (n < EXCL_LEN + 4 || rd32(p + EXCL_LEN) > n - EXCL_LEN - 4) {
        link_close(l, "malformed member frame");
        return;
    }
    char id[EXCL_LEN + 1], origin[16];
    memcpy(id, p, EXCL_LEN);
    id[EXCL_LEN] = '\0';
    size_t plen = rd32(p + EXCL_LEN);
    const char *path = (const char *)p + EXCL_LEN + 4;
    size_t il = n - EXCL_LEN - 4 - plen;
    snprintf(origin, sizeof origin, "w%d", l->slot);
    t4__ws_remote_member(origin, path, plen, id, il ? path + plen : NULL, il);
}

static void handle(blink *l, uint8_t type, const uint8_t *p, size_t n)
{
    if (type == F_HELLO) {
        handle_hello(l, p, n);
        return;
    }
    if (l->slot < 0) {
        link_close(l, "no hello");
        return;
    }
    switch (type) {
    case F_MSG:
    case F_FWD:
    case F_PMSG:
    case F_HIST:
        handle_msg(l, type, p, n);
        break;
    case F_COUNT:
        if (n < 8) {
            link_close(l, "malformed count frame");
        } else {
            uint64_t c;
            memcpy(&c, p, 8);
            t4__busc_set_peer(l->slot, (const char *)p + 8, n - 8, (size_t)c);
        }
        break;
    case F_RESET:
        peer_clear(l->slot);
        break;
    case F_MEMBER:
        handle_member(l, p, n);
        break;
    case F_RETIRE:
        l->retired = true;
        break;
    default:
        link_close(l, "unknown frame type");
    }
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *b)
{
    (void)suggested;
    blink *l = h->data;
    size_t want = l->rlen + READ_MIN;
    if (l->rlen >= HDR) { /* a frame in progress: room for all of it at once */
        size_t need = HDR + (size_t)rd32(l->rbuf);
        if (need <= HDR + bus.max_frame && need > want)
            want = need;
    }
    if (want > l->rcap) {
        uint8_t *nb = realloc(l->rbuf, want);
        if (!nb) {
            *b = uv_buf_init(NULL, 0); /* UV_ENOBUFS: the link closes */
            return;
        }
        l->rbuf = nb;
        l->rcap = want;
    }
    *b = uv_buf_init((char *)l->rbuf + l->rlen, (unsigned)(l->rcap - l->rlen));
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *b)
{
    (void)b;
    blink *l = s->data;
    if (nread < 0) {
        link_close(l, nread == UV_EOF ? NULL : uv_strerror((int)nread));
        return;
    }
    if (l->out) { /* nothing comes this way: we read only to notice a close */
        l->rlen = 0;
        return;
    }
    l->rlen += (size_t)nread;
    size_t off = 0;
    while (!l->closing && l->rlen - off >= HDR) {
        size_t blen = rd32(l->rbuf + off);
        if (blen > bus.max_frame) {
            link_close(l, "frame over the size limit");
            return;
        }
        if (l->rlen - off < HDR + blen)
            break;
        handle(l, l->rbuf[off + 4], l->rbuf + off + HDR, blen);
        off += HDR + blen;
    }
    if (l->closing)
        return;
    memmove(l->rbuf, l->rbuf + off, l->rlen - off);
    l->rlen -= off;
    if (l->rcap > 4 * READ_MIN && l->rlen < READ_MIN) { /* after a large frame */
        uint8_t *nb = realloc(l->rbuf, 2 * READ_MIN);
        if (nb) {
            l->rbuf = nb;
            l->rcap = 2 * READ_MIN;
        }
    }
}

static blink *link_new(int fd, bool out, pid_t pid)
{
    blink *l = calloc(1, sizeof *l);
    if (!l) {
        close(fd);
        return NULL;
    }
    l->out = out;
    l->slot = -1;
    l->pid = pid;
    uv_pipe_init(bus.loop, &l->pipe, 0);
    l->pipe.data = l;
    if (uv_pipe_open(&l->pipe, fd) != 0) {
        close(fd);
        l->closing = true;
        uv_close((uv_handle_t *)&l->pipe, on_link_closed);
        return NULL;
    }
    l->next = bus.all;
    if (bus.all)
        bus.all->prev = l;
    bus.all = l;
    if (uv_read_start((uv_stream_t *)&l->pipe, on_alloc, on_read) != 0) {
        link_close(l, "cannot read");
        return NULL;
    }
    return l;
}

/* Opens our link to slot's worker if it is listening (else the tick, or
 * that worker's hello, tries again). */
static void connect_out(int slot)
{
    if (!bus.active || slot == bus.slot || bus.out[slot])
        return;
    int fd = unix_socket();
    if (fd < 0)
        return;
    struct sockaddr_un a;
    socklen_t alen = bus_name(slot, &a);
    pid_t pid;
    if (connect(fd, (struct sockaddr *)&a, alen) != 0 || !same_user(fd, &pid)) {
        close(fd); /* not started yet, or restarting */
        return;
    }
    blink *l = link_new(fd, true, pid);
    if (!l)
        return;
    l->slot = slot;
    bus.out[slot] = l;
    frame *f = frame_new(F_HELLO, 12);
    if (!f) {
        link_close(l, NULL);
        return;
    }
    wr32(f->bytes + HDR, (uint32_t)bus.slot);
    wr32(f->bytes + HDR + 4, (uint32_t)getpid());
    wr32(f->bytes + HDR + 8, bus.gen);
    link_send(l, f, true);
    frame_release(f);
    send_snapshot(l, false);
    t4__ws_history_sync(slot, hist_one, l);
    check_linked();
}

/* One kept message for a peer that is (re)starting (HIST); a frame over
 * the queue bound is dropped like any other (the peer's copy then starts
 * after the hole). */
static void hist_one(const char *path, size_t len, uint64_t epoch, uint64_t offset, uint8_t opcode,
                     const void *data, size_t dlen, void *arg)
{
    uint64_t pos[2] = {epoch, offset};
    frame *f = msg_frame(F_HIST, pos, path, len, opcode, data, dlen, NULL);
    if (!f)
        return;
    link_send(arg, f, false);
    frame_release(f);
}

static void on_accept(uv_poll_t *p, int status, int events)
{
    (void)p, (void)status, (void)events;
    for (int i = 0; i < 64; i++) {
        int fd = unix_accept(bus.lfd);
        if (fd < 0)
            return;
        pid_t pid;
        if (!same_user(fd, &pid)) {
            close(fd);
            continue;
        }
        link_new(fd, false, pid);
    }
}

static int listen_now(void)
{
    int fd = unix_socket();
    if (fd < 0)
        return -1;
    struct sockaddr_un a;
    socklen_t alen = bus_name(bus.slot, &a);
    if (bind(fd, (struct sockaddr *)&a, alen) != 0 || listen(fd, 128) != 0) {
        close(fd); /* EADDRINUSE: the process we replace is not quite gone; the tick retries */
        return -1;
    }
    bus.lfd = fd;
    uv_poll_init(bus.loop, &bus.lpoll, fd);
    uv_poll_start(&bus.lpoll, UV_READABLE, on_accept);
    return 0;
}

static void on_tick(uv_timer_t *t)
{
    (void)t;
    if (bus.lfd < 0 && !bus.unlistened)
        listen_now();
    for (int i = 0; i < bus.nslots; i++) {
        blink *l = bus.out[i];
        /* Only our own generation is retried: the other's slots are empty
         * except during a reload, whose workers say hello by themselves. */
        if (i != bus.slot && !l && i >= bus.own_lo && i < bus.own_hi)
            connect_out(i);
        else if (l && l->resync && l->pipe.write_queue_size <= bus.max_queue / 2) {
            l->resync = false; /* a count lost with no write left to drain (no memory then) */
            send_snapshot(l, true);
        }
    }
    t4__drops_flush(&bus.drops, uv_now(bus.loop));
}

/* ---------------------------------------------------------------- */
/* The interface                                                      */
/* ---------------------------------------------------------------- */

int t4__bus_start(uv_loop_t *loop, const t4_config *cfg)
{
    const char *token;
    int slot, nslots, group;
    unsigned gen;
    if (!t4__worker_bus(&slot, &nslots, &group, &gen, &token) || nslots < 2)
        return 0;
#ifndef __linux__
    t4_log(T4_LOG_WARN, "bus: no local bus on this system (it needs Linux's abstract sockets): broadcasts "
                        "and counts stay per worker");
    return 0;
#endif
    bus.loop = loop;
    bus.slot = slot;
    bus.nslots = nslots;
    bus.gen = gen;
    bus.own_lo = slot / group * group;
    bus.own_hi = bus.own_lo + group;
    bus.unlistened = false;
    snprintf(bus.token, sizeof bus.token, "%s", token);
    bus.max_queue = cfg->ws_backplane_max_queue ? cfg->ws_backplane_max_queue : 8 * 1024 * 1024;
    size_t max_path = cfg->http_max_header ? cfg->http_max_header : 16 * 1024;
    bus.max_frame = cfg->ws_max_message + max_path + 64;
    bus.out = calloc((size_t)nslots, sizeof *bus.out);
    bus.in = calloc((size_t)nslots, sizeof *bus.in);
    if (!bus.out || !bus.in || t4__busc_init(nslots) != 0) {
        free(bus.out);
        free(bus.in);
        bus.out = bus.in = NULL;
        return T4_ENOMEM;
    }
    bus.drops = (t4__drops){.what = "local bus message(s) for a worker that is not reading",
                            .hint = "TINA4_WS_BACKPLANE_MAX_QUEUE bounds what waits for one worker"};
    bus.linked_logged = false;
    bus.active = true;
    t4__hist_set_epoch_source(t4__ws_bus_epoch); /* one epoch per path, machine-wide */
    listen_now();
    uv_timer_init(loop, &bus.tick);
    uv_timer_start(&bus.tick, on_tick, TICK_MS, TICK_MS);
    for (int i = 0; i < nslots; i++)
        connect_out(i);
    return 0;
}

static void on_listener_closed(uv_handle_t *h)
{
    (void)h;
    close(bus.lfd);
    bus.lfd = -1;
}

void t4__bus_unlisten(void)
{
    if (!bus.active || bus.unlistened)
        return;
    bus.unlistened = true;
    /* The grace is over: the newer generation owns every path from now on.
     * RETIRE follows every positioned message we sent on each link, so a
     * peer holds our whole sequence when it takes over; a message forwarded
     * to us meanwhile is forwarded on to the new owner (t4__ws_deliver_bus). */
    bus.retired = true;
    for (int i = 0; i < bus.nslots; i++) {
        frame *f = bus.out[i] ? frame_new(F_RETIRE, 0) : NULL;
        if (f) {
            link_send(bus.out[i], f, true);
            frame_release(f);
        }
    }
    if (bus.lfd >= 0)
        uv_close((uv_handle_t *)&bus.lpoll, on_listener_closed);
}

void t4__bus_stop(void)
{
    if (!bus.active)
        return;
    t4__drops_flush(&bus.drops, uv_now(bus.loop) + T4__DROPS_LOG_MS);
    bus.active = false;
    t4__hist_set_epoch_source(NULL);
    while (bus.all)
        link_close(bus.all, NULL);
    uv_close((uv_handle_t *)&bus.tick, NULL);
    if (bus.lfd >= 0 && !bus.unlistened)
        uv_close((uv_handle_t *)&bus.lpoll, on_listener_closed);
    free(bus.out);
    free(bus.in);
    bus.out = bus.in = NULL;
    t4__busc_free();
}

bool t4__bus_active(void)
{
    return bus.active;
}

const char *t4__bus_token(void)
{
    return bus.active ? bus.token : NULL;
}

bool t4__bus_is_peer_id(const char *id, size_t len)
{
    return bus.active && len >= T4__BUS_TOKEN_LEN && memcmp(id, bus.token, T4__BUS_TOKEN_LEN) == 0;
}

/* A MSG, FWD or PMSG frame (pos: epoch and offset, PMSG only); NULL when
 * too large for any worker or out of memory. */
static frame *msg_frame(uint8_t type, const uint64_t *pos, const char *path, size_t path_len, uint8_t opcode,
                        const void *data, size_t len, const char *exclude_id)
{
    size_t pre = type == F_PMSG || type == F_HIST ? 16 : 0, head = 1 + EXCL_LEN + 4;
    if (path_len > bus.max_frame || len > bus.max_frame - head - path_len)
        return NULL; /* no worker could take it (and none of our members' paths is that long) */
    frame *f = frame_new(type, pre + head + path_len + len);
    if (!f)
        return NULL;
    uint8_t *p = f->bytes + HDR;
    if (pre)
        memcpy(p, pos, 16);
    p += pre;
    p[0] = opcode;
    memset(p + 1, 0, EXCL_LEN);
    if (exclude_id)
        memcpy(p + 1, exclude_id, strnlen(exclude_id, EXCL_LEN));
    wr32(p + 1 + EXCL_LEN, (uint32_t)path_len);
    memcpy(p + head, path, path_len);
    if (len)
        memcpy(p + head + path_len, data, len);
    return f;
}

static void publish_all(uint8_t type, const uint64_t *pos, const char *path, size_t path_len, uint8_t opcode,
                        const void *data, size_t len, const char *exclude_id)
{
    if (!bus.active)
        return;
    frame *f = NULL;
    for (int i = 0; i < bus.nslots; i++) {
        blink *l = bus.out[i];
        if (!l)
            continue;
        /* encoded once, on first need */
        if (!f && !(f = msg_frame(type, pos, path, path_len, opcode, data, len, exclude_id))) {
            t4__drops_add(&bus.drops, uv_now(bus.loop));
            return;
        }
        link_send(l, f, false);
    }
    frame_release(f);
}

void t4__bus_publish(const char *path, size_t path_len, uint8_t opcode, const void *data, size_t len,
                     const char *exclude_id)
{
    publish_all(F_MSG, NULL, path, path_len, opcode, data, len, exclude_id);
}

void t4__bus_publish_at(uint64_t epoch, uint64_t offset, const char *path, size_t path_len, uint8_t opcode,
                        const void *data, size_t len, const char *exclude_id)
{
    uint64_t pos[2] = {epoch, offset};
    publish_all(F_PMSG, pos, path, path_len, opcode, data, len, exclude_id);
}

bool t4__bus_retired(void)
{
    return bus.active && bus.retired;
}

int t4__bus_owner(const char *path, size_t path_len)
{
    if (!bus.active)
        return -1;
    /* In a generation of workers, the owner is the slot the path hashes to.
     * During a reload's grace two generations share the bus: the older one
     * keeps owning (it holds the sequence so far, and its workers do not know
     * the newer one), and the newer one forwards to it; once that owner is
     * gone, the newer generation's owner goes on from its copy. */
    int group = bus.own_hi - bus.own_lo;
    uint64_t h = t4__bus_hash(path, path_len, T4__BUS_HASH_INIT) % (uint64_t)group;
    if (bus.nslots >= 2 * group) {
        /* The other generation's owner: while it is the older one and has
         * not retired, or once we have retired and it is the newer one. */
        int other = (bus.own_lo == 0 ? group : 0) + (int)h;
        const blink *in = bus.in[other], *out = bus.out[other];
        bool usable = in && out && !out->closing && out->pid == in->pid && !in->retired;
        if (usable && (in->gen < bus.gen || (bus.retired && in->gen > bus.gen)))
            return other;
    }
    int slot = bus.own_lo + (int)h;
    return slot == bus.slot ? -1 : slot;
}

pid_t t4__bus_owner_pid(const char *path, size_t path_len)
{
    int slot = t4__bus_owner(path, path_len);
    if (!bus.active || slot < 0)
        return bus.active ? getpid() : 0;
    return bus.out[slot] ? bus.out[slot]->pid : 0;
}

int t4__bus_forward(int slot, const char *path, size_t path_len, uint8_t opcode, const void *data, size_t len,
                    const char *exclude_id)
{
    if (!bus.active || slot < 0 || slot >= bus.nslots || !bus.out[slot] || bus.out[slot]->closing)
        return -1;
    frame *f = msg_frame(F_FWD, NULL, path, path_len, opcode, data, len, exclude_id);
    if (!f)
        return -1;
    link_send(bus.out[slot], f, false);
    frame_release(f);
    return 0;
}

void t4__bus_presence(const char *path, size_t path_len, size_t local_count)
{
    if (!bus.active)
        return;
    t4__busc_set_local(path, path_len, local_count);
    for (int i = 0; i < bus.nslots; i++)
        if (bus.out[i])
            send_count(bus.out[i], path, path_len, local_count);
}

size_t t4__bus_remote_count(const char *path, size_t path_len)
{
    return bus.active ? t4__busc_remote(path, path_len) : 0;
}

void t4__bus_member(const char *path, size_t path_len, const char *id, const char *info)
{
    if (!bus.active)
        return;
    frame *f = NULL;
    for (int i = 0; i < bus.nslots; i++) {
        blink *l = bus.out[i];
        if (!l)
            continue;
        if (!f && !(f = member_frame(path, path_len, id, info))) {
            l->resync = true;
            continue;
        }
        link_send(l, f, true);
    }
    frame_release(f);
}
