/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the TLS layer's record feed (src/tls/session.c): the
 * exact code the transport runs, a server session over our own BIO, fed
 * the input in pieces as socket reads would bring it.
 *
 * FUZZ_SOURCES: src/tls/session.c src/util/buf.c
 * FUZZ_LIBS: -lssl -lcrypto
 *
 * Input layout: byte 0 seeds the piece sizes (1 to 256 bytes, so records
 * and handshake messages are split everywhere); the rest is what a client
 * sends. Checks: no crash or leak whatever arrives; once the session has
 * failed it stays failed and takes nothing more; decrypted pieces are never
 * longer than one record; every byte written to `out` is accounted for; a
 * completed handshake can encrypt and say goodbye.
 *
 * The server certificate is a self-signed P-256 one made in memory at start
 * (no key on disk).
 */
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "tls/session.h"

#include "check.h"

static SSL_CTX *ctx;

static SSL_CTX *make_ctx(void)
{
    EVP_PKEY *key = EVP_EC_gen("P-256");
    X509 *x = X509_new();
    CHECK(key && x);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
    X509_gmtime_adj(X509_getm_notBefore(x), 0);
    X509_gmtime_adj(X509_getm_notAfter(x), 86400);
    X509_set_pubkey(x, key);
    X509_NAME *name = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"localhost", -1, -1, 0);
    X509_set_issuer_name(x, name);
    CHECK(X509_sign(x, key, EVP_sha256()) > 0);
    SSL_CTX *c = SSL_CTX_new(TLS_server_method());
    CHECK(c);
    SSL_CTX_set_min_proto_version(c, TLS1_2_VERSION);
    SSL_CTX_set_mode(c, SSL_MODE_RELEASE_BUFFERS);
    SSL_CTX_set_options(c, SSL_OP_NO_RENEGOTIATION);
    CHECK(SSL_CTX_use_certificate(c, x) == 1 && SSL_CTX_use_PrivateKey(c, key) == 1);
    X509_free(x);
    EVP_PKEY_free(key);
    return c;
}

static bool on_plain(void *arg, char *p, size_t n)
{
    (void)p;
    *(size_t *)arg += n;
    CHECK(n > 0 && n <= 16384);
    return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!ctx)
        ctx = make_ctx();
    if (size < 1)
        return 0;
    uint32_t seed = data[0] * 2654435761u + 1;
    data++;
    size--;
    t4__tls *t = t4__tls_new(ctx);
    CHECK(t);
    size_t got = 0, written = 0;
    bool failed = false;
    while (size > 0) {
        seed = seed * 1103515245u + 12345u;
        size_t piece = 1 + (seed >> 16) % 256;
        if (piece > size)
            piece = size;
        t4__tls_status st = t4__tls_feed(t, (const char *)data, piece, on_plain, &got);
        if (failed)
            CHECK(st == T4__TLS_ERROR); /* a failed session stays failed */
        if (st == T4__TLS_ERROR)
            failed = true;
        /* What the socket would take: sometimes all, sometimes part. */
        size_t pend = t4__tls_out_pending(t);
        size_t take = (seed & 1) ? pend : pend / 2;
        t4__tls_out_done(t, take);
        written += take;
        CHECK(t4__tls_out_pending(t) == pend - take);
        data += piece;
        size -= piece;
        if (st == T4__TLS_CLOSED)
            break;
    }
    if (t->handshaken && !t->failed) {
        static const char msg[20000] = {0};
        CHECK(t4__tls_encrypt(t, msg, sizeof msg) == 0);
        CHECK(t4__tls_out_pending(t) > sizeof msg); /* records carry overhead */
    }
    t4__tls_goodbye(t);
    t4__tls_free(t);
    (void)written;
    return 0;
}
