/* SPDX-License-Identifier: MIT */
/* The tina4.v1 framing heads and offer tokens (v1.h): pure text, unit-tested. */
#include "ws/v1.h"
#include <string.h>

size_t t4__v1_head(char out[T4__V1_MAX_HEAD], char type, uint64_t epoch, uint64_t offset)
{
    static const char hex[] = "0123456789abcdef";
    size_t n = 0;
    out[n++] = type;
    for (int i = 15; i >= 0; i--)
        out[n++] = hex[(epoch >> (i * 4)) & 15];
    out[n++] = ':';
    char digits[20];
    size_t d = 0;
    do {
        digits[d++] = (char)('0' + offset % 10);
        offset /= 10;
    } while (offset);
    while (d)
        out[n++] = digits[--d];
    if (type == 'p')
        out[n++] = '\n';
    return n;
}

/* Decimal (1-20 digits, no overflow) or 16 hex digits into *v. */
static int number(const char *p, size_t n, int base, uint64_t *v)
{
    if (n == 0 || n > (base == 16 ? 16u : 20u))
        return 0;
    uint64_t x = 0;
    for (size_t i = 0; i < n; i++) {
        char c = p[i];
        unsigned d;
        if (c >= '0' && c <= '9')
            d = (unsigned)(c - '0');
        else if (base == 16 && c >= 'a' && c <= 'f')
            d = (unsigned)(c - 'a' + 10);
        else
            return 0;
        if (base == 10 && x > (UINT64_MAX - d) / 10)
            return 0;
        x = x * (uint64_t)base + d;
    }
    *v = x;
    return 1;
}

static int starts(const char *p, size_t n, const char *lit)
{
    size_t l = strlen(lit);
    return n >= l && memcmp(p, lit, l) == 0;
}

int t4__v1_parse_token(const char *p, size_t n, t4__v1_offer *o)
{
    if (starts(p, n, "tina4.resume.")) {
        p += 13, n -= 13;
        const char *dot = memchr(p, '.', n);
        uint64_t e, off;
        if (!dot || !number(p, (size_t)(dot - p), 16, &e) || e == 0 ||
            !number(dot + 1, n - (size_t)(dot - p) - 1, 10, &off))
            return 0;
        o->resume = 1;
        o->epoch = e;
        o->offset = off;
        return 1;
    }
    if (starts(p, n, "tina4.history.")) {
        uint64_t h;
        if (!number(p + 14, n - 14, 10, &h))
            return 0;
        o->history = h;
        return 1;
    }
    return 0;
}
