/* SPDX-License-Identifier: MIT */
/*
 * ws.c -- the client side of RFC 6455 for the load generator: connect,
 * handshake (random key, checked Sec-WebSocket-Accept), masked frames out,
 * unmasked frames in (7/16/64-bit lengths, fragments, control frames),
 * batched writes.
 */
#include "lg.h"

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#define LG_READ_BUF    (256 * 1024)
#define LG_MAX_FRAME   (64u * 1024 * 1024)
#define LG_MAX_HEADERS 8192

lg_ctx lg;

static uint8_t read_buf[LG_READ_BUF];
static bool read_buf_busy;

static lg_conn *pend_conns;
static const lg_handlers *pend_handlers;
static size_t pend_next, pend_total, pend_active, pend_batch;

void lg_buf_reserve(lg_buf *b, size_t extra)
{
    if (b->len + extra <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + extra)
        cap *= 2;
    uint8_t *p = realloc(b->data, cap);
    if (!p) {
        fprintf(stderr, "loadgen: out of memory\n");
        exit(2);
    }
    b->data = p;
    b->cap = cap;
}

void lg_buf_free(lg_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

uint64_t lg_rand(void)
{
    /* xorshift64*: masks only need to be unpredictable to intermediaries. */
    uint64_t x = lg.rng;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    lg.rng = x;
    return x * 0x2545F4914F6CDD1DULL;
}

void lg_note_error(const char *fmt, ...)
{
    if (lg.first_error[0])
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(lg.first_error, sizeof lg.first_error, fmt, ap);
    va_end(ap);
}

static void flush_all(void);
static void on_prepare(uv_prepare_t *h)
{
    lg.now_ns = uv_hrtime();
    flush_all();
}

static void on_check(uv_check_t *h)
{
    flush_all();
}

void lg_init(int port, const char *path)
{
    SSL_CTX *tls = lg.tls; /* set up by main before the scenario starts */
    bool resume = lg.tls_resume;
    memset(&lg, 0, sizeof lg);
    lg.tls = tls;
    lg.tls_resume = resume;
    lg.loop = uv_default_loop();
    lg.port = port;
    lg.path = path;
    if (RAND_bytes((unsigned char *)&lg.rng, sizeof lg.rng) != 1 || lg.rng == 0)
        lg.rng = uv_hrtime() | 1;
    uv_prepare_init(lg.loop, &lg.prepare);
    uv_prepare_start(&lg.prepare, on_prepare);
    uv_check_init(lg.loop, &lg.check);
    uv_check_start(&lg.check, on_check);
    lg.now_ns = uv_hrtime();
}

/* ---- connecting in batches ---------------------------------------- */

static void start_one(lg_conn *c, uint32_t id, const lg_handlers *h);

static void pend_fill(void)
{
    while (pend_conns && pend_next < pend_total && pend_active < pend_batch) {
        size_t i = pend_next++;
        pend_active++;
        start_one(&pend_conns[i], (uint32_t)i, pend_handlers);
    }
}

/* A connection left the connecting phase (opened or failed). */
static void leave_pending(lg_conn *c)
{
    if (!c->pending)
        return;
    c->pending = false;
    if (c->state != LG_OPEN)
        lg.failed_connects++;
    if (pend_active > 0)
        pend_active--;
    pend_fill();
}

void lg_connect_many(lg_conn *conns, size_t n, const lg_handlers *h, size_t batch)
{
    pend_conns = conns;
    pend_handlers = h;
    pend_next = 0;
    pend_total = n;
    pend_active = 0;
    pend_batch = batch ? batch : 1;
    pend_fill();
}

/* ---- closing ------------------------------------------------------ */

static void on_closed(uv_handle_t *hd)
{
    lg_conn *c = hd->data;
    lg_buf_free(&c->in);
    lg_buf_free(&c->msg);
    lg_buf_free(&c->out);
    lg_buf_free(&c->wbuf);
    lg_tls_free(c);
    lg.gone++;
    if (c->h && c->h->on_gone)
        c->h->on_gone(c);
}

static void conn_fail(lg_conn *c, const char *what, int err)
{
    bool connecting = c->state == LG_CONNECTING || c->state == LG_HANDSHAKE;
    if (!c->failed && (connecting || (!lg.quiet_drops && c->state != LG_CLOSING))) {
        c->failed = true;
        lg.failed++;
        lg_note_error("connection %u: %s%s%s", c->id, what, err ? ": " : "", err ? uv_strerror(err) : "");
    }
    lg_abort(c);
}

void lg_abort(lg_conn *c)
{
    if (c->state == LG_CLOSED || c->state == LG_IDLE)
        return;
    c->state = LG_CLOSED;
    uv_close((uv_handle_t *)&c->tcp, on_closed);
    leave_pending(c);
}

void lg_abort_reset(lg_conn *c)
{
    if (c->state == LG_CLOSED || c->state == LG_IDLE)
        return;
    uv_os_fd_t fd;
    if (uv_fileno((uv_handle_t *)&c->tcp, &fd) == 0) {
        struct linger lin = {.l_onoff = 1, .l_linger = 0};
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &lin, sizeof lin);
    }
    lg_abort(c);
}

