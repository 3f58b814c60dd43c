/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the tina4.v1 resume tokens a client offers in
 * Sec-WebSocket-Protocol (src/ws/v1.c): "tina4.resume.<epoch hex>.<offset>"
 * and "tina4.history.<n>", and the message heads written back to it.
 * Any client may send these before it has been authenticated by anything.
 *
 *   tests/fuzz/run.sh 60 resume
 *
 * Checks: the parser agrees with a reference written here (lowercase hex
 * epoch of 1-16 digits, not 0; decimal offset and count of 1-20 digits with
 * no wrap past 2^64-1; nothing else accepted, fields left alone when
 * refused); an accepted token written back canonically parses to the same
 * values; a head from t4__v1_head has the documented shape and length.
 *
 * FUZZ_SOURCES: src/ws/v1.c
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ws/v1.h"

#include "check.h"

/* The reference: digits of one base, counted and bounded without a shortcut. */
static bool ref_number(const char *p, size_t n, int base, uint64_t *v)
{
    if (n == 0 || n > (base == 16 ? 16u : 20u))
        return false;
    unsigned __int128 x = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned d;
        if (p[i] >= '0' && p[i] <= '9')
            d = (unsigned)(p[i] - '0');
        else if (base == 16 && p[i] >= 'a' && p[i] <= 'f')
            d = (unsigned)(p[i] - 'a') + 10;
        else
            return false;
        x = x * (unsigned)base + d;
    }
    if (x > UINT64_MAX)
        return false;
    *v = (uint64_t)x;
    return true;
}

static int ref_parse(const char *p, size_t n, t4__v1_offer *o)
{
    static const char res[] = "tina4.resume.", his[] = "tina4.history.";
    if (n >= sizeof res - 1 && memcmp(p, res, sizeof res - 1) == 0) {
        const char *rest = p + sizeof res - 1;
        size_t rn = n - (sizeof res - 1), dot = 0;
        while (dot < rn && rest[dot] != '.')
            dot++;
        uint64_t e, off;
        if (dot == rn || !ref_number(rest, dot, 16, &e) || e == 0 ||
            !ref_number(rest + dot + 1, rn - dot - 1, 10, &off))
            return 0;
        o->resume = 1, o->epoch = e, o->offset = off;
        return 1;
    }
    if (n >= sizeof his - 1 && memcmp(p, his, sizeof his - 1) == 0) {
        uint64_t h;
        if (!ref_number(p + sizeof his - 1, n - (sizeof his - 1), 10, &h))
            return 0;
        o->history = h;
        return 1;
    }
    return 0;
}

static void head_shape(char type, uint64_t epoch, uint64_t offset)
{
    char out[T4__V1_MAX_HEAD], want[64];
    size_t n = t4__v1_head(out, type, epoch, offset);
    int w = snprintf(want, sizeof want, "%c%016llx:%llu%s", type, (unsigned long long)epoch,
                     (unsigned long long)offset, type == 'p' ? "\n" : "");
    CHECK(w > 0 && (size_t)w == n && n <= T4__V1_MAX_HEAD && memcmp(out, want, n) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *in = (const char *)data;
    const t4__v1_offer blank = {.resume = 7, .epoch = 7, .offset = 7, .history = 7};
    t4__v1_offer got = blank, want = blank;
    int r = t4__v1_parse_token(in, size, &got);
    int rr = ref_parse(in, size, &want);
    CHECK(r == rr);
    CHECK(got.resume == want.resume && got.epoch == want.epoch && got.offset == want.offset &&
          got.history == want.history); /* refused: untouched; accepted: the same values */
    if (r == 1) {
        char tok[80];
        int n = got.resume != blank.resume
                    ? snprintf(tok, sizeof tok, "tina4.resume.%llx.%llu", (unsigned long long)got.epoch,
                               (unsigned long long)got.offset)
                    : snprintf(tok, sizeof tok, "tina4.history.%llu", (unsigned long long)got.history);
        t4__v1_offer again = blank;
        CHECK(n > 0 && t4__v1_parse_token(tok, (size_t)n, &again) == 1);
        CHECK(again.epoch == got.epoch && again.offset == got.offset && again.history == got.history);
    }
    /* Heads for whatever numbers the input holds. */
    uint64_t a = 0, b = 0;
    memcpy(&a, data, size < 8 ? size : 8);
    if (size > 8)
        memcpy(&b, data + 8, size - 8 < 8 ? size - 8 : 8);
    head_shape('p', a, b);
    head_shape('b', b, a);
    head_shape('s', a, a);
    return 0;
}
