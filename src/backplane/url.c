/* SPDX-License-Identifier: MIT */
/* Parsing of the backplane URL (see url.h). */
#include "backplane/url.h"
#include "util/hex.h"
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* Percent-decodes [s, s+n) into out (NUL-terminated). -1: bad escape,
 * too long, or a NUL byte. */
static int pct_decode(const char *s, size_t n, char *out, size_t outsz)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        int c = (unsigned char)s[i];
        if (c == '%') {
            if (i + 2 >= n)
                return -1;
            int hi = t4__hexval((unsigned char)s[i + 1]), lo = t4__hexval((unsigned char)s[i + 2]);
            if (hi < 0 || lo < 0)
                return -1;
            c = hi * 16 + lo;
            i += 2;
        }
        if (c == 0 || o + 1 >= outsz)
            return -1;
        out[o++] = (char)c;
    }
    out[o] = '\0';
    return 0;
}

/* A decimal number in [lo, hi] filling exactly [s, s+n). */
static int number(const char *s, size_t n, long lo, long hi, int *out)
{
    if (n == 0 || n > 9)
        return -1;
    long v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    if (v < lo || v > hi)
        return -1;
    *out = (int)v;
    return 0;
}

int t4__redis_url_parse(const char *url, t4__redis_url *u, const char **why)
{
    static const char scheme[] = "redis://";
    memset(u, 0, sizeof *u);
    u->port = 6379;
    *why = NULL;
    if (!url || !*url) {
        *why = "empty URL";
        return -1;
    }
    if (strncasecmp(url, "rediss://", 9) == 0) {
        *why = "rediss:// (TLS) is not supported; use redis:// (for example through a local TLS tunnel)";
        return -1;
    }
    if (strncasecmp(url, scheme, sizeof scheme - 1) != 0) {
        *why = "expected redis://[user:password@]host:port[/db]";
        return -1;
    }
    const char *p = url + sizeof scheme - 1;
    const char *end = p + strlen(p);
    for (const char *q = p; q < end; q++) {
        if (*q == '?' || *q == '#' || *q == ' ' || (unsigned char)*q < 0x20) {
            *why = "unexpected character (query strings, fragments and spaces are not allowed)";
            return -1;
        }
    }
    /* Authority ends at the first '/'; userinfo at the last '@' before it. */
    const char *slash = memchr(p, '/', (size_t)(end - p));
    const char *auth_end = slash ? slash : end;
    const char *at = NULL;
    for (const char *q = p; q < auth_end; q++)
        if (*q == '@')
            at = q;
    if (at) {
        const char *colon = memchr(p, ':', (size_t)(at - p));
        const char *uend = colon ? colon : at;
        if (uend > p) {
            if (pct_decode(p, (size_t)(uend - p), u->user, sizeof u->user) != 0) {
                *why = "bad user name (percent-encoding or length)";
                return -1;
            }
            u->has_user = true;
        }
        if (colon) {
            if (pct_decode(colon + 1, (size_t)(at - colon - 1), u->password, sizeof u->password) != 0) {
                *why = "bad password (percent-encoding or length)";
                return -1;
            }
            u->has_password = u->password[0] != '\0';
        }
        if (u->has_user && !u->has_password) {
            *why = "a user name needs a password (redis://user:password@host)";
            return -1;
        }
        p = at + 1;
    }
    /* Host, then an optional :port. */
    const char *hend;
    const char *port_at = NULL;
    if (p < auth_end && *p == '[') {
        const char *rb = memchr(p, ']', (size_t)(auth_end - p));
        if (!rb) {
            *why = "unterminated [IPv6] host";
            return -1;
        }
        if ((size_t)(rb - p - 1) >= sizeof u->host || rb == p + 1) {
            *why = "bad [IPv6] host";
            return -1;
        }
        memcpy(u->host, p + 1, (size_t)(rb - p - 1));
        hend = rb + 1;
        if (hend < auth_end) {
            if (*hend != ':') {
                *why = "unexpected text after the [IPv6] host";
                return -1;
            }
            port_at = hend + 1;
        }
    } else {
        const char *colon = memchr(p, ':', (size_t)(auth_end - p));
        hend = colon ? colon : auth_end;
        if (hend == p) {
            *why = "missing host";
            return -1;
        }
        if ((size_t)(hend - p) >= sizeof u->host) {
            *why = "host name too long";
            return -1;
        }
        for (const char *q = p; q < hend; q++) {
            if (*q == '@' || *q == '[' || *q == ']' || *q == '%') {
                *why = "bad character in host";
                return -1;
            }
        }
        memcpy(u->host, p, (size_t)(hend - p));
        if (colon)
            port_at = colon + 1;
    }
    if (port_at && number(port_at, (size_t)(auth_end - port_at), 1, 65535, &u->port) != 0) {
        *why = "port must be a number from 1 to 65535";
        return -1;
    }
    /* Optional /db (an empty path "/" means db 0). */
    if (slash && slash + 1 < end && number(slash + 1, (size_t)(end - slash - 1), 0, 100000, &u->db) != 0) {
        *why = "database must be a number (redis://host:port/0)";
        return -1;
    }
    return 0;
}

void t4__redis_url_display(const t4__redis_url *u, char *out, size_t outsz)
{
    bool v6 = strchr(u->host, ':') != NULL;
    snprintf(out, outsz, "redis://%s%s%s%s%s%s:%d/%d", u->has_user ? u->user : "",
             u->has_password ? ":***" : "", u->has_user || u->has_password ? "@" : "", v6 ? "[" : "", u->host,
             v6 ? "]" : "", u->port, u->db);
}