void lg_proto_error(lg_conn *c, const char *fmt, ...)
{
    lg.proto_errors++;
    if (!lg.first_error[0]) {
        char tmp[200];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(tmp, sizeof tmp, fmt, ap);
        va_end(ap);
        lg_note_error("connection %u: protocol error: %s", c->id, tmp);
    }
    if ((c->state == LG_CONNECTING || c->state == LG_HANDSHAKE) && !c->failed) {
        c->failed = true;
        lg.failed++;
    }
    lg_abort(c);
}

/* ---- writing ------------------------------------------------------ */

static void mark_dirty(lg_conn *c)
{
    if (c->dirty)
        return;
    c->dirty = true;
    c->next_dirty = lg.dirty_head;
    lg.dirty_head = c;
}

static void on_written(uv_write_t *req, int status);

static void conn_flush(lg_conn *c)
{
    if (c->writing || c->state == LG_CLOSED || c->state == LG_CONNECTING)
        return;
    /* plain: the frames go as they are; TLS: their ciphertext */
    lg_buf *src = &c->out;
    if (c->ssl) {
        if (lg_tls_encrypt(c) < 0) {
            conn_fail(c, "TLS", 0);
            return;
        }
        src = &c->raw;
    }
    if (src->len == 0)
        return;
    uv_buf_t b = uv_buf_init((char *)src->data, (unsigned)src->len);
    int r = uv_try_write((uv_stream_t *)&c->tcp, &b, 1);
    if (r == (int)src->len) {
        src->len = 0;
        return;
    }
    if (r < 0 && r != UV_EAGAIN) {
        conn_fail(c, "write", r);
        return;
    }
    size_t done = r > 0 ? (size_t)r : 0;
    /* hand the rest to libuv; new frames go to the other buffer meanwhile */
    lg_buf t = c->wbuf;
    c->wbuf = *src;
    *src = t;
    src->len = 0;
    b = uv_buf_init((char *)c->wbuf.data + done, (unsigned)(c->wbuf.len - done));
    c->writing = true;
    r = uv_write(&c->write_req, (uv_stream_t *)&c->tcp, &b, 1, on_written);
    if (r < 0) {
        c->writing = false;
        conn_fail(c, "write", r);
    }
}

static void on_written(uv_write_t *req, int status)
{
    lg_conn *c = req->data;
    c->writing = false;
    c->wbuf.len = 0;
    if (status < 0) {
        if (status != UV_ECANCELED)
            conn_fail(c, "write", status);
        return;
    }
    conn_flush(c);
}

static void flush_all(void)
{
    lg_conn *c = lg.dirty_head;
    lg.dirty_head = NULL;
    while (c) {
        lg_conn *next = c->next_dirty;
        c->dirty = false;
        c->next_dirty = NULL;
        conn_flush(c);
        c = next;
    }
}

static void put_frame(lg_conn *c, int opcode, const uint8_t *data, size_t len)
{
    lg_buf_reserve(&c->out, len + 14);
    uint8_t *p = c->out.data + c->out.len;
    *p++ = (uint8_t)(0x80 | opcode);
    if (len < 126) {
        *p++ = (uint8_t)(0x80 | len);
    } else if (len <= 0xFFFF) {
        *p++ = 0x80 | 126;
        *p++ = (uint8_t)(len >> 8);
        *p++ = (uint8_t)len;
    } else {
        *p++ = 0x80 | 127;
        for (int i = 7; i >= 0; i--)
            *p++ = (uint8_t)((uint64_t)len >> (8 * i));
    }
    uint32_t m32 = (uint32_t)lg_rand();
    uint8_t mask[4];
    memcpy(mask, &m32, 4);
    memcpy(p, mask, 4);
    p += 4;
    uint64_t m64 = (uint64_t)m32 | ((uint64_t)m32 << 32);
    size_t i = 0;
    for (; i + 8 <= len; i += 8) {
        uint64_t w;
        memcpy(&w, data + i, 8);
        w ^= m64;
        memcpy(p + i, &w, 8);
    }
    for (; i < len; i++)
        p[i] = data[i] ^ mask[i & 3];
    p += len;
    c->out.len = (size_t)(p - c->out.data);
    mark_dirty(c);
}

