/* SPDX-License-Identifier: MIT */
#ifndef T4_WS_HANDSHAKE_H
#define T4_WS_HANDSHAKE_H
#include "http/parser.h"
#include "server/server.h"
/*
 * Answers an Upgrade request (RFC 6455 4.2): 101 and the connection becomes
 * a WebSocket (joins its group, OPEN fires), or an error status and close:
 * 400 bad/missing key or not GET/HTTP 1.1, 426 other version, 403 origin not
 * allowed, 404 no WebSocket route, 503 shutting down.
 */
void t4__ws_handshake(t4__conn *c, const t4__http_head *h);

/* The pure part (handshake_logic.c), usable without a server: */

/* base64(SHA-1(key + GUID)) into out (29 bytes incl. NUL). */
void t4__ws_accept_key(const char *key, size_t len, char out[29]);

/* Sec-WebSocket-Key: base64 of exactly 16 bytes (24 characters, "=="). */
bool t4__ws_key_valid(t4__slice key);

/* The Origin allow-list (TINA4_WS_ALLOWED_ORIGINS: comma/space-separated,
 * case-insensitive; empty or "*" allows all); no Origin header passes. */
bool t4__ws_origin_allowed(const char *allowed, const t4__http_head *h);

/* Does any Sec-WebSocket-Protocol line list `name` (exactly)? */
bool t4__ws_client_offers(const t4__http_head *h, const char *name);

/* The checks before routing, in order: 0 to proceed, or the status: 400 not
 * a GET in HTTP/1.1, a body, Sec-WebSocket-Key or -Version repeated, or an
 * invalid key; 426 a version other than 13; 403 origin not allowed. */
int t4__ws_upgrade_check(const t4__http_head *h, const char *allowed_origins);

/* permessage-deflate: the first acceptable offer across every
 * Sec-WebSocket-Extensions line (together one list). Returns its window
 * bits (0: none, *ext_len = 0) and writes the response line to ext. */
int t4__ws_negotiate_deflate(const t4__http_head *h, char *ext, size_t cap, size_t *ext_len);
#endif
