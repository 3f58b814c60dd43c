/* SPDX-License-Identifier: MIT */
/*
 * The tina4.v1 subprotocol (docs/RESUME_PROTOCOL.md): what a client that
 * offered it receives instead of raw messages. Text frames carry a type
 * byte; binary frames stay raw (a "b" frame before one gives its position).
 *   "." text           a message without a position
 *   "p" E ":" O "\n" text   a message at position (E, O)
 *   "b" E ":" O        the next binary frame is at position (E, O)
 *   "s" E ":" O        position (E, O) was a message this client sent with
 *                      exclude_self: nothing to show, but it is past it
 *   "c" json           a control message (welcome, presence ...)
 * E is the epoch, 16 lowercase hex digits; O the offset in decimal.
 */
#ifndef T4_WS_V1_H
#define T4_WS_V1_H
#include <stddef.h>
#include <stdint.h>

#define T4__V1_PROTOCOL "tina4.v1"
#define T4__V1_MAX_HEAD 40 /* type, 16 hex, ':', 20 digits, '\n' */

/* Writes type, epoch, ':', offset (and '\n' for "p") into out; returns the length. */
size_t t4__v1_head(char out[T4__V1_MAX_HEAD], char type, uint64_t epoch, uint64_t offset);

/* What a client offered besides tina4.v1 (Sec-WebSocket-Protocol tokens):
 *   tina4.resume.<epoch hex>.<offset>   where it stopped
 *   tina4.history.<n>                   on a fresh join, the last n messages */
typedef struct {
    int resume; /* 1: epoch/offset are set */
    uint64_t epoch, offset;
    uint64_t history; /* 0: none asked */
} t4__v1_offer;

/* Reads one offered token into o; returns 1 if it was one of these tokens
 * (well formed), 0 otherwise (ignored). */
int t4__v1_parse_token(const char *p, size_t n, t4__v1_offer *o);
#endif