void lg_send(lg_conn *c, int opcode, const void *data, size_t len)
{
    if (c->state != LG_OPEN)
        return;
    if (opcode == LG_OP_PING)
        lg.pings_sent++;
    put_frame(c, opcode, data, len);
}

void lg_send_raw(lg_conn *c, const void *data, size_t len)
{
    if (c->state != LG_OPEN)
        return;
    lg_buf_reserve(&c->out, len);
    memcpy(c->out.data + c->out.len, data, len);
    c->out.len += len;
    mark_dirty(c);
}

void lg_close(lg_conn *c)
{
    if (c->state != LG_OPEN) {
        if (c->state == LG_CONNECTING || c->state == LG_HANDSHAKE)
            lg_abort(c);
        return;
    }
    uint8_t code[2] = {1000 >> 8, 1000 & 0xFF};
    put_frame(c, LG_OP_CLOSE, code, 2);
    c->close_sent = true;
    c->state = LG_CLOSING;
}

/* ---- reading ------------------------------------------------------ */

static void on_alloc(uv_handle_t *hd, size_t suggested, uv_buf_t *buf)
{
    /* One loop thread, and libuv reads right after allocating: a single
     * buffer serves every connection. */
    if (read_buf_busy) {
        buf->base = NULL;
        buf->len = 0;
        return;
    }
    read_buf_busy = true;
    buf->base = (char *)read_buf;
    buf->len = sizeof read_buf;
}

static void deliver(lg_conn *c, int opcode, const uint8_t *data, size_t len)
{
    if (c->h && c->h->on_message)
        c->h->on_message(c, opcode, data, len);
}

static void handle_control(lg_conn *c, int opcode, const uint8_t *p, size_t len)
{
    if (opcode == LG_OP_PING) {
        if (c->state == LG_OPEN)
            put_frame(c, LG_OP_PONG, p, len);
    } else if (opcode == LG_OP_PONG) {
        lg.pongs++;
        if (c->h && c->h->on_pong)
            c->h->on_pong(c);
    } else if (opcode == LG_OP_CLOSE) {
        if (len == 1) {
            lg_proto_error(c, "close frame with a 1-byte payload");
            return;
        }
        if (c->close_sent) {
            lg_abort(c); /* handshake complete */
            return;
        }
        /* The server closes first: mid-test this is a drop. */
        int code = len >= 2 ? (p[0] << 8 | p[1]) : 1005;
        if (!lg.quiet_drops && !c->failed) {
            c->failed = true;
            lg.failed++;
            lg_note_error("connection %u: server closed with code %d", c->id, code);
        }
        uint8_t reply[2] = {p && len >= 2 ? p[0] : 0x03, p && len >= 2 ? p[1] : 0xE8};
        put_frame(c, LG_OP_CLOSE, reply, 2);
        c->close_sent = true;
        c->state = LG_CLOSING;
    } else {
        lg_proto_error(c, "unknown control opcode %d", opcode);
    }
}

