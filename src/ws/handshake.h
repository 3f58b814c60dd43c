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
/* base64(SHA-1(key + GUID)) into out (29 bytes incl. NUL). */
void t4__ws_accept_key(const char *key, size_t len, char out[29]);
#endif
