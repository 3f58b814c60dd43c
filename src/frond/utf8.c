/* SPDX-License-Identifier: MIT */
/* UTF-8 decoding and simple case mapping (Latin, Greek, Cyrillic). */
#include "frond/internal.h"

size_t t4__futf8_decode(const char *str, size_t n, unsigned *cp)
{
    const unsigned char *s = (const unsigned char *)str;
    if (n == 0) {
        *cp = 0;
        return 0;
    }
    unsigned c = s[0];
    size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (len == 0 || len > n) {
        *cp = c;
        return 1;
    }
    if (len == 1) {
        *cp = c;
        return 1;
    }
    unsigned v = c & (0x7f >> len);
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80) {
            *cp = c;
            return 1;
        }
        v = (v << 6) | (s[i] & 0x3f);
    }
    *cp = v;
    return len;
}

size_t t4__futf8_len(const char *s, size_t n)
{
    size_t count = 0;
    unsigned cp;
    for (size_t i = 0; i < n; i += t4__futf8_decode(s + i, n - i, &cp)) {
        count++;
    }
    return count;
}

size_t t4__futf8_offset(const char *s, size_t n, size_t chars)
{
    size_t i = 0;
    unsigned cp;
    while (chars > 0 && i < n) {
        i += t4__futf8_decode(s + i, n - i, &cp);
        chars--;
    }
    return i;
}

void t4__futf8_put(t4__fbuf *b, unsigned cp)
{
    char o[4];
    if (cp < 0x80) {
        o[0] = (char)cp;
        t4__fbuf_put(b, o, 1);
    } else if (cp < 0x800) {
        o[0] = (char)(0xc0 | (cp >> 6));
        o[1] = (char)(0x80 | (cp & 0x3f));
        t4__fbuf_put(b, o, 2);
    } else if (cp < 0x10000) {
        o[0] = (char)(0xe0 | (cp >> 12));
        o[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        o[2] = (char)(0x80 | (cp & 0x3f));
        t4__fbuf_put(b, o, 3);
    } else {
        o[0] = (char)(0xf0 | (cp >> 18));
        o[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
        o[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
        o[3] = (char)(0x80 | (cp & 0x3f));
        t4__fbuf_put(b, o, 4);
    }
}

unsigned t4__futf8_lower(unsigned c)
{
    if (c >= 'A' && c <= 'Z') {
        return c + 32;
    }
    if (c < 0x80) {
        return c;
    }
    if ((c >= 0xc0 && c <= 0xde && c != 0xd7)) {
        return c + 32;
    }
    if (c >= 0x100 && c <= 0x17f && c != 0x130 && c != 0x131 && c != 0x138 && c != 0x149 && c != 0x17f) {
        bool odd_upper = (c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17e);
        if (odd_upper) {
            return (c & 1) ? c + 1 : c;
        }
        return (c & 1) ? c : c + 1;
    }
    if (c >= 0x391 && c <= 0x3a9 && c != 0x3a2) {
        return c + 32;
    }
    if (c >= 0x410 && c <= 0x42f) {
        return c + 32;
    }
    if (c >= 0x400 && c <= 0x40f) {
        return c + 80;
    }
    return c;
}

unsigned t4__futf8_upper(unsigned c)
{
    if (c >= 'a' && c <= 'z') {
        return c - 32;
    }
    if (c < 0x80) {
        return c;
    }
    if (c >= 0xe0 && c <= 0xfe && c != 0xf7) {
        return c - 32;
    }
    if (c == 0xff) {
        return 0x178;
    }
    if (c >= 0x100 && c <= 0x17f && c != 0x130 && c != 0x131 && c != 0x138 && c != 0x149 && c != 0x17f) {
        bool odd_upper = (c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17e);
        if (odd_upper) {
            return (c & 1) ? c : c - 1;
        }
        return (c & 1) ? c - 1 : c;
    }
    if (c >= 0x3b1 && c <= 0x3c9 && c != 0x3c2) {
        return c - 32;
    }
    if (c == 0x3c2) {
        return 0x3a3;
    }
    if (c >= 0x430 && c <= 0x44f) {
        return c - 32;
    }
    if (c >= 0x450 && c <= 0x45f) {
        return c - 80;
    }
    return c;
}
