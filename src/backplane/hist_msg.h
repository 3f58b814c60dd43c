/* SPDX-License-Identifier: MIT */
/*
 * History in Redis (TINA4_WS_BACKPLANE=redis, routes with .history_size):
 * the messages of the history channel, parsed strictly (no I/O).
 *
 * An instance sends a message body to a script that positions it (see
 * redis_history.c); the script publishes, on tina4:ws:history,
 *
 *   "<epoch> <offset> " body            body (sealed with the backplane
 *                                       secret when there is one):
 *   "<src> <opcode> <exclude> <plen> <path><data>"
 *
 * epoch: 16 lowercase hex digits; offset: decimal, at least 1; src: the
 * instance id (1 to 32 hex); opcode: 1 (text) or 2 (binary); exclude: the
 * sender's connection id for exclude-self, "-" for none; plen: decimal
 * length of path (starts with '/'); data: the rest, any bytes.
 */
#ifndef T4_BACKPLANE_HIST_MSG_H
#define T4_BACKPLANE_HIST_MSG_H
#include "util/buf.h"
#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint64_t epoch, offset;
    const char *body; /* after the position, for the MAC check */
    size_t body_len;
} t4__hist_pos;

typedef struct {
    char src[33], exclude[33]; /* exclude "" for none */
    unsigned char opcode;
    const char *path, *data;
    size_t path_len, len;
} t4__hist_msg;

int t4__hist_body_build(t4__buf *out, const char *src, unsigned char opcode, const char *exclude,
                        const char *path, size_t plen, const void *data, size_t len);
/* "<epoch> <offset> " then the body. Returns 0 or -1. */
int t4__hist_pos_parse(const char *msg, size_t len, t4__hist_pos *p);
/* The body. Returns 0 or -1. */
int t4__hist_body_parse(const char *body, size_t len, size_t max_path, t4__hist_msg *m);
#endif
