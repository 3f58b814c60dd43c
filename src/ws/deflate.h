/* SPDX-License-Identifier: MIT */
/*
 * permessage-deflate (RFC 7692), opt-in with TINA4_WS_COMPRESSION.
 *
 * The server always answers with server_no_context_takeover and
 * client_no_context_takeover: every message is compressed and decompressed
 * on its own, so one z_stream per direction (per window size for deflate)
 * serves every connection of the loop. A connection that negotiated the
 * extension holds nothing but its window size (4 bits in t4_ws); idle
 * connections own no zlib memory. Loop thread only.
 */
#ifndef T4_WS_DEFLATE_H
#define T4_WS_DEFLATE_H
#include "util/sbuf.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Looks for an acceptable permessage-deflate offer in one
 * Sec-WebSocket-Extensions value (comma-separated offers, ;-separated
 * params). Returns the window size our deflate will use (9..15) for the
 * first acceptable offer, 0 if none (the header is then ignored: RFC 7692
 * 7.1 declines an offer, never fails the handshake). An offer is declined
 * for an unknown or repeated parameter, an invalid value, or
 * server_max_window_bits=8 (zlib cannot keep a 256-byte window).
 * *asked_server_bits is set when the offer named server_max_window_bits
 * (the response must then echo it). A malformed header yields 0. */
int t4__pmd_negotiate(const char *value, size_t len, bool *asked_server_bits);

/* The response header line (with CRLF) for an accepted offer; returns its
 * length (out holds at least 130 bytes: the longest response line and its NUL). */
size_t t4__pmd_response(int wbits, bool asked_server_bits, char *out, size_t cap);

/* A compressed frame (RSV1 set, FIN, unmasked) for one message, deflated
 * with a raw window of `wbits` and the trailing 00 00 ff ff removed.
 * NULL when compression would not make the payload smaller (or no memory):
 * the caller sends the message plain. */
t4__sbuf *t4__pmd_frame(uint8_t opcode, const void *data, size_t len, int wbits);

typedef enum {
    T4__PMD_OK = 0,
    T4__PMD_TOO_BIG = -1, /* inflated size over the limit: close 1009 */
    T4__PMD_CORRUPT = -2, /* not a valid deflate stream: close 1002 */
    T4__PMD_NOMEM = -3,   /* close 1011 */
} t4__pmd_status;

/* Inflates one whole compressed message (the tail 00 00 ff ff is supplied
 * here) into the loop's output buffer, failing as soon as the output would
 * exceed max bytes (a zip bomb costs at most max + one chunk). On OK,
 * out and out_len hold the message, with one writable spare byte after it;
 * valid until the next call or t4__pmd_trim. */
t4__pmd_status t4__pmd_inflate(const uint8_t *in, size_t len, size_t max, char **out, size_t *out_len);

/* Gives back an output buffer grown past 256 KiB by a large message. */
void t4__pmd_trim(void);

/* Frees every zlib stream and buffer (at shutdown). */
void t4__pmd_cleanup(void);
#endif
