/* SPDX-License-Identifier: MIT */
/*
 * The presence channel's messages, parsed strictly (no I/O, no state: the
 * fuzz target calls these directly).
 *
 *   "P <id> <seq> <count> <path>"   a path's count on instance id changed
 *   "H <id> <seq>"                  heartbeat (seq: its latest change)
 *   "J <id> <seq>"                  announced (joined or re-announced)
 *   "B <id>"                        gone (clean shutdown)
 *
 * id: 1 to 32 hex digits. seq and count: decimal digits only (no sign, no
 * space, no "0x"), seq at most UINT64_MAX, count at most
 * T4__PRES_COUNT_MAX. path: starts with '/', at most max_path bytes, runs
 * to the end of the message. Fields are separated by exactly one space.
 * Anything else is malformed: anyone who can PUBLISH on the channel can
 * send it, so nothing is guessed or clamped.
 */
#ifndef T4_BACKPLANE_PRESENCE_MSG_H
#define T4_BACKPLANE_PRESENCE_MSG_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* No instance holds more connections than this (a process has far fewer
 * file descriptors); a larger count is a forgery or a bug. */
#define T4__PRES_COUNT_MAX 1000000000u
#define T4__PRES_ID_MAX    32

typedef struct {
    char kind; /* 'P', 'H', 'J' or 'B' */
    char id[T4__PRES_ID_MAX + 1];
    size_t id_len;
    uint64_t seq;     /* P, H, J */
    size_t count;     /* P */
    const char *path; /* P: points into the message */
    size_t path_len;
} t4__pres_msg;

/* Decimal digits only, 1 or more, value <= max. Returns 0 or -1. */
int t4__pres_parse_uint(const char *s, size_t n, uint64_t max, uint64_t *out);
/* 1 to 32 hex digits. */
bool t4__pres_valid_id(const char *id, size_t n);
/* Shared by the backplane's text messages (presence, members, history):
 * the next space-terminated field of [*p, end), 1 to max bytes, into f / n,
 * *p moved past its space (0, or -1 with nothing moved); and whether s is
 * ASCII letters and digits only. */
int t4__pres_field(const char **p, const char *end, const char **f, size_t *n, size_t max);
bool t4__pres_alnum(const char *s, size_t n);
/* Returns 0 (m filled) or -1 (malformed). */
int t4__pres_msg_parse(const char *msg, size_t len, size_t max_path, t4__pres_msg *m);
/* A path field of a presence hash (a snapshot): starts with '/', at most
 * max_path bytes. */
bool t4__pres_valid_path(const char *path, size_t n, size_t max_path);
#endif
