/* SPDX-License-Identifier: MIT */
/*
 * Static files from the public folder (see static.h for the contract).
 *
 * Lookup: the decoded path must pass t4__static_path_safe (no "..", no
 * dotfiles, no backslash or control bytes); it is joined to the real path of
 * the public folder and resolved with realpath(), and the result must still
 * lie inside the folder (a symlink may point elsewhere inside it, never
 * outside) with no dot segment. The file is then opened with O_NOFOLLOW |
 * O_NONBLOCK (a FIFO cannot block the loop) and must be a regular file.
 * Everything refused answers 404, like a missing file, so nothing about the
 * rest of the file system leaks.
 *
 * Sending: the response head is queued with its Content-Length, then the body
 * in 64 KiB preads, CHUNKS_PER_REFILL of them at a time. The rest follows
 * each time the connection's queue drains (t4__static_on_drain), so memory
 * per connection stays below one refill however large the file and however
 * slow the reader. Reads are synchronous preads on the loop thread: cheap for
 * page-cached files; a cold read costs one disk access per 64 KiB. A loop
 * turn reads at most TURN_BUDGET bytes per connection; past that the next
 * refill waits for the next turn (a uv_idle), so a fast reader on a fast
 * link cannot monopolise the loop. While a file is being sent the connection
 * reads no further requests (pipelined requests wait in its input buffer and
 * are processed, in order, once the whole file is queued).
 */
#include "http/static.h"
#include "http/request.h"
#include "util/log.h"
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef __APPLE__
#define st_mtim st_mtimespec
#endif
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define CHUNK             (64 * 1024)
#define CHUNKS_PER_REFILL 4
#define TURN_BUDGET       (1024 * 1024)

/* ---------------------------------------------------------------- */
/* The public folder                                                  */
/* ---------------------------------------------------------------- */

/* The folder's real path, resolved on first use (and again if the setting
 * changes, or until the folder exists). Loop thread only. */
static char root_setting[PATH_MAX];
static char root_real[PATH_MAX];
static size_t root_len; /* "/" is stored as "" (length 0) */
static bool root_ok;

static bool resolve_root(const char *setting)
{
    if (root_ok && strcmp(root_setting, setting) == 0)
        return true;
    char tmp[PATH_MAX];
    if (strlen(setting) >= sizeof root_setting || !realpath(setting, tmp))
        return false;
    struct stat st;
    if (stat(tmp, &st) != 0 || !S_ISDIR(st.st_mode))
        return false;
    strcpy(root_setting, setting);
    root_len = strlen(tmp);
    if (root_len == 1) /* the file system root: every path starts with "/" anyway */
        root_len = 0;
    memcpy(root_real, tmp, root_len);
    root_real[root_len] = '\0';
    root_ok = true;
    return true;
}