/* Parses whole frames from p[0..n); returns the bytes consumed. */
static size_t parse_frames(lg_conn *c, const uint8_t *p, size_t n)
{
    size_t off = 0;
    while (c->state == LG_OPEN || c->state == LG_CLOSING) {
        if (n - off < 2)
            break;
        const uint8_t *f = p + off;
        uint8_t b0 = f[0], b1 = f[1];
        size_t hdr = 2;
        uint64_t len = b1 & 0x7F;
        if (b1 & 0x80) {
            lg_proto_error(c, "masked frame from the server");
            return n;
        }
        if (b0 & 0x70) {
            lg_proto_error(c, "RSV bits set (0x%02x)", b0);
            return n;
        }
        if (len == 126) {
            if (n - off < 4)
                break;
            len = (uint64_t)f[2] << 8 | f[3];
            hdr = 4;
            if (len < 126) {
                lg_proto_error(c, "non-minimal 16-bit length");
                return n;
            }
        } else if (len == 127) {
            if (n - off < 10)
                break;
            len = 0;
            for (int i = 0; i < 8; i++)
                len = len << 8 | f[2 + i];
            hdr = 10;
            if (len >> 63 || len <= 0xFFFF) {
                lg_proto_error(c, "bad 64-bit length");
                return n;
            }
        }
        if (len > LG_MAX_FRAME) {
            lg_proto_error(c, "frame of %llu bytes", (unsigned long long)len);
            return n;
        }
        if (n - off < hdr + len) {
            /* make room once for the whole frame */
            if (c->in.cap < hdr + len)
                lg_buf_reserve(&c->in, hdr + len - c->in.len);
            break;
        }
        const uint8_t *pl = f + hdr;
        int op = b0 & 0x0F;
        bool fin = (b0 & 0x80) != 0;
        off += hdr + (size_t)len;
        if (op & 0x8) {
            if (!fin || len > 125) {
                lg_proto_error(c, "bad control frame");
                return n;
            }
            handle_control(c, op, pl, (size_t)len);
            continue;
        }
        if (op == LG_OP_CONT) {
            if (c->msg_opcode == 0) {
                lg_proto_error(c, "continuation without a start");
                return n;
            }
            lg_buf_reserve(&c->msg, (size_t)len);
            memcpy(c->msg.data + c->msg.len, pl, (size_t)len);
            c->msg.len += (size_t)len;
            if (fin) {
                int mop = c->msg_opcode;
                c->msg_opcode = 0;
                if (c->state == LG_OPEN)
                    deliver(c, mop, c->msg.data, c->msg.len);
                c->msg.len = 0;
            }
        } else if (op == LG_OP_TEXT || op == LG_OP_BINARY) {
            if (c->msg_opcode != 0) {
                lg_proto_error(c, "new message inside a fragmented one");
                return n;
            }
            if (fin) {
                if (c->state == LG_OPEN)
                    deliver(c, op, pl, (size_t)len);
            } else {
                c->msg_opcode = (uint8_t)op;
                c->msg.len = 0;
                lg_buf_reserve(&c->msg, (size_t)len);
                memcpy(c->msg.data, pl, (size_t)len);
                c->msg.len = (size_t)len;
            }
        } else {
            lg_proto_error(c, "unknown opcode %d", op);
            return n;
        }
    }
    return off;
}

static void b64(const uint8_t *in, size_t n, char *out)
{
    EVP_EncodeBlock((unsigned char *)out, in, (int)n);
}

static const char *find_header(const char *hdrs, const char *name, size_t *vlen)
{
    size_t nl = strlen(name);
    const char *p = strstr(hdrs, "\r\n");
    while (p && p[2] != '\r') {
        p += 2;
        if (strncasecmp(p, name, nl) == 0 && p[nl] == ':') {
            const char *v = p + nl + 1;
            while (*v == ' ' || *v == '\t')
                v++;
            const char *e = strstr(v, "\r\n");
            if (!e)
                return NULL;
            while (e > v && (e[-1] == ' ' || e[-1] == '\t'))
                e--;
            *vlen = (size_t)(e - v);
            return v;
        }
        p = strstr(p, "\r\n");
    }
    return NULL;
}

static bool token_in(const char *v, size_t vlen, const char *tok)
{
    size_t tl = strlen(tok);
    for (size_t i = 0; i + tl <= vlen; i++)
        if (strncasecmp(v + i, tok, tl) == 0)
            return true;
    return false;
}

/* Returns bytes of c->in consumed by the response head, 0 if incomplete. */
static size_t handshake_response(lg_conn *c)
{
    lg_buf_reserve(&c->in, 1);
    c->in.data[c->in.len] = 0;
    char *s = (char *)c->in.data;
    char *end = strstr(s, "\r\n\r\n");
    if (!end) {
        if (c->in.len > LG_MAX_HEADERS)
            lg_proto_error(c, "handshake response too long");
        return 0;
    }
    size_t used = (size_t)(end - s) + 4;
    if (strncmp(s, "HTTP/1.1 101", 12) != 0) {
        char line[80];
        size_t l = strcspn(s, "\r\n");
        snprintf(line, sizeof line, "%.*s", (int)(l < 60 ? l : 60), s);
        lg_proto_error(c, "handshake refused: %s", line);
        return 0;
    }
    end[2] = 0; /* the header block ends with one CRLF now */
    size_t vl;
    const char *v = find_header(s, "Sec-WebSocket-Accept", &vl);
    if (!v || vl != strlen(c->accept) || memcmp(v, c->accept, vl) != 0) {
        lg_proto_error(c, "bad or missing Sec-WebSocket-Accept");
        return 0;
    }
    v = find_header(s, "Upgrade", &vl);
    if (!v || !token_in(v, vl, "websocket")) {
        lg_proto_error(c, "missing Upgrade: websocket");
        return 0;
    }
    v = find_header(s, "Connection", &vl);
    if (!v || !token_in(v, vl, "upgrade")) {
        lg_proto_error(c, "missing Connection: Upgrade");
        return 0;
    }
    if (find_header(s, "Sec-WebSocket-Extensions", &vl)) {
        lg_proto_error(c, "server chose an extension we did not offer");
        return 0;
    }
    return used;
}

