/* SPDX-License-Identifier: MIT */
/*
 * The members channel's messages and hash values (Redis backplane), parsed
 * strictly: anyone who can PUBLISH may send them.
 *
 *   "j <src> <conn> <plen> <path><info>"   conn on path has presence info
 *   "l <src> <conn> <plen> <path>"          conn left path
 *
 * src: the instance id (1 to 32 hex digits); conn: the connection id (1 to
 * 32 chars, letters and digits); plen: decimal length of path, which starts
 * with '/'; info: JSON text (not empty for "j"). The hash of an instance
 * (tina4:ws:members:<src>) holds the same "j" message per member, so a
 * snapshot is read with the same parser (and, with a secret, the same MAC).
 */
#ifndef T4_BACKPLANE_MEMBER_MSG_H
#define T4_BACKPLANE_MEMBER_MSG_H
#include "util/buf.h"
#include <stddef.h>

typedef struct {
    char kind; /* 'j' or 'l' */
    char src[33], conn[33];
    const char *path, *info; /* into the message; info NULL for 'l' */
    size_t path_len, info_len;
} t4__member_msg;

/* Appends a message to out; info NULL makes a "l". Returns 0 or -1. */
int t4__member_msg_build(t4__buf *out, const char *src, const char *conn, const char *path, size_t plen,
                         const char *info);
/* Returns 0 (m filled) or -1 (malformed). */
int t4__member_msg_parse(const char *msg, size_t len, size_t max_path, t4__member_msg *m);
#endif