/* Opens rel (no leading '/') inside the public folder; -1 if refused. */
static int open_inside(const char *rel, struct stat *st)
{
    char joined[PATH_MAX], resolved[PATH_MAX];
    int n = snprintf(joined, sizeof joined, "%s/%s", root_real, rel);
    if (n < 0 || (size_t)n >= sizeof joined || !realpath(joined, resolved))
        return -1;
    /* Still inside the folder after symlinks, and no dot segment reached
     * through one. */
    if (strncmp(resolved, root_real, root_len) != 0)
        return -1;
    const char *rest = resolved + root_len;
    if (*rest != '\0' && !t4__static_path_safe(rest, strlen(rest)))
        return -1;
    int fd = open(resolved, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
    if (fd < 0)
        return -1;
    if (fstat(fd, st) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* ---------------------------------------------------------------- */
/* Streaming a file                                                   */
/* ---------------------------------------------------------------- */

struct t4__file_stream {
    t4__conn *conn;
    int fd;
    uint64_t off, end; /* next byte to read, one past the last */
    uint64_t turn_ms;  /* uv_now of the loop turn turn_bytes counts */
    size_t turn_bytes;
    bool idle_active; /* idle initialised (must be closed) */
    uv_idle_t idle;   /* wakes a refill deferred to the next loop turn */
};

static void on_idle_closed(uv_handle_t *h)
{
    free(h->data);
}

static void stream_free(t4__conn *c)
{
    t4__file_stream *fs = c->stream;
    if (!fs)
        return;
    c->stream = NULL;
    close(fs->fd);
    if (fs->idle_active)
        uv_close((uv_handle_t *)&fs->idle, on_idle_closed);
    else
        free(fs);
}

void t4__static_free(t4__conn *c)
{
    stream_free(c);
}

static void on_idle(uv_idle_t *h);

/* Queues the next part of the file. from_drain: called when the queue has
 * drained (not from dispatch), so finishing may resume pipelined input. */
static void refill(t4__conn *c, bool from_drain)
{
    t4__file_stream *fs = c->stream;
    uint64_t now = uv_now(&t4__srv->loop);
    if (now != fs->turn_ms) {
        fs->turn_ms = now;
        fs->turn_bytes = 0;
    }
    if (from_drain && fs->turn_bytes >= TURN_BUDGET) {
        if (!fs->idle_active) {
            uv_idle_init(&t4__srv->loop, &fs->idle);
            fs->idle.data = fs;
            fs->idle_active = true;
        }
        uv_idle_start(&fs->idle, on_idle);
        return;
    }
    for (int i = 0; i < CHUNKS_PER_REFILL && fs->off < fs->end; i++) {
        uint64_t left = fs->end - fs->off;
        size_t want = left < CHUNK ? (size_t)left : CHUNK;
        t4__sbuf *b = t4__sbuf_get(want);
        if (!b)
            goto fail;
        ssize_t r;
        do
            r = pread(fs->fd, b->data, want, (off_t)fs->off);
        while (r < 0 && errno == EINTR);
        if (r <= 0) {
            t4_log(T4_LOG_WARN, "static file: %s at offset %" PRIu64 "; closing the connection",
                   r == 0 ? "the file shrank" : strerror(errno), fs->off);
            t4__sbuf_release(b);
            goto fail;
        }
        b->len = (size_t)r;
        fs->off += (uint64_t)r;
        fs->turn_bytes += (size_t)r;
        if (t4__conn_queue(c, b) != 0)
            goto fail;
    }
    if (fs->off >= fs->end) {
        stream_free(c);
        if (from_drain)
            t4__conn_process_input(c); /* requests that arrived while it was sent */
    }
    return;
fail:
    stream_free(c);
    t4__conn_close_now(c);
}

static void on_idle(uv_idle_t *h)
{
    t4__file_stream *fs = h->data;
    uv_idle_stop(h);
    t4__conn *c = fs->conn;
    if (c->closing || c->stream != fs)
        return;
    fs->turn_bytes = 0; /* a new loop turn */
    fs->turn_ms = uv_now(&t4__srv->loop);
    if (c->q_len == 0 && !c->writing)
        refill(c, true); /* else the next drain refills */
}

void t4__static_on_drain(t4__conn *c)
{
    if (!c->stream || c->closing)
        return;
    if (c->close_after_flush) /* a slow but progressing reader keeps its time */
        c->deadline = uv_now(&t4__srv->loop) + t4__srv->cfg.ws_close_timeout;
    refill(c, true);
}

/* ---------------------------------------------------------------- */
/* Answering a request                                                */
/* ---------------------------------------------------------------- */

static void simple(t4__conn *c, int status, t4__res_header *extra, bool head_only, bool keep_alive)
{
    char body[64];
    int n = snprintf(body, sizeof body, "%d %s\n", status, t4__status_text(status));
    t4__http_write_response(c, status, "text/plain; charset=utf-8", extra, body, (size_t)n, head_only,
                            keep_alive);
}

static void redirect_to_dir(t4__conn *c, const t4__http_head *h, bool head_only, bool keep_alive)
{
    /* The raw (still percent-encoded) path, which passed the parser's
     * target check, plus "/" and the query. */
    size_t cap = h->path.n + h->query.n + 3;
    char *loc = malloc(cap);
    if (!loc) {
        t4__conn_close_now(c);
        return;
    }
    memcpy(loc, h->path.p, h->path.n);
    size_t k = h->path.n;
    loc[k++] = '/';
    if (h->query.n) {
        loc[k++] = '?';
        memcpy(loc + k, h->query.p, h->query.n);
        k += h->query.n;
    }
    loc[k] = '\0';
    t4__res_header hl = {NULL, "Location", loc};
    simple(c, 301, &hl, head_only, keep_alive);
    free(loc);
}

bool t4__static_serve(t4__conn *c, const t4__http_head *h, const char *path, size_t plen, bool keep_alive,
                      bool head_only)
{
    const t4_config *cfg = &t4__srv->cfg;
    if (!cfg->public_dir || !*cfg->public_dir || c->stream)
        return false;
    if (!t4__static_path_safe(path, plen) || !resolve_root(cfg->public_dir))
        return false;
    bool dir_request = path[plen - 1] == '/';
    char rel[PATH_MAX];
    int rn = snprintf(rel, sizeof rel, "%s%s", path + 1, dir_request ? "index.html" : "");
    if (rn < 0 || (size_t)rn >= sizeof rel)
        return false;
    struct stat st;
    int fd = open_inside(rel, &st);
    if (fd < 0)
        return false;
    bool get = t4__slice_eq(h->method, "GET");
    bool is_dir = S_ISDIR(st.st_mode);
    if (!S_ISREG(st.st_mode) && !(is_dir && !dir_request)) {
        close(fd);
        return false;
    }
    if (!get && !head_only) {
        close(fd);
        t4__res_header allow = {NULL, "Allow", "GET, HEAD"};
        simple(c, 405, &allow, false, keep_alive);
        return true;
    }
    if (is_dir) { /* "/docs" -> "/docs/", so relative links in its index work */
        close(fd);
        redirect_to_dir(c, h, head_only, keep_alive);
        return true;
    }

    uint64_t size = (uint64_t)st.st_size;
    char etag[T4__ETAG_MAX], modified[32], crange[64];
    t4__etag_make(etag, size, (int64_t)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
    t4__http_date_format((int64_t)st.st_mtim.tv_sec, modified);
    t4__res_header hs[6] = {
        {&hs[1], "ETag", etag},
        {&hs[2], "Last-Modified", modified},
        {&hs[3], "Cache-Control",
         cfg->static_cache_control ? cfg->static_cache_control : "public, max-age=3600"},
        {&hs[4], "Accept-Ranges", "bytes"},
        {NULL, "X-Content-Type-Options", "nosniff"},
        {NULL, "Content-Range", crange},
    };

    /* Preconditions, then Range (RFC 9110 13.2.2; static_logic.c). */
    uint64_t first, last;
    int status = t4__static_evaluate(h, get, etag, (int64_t)st.st_mtim.tv_sec, size, (int64_t)time(NULL),
                                     &first, &last);
    if (status == 412) {
        close(fd);
        hs[1].next = NULL; /* the current validators: ETag, Last-Modified */
        simple(c, 412, hs, head_only, keep_alive);
        return true;
    }
    if (status == 304) {
        close(fd);
        hs[2].next = NULL; /* ETag, Last-Modified, Cache-Control */
        t4__http_write_response(c, 304, NULL, hs, NULL, 0, head_only, keep_alive);
        return true;
    }
    if (status == 416) {
        close(fd);
        snprintf(crange, sizeof crange, "bytes */%" PRIu64, size);
        t4__res_header cr = {NULL, "Content-Range", crange};
        simple(c, 416, &cr, false, keep_alive);
        return true;
    }
    uint64_t len = size;
    if (status == 206) {
        len = last - first + 1;
        snprintf(crange, sizeof crange, "bytes %" PRIu64 "-%" PRIu64 "/%" PRIu64, first, last, size);
        hs[4].next = &hs[5];
    } else {
        first = 0;
    }
    if (len > SIZE_MAX) {
        close(fd);
        return false;
    }
    /* The head alone (Content-Length = len); the body follows from the file. */
    if (t4__http_write_response(c, status, t4__mime_type(rel), hs, NULL, (size_t)len, true, keep_alive) !=
            0 ||
        head_only || len == 0) {
        close(fd);
        return true;
    }
    t4__file_stream *fs = calloc(1, sizeof *fs);
    if (!fs) {
        close(fd);
        t4__conn_close_now(c);
        return true;
    }
    fs->conn = c;
    fs->fd = fd;
    fs->off = first;
    fs->end = first + len;
    c->stream = fs;
    refill(c, false);
    if (c->stream)
        t4__conn_read_stop(c); /* no more requests until the file is queued */
    return true;
}
