/* SPDX-License-Identifier: MIT */
/*
 * The server's TLS context (see tls.h): protocol versions, ciphers, ALPN,
 * session tickets, and the certificate and key, with errors that name the
 * file and say what is wrong with it.
 */
#include "tls/tls.h"
#include "util/log.h"
#include <errno.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* TLS 1.2: forward-secret AEAD suites only (ECDHE with AES-GCM or
 * ChaCha20-Poly1305); TLS 1.3: its three standard suites. Stated in the
 * README's TLS section. */
#define CIPHERS_TLS12                                                                                        \
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"               \
    "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305"
#define CIPHERS_TLS13 "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256"
#define GROUPS        "X25519:P-256:P-384"
#define TICKET_KEYS   80 /* OpenSSL 3's ticket key block: name, HMAC and AES keys */

static SSL_CTX *ctx;
static char *cert_path, *key_path;
static bool ktls;

SSL_CTX *t4__tls_ctx(void);
SSL_CTX *t4__tls_ctx(void)
{
    return ctx;
}

bool t4__tls_enabled(void)
{
    return ctx != NULL;
}

/* The last OpenSSL error, as text, for a log line. */
static const char *ssl_reason(char *buf, size_t n)
{
    unsigned long e = ERR_peek_last_error();
    const char *r = e ? ERR_reason_error_string(e) : NULL;
    snprintf(buf, n, "%s", r ? r : "unknown error");
    ERR_clear_error(); /* every path: nothing left for the next TLS call */
    return buf;
}

static bool readable(const char *setting, const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        t4_log(T4_LOG_ERROR, "%s=%s: cannot read the file: %s", setting, path, strerror(errno));
        return false;
    }
    fclose(f);
    return true;
}

/* ALPN: HTTP/1.1 is all we speak; a client that offers only other
 * protocols (h2 alone) goes on without ALPN rather than failing. */
static int select_alpn(SSL *ssl, const unsigned char **out, unsigned char *outlen, const unsigned char *in,
                       unsigned int inlen, void *arg)
{
    (void)ssl;
    (void)arg;
    static const unsigned char ours[] = "\x08http/1.1";
    unsigned char *sel;
    if (SSL_select_next_proto(&sel, outlen, ours, sizeof ours - 1, in, inlen) != OPENSSL_NPN_NEGOTIATED)
        return SSL_TLSEXT_ERR_NOACK;
    *out = sel;
    return SSL_TLSEXT_ERR_OK;
}

static SSL_CTX *build(const char *cert, const char *key)
{
    if (!readable("TINA4_TLS_CERT", cert) || !readable("TINA4_TLS_KEY", key))
        return NULL;
    char why[256];
    SSL_CTX *c = SSL_CTX_new(TLS_server_method());
    if (!c) {
        t4_log(T4_LOG_ERROR, "TLS: cannot create a context: %s", ssl_reason(why, sizeof why));
        return NULL;
    }
    SSL_CTX_set_min_proto_version(c, TLS1_2_VERSION);
    SSL_CTX_set_max_proto_version(c, TLS1_3_VERSION);
    if (!SSL_CTX_set_cipher_list(c, CIPHERS_TLS12) || !SSL_CTX_set_ciphersuites(c, CIPHERS_TLS13) ||
        !SSL_CTX_set1_groups_list(c, GROUPS)) {
        t4_log(T4_LOG_ERROR, "TLS: cipher or group list refused: %s", ssl_reason(why, sizeof why));
        SSL_CTX_free(c);
        return NULL;
    }
    uint64_t opts = SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION;
    if (ktls)
        opts |= SSL_OP_ENABLE_KTLS;
    SSL_CTX_set_options(c, opts);
    /* Idle connections give their record buffers back. */
    SSL_CTX_set_mode(c, SSL_MODE_RELEASE_BUFFERS);
    /* Resumption by tickets only: nothing per session is kept on the
     * server, so memory does not grow with the clients seen. */
    SSL_CTX_set_session_cache_mode(c, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_num_tickets(c, 1);
    SSL_CTX_set_alpn_select_cb(c, select_alpn, NULL);
    if (SSL_CTX_use_certificate_chain_file(c, cert) != 1) {
        t4_log(T4_LOG_ERROR, "TINA4_TLS_CERT=%s: not a PEM certificate chain (%s)", cert,
               ssl_reason(why, sizeof why));
        SSL_CTX_free(c);
        return NULL;
    }
    if (SSL_CTX_use_PrivateKey_file(c, key, SSL_FILETYPE_PEM) != 1) {
        const char *r = ssl_reason(why, sizeof why);
        if (strstr(r, "mismatch"))
            t4_log(T4_LOG_ERROR, "TINA4_TLS_KEY=%s does not match the certificate in TINA4_TLS_CERT=%s", key,
                   cert);
        else
            t4_log(T4_LOG_ERROR, "TINA4_TLS_KEY=%s: not a PEM private key (%s)", key, r);
        SSL_CTX_free(c);
        return NULL;
    }
    if (SSL_CTX_check_private_key(c) != 1) {
        ERR_clear_error();
        t4_log(T4_LOG_ERROR, "TINA4_TLS_KEY=%s does not match the certificate in TINA4_TLS_CERT=%s", key,
               cert);
        SSL_CTX_free(c);
        return NULL;
    }
    return c;
}

int t4__tls_configure(const t4_config *cfg)
{
    bool has_cert = cfg->tls_cert && *cfg->tls_cert, has_key = cfg->tls_key && *cfg->tls_key;
    if (!has_cert && !has_key)
        return 0;
    if (!has_cert || !has_key) {
        t4_log(T4_LOG_ERROR, "TLS needs both TINA4_TLS_CERT and TINA4_TLS_KEY (only %s is set)",
               has_cert ? "TINA4_TLS_CERT" : "TINA4_TLS_KEY");
        return T4_EINVAL;
    }
    t4__tls_cleanup();
    ktls = !cfg->tls_no_ktls;
    SSL_CTX *c = build(cfg->tls_cert, cfg->tls_key);
    if (!c)
        return T4_EINVAL;
    cert_path = strdup(cfg->tls_cert);
    key_path = strdup(cfg->tls_key);
    if (!cert_path || !key_path) {
        SSL_CTX_free(c);
        t4__tls_cleanup();
        return T4_ENOMEM;
    }
    ctx = c;
    return 0;
}

int t4__tls_reload(void)
{
    if (!ctx)
        return 0; /* TLS is off: nothing to reload */
    SSL_CTX *c = build(cert_path, key_path);
    if (!c) {
        t4_log(T4_LOG_ERROR, "TLS: certificate reload failed; still serving the previous certificate");
        return T4_EINVAL;
    }
    /* The same ticket keys: sessions issued before the reload still resume. */
    unsigned char keys[TICKET_KEYS];
    if (SSL_CTX_get_tlsext_ticket_keys(ctx, keys, sizeof keys) == 1)
        SSL_CTX_set_tlsext_ticket_keys(c, keys, sizeof keys);
    OPENSSL_cleanse(keys, sizeof keys);
    SSL_CTX_free(ctx); /* live sessions hold their own reference to it */
    ctx = c;
    t4_log(T4_LOG_INFO, "TLS: certificate reloaded from %s", cert_path);
    return 0;
}

void t4__tls_cleanup(void)
{
    SSL_CTX_free(ctx);
    ctx = NULL;
    free(cert_path);
    free(key_path);
    cert_path = key_path = NULL;
}
