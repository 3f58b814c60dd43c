/* SPDX-License-Identifier: MIT */
/*
 * Shared, reference-counted, immutable output buffers. A broadcast encodes its
 * frame once into one sbuf and every recipient's write queue holds a
 * reference; the last release returns it to a size-class free list, so the
 * steady state allocates nothing. Loop thread only.
 *
 * Lifecycle: t4__sbuf_get (refs = 1) -> t4__sbuf_ref per extra holder ->
 * t4__sbuf_release per holder; the last release recycles it.
 */
#ifndef T4_UTIL_SBUF_H
#define T4_UTIL_SBUF_H
#include <stddef.h>
#include <stdint.h>

typedef struct t4__sbuf {
    uint32_t refs;
    uint8_t cls; /* size class, or 0xff for an outsized buffer */
    size_t len;  /* bytes used */
    size_t cap;
    struct t4__sbuf *next_free;
    char data[];
} t4__sbuf;

t4__sbuf *t4__sbuf_get(size_t cap);
static inline void t4__sbuf_ref(t4__sbuf *b)
{
    b->refs++;
}
void t4__sbuf_release(t4__sbuf *b);
/* Bytes of buffers handed out and not yet released (capacity): the memory
 * that queued output really holds, a broadcast frame shared by many
 * connections counted once. Pooled buffers are not counted. */
size_t t4__sbuf_live_bytes(void);
/* Frees every pooled buffer (at shutdown, so sanitizers see no leak). */
void t4__sbuf_pool_clear(void);
#endif