static void consume(lg_conn *c, const uint8_t *data, size_t n)
{
    if (c->h && c->h->on_data) {
        if (c->state == LG_OPEN)
            c->h->on_data(c, data, n);
        return;
    }
    if (c->state == LG_HANDSHAKE) {
        lg_buf_reserve(&c->in, n + 1);
        memcpy(c->in.data + c->in.len, data, n);
        c->in.len += n;
        size_t used = handshake_response(c);
        if (used == 0)
            return;
        c->state = LG_OPEN;
        lg.opened++;
        leave_pending(c);
        if (c->h && c->h->on_open)
            c->h->on_open(c);
        size_t rest = c->in.len - used;
        memmove(c->in.data, c->in.data + used, rest);
        c->in.len = rest;
        if (rest == 0)
            return;
        size_t k = parse_frames(c, c->in.data, c->in.len);
        if (c->state == LG_CLOSED)
            return;
        memmove(c->in.data, c->in.data + k, c->in.len - k);
        c->in.len -= k;
        return;
    }
    if (c->in.len == 0) {
        size_t k = parse_frames(c, data, n);
        if (k < n && c->state != LG_CLOSED) {
            lg_buf_reserve(&c->in, n - k);
            memcpy(c->in.data, data + k, n - k);
            c->in.len = n - k;
        }
        return;
    }
    /* An incomplete frame is waiting: append and parse from the buffer. */
    lg_buf_reserve(&c->in, n);
    memcpy(c->in.data + c->in.len, data, n);
    c->in.len += n;
    size_t k = parse_frames(c, c->in.data, c->in.len);
    if (c->state == LG_CLOSED)
        return;
    memmove(c->in.data, c->in.data + k, c->in.len - k);
    c->in.len -= k;
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    lg_conn *c = s->data;
    if (buf->base == (char *)read_buf)
        read_buf_busy = false;
    if (nread == 0)
        return;
    lg.now_ns = uv_hrtime();
    if (nread < 0) {
        if (c->state == LG_CLOSING) {
            lg_abort(c);
            return;
        }
        conn_fail(c, nread == UV_EOF ? "server closed the connection" : "read",
                  nread == UV_EOF ? 0 : (int)nread);
        return;
    }
    if (c->state == LG_CLOSED)
        return;
    if (c->ssl) {
        int r = lg_tls_input(c, (const uint8_t *)buf->base, (size_t)nread, consume);
        if (r > 0) {
            lg_abort(c); /* close_notify after our close frame */
            return;
        }
        if (r < 0) {
            if (c->state != LG_CLOSED)
                conn_fail(c, "TLS", 0);
            return;
        }
    } else {
        consume(c, (const uint8_t *)buf->base, (size_t)nread);
    }
    if (c->state != LG_CLOSED && (c->out.len || c->raw.len))
        conn_flush(c);
}

/* ---- connecting --------------------------------------------------- */

