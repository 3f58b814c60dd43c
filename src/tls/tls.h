/* SPDX-License-Identifier: MIT */
/*
 * TLS built in (OpenSSL 3): a transport under every connection kind.
 *
 * context.c   the server's SSL_CTX from TINA4_TLS_CERT / TINA4_TLS_KEY
 *             (TLS 1.2 and 1.3, the cipher list, ALPN http/1.1, tickets),
 *             start-up errors naming the file, and t4__tls_reload().
 * session.c   one TLS session over a BIO of our own: raw bytes are fed from
 *             the loop's read buffer (no copy), ciphertext is appended to a
 *             per-connection buffer. No socket: this is what the fuzzer drives.
 * tls_conn.c  the transport: decrypted bytes go to the connection's kind;
 *             the queue is encrypted once per loop turn per connection.
 * sniff.c     TINA4_TLS_REDIRECT: the first byte tells TLS from plain HTTP.
 * sighup.c    SIGHUP reloads the certificate (single-process mode).
 *
 * Lifecycle: t4__tls_configure at start (before workers fork: they share
 * the context and its ticket keys) -> t4__tls_accept per connection ->
 * t4__tls_reload any time on the loop thread -> t4__tls_cleanup at exit.
 */
#ifndef T4_TLS_TLS_H
#define T4_TLS_TLS_H
#include "server/server.h"
#include "tina4.h"
#include <stdbool.h>
#include <stddef.h>

/* Builds the context when cfg names a certificate and key; 0 (also when
 * TLS is off) or T4_EINVAL with one error line naming the file. */
int t4__tls_configure(const t4_config *cfg);
bool t4__tls_enabled(void);
/*
 * Re-reads the certificate chain and key from the same paths into a new
 * context. New handshakes use it; established sessions keep theirs (each
 * holds a reference to the context it started with), and ticket keys carry
 * over so sessions resume across the reload. On any error the old context
 * stays and the error is logged. Loop thread (or before the loop runs).
 * Returns 0 or T4_EINVAL. Hot reload calls this from its SIGHUP handling.
 */
int t4__tls_reload(void);
void t4__tls_cleanup(void);

/* Puts an accepted connection on TLS (or on the first-byte sniffer when
 * TINA4_TLS_REDIRECT is on). No-op when TLS is off. */
void t4__tls_accept(t4__conn *c);
/* The kind a plain connection gets on a redirecting TLS port (an HTTP kind
 * that answers 308 to https, or 400 to a WebSocket upgrade). */
void t4__tls_set_plain_ops(const t4__conn_ops *ops);

/* First-byte sniffing: a TLS connection starts with a handshake record
 * (content type 22); anything else is plain. */
typedef enum { T4__SNIFF_MORE = 0, T4__SNIFF_TLS, T4__SNIFF_PLAIN } t4__sniff_result;
t4__sniff_result t4__tls_sniff(const unsigned char *p, size_t n);

/* SIGHUP -> t4__tls_reload (single-process serving with TLS on). */
void t4__tls_sighup_start(uv_loop_t *loop);
void t4__tls_sighup_stop(void);
#endif
