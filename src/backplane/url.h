/* SPDX-License-Identifier: MIT */
/*
 * TINA4_WS_BACKPLANE_URL: redis://[user[:password]@]host[:port][/db]
 * (user and password may be percent-encoded; an IPv6 host goes in
 * brackets). Parsing allocates nothing: the result holds copies in fixed
 * buffers, so a too-long part is a malformed URL.
 */
#ifndef T4_BACKPLANE_URL_H
#define T4_BACKPLANE_URL_H
#include <stdbool.h>
#include <stddef.h>

typedef struct {
    char host[256];
    int port;          /* 6379 when absent */
    int db;            /* 0 when absent */
    bool has_user;     /* AUTH user password (Redis 6 ACL) */
    bool has_password; /* AUTH password (or with the user) */
    char user[256];
    char password[512];
} t4__redis_url;

/* Returns 0, or -1 with a short reason in *why (a static string). */
int t4__redis_url_parse(const char *url, t4__redis_url *out, const char **why);
/* The URL without its password, for log lines ("redis://user:***@host:port/db"). */
void t4__redis_url_display(const t4__redis_url *u, char *out, size_t outsz);
#endif
