/* SPDX-License-Identifier: MIT */
/*
 * tls.c -- the load generator's TLS client (--tls): OpenSSL under each
 * libuv connection through a BIO of our own, so the loop, the batching and
 * the protocol checks stay the same as over plain TCP.
 *
 * The BIO reads straight from the loop's read buffer (no copy into a memory
 * BIO; OpenSSL keeps an incomplete record itself) and appends what OpenSSL
 * writes to the connection's `raw` buffer, which the flush hands to the
 * socket. Plaintext queued before the handshake is done waits in `out`.
 */
#include "lg.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <string.h>

#define PLAIN_SIZE (16 * 1024) /* one record of plaintext */

static BIO_METHOD *method;
static uint8_t plain[PLAIN_SIZE];

static int bio_read(BIO *b, char *out, int len)
{
    lg_conn *c = BIO_get_data(b);
    BIO_clear_retry_flags(b);
    if (c->tin_len == 0) {
        BIO_set_retry_read(b); /* the rest comes with the next socket read */
        return -1;
    }
    size_t n = (size_t)len < c->tin_len ? (size_t)len : c->tin_len;
    memcpy(out, c->tin, n);
    c->tin += n;
    c->tin_len -= n;
    return (int)n;
}

static int bio_write(BIO *b, const char *p, int len)
{
    lg_conn *c = BIO_get_data(b);
    BIO_clear_retry_flags(b);
    lg_buf_reserve(&c->raw, (size_t)len);
    memcpy(c->raw.data + c->raw.len, p, (size_t)len);
    c->raw.len += (size_t)len;
    return len;
}

static long bio_ctrl(BIO *b, int cmd, long num, void *ptr)
{
    (void)b;
    (void)num;
    (void)ptr;
    return cmd == BIO_CTRL_FLUSH ? 1 : 0;
}

static int bio_create(BIO *b)
{
    BIO_set_init(b, 1);
    return 1;
}

/* The first reason on OpenSSL's error queue (cleared), for first_error. */
static const char *tls_reason(const lg_conn *c, char *buf, size_t n)
{
    unsigned long e = ERR_peek_error();
    long v = c->ssl ? SSL_get_verify_result(c->ssl) : X509_V_OK;
    if (v != X509_V_OK)
        snprintf(buf, n, "certificate verify failed: %s", X509_verify_cert_error_string(v));
    else
        snprintf(buf, n, "%s", e ? ERR_reason_error_string(e) : "connection closed in the handshake");
    ERR_clear_error();
    return buf;
}

/* A ticket from the server: keep the latest for --resume. */
static int on_new_session(SSL *ssl, SSL_SESSION *s)
{
    (void)ssl;
    lg.tickets++;
    if (!lg.tls_resume)
        return 0;
    if (lg.session)
        SSL_SESSION_free(lg.session);
    lg.session = s;
    return 1; /* the reference is ours */
}

int lg_tls_setup(const char *ca_file, bool resume)
{
    method = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "tina4-loadgen");
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    if (!method || !ctx)
        return -1;
    BIO_meth_set_write(method, bio_write);
    BIO_meth_set_read(method, bio_read);
    BIO_meth_set_ctrl(method, bio_ctrl);
    BIO_meth_set_create(method, bio_create);
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    /* like a browser: ALPN http/1.1 (a WebSocket upgrade is HTTP/1.1) */
    static const unsigned char alpn[] = "\x08http/1.1";
    SSL_CTX_set_alpn_protos(ctx, alpn, sizeof alpn - 1);
    if (ca_file) {
        if (SSL_CTX_load_verify_locations(ctx, ca_file, NULL) != 1) {
            fprintf(stderr, "loadgen: --ca %s: cannot load it as PEM certificates\n", ca_file);
            SSL_CTX_free(ctx);
            return -1;
        }
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    } else {
        /* benchmarks: the peer's certificate is not checked (the
         * CertificateVerify signature still is, as part of TLS) */
        SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
    }
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
    SSL_CTX_sess_set_new_cb(ctx, on_new_session);
    lg.tls = ctx;
    lg.tls_resume = resume;
    return 0;
}

