/* SPDX-License-Identifier: MIT */
#include "util/sbuf.h"
#include <stdlib.h>

/* Size classes 256 B .. 64 KiB; larger buffers are malloc'd and freed. */
#define CLASSES          9
#define MAX_POOLED_BYTES (256 * 1024) /* per class: enough for bursts, small at idle */
static const size_t class_size[CLASSES] = {256, 512, 1024, 2048, 4096, 8192, 16384, 32768, 65536};
static t4__sbuf *pool[CLASSES];
static unsigned pooled[CLASSES];
static size_t live_bytes;

size_t t4__sbuf_live_bytes(void)
{
    return live_bytes;
}

t4__sbuf *t4__sbuf_get(size_t cap)
{
    uint8_t cls = 0xff;
    for (uint8_t i = 0; i < CLASSES; i++) {
        if (cap <= class_size[i]) {
            cls = i;
            cap = class_size[i];
            break;
        }
    }
    t4__sbuf *b;
    if (cls != 0xff && pool[cls]) {
        b = pool[cls];
        pool[cls] = b->next_free;
        pooled[cls]--;
    } else {
        b = malloc(sizeof *b + cap);
        if (!b)
            return NULL;
        b->cap = cap;
        b->cls = cls;
    }
    live_bytes += b->cap;
    b->refs = 1;
    b->len = 0;
    b->next_free = NULL;
    return b;
}

void t4__sbuf_release(t4__sbuf *b)
{
    if (!b || --b->refs > 0)
        return;
    live_bytes -= b->cap;
    if (b->cls != 0xff && (pooled[b->cls] + 1) * class_size[b->cls] <= MAX_POOLED_BYTES) {
        b->next_free = pool[b->cls];
        pool[b->cls] = b;
        pooled[b->cls]++;
        return;
    }
    free(b);
}

void t4__sbuf_pool_clear(void)
{
    for (int i = 0; i < CLASSES; i++) {
        while (pool[i]) {
            t4__sbuf *b = pool[i];
            pool[i] = b->next_free;
            free(b);
        }
        pooled[i] = 0;
    }
}
