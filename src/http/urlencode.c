/* SPDX-License-Identifier: MIT */
/*
 * Percent-decoding, query strings and Cookie headers.
 *
 * Decoded strings are handed to C code as NUL-terminated strings, so a
 * decoded (or raw) NUL byte would silently truncate them: "%00" and raw NULs
 * are refused rather than letting "admin%00.txt" look like "admin".
 */
#include "http/parser.h"
#include "util/hex.h"

#include <stdlib.h>
#include <string.h>

ssize_t t4__url_decode(char *dst, const char *src, size_t n, bool plus_is_space)
{
    size_t i = 0, j = 0;
    /* j <= i throughout, so dst == src is safe. */
    while (i < n) {
        unsigned char c = (unsigned char)src[i];
        if (c == '%') {
            if (n - i < 3)
                goto bad;
            int hi = t4__hexval((unsigned char)src[i + 1]), lo = t4__hexval((unsigned char)src[i + 2]);
            if (hi < 0 || lo < 0)
                goto bad;
            c = (unsigned char)(hi << 4 | lo);
            i += 3;
        } else {
            if (c == '+' && plus_is_space)
                c = ' ';
            i++;
        }
        if (c == 0)
            goto bad;
        dst[j++] = (char)c;
    }
    dst[j] = '\0';
    return (ssize_t)j;
bad:
    dst[0] = '\0';
    return -1;
}

/* A scratch buffer for one pair: on the stack when small (the usual case),
 * on the heap otherwise. */
typedef struct {
    char small[512];
    char *p;
} scratch;

static char *scratch_get(scratch *s, size_t need)
{
    s->p = need <= sizeof s->small ? s->small : malloc(need);
    return s->p;
}

static void scratch_put(scratch *s)
{
    if (s->p != s->small)
        free(s->p);
}

int t4__parse_query(const char *s, size_t n, t4__pair_fn fn, void *ctx)
{
    int count = 0;
    size_t i = 0;
    while (i < n) {
        size_t a = i;
        while (i < n && s[i] != '&')
            i++;
        size_t b = i++; /* the pair is s[a..b); skip the '&' */
        if (a == b)
            continue; /* "a=1&&b=2" */
        const char *eq = memchr(s + a, '=', b - a);
        size_t nl = eq ? (size_t)(eq - (s + a)) : b - a;
        size_t vs = eq ? nl + 1 : b - a; /* value offset within the pair */
        if (nl == 0)
            continue; /* "=x": no name */
        scratch sc;
        char *buf = scratch_get(&sc, (b - a) + 2);
        if (buf == NULL)
            continue;
        char *name = buf, *value = buf + nl + 1;
        if (t4__url_decode(name, s + a, nl, true) >= 0 &&
            t4__url_decode(value, s + a + vs, (b - a) - vs, true) >= 0) {
            fn(name, value, ctx);
            count++;
        }
        scratch_put(&sc);
    }
    return count;
}

static bool is_ows(char c)
{
    return c == ' ' || c == '\t';
}

int t4__parse_cookies(const char *s, size_t n, t4__pair_fn fn, void *ctx)
{
    int count = 0;
    size_t i = 0;
    while (i < n) {
        size_t a = i;
        while (i < n && s[i] != ';')
            i++;
        size_t b = i++;
        while (a < b && is_ows(s[a]))
            a++;
        while (b > a && is_ows(s[b - 1]))
            b--;
        const char *eq = memchr(s + a, '=', b - a);
        if (eq == NULL || memchr(s + a, '\0', b - a) != NULL)
            continue; /* no '=' (malformed), or a NUL that would truncate */
        size_t ne = (size_t)(eq - s), vs = ne + 1, ve = b;
        while (ne > a && is_ows(s[ne - 1]))
            ne--;
        while (vs < ve && is_ows(s[vs]))
            vs++;
        if (ne == a)
            continue; /* empty name */
        if (ve - vs >= 2 && s[vs] == '"' && s[ve - 1] == '"') {
            vs++; /* RFC 6265: cookie-value may be a quoted string */
            ve--;
        }
        scratch sc;
        char *buf = scratch_get(&sc, (ne - a) + (ve - vs) + 2);
        if (buf == NULL)
            continue;
        memcpy(buf, s + a, ne - a);
        buf[ne - a] = '\0';
        char *value = buf + (ne - a) + 1;
        memcpy(value, s + vs, ve - vs);
        value[ve - vs] = '\0';
        fn(buf, value, ctx);
        count++;
        scratch_put(&sc);
    }
    return count;
}
