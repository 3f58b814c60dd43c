/* SPDX-License-Identifier: MIT */
/*
 * Static files from the public folder (TINA4_PUBLIC, default "src/public").
 *
 * dispatch() calls t4__static_serve() when no HTTP or WebSocket route matched.
 * GET and HEAD are served, with ETag / Last-Modified validators, conditional
 * requests (412 for If-Match / If-Unmodified-Since, 304 for If-None-Match /
 * If-Modified-Since) and single byte ranges (206 / 416); other methods on an
 * existing file get 405. Files larger than one refill are streamed: a few
 * 64 KiB preads are queued at a time and the next ones only when the
 * connection's output queue has drained (connection.c calls
 * t4__static_on_drain), so a slow reader costs at most one refill of memory.
 *
 * The pure helpers below (MIME types in mime.c; Range, ETag matching, HTTP
 * dates, path checks and the precondition order in static_logic.c) have no
 * server state and are unit-tested and fuzzed on their own.
 */
#ifndef T4_HTTP_STATIC_H
#define T4_HTTP_STATIC_H
#include "http/parser.h"
#include "server/server.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The Content-Type for a file name, by its extension (case-insensitive);
 * text types carry "; charset=utf-8". Unknown: application/octet-stream. */
const char *t4__mime_type(const char *name);

/* The outcome of a Range header against a representation of `size` bytes. */
typedef enum {
    T4__RANGE_IGNORE = 0, /* absent, not "bytes", malformed, several ranges, or size 0: send 200 */
    T4__RANGE_ONE,        /* one satisfiable range: *first..*last (inclusive) -> 206 */
    T4__RANGE_UNSAT,      /* no range is satisfiable -> 416 */
} t4__range_result;

/* Parses a Range value (value[0..n), not NUL-terminated). */
t4__range_result t4__range_parse(const char *value, size_t n, uint64_t size, uint64_t *first, uint64_t *last);

/* The strong ETag for a file: "<size hex>-<mtime ns hex>" with the quotes.
 * out must have room for T4__ETAG_MAX bytes. */
#define T4__ETAG_MAX 48
void t4__etag_make(char *out, uint64_t size, int64_t mtime_sec, long mtime_nsec);

/* If-None-Match: "*" or a list of entity tags, compared weakly (W/ ignored).
 * A malformed list matches nothing. */
bool t4__etag_list_match(const char *value, size_t n, const char *etag);

/* If-Match: the same list, compared strongly (a W/ tag never matches). */
bool t4__etag_list_match_strong(const char *value, size_t n, const char *etag);

/* If-Range: true when the value is our strong ETag exactly, or an HTTP date
 * equal to the file's modification time (seconds). */
bool t4__if_range_match(const char *value, size_t n, const char *etag, int64_t mtime_sec);

/* HTTP dates: IMF-fixdate, RFC 850 and asctime forms are parsed; formatting
 * writes IMF-fixdate (out has room for 30 bytes). */
bool t4__http_date_parse(const char *value, size_t n, int64_t *out);
void t4__http_date_format(int64_t t, char *out);

/* A decoded request path (path[0..n)) that may be looked up in the public
 * folder: starts with '/', no NUL, no control characters, no backslash, no
 * empty segment but a final one ("/dir/"), and no segment starting with '.'
 * (so no "." / ".." and no dotfiles such as .env or .git). */
bool t4__static_path_safe(const char *path, size_t n);

/* The answer to a GET (get) or HEAD for an existing file with entity tag
 * `etag`, modified at `mtime`, of `size` bytes, at time `now` (seconds),
 * from the request's preconditions and Range, in the order of RFC 9110
 * 13.2.2: If-Match (else If-Unmodified-Since) false -> 412; If-None-Match
 * (else If-Modified-Since, ignored when later than now or repeated) ->
 * 304; then Range (GET only, one range, If-Range) -> 206 with
 * *first..*last, or 416; otherwise 200 (*first..*last = the whole file). */
int t4__static_evaluate(const t4__http_head *h, bool get, const char *etag, int64_t mtime, uint64_t size,
                        int64_t now, uint64_t *first, uint64_t *last);

/* Answers the request from the public folder. Returns false, having sent
 * nothing, when there is no such file (the caller answers 404). */
bool t4__static_serve(t4__conn *c, const t4__http_head *h, const char *path, size_t plen, bool keep_alive,
                      bool head_only);
/* An in-memory representation served like a file (static_bytes.c): a
 * strong ETag from its bytes, Last-Modified from the file they were built
 * into, and the same preconditions, 304, 412 and Range as a public file. */
typedef struct t4__static_bytes {
    const void *data;
    size_t size;
    const char *mime;
    int64_t mtime;
    char etag[T4__ETAG_MAX];
    char modified[32];
} t4__static_bytes;
void t4__static_bytes_init(t4__static_bytes *b, const void *data, size_t size, const char *mime);
/* Answers a GET or HEAD (head_only) for it. */
void t4__static_serve_bytes(t4__conn *c, const t4__http_head *h, const t4__static_bytes *b,
                            const char *cache_control, bool keep_alive, bool head_only);
/* The connection's queue drained: queue the next part of the file (or
 * finish); release the file's state when the connection goes. */
void t4__static_on_drain(t4__conn *c);
void t4__static_free(t4__conn *c);
#endif
