/* SPDX-License-Identifier: MIT */
/*
 * One TLS session, without a socket (see tls.h). Raw input is lent to the
 * session for the duration of t4__tls_feed; ciphertext accumulates in
 * `out` until the caller writes it. Used by the transport and by the fuzzer.
 */
#ifndef T4_TLS_SESSION_H
#define T4_TLS_SESSION_H
#include "util/buf.h"
#include <openssl/ssl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct t4__tls {
    SSL *ssl;
    const char *in; /* raw bytes lent by t4__tls_feed */
    size_t in_len;
    t4__buf out;      /* ciphertext to write (freed when written: idle holds none) */
    size_t out_off;   /* bytes of out already written */
    uint64_t started; /* when the handshake clock started (the transport's, ms) */
    bool handshaken : 1;
    bool failed : 1;  /* handshake or record error: only the alert is left to send */
    bool goodbye : 1; /* close_notify queued */
} t4__tls;

typedef enum {
    T4__TLS_OK = 0,
    T4__TLS_STOP,   /* deliver asked to stop (the connection is closing) */
    T4__TLS_CLOSED, /* the peer sent close_notify */
    T4__TLS_ERROR,  /* a bad handshake or record: the alert, if any, is in out */
} t4__tls_status;

/* A session on ctx (its reference counted); NULL on failure. */
t4__tls *t4__tls_new(SSL_CTX *ctx);
void t4__tls_free(t4__tls *t);
/* Feeds raw bytes: the handshake advances, and each decrypted piece goes to
 * deliver(arg, data, n) (data has one spare byte after n for a NUL;
 * deliver returns false to stop). */
t4__tls_status t4__tls_feed(t4__tls *t, const char *p, size_t n, bool (*deliver)(void *, char *, size_t),
                            void *arg);
/* Encrypts n bytes into out (as records of up to 16 KiB); 0 or -1. */
int t4__tls_encrypt(t4__tls *t, const void *p, size_t n);
/* Queues close_notify (once, after a completed handshake). */
void t4__tls_goodbye(t4__tls *t);
/* Ciphertext not yet written. */
static inline size_t t4__tls_out_pending(const t4__tls *t)
{
    return t->out.len - t->out_off;
}
/* The caller wrote n bytes of out. */
void t4__tls_out_done(t4__tls *t, size_t n);
#endif
