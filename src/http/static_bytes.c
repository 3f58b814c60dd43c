/* SPDX-License-Identifier: MIT */
/*
 * An in-memory representation served like a static file (the embedded
 * /js/frond.js): the same validators and the same answers as a file from the
 * public folder, so caches and conditional requests behave alike whichever
 * the browser fetched. The entity tag comes from the bytes themselves (the
 * size and a 64-bit FNV-1a hash), so every worker and every restart of the
 * same build agrees on it; Last-Modified is the modification time of the
 * program or library file the bytes were built into.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* dladdr (the build defines it already) */
#endif
#include "http/request.h"
#include "http/static.h"
#include <dlfcn.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

static uint64_t fnv1a64(const unsigned char *p, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

void t4__static_bytes_init(t4__static_bytes *b, const void *data, size_t size, const char *mime)
{
    b->data = data;
    b->size = size;
    b->mime = mime;
    snprintf(b->etag, sizeof b->etag, "\"%zx-%016" PRIx64 "\"", size, fnv1a64(data, size));
    /* The file that holds the bytes: its mtime is when they last changed. */
    Dl_info info;
    struct stat st;
    if (dladdr(data, &info) && info.dli_fname && stat(info.dli_fname, &st) == 0)
        b->mtime = (int64_t)st.st_mtime;
    else
        b->mtime = (int64_t)time(NULL); /* unknown: from now on, as far as caches know */
    t4__http_date_format(b->mtime, b->modified);
}

void t4__static_serve_bytes(t4__conn *c, const t4__http_head *h, const t4__static_bytes *b,
                            const char *cache_control, bool keep_alive, bool head_only)
{
    char crange[64];
    t4__res_header hs[6] = {
        {&hs[1], "ETag", b->etag},
        {&hs[2], "Last-Modified", b->modified},
        {&hs[3], "Cache-Control", cache_control},
        {&hs[4], "Accept-Ranges", "bytes"},
        {NULL, "X-Content-Type-Options", "nosniff"},
        {NULL, "Content-Range", crange},
    };
    uint64_t first, last;
    int status =
        t4__static_evaluate(h, !head_only, b->etag, b->mtime, b->size, (int64_t)time(NULL), &first, &last);
    char text[48];
    switch (status) {
    case 412:
        hs[1].next = NULL; /* the current validators: ETag, Last-Modified */
        snprintf(text, sizeof text, "412 %s\n", t4__status_text(412));
        t4__http_write_response(c, 412, "text/plain; charset=utf-8", hs, text, strlen(text), head_only,
                                keep_alive);
        return;
    case 304:
        hs[2].next = NULL; /* ETag, Last-Modified, Cache-Control */
        t4__http_write_response(c, 304, NULL, hs, NULL, 0, head_only, keep_alive);
        return;
    case 416: {
        snprintf(crange, sizeof crange, "bytes */%zu", b->size);
        t4__res_header cr = {NULL, "Content-Range", crange};
        snprintf(text, sizeof text, "416 %s\n", t4__status_text(416));
        t4__http_write_response(c, 416, "text/plain; charset=utf-8", &cr, text, strlen(text), false,
                                keep_alive);
        return;
    }
    case 206:
        snprintf(crange, sizeof crange, "bytes %" PRIu64 "-%" PRIu64 "/%zu", first, last, b->size);
        hs[4].next = &hs[5];
        break;
    default:
        first = 0;
        last = b->size ? b->size - 1 : 0;
        break;
    }
    size_t len = b->size ? (size_t)(last - first + 1) : 0;
    t4__http_write_response(c, status, b->mime, hs, (const char *)b->data + first, len, head_only,
                            keep_alive);
}
