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

typedef struct {
    uint32_t state; /* 0: at a character boundary */
    uint32_t need;  /* implementation detail */
    uint32_t lo, hi;
} t4__utf8;

static inline void t4__utf8_init(t4__utf8 *v)
{
    v->state = 0;
    v->need = 0;
    v->lo = 0;
    v->hi = 0;
}
/* Feeds bytes; returns false as soon as the input cannot be valid UTF-8
 * (including a truncated sequence that can never complete validly). */
bool t4__utf8_feed(t4__utf8 *v, const uint8_t *s, size_t n);
/* True when everything fed ends at a character boundary. */
bool t4__utf8_complete(const t4__utf8 *v);
/* Whole-buffer check. */
bool t4__utf8_valid(const uint8_t *s, size_t n);
#endif
