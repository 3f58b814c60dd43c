/* SPDX-License-Identifier: MIT */
/*
 * backplane_envelope: the cost of one backplane envelope, JSON (the Tina4
 * family's format, the default) against tina4-c's compact binary one
 * (TINA4_WS_BACKPLANE_FORMAT=binary): encode on the publisher plus decode on
 * a receiver, per message, for text and binary payloads of a few sizes.
 *
 *   cc -O2 -DNDEBUG -std=c11 -D_GNU_SOURCE -Iinclude -Isrc bench/backplane_envelope.c \
 *      src/backplane/envelope.c src/util/buf.c src/ws/utf8.c -ljansson -o /tmp/backplane_envelope
 *   /tmp/backplane_envelope [iterations]
 */
#include "backplane/envelope.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SRC "0123456789abcdef0123456789abcdef"
#define EXC "fedcba9876543210fedcba9876543210"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static volatile size_t sink;

static void run(const char *label, bool json, uint8_t opcode, const char *payload, size_t len, long iters)
{
    t4__buf b = {0};
    double t0 = now();
    size_t wire = 0;
    for (long i = 0; i < iters; i++) {
        b.len = 0;
        int rc = json ? t4__envelope_encode_json(&b, SRC, "/chat/room-42", 13, opcode, payload, len, EXC)
                      : t4__envelope_encode_bin(&b, SRC, "/chat/room-42", 13, opcode, payload, len, EXC);
        if (rc != 0)
            abort();
        wire = b.len;
    }
    double t1 = now();
    for (long i = 0; i < iters; i++) {
        t4__envelope e;
        /* A receiver first checks whether the envelope is its own. */
        if (json ? t4__envelope_json_from(b.data, b.len, EXC) : t4__envelope_bin_from(b.data, b.len, EXC))
            abort();
        int rc =
            json ? t4__envelope_decode_json(b.data, b.len, &e) : t4__envelope_decode_bin(b.data, b.len, &e);
        if (rc != T4__ENV_OK || e.len != len)
            abort();
        sink += e.len;
        t4__envelope_free(&e);
    }
    double t2 = now();
    double enc = (t1 - t0) / (double)iters * 1e9, dec = (t2 - t1) / (double)iters * 1e9;
    printf("%-6s %-6s %6zu B payload  %6zu B on the wire  encode %8.0f ns  decode %8.0f ns  "
           "total %8.0f ns  (%5.2f M msg/s per core)\n",
           json ? "json" : "binary", label, len, wire, enc, dec, enc + dec, 1e3 / (enc + dec));
    t4__buf_free(&b);
}

int main(int argc, char **argv)
{
    long iters = argc > 1 ? atol(argv[1]) : 200000;
    static const size_t sizes[] = {64, 1024, 16384};
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        size_t n = sizes[s];
        char *text = malloc(n), *bin = malloc(n);
        for (size_t i = 0; i < n; i++) {
            text[i] = (char)('a' + i % 26);
            if (i % 40 == 39)
                text[i] = '"'; /* some escaping, as in JSON-in-JSON chat payloads */
            bin[i] = (char)(i * 131 + 7);
        }
        long it = n >= 16384 ? iters / 10 : iters;
        run("text", true, 0x1, text, n, it);
        run("text", false, 0x1, text, n, it);
        run("binary", true, 0x2, bin, n, it);
        run("binary", false, 0x2, bin, n, it);
        free(text);
        free(bin);
    }
    return 0;
}
