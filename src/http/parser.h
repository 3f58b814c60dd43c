/* SPDX-License-Identifier: MIT */
/*
 * HTTP/1.1 request-head parser and chunked body decoder.
 * Zero-copy: every slice points into the caller's buffer, which must outlive
 * the use of the result. Written here (no Debian package fits; see DESIGN).
 *
 * Return convention (as picohttpparser): > 0 bytes consumed, T4__HTTP_INCOMPLETE
 * when more bytes are needed, T4__HTTP_ERROR on malformed input with *status
 * set to the HTTP status to answer with.
 */
#ifndef T4_HTTP_PARSER_H
#define T4_HTTP_PARSER_H
#include "server/config.h"
#include "util/slice.h"
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define T4__HTTP_ERROR      (-1)
#define T4__HTTP_INCOMPLETE (-2)
/* T4__HTTP_MAX_HEADERS (server/config.h), the highest TINA4_HTTP_MAX_HEADERS
 * accepted, is the size of the header array below (32 KiB of stack per parse). */

typedef struct {
    t4__slice name, value; /* value without surrounding whitespace */
} t4__http_header;

typedef struct {
    t4__slice method; /* token, case-sensitive ("GET")                      */
    t4__slice target; /* raw request-target                                 */
    t4__slice path;   /* target before '?' (still percent-encoded)          */
    t4__slice query;  /* after '?', without any '#fragment'; n == 0 if none */
    int minor_version;
    t4__http_header headers[T4__HTTP_MAX_HEADERS];
    size_t num_headers;
    /* Derived from the headers: */
    int64_t content_length; /* -1 when absent                                 */
    bool chunked;           /* Transfer-Encoding: chunked                     */
    bool keep_alive;        /* HTTP/1.1 unless "Connection: close"; 1.0 only with keep-alive */
    bool upgrade_websocket; /* Upgrade: websocket and Connection has "upgrade" (case-insensitive tokens) */
    bool expect_continue;   /* Expect: 100-continue, in HTTP/1.1 (1.0: ignored) */
} t4__http_head;

/*
 * Parses one request head from buf[0..len).
 *   last_len: how many bytes of buf a previous call already saw and found
 *             incomplete (0 on the first call), so the end-of-head scan
 *             resumes instead of starting over (the incremental part).
 *   max_head: the most bytes a head may take; longer -> error, status 431
 *             (reported as soon as len exceeds it without a complete head).
 *   max_headers: the most header lines (TINA4_HTTP_MAX_HEADERS); more -> 431.
 *             0 or more than T4__HTTP_MAX_HEADERS means T4__HTTP_MAX_HEADERS.
 * Returns the head length including the blank line, T4__HTTP_INCOMPLETE, or
 * T4__HTTP_ERROR with *status: 400 malformed (bad request line, bad token
 * characters, obs-fold, bare CR, bare LF: every line ends with CRLF, both
 * Content-Length and Transfer-Encoding, conflicting or invalid
 * Content-Length, no Host in HTTP/1.1, more than one Host, a Host that is
 * empty or not uri-host [":" port]), 431 too large or more than max_headers
 * headers, 417 an Expect other than 100-continue, 501 a Transfer-Encoding
 * other than chunked, 505 an HTTP version other than 1.0 / 1.1, 414 a target
 * longer than max_head / 2.
 */
int t4__http_parse_head_max(const char *buf, size_t len, size_t last_len, size_t max_head, size_t max_headers,
                            t4__http_head *out, int *status);

/* t4__http_parse_head_max with max_headers = T4__HTTP_MAX_HEADERS: for a
 * head already accepted under a lower limit, and for tests. */
int t4__http_parse_head(const char *buf, size_t len, size_t last_len, size_t max_head, t4__http_head *out,
                        int *status);

/* Case-insensitive header lookup; NULL if absent (first occurrence). */
const t4__http_header *t4__http_find_header(const t4__http_head *h, const char *name);

/*
 * Incremental in-place decoder of a chunked body. Zero-initialise before the
 * first call. Decodes buf[0..*len): the decoded data is moved to the front of
 * buf and *len becomes its length. Chunk extensions and trailers are skipped.
 * Returns:
 *   >= 0  the body is complete (last chunk and trailers consumed); the value
 *         is the count of input bytes after the body's end (the next
 *         pipelined request), moved to buf[*len .. *len + ret);
 *   T4__HTTP_INCOMPLETE  all input consumed, more needed;
 *   T4__HTTP_ERROR       malformed (bad hex, size overflow, missing CRLF, bare LF,
 *                        more than T4__CHUNKED_MAX_META bytes of extensions
 *                        and trailers); sticky: later calls fail too.
 * Every line (chunk size, the end of chunk data, trailers, the final empty
 * line) must end with CRLF: a bare LF is an error, as in the head. Called
 * again after completion, it treats all input as following the body.
 */
#define T4__CHUNKED_MAX_META 16384 /* chunk-extension + trailer bytes skipped, per body */
typedef struct {
    int state;
    uint64_t remaining; /* bytes left in the current chunk */
    unsigned hex_digits;
    size_t meta_bytes; /* extension and trailer bytes skipped so far (capped) */
} t4__chunked;
ssize_t t4__chunked_decode(t4__chunked *d, char *buf, size_t *len);

/*
 * Percent-decoding. Decodes src[0..n) into dst (which may equal src; dst needs
 * n + 1 bytes; the result is NUL-terminated). plus_is_space: '+' -> ' ' (query
 * strings and form bodies). Returns the decoded length, or -1 for a malformed
 * escape ("%4", "%zz") or a decoded NUL byte.
 */
ssize_t t4__url_decode(char *dst, const char *src, size_t n, bool plus_is_space);

/*
 * Splits "a=1&b=x%20y&c" into decoded pairs, calling fn(name, value, ctx) for
 * each (value "" for "c"); the strings are valid during the call only.
 * Malformed pairs are skipped. Returns the count of pairs delivered.
 */
typedef void (*t4__pair_fn)(const char *name, const char *value, void *ctx);
int t4__parse_query(const char *s, size_t n, t4__pair_fn fn, void *ctx);

/* Cookie header "a=1; b=2" -> pairs (values not decoded, quotes stripped). */
int t4__parse_cookies(const char *s, size_t n, t4__pair_fn fn, void *ctx);
#endif
