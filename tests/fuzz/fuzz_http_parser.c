/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the HTTP head parser, the chunked decoder and the
 * url/query/cookie decoders.
 *
 * FUZZ_SOURCES: src/http/parser.c src/http/chunked.c src/http/urlencode.c
 *
 * Input layout: byte 0 picks max_head, bytes 1-2 pick the split point, the
 * rest is the request. Invariants checked (abort() on violation):
 *   - a result is ERROR with a known status, INCOMPLETE, or a length <= len
 *     and <= max_head; every slice lies inside the head;
 *   - parsing a prefix, then the whole with last_len = prefix, gives exactly
 *     the result of parsing the whole at once (and a prefix that already
 *     decides gives that same decision);
 *   - the chunked decoder gives the same output, status and rest whether the
 *     input arrives whole or in two parts; output never exceeds input.
 * Each piece lives in its own exact-size heap buffer so ASan sees overreads.
 */
#include "http/parser.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

static void check_slice(t4__slice s, const char *lo, const char *hi)
{
    CHECK(s.p >= lo && s.p + s.n <= hi);
}

static void check_head(const t4__http_head *h, const char *buf, int r)
{
    const char *end = buf + r;
    check_slice(h->method, buf, end);
    check_slice(h->target, buf, end);
    CHECK(h->method.n > 0 && h->target.n > 0);
    check_slice(h->path, h->target.p, h->target.p + h->target.n);
    check_slice(h->query, h->target.p, h->target.p + h->target.n);
    CHECK(h->minor_version == 0 || h->minor_version == 1);
    CHECK(h->num_headers <= T4__HTTP_MAX_HEADERS);
    for (size_t i = 0; i < h->num_headers; i++) {
        check_slice(h->headers[i].name, buf, end);
        check_slice(h->headers[i].value, buf, end);
        CHECK(h->headers[i].name.n > 0);
    }
    CHECK(h->content_length >= -1);
    CHECK(!(h->chunked && h->content_length >= 0));
}

/* The same parse, relative to each one's buffer. */
static void check_same(const t4__http_head *a, const char *ba, const t4__http_head *b, const char *bb)
{
#define SAME(f) CHECK(a->f.n == b->f.n && a->f.p - ba == b->f.p - bb)
    SAME(method);
    SAME(target);
    SAME(path);
    SAME(query);
    CHECK(a->num_headers == b->num_headers);
    for (size_t i = 0; i < a->num_headers; i++) {
        SAME(headers[i].name);
        SAME(headers[i].value);
    }
#undef SAME
    CHECK(a->minor_version == b->minor_version);
    CHECK(a->content_length == b->content_length);
    CHECK(a->chunked == b->chunked && a->keep_alive == b->keep_alive);
    CHECK(a->upgrade_websocket == b->upgrade_websocket && a->expect_continue == b->expect_continue);
}

static void check_result(int r, int st, size_t len, size_t max_head)
{
    if (r == T4__HTTP_ERROR)
        CHECK(st == 400 || st == 414 || st == 417 || st == 431 || st == 501 || st == 505);
    else if (r == T4__HTTP_INCOMPLETE)
        CHECK(len <= max_head);
    else
        CHECK(r > 0 && (size_t)r <= len && (size_t)r <= max_head);
}

static t4__http_head whole, part;

static void fuzz_head(const char *data, size_t n, size_t split, size_t max_head)
{
    char *buf = malloc(n ? n : 1);
    memcpy(buf, data, n);
    int st = 0;
    int r = t4__http_parse_head(buf, n, 0, max_head, &whole, &st);
    check_result(r, st, n, max_head);
    if (r > 0)
        check_head(&whole, buf, r);

    /* The prefix on its own. */
    char *pre = malloc(split ? split : 1);
    memcpy(pre, data, split);
    int st1 = 0;
    int r1 = t4__http_parse_head(pre, split, 0, max_head, &part, &st1);
    check_result(r1, st1, split, max_head);
    if (r1 != T4__HTTP_INCOMPLETE) {
        /* The prefix already decided: the whole must decide the same. */
        CHECK(r1 == r);
        if (r1 == T4__HTTP_ERROR)
            CHECK(st1 == st);
        else
            check_same(&whole, buf, &part, pre);
    } else {
        int st2 = 0;
        int r2 = t4__http_parse_head(buf, n, split, max_head, &part, &st2);
        CHECK(r2 == r);
        if (r2 == T4__HTTP_ERROR)
            CHECK(st2 == st);
        else if (r2 > 0)
            check_same(&whole, buf, &part, buf);
    }
    free(pre);
    free(buf);
}

