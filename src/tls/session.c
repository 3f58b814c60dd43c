/* SPDX-License-Identifier: MIT */
/*
 * One TLS session over a BIO of our own (see session.h).
 *
 * Why not BIO_s_mem: a memory BIO copies every raw byte in and keeps its
 * grown buffer for the life of the connection. Our read side hands OpenSSL
 * the loop's read buffer directly, and our write side appends to a buffer
 * that is freed as soon as the socket has taken it, so an idle TLS
 * connection owns no I/O buffer of ours (and, with SSL_MODE_RELEASE_BUFFERS,
 * none of OpenSSL's).
 */
#include "tls/session.h"
#include <openssl/err.h>
#include <stdlib.h>
#include <string.h>

#define PLAIN_SIZE (16 * 1024) /* one TLS record of plaintext */

static BIO_METHOD *method;
static char plain[PLAIN_SIZE + 1]; /* decrypted bytes, + 1 spare for a NUL (loop thread) */

static int bio_read(BIO *b, char *out, int len)
{
    t4__tls *t = BIO_get_data(b);
    BIO_clear_retry_flags(b);
    if (t->in_len == 0) {
        BIO_set_retry_read(b); /* wait for the next read from the socket */
        return -1;
    }
    size_t n = (size_t)len < t->in_len ? (size_t)len : t->in_len;
    memcpy(out, t->in, n);
    t->in += n;
    t->in_len -= n;
    return (int)n;
}

static int bio_write(BIO *b, const char *p, int len)
{
    t4__tls *t = BIO_get_data(b);
    BIO_clear_retry_flags(b);
    if (t4__buf_append(&t->out, p, (size_t)len) != 0)
        return -1;
    return len;
}

static long bio_ctrl(BIO *b, int cmd, long num, void *ptr)
{
    (void)b;
    (void)num;
    (void)ptr;
    return cmd == BIO_CTRL_FLUSH ? 1 : 0; /* written bytes are already "sent" to out */
}

static int bio_create(BIO *b)
{
    BIO_set_init(b, 1);
    return 1;
}

static BIO_METHOD *bio_method(void)
{
    if (!method) {
        method = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "tina4 connection");
        if (!method)
            return NULL;
        BIO_meth_set_write(method, bio_write);
        BIO_meth_set_read(method, bio_read);
        BIO_meth_set_ctrl(method, bio_ctrl);
        BIO_meth_set_create(method, bio_create);
    }
    return method;
}

t4__tls *t4__tls_new(SSL_CTX *ctx)
{
    BIO_METHOD *m = bio_method();
    t4__tls *t = calloc(1, sizeof *t);
    if (!m || !t)
        goto fail;
    t->ssl = SSL_new(ctx);
    if (!t->ssl)
        goto fail;
    BIO *bio = BIO_new(m);
    if (!bio)
        goto fail;
    BIO_set_data(bio, t);
    SSL_set_bio(t->ssl, bio, bio); /* one BIO both ways: the SSL owns it */
    SSL_set_accept_state(t->ssl);
    return t;
fail:
    if (t && t->ssl)
        SSL_free(t->ssl);
    free(t);
    return NULL;
}

void t4__tls_free(t4__tls *t)
{
    if (!t)
        return;
    SSL_free(t->ssl);
    t4__buf_free(&t->out);
    free(t);
}

void t4__tls_out_done(t4__tls *t, size_t n)
{
    t->out_off += n;
    if (t->out_off >= t->out.len) {
        t4__buf_free(&t->out); /* nothing kept between bursts */
        t->out_off = 0;
    }
}

int t4__tls_encrypt(t4__tls *t, const void *p, size_t n)
{
    const char *s = p;
    while (n > 0) {
        int k = (int)(n < PLAIN_SIZE ? n : PLAIN_SIZE);
        int r = SSL_write(t->ssl, s, k);
        if (r <= 0) {
            ERR_clear_error();
            t->failed = true;
            return -1;
        }
        s += r;
        n -= (size_t)r;
    }
    return 0;
}

void t4__tls_goodbye(t4__tls *t)
{
    if (t->goodbye || !t->handshaken || t->failed)
        return;
    t->goodbye = true;
    SSL_shutdown(t->ssl); /* queues close_notify; the peer's is not awaited */
    ERR_clear_error();
}

t4__tls_status t4__tls_feed(t4__tls *t, const char *p, size_t n, bool (*deliver)(void *, char *, size_t),
                            void *arg)
{
    if (t->failed)
        return T4__TLS_ERROR;
    t->in = p;
    t->in_len = n;
    t4__tls_status st = T4__TLS_OK;
    if (!t->handshaken) {
        int r = SSL_do_handshake(t->ssl);
        if (r == 1) {
            t->handshaken = true;
        } else {
            int e = SSL_get_error(t->ssl, r);
            if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) {
                t->failed = true;
                st = T4__TLS_ERROR;
            }
        }
    }
    while (st == T4__TLS_OK && t->handshaken) {
        int r = SSL_read(t->ssl, plain, PLAIN_SIZE);
        if (r > 0) {
            if (!deliver(arg, plain, (size_t)r))
                st = T4__TLS_STOP;
            continue;
        }
        int e = SSL_get_error(t->ssl, r);
        if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
            break;
        if (e == SSL_ERROR_ZERO_RETURN) {
            st = T4__TLS_CLOSED;
        } else {
            t->failed = true;
            st = T4__TLS_ERROR;
        }
    }
    ERR_clear_error(); /* errors are per connection, never left for the next */
    t->in = NULL;
    t->in_len = 0;
    return st;
}