static void on_connected(uv_connect_t *req, int status)
{
    lg_conn *c = req->data;
    if (c->state == LG_CLOSED)
        return;
    if (status < 0) {
        conn_fail(c, "connect", status);
        return;
    }
    if (lg.tls && lg_tls_start(c) < 0) {
        conn_fail(c, "TLS", 0);
        return;
    }
    if (c->h && c->h->on_data) {
        /* raw: open now; what the scenario sends waits for the TLS handshake */
        int r = uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
        if (r < 0) {
            conn_fail(c, "read_start", r);
            return;
        }
        c->state = LG_OPEN;
        lg.opened++;
        leave_pending(c);
        if (c->h->on_open)
            c->h->on_open(c);
        conn_flush(c);
        return;
    }
    uint8_t key[16];
    char key64[32];
    if (RAND_bytes(key, sizeof key) != 1) {
        for (size_t i = 0; i < sizeof key; i++)
            key[i] = (uint8_t)lg_rand();
    }
    b64(key, sizeof key, key64);
    char cat[80];
    int cl = snprintf(cat, sizeof cat, "%s258EAFA5-E914-47DA-95CA-C5AB0DC85B11", key64);
    uint8_t dig[SHA_DIGEST_LENGTH];
    SHA1((const unsigned char *)cat, (size_t)cl, dig);
    b64(dig, sizeof dig, c->accept);

    c->state = LG_HANDSHAKE;
    char req_text[512];
    int n = snprintf(req_text, sizeof req_text,
                     "GET %s HTTP/1.1\r\n"
                     "Host: 127.0.0.1:%d\r\n"
                     "Upgrade: websocket\r\n"
                     "Connection: Upgrade\r\n"
                     "Sec-WebSocket-Key: %s\r\n"
                     "Sec-WebSocket-Version: 13\r\n"
                     "User-Agent: tina4-loadgen\r\n"
                     "\r\n",
                     lg.path, lg.port, key64);
    lg_buf_reserve(&c->out, (size_t)n);
    memcpy(c->out.data + c->out.len, req_text, (size_t)n);
    c->out.len += (size_t)n;
    int r = uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
    if (r < 0) {
        conn_fail(c, "read_start", r);
        return;
    }
    conn_flush(c);
}

static void start_one(lg_conn *c, uint32_t id, const lg_handlers *h)
{
    memset(c, 0, sizeof *c);
    c->id = id;
    c->h = h;
    c->tcp.data = c;
    c->connect_req.data = c;
    c->write_req.data = c;
    uv_tcp_init(lg.loop, &c->tcp);
    uv_tcp_nodelay(&c->tcp, 1);
    c->state = LG_CONNECTING;
    c->pending = true;
    c->started_ns = uv_hrtime();
    lg.started++;
    struct sockaddr_in addr;
    uv_ip4_addr("127.0.0.1", lg.port, &addr);
    int r = uv_tcp_connect(&c->connect_req, &c->tcp, (const struct sockaddr *)&addr, on_connected);
    if (r < 0)
        conn_fail(c, "connect", r);
}

void lg_connect_one(lg_conn *c, uint32_t id, const lg_handlers *h)
{
    start_one(c, id, h);
}

/* ---- sequential helpers for the scenarios ------------------------- */

static void on_wake(uv_timer_t *t)
{
    lg.now_ns = uv_hrtime();
}

bool lg_wait(bool (*done)(void *), void *arg, double timeout_s)
{
    uv_timer_t wake;
    uv_timer_init(lg.loop, &wake);
    uv_timer_start(&wake, on_wake, 5, 5);
    uint64_t deadline = uv_hrtime() + (uint64_t)(timeout_s * 1e9);
    bool ok = true;
    while (!done(arg)) {
        if (uv_hrtime() >= deadline) {
            ok = false;
            break;
        }
        uv_run(lg.loop, UV_RUN_ONCE);
    }
    uv_close((uv_handle_t *)&wake, NULL);
    uv_run(lg.loop, UV_RUN_NOWAIT);
    return ok;
}

static bool never(void *arg)
{
    return false;
}

void lg_sleep(double s)
{
    lg_wait(never, NULL, s);
}

static bool all_settled(void *arg)
{
    return lg.opened + lg.failed_connects >= (uint64_t)(uintptr_t)arg;
}

size_t lg_connect_all(lg_conn *conns, size_t n, const lg_handlers *h, size_t batch, double timeout_s)
{
    lg_connect_many(conns, n, h, batch);
    if (!lg_wait(all_settled, (void *)(uintptr_t)n, timeout_s)) {
        lg.failed += n - (lg.opened + lg.failed_connects);
        lg_note_error("only %llu of %zu connections opened within %.0f s", (unsigned long long)lg.opened, n,
                      timeout_s);
        pend_total = pend_next; /* start no more */
    }
    return (size_t)lg.opened;
}

static bool all_gone(void *arg)
{
    return lg.gone >= lg.started;
}

void lg_shutdown(lg_conn *conns, size_t n)
{
    lg.quiet_drops = true;
    pend_total = pend_next;
    for (size_t i = 0; i < n; i++)
        lg_close(&conns[i]);
    if (!lg_wait(all_gone, NULL, 3.0)) {
        for (size_t i = 0; i < n; i++)
            lg_abort(&conns[i]);
        lg_wait(all_gone, NULL, 3.0);
    }
}
