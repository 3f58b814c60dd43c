/* SPDX-License-Identifier: MIT */
/*
 * Incremental UTF-8 validator. See utf8.h for the contract.
 *
 * A lead byte fixes how many continuation bytes follow and, for the few
 * leads whose first continuation is restricted, a narrower range for that
 * byte. Those narrowed ranges are exactly what shuts out the invalid forms:
 *   E0 -> A0..BF  (E0 80..9F would be an overlong 3-byte form)
 *   ED -> 80..9F  (ED A0..BF would encode a surrogate U+D800..DFFF)
 *   F0 -> 90..BF  (F0 80..8F would be an overlong 4-byte form)
 *   F4 -> 80..8F  (F4 90.. would exceed U+10FFFF)
 * C0, C1 (always overlong), F5..FF (always above U+10FFFF) and a bare
 * continuation byte are refused as leads. Every later continuation is
 * 80..BF. Because each check is on one byte, and any prefix that passes can
 * still be completed validly, a feed is refused exactly when it contains
 * the first byte that makes the input unrecoverable, never later.
 */
#include "ws/utf8.h"

#include <string.h>

#define HIGH_BITS 0x8080808080808080ull

/* Returns the index just past the run of ASCII starting at s[i], checking a
 * word (and, for long runs, four words) per step. Only entered on an ASCII
 * byte, so text that is mostly multi-byte does not pay for failed word
 * loads on every character. */
static size_t skip_ascii(const uint8_t *s, size_t i, size_t n)
{
    while (n - i >= 32) {
        uint64_t w[4];
        memcpy(w, s + i, 32);
        if ((w[0] | w[1] | w[2] | w[3]) & HIGH_BITS)
            break;
        i += 32;
    }
    while (n - i >= 8) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        if (w & HIGH_BITS)
            break;
        i += 8;
    }
    /* The word holding the first non-ASCII byte (or the short tail) is
     * finished a byte at a time. */
    while (i < n && s[i] < 0x80)
        i++;
    return i;
}

bool t4__utf8_feed(t4__utf8 *v, const uint8_t *s, size_t n)
{
    unsigned need = v->state;
    if (need == T4__UTF8_FAILED)
        return false;
    uint8_t lo = v->lo, hi = v->hi;
    size_t i = 0;

    while (i < n) {
        if (need == 0) {
            uint8_t c = s[i];
            if (c < 0x80) {
                i = skip_ascii(s, i, n);
                continue;
            }
            i++;
            lo = 0x80;
            hi = 0xBF;
            if (c < 0xC2) {
                goto fail; /* continuation byte as a lead, or C0/C1 */
            } else if (c < 0xE0) {
                need = 1;
            } else if (c < 0xF0) {
                need = 2;
                if (c == 0xE0)
                    lo = 0xA0;
                else if (c == 0xED)
                    hi = 0x9F;
            } else if (c < 0xF5) {
                need = 3;
                if (c == 0xF0)
                    lo = 0x90;
                else if (c == 0xF4)
                    hi = 0x8F;
            } else {
                goto fail;
            }
            /* Whole character in this buffer (the usual case): check its
             * continuation bytes here instead of one loop trip each. Only
             * the first has a narrowed range; the rest are 80..BF. */
            if (n - i >= need) {
                if (s[i] < lo || s[i] > hi)
                    goto fail;
                for (unsigned k = 1; k < need; k++)
                    if ((s[i + k] & 0xC0) != 0x80)
                        goto fail;
                i += need;
                need = 0;
                lo = 0x80;
                hi = 0xBF;
            }
        } else {
            uint8_t c = s[i++];
            if (c < lo || c > hi)
                goto fail;
            need--;
            lo = 0x80;
            hi = 0xBF;
        }
    }
    v->state = (uint8_t)need;
    v->lo = lo;
    v->hi = hi;
    return true;

fail:
    v->state = T4__UTF8_FAILED;
    return false;
}

bool t4__utf8_complete(const t4__utf8 *v)
{
    return v->state == 0;
}

bool t4__utf8_valid(const uint8_t *s, size_t n)
{
    t4__utf8 v;
    t4__utf8_init(&v);
    return t4__utf8_feed(&v, s, n) && t4__utf8_complete(&v);
}
