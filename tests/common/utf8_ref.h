/* SPDX-License-Identifier: MIT */
/*
 * A slow, obviously-correct UTF-8 reference (RFC 3629) shared by the unit
 * test of the validator and its fuzz target: it is the oracle, written
 * independently of src/ws/utf8.c.
 */
#ifndef T4_TESTS_UTF8_REF_H
#define T4_TESTS_UTF8_REF_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Could some code point of an L-byte sequence start with these bits? The
 * bits seen so far fix an interval of code points; it must meet the range
 * an L-byte form is meant for (not overlong, not above U+10FFFF) outside
 * the surrogates. */
static bool ref_reachable(uint32_t bits, int have, int len)
{
    static const uint32_t min[] = {0, 0, 0x80, 0x800, 0x10000};
    static const uint32_t max[] = {0, 0x7F, 0x7FF, 0xFFFF, 0x10FFFF};
    int rest = 6 * (len - have);
    uint32_t lo = bits << rest, hi = lo | ((1u << rest) - 1);
    uint32_t a = lo > min[len] ? lo : min[len];
    uint32_t b = hi < max[len] ? hi : max[len];
    if (a > b)
        return false;
    return !(a >= 0xD800 && b <= 0xDFFF);
}

/* Index of the first byte after which the input can no longer be valid
 * UTF-8, or n if s[0..n) is a prefix of valid UTF-8; *boundary tells whether
 * s[0..n) ends between characters. */
static size_t ref_first_bad(const uint8_t *s, size_t n, bool *boundary)
{
    size_t i = 0;
    *boundary = true;
    while (i < n) {
        uint8_t c = s[i];
        int len;
        uint32_t cp;
        if (c < 0x80) {
            i++;
            continue;
        } else if ((c & 0xE0) == 0xC0) {
            len = 2, cp = c & 0x1F;
        } else if ((c & 0xF0) == 0xE0) {
            len = 3, cp = c & 0x0F;
        } else if ((c & 0xF8) == 0xF0) {
            len = 4, cp = c & 0x07;
        } else {
            return i;
        }
        if (!ref_reachable(cp, 1, len))
            return i;
        for (int j = 1; j < len; j++) {
            if (i + j >= n) {
                *boundary = false;
                return n;
            }
            uint8_t d = s[i + j];
            if ((d & 0xC0) != 0x80)
                return i + j;
            cp = (cp << 6) | (d & 0x3F);
            if (!ref_reachable(cp, j + 1, len))
                return i + j;
        }
        i += len;
    }
    return n;
}
#endif
