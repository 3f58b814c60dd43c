/* SPDX-License-Identifier: MIT */
/*
 * UTF-8 validation (RFC 3629: no overlongs, no surrogates, nothing above
 * U+10FFFF) for text messages. Incremental, so a fragmented message is
 * rejected at the first bad byte (fail fast) rather than at its end. ASCII
 * runs are checked a word at a time.
 */
#ifndef T4_WS_UTF8_H
#define T4_WS_UTF8_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The state between two feeds: how many continuation bytes the current
 * character still needs, and the range the very next byte must fall in.
 * Every accepted prefix can still be completed validly, which is what makes
 * the first refused byte the first bad byte. */
typedef struct {
    uint8_t state;  /* continuation bytes still expected: 0 at a character
                       boundary; T4__UTF8_FAILED once input was refused */
    uint8_t lo, hi; /* allowed range of the next byte while state is 1..3 */
} t4__utf8;

#define T4__UTF8_FAILED 0xFF

static inline void t4__utf8_init(t4__utf8 *v)
{
    v->state = 0;
    v->lo = 0x80;
    v->hi = 0xBF;
}
/* Feeds bytes; returns false as soon as the input cannot be valid UTF-8
 * (including a truncated sequence that can never complete validly). After a
 * false return the validator stays failed until t4__utf8_init. */
bool t4__utf8_feed(t4__utf8 *v, const uint8_t *s, size_t n);
/* True when everything fed ends at a character boundary (and was valid). */
bool t4__utf8_complete(const t4__utf8 *v);
/* Whole-buffer check. */
bool t4__utf8_valid(const uint8_t *s, size_t n);
#endif