typedef struct {
    ssize_t ret;
    char *out;
    size_t out_len;
    char *rest;
    size_t rest_len;
} chunk_result;

static void fuzz_chunked(const char *data, size_t n, size_t split)
{
    /* Whole. */
    t4__chunked d;
    memset(&d, 0, sizeof d);
    char *a = malloc(n ? n : 1);
    memcpy(a, data, n);
    size_t la = n;
    ssize_t ra = t4__chunked_decode(&d, a, &la);
    CHECK(ra == T4__HTTP_ERROR || ra == T4__HTTP_INCOMPLETE || ra >= 0);
    CHECK(la <= n);
    if (ra >= 0)
        CHECK(la + (size_t)ra <= n);

    /* Two parts, each in its own buffer. */
    memset(&d, 0, sizeof d);
    char *p1 = malloc(split ? split : 1), *p2 = malloc(n - split ? n - split : 1);
    memcpy(p1, data, split);
    memcpy(p2, data + split, n - split);
    char *out = malloc(n ? n : 1);
    char *rest = malloc(n ? n : 1);
    size_t ol = 0, rl = 0, l1 = split;
    ssize_t rb = t4__chunked_decode(&d, p1, &l1);
    CHECK(l1 <= split);
    memcpy(out, p1, l1);
    ol = l1;
    if (rb == T4__HTTP_INCOMPLETE) {
        size_t l2 = n - split;
        rb = t4__chunked_decode(&d, p2, &l2);
        CHECK(l2 <= n - split);
        memcpy(out + ol, p2, l2);
        ol += l2;
        if (rb >= 0) {
            CHECK(l2 + (size_t)rb <= n - split);
            memcpy(rest, p2 + l2, (size_t)rb);
            rl = (size_t)rb;
        }
    } else if (rb >= 0) {
        CHECK(l1 + (size_t)rb <= split);
        memcpy(rest, p1 + l1, (size_t)rb);
        memcpy(rest + rb, p2, n - split);
        rl = (size_t)rb + (n - split);
    }
    CHECK((ra < 0) == (rb < 0));
    CHECK(ra >= 0 || ra == rb);
    if (ra != T4__HTTP_ERROR) {
        CHECK(ol == la && memcmp(out, a, la) == 0);
        if (ra >= 0)
            CHECK(rl == (size_t)ra && memcmp(rest, a + la, rl) == 0);
    }
    free(a);
    free(p1);
    free(p2);
    free(out);
    free(rest);
}

static void pair_cb(const char *name, const char *value, void *ctx)
{
    size_t *total = ctx;
    CHECK(name[0] != '\0');
    *total += strlen(name) + strlen(value);
}

static void fuzz_decoders(const char *data, size_t n)
{
    char *dst = malloc(n + 1);
    for (int plus = 0; plus < 2; plus++) {
        ssize_t r = t4__url_decode(dst, data, n, plus);
        CHECK(r == -1 || ((size_t)r <= n && strlen(dst) == (size_t)r));
    }
    free(dst);
    size_t total = 0;
    int c = t4__parse_query(data, n, pair_cb, &total);
    CHECK(c >= 0 && total <= n);
    total = 0;
    c = t4__parse_cookies(data, n, pair_cb, &total);
    CHECK(c >= 0 && total <= n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const size_t limits[4] = {64, 256, 1024, 16384};
    if (size < 3)
        return 0;
    size_t max_head = limits[data[0] & 3];
    const char *in = (const char *)data + 3;
    size_t n = size - 3;
    size_t split = ((size_t)data[1] | (size_t)data[2] << 8) % (n + 1);
    fuzz_head(in, n, split, max_head);
    fuzz_chunked(in, n, split);
    fuzz_decoders(in, n);
    return 0;
}
