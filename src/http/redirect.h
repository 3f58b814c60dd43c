/* SPDX-License-Identifier: MIT */
/*
 * Plain HTTP on a TLS port with TINA4_TLS_REDIRECT on: a request gets 308
 * to the same host and target over https, a WebSocket upgrade gets 400
 * (a browser would not follow a redirect there), then the connection closes.
 */
#ifndef T4_HTTP_REDIRECT_H
#define T4_HTTP_REDIRECT_H
#include "http/parser.h"
#include "server/server.h"
#include <stddef.h>

/* The connection kind that answers so (redirect.c). */
extern const t4__conn_ops t4__http_redirect_ops;

/* The Location for a parsed head: "https://" Host target (a target that is
 * not origin-form becomes "/"). Writes a NUL-terminated string; returns its
 * length, or -1 when the head has no Host or out is too small. No server
 * state: unit-tested and fuzzed (redirect_logic.c). */
int t4__https_location(const t4__http_head *h, char *out, size_t n);
#endif