int lg_tls_start(lg_conn *c)
{
    c->ssl = SSL_new(lg.tls);
    BIO *bio = c->ssl ? BIO_new(method) : NULL;
    if (!bio) {
        lg_note_error("connection %u: cannot create a TLS session", c->id);
        return -1;
    }
    BIO_set_data(bio, c);
    SSL_set_bio(c->ssl, bio, bio);
    SSL_set_tlsext_host_name(c->ssl, "localhost");
    if (SSL_CTX_get_verify_mode(lg.tls) & SSL_VERIFY_PEER)
        SSL_set1_host(c->ssl, "localhost");
    if (lg.tls_resume && lg.session)
        SSL_set_session(c->ssl, lg.session);
    SSL_set_connect_state(c->ssl);
    int r = SSL_do_handshake(c->ssl); /* the ClientHello, into raw */
    if (r != 1 && SSL_get_error(c->ssl, r) != SSL_ERROR_WANT_READ) {
        char why[200];
        lg_note_error("connection %u: TLS: %s", c->id, tls_reason(c, why, sizeof why));
        return -1;
    }
    return 0;
}

int lg_tls_input(lg_conn *c, const uint8_t *p, size_t n,
                 void (*consume)(lg_conn *c, const uint8_t *data, size_t len))
{
    c->tin = p;
    c->tin_len = n;
    int rc = 0;
    char why[200];
    if (!c->tls_ready) {
        int r = SSL_do_handshake(c->ssl);
        if (r == 1) {
            c->tls_ready = true;
        } else if (SSL_get_error(c->ssl, r) != SSL_ERROR_WANT_READ) {
            lg_note_error("connection %u: TLS handshake: %s", c->id, tls_reason(c, why, sizeof why));
            rc = -1;
        }
    }
    while (rc == 0 && c->tls_ready && c->state != LG_CLOSED) {
        int r = SSL_read(c->ssl, plain, sizeof plain);
        if (r > 0) {
            consume(c, plain, (size_t)r);
            continue;
        }
        int e = SSL_get_error(c->ssl, r);
        if (e == SSL_ERROR_WANT_READ)
            break;
        if (e == SSL_ERROR_ZERO_RETURN) {
            if (c->state != LG_CLOSING)
                lg_note_error("connection %u: the server sent close_notify", c->id);
            rc = c->state == LG_CLOSING ? 1 : -1;
        } else {
            lg_note_error("connection %u: TLS read: %s", c->id, tls_reason(c, why, sizeof why));
            rc = -1;
        }
    }
    ERR_clear_error();
    c->tin = NULL;
    c->tin_len = 0;
    return rc;
}

int lg_tls_encrypt(lg_conn *c)
{
    if (!c->tls_ready || c->out.len == 0)
        return 0;
    size_t off = 0;
    while (off < c->out.len) {
        size_t k = c->out.len - off < PLAIN_SIZE ? c->out.len - off : PLAIN_SIZE;
        int r = SSL_write(c->ssl, c->out.data + off, (int)k);
        if (r <= 0) {
            char why[200];
            lg_note_error("connection %u: TLS write: %s", c->id, tls_reason(c, why, sizeof why));
            return -1;
        }
        off += (size_t)r;
    }
    c->out.len = 0;
    return 0;
}

bool lg_tls_resumed(const lg_conn *c)
{
    return c->ssl && SSL_session_reused(c->ssl);
}

const char *lg_tls_version(const lg_conn *c)
{
    return c->ssl ? SSL_get_version(c->ssl) : "none";
}

void lg_tls_free(lg_conn *c)
{
    /* Freed without a shutdown, OpenSSL marks the connection's session (by
     * then the latest ticket, the one --resume offers) as not resumable. A
     * browser's tickets outlive a reset connection, and so do ours. */
    if (c->ssl && c->tls_ready) {
        SSL_set_quiet_shutdown(c->ssl, 1);
        SSL_shutdown(c->ssl);
    }
    SSL_free(c->ssl);
    c->ssl = NULL;
    lg_buf_free(&c->raw);
}
