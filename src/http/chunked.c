/* SPDX-License-Identifier: MIT */
/*
 * Incremental in-place decoder of the chunked transfer coding (RFC 9112 7.1).
 *
 * A byte-at-a-time state machine for the framing (so a body split at any
 * byte boundary decodes identically) with a bulk memmove for chunk data (so
 * large chunks cost one copy). Output never overtakes input: the decoded
 * bytes are always at most as many as the bytes read, hence "in place".
 *
 * Every line ends with CRLF. A bare LF is refused (as in the head): were it
 * accepted, "5\nhello" framing could be read differently by a proxy in
 * front that only splits lines on CRLF, which is request smuggling.
 */
#include "http/parser.h"
#include "util/hex.h"

#include <string.h>

enum {
    CH_SIZE = 0,      /* chunk-size hex digits (0 so that a zeroed struct starts here) */
    CH_SIZE_WS,       /* BWS after the size, before ';' or the line end */
    CH_EXT,           /* chunk extension: skipped */
    CH_SIZE_LF,       /* CR seen at the end of the size line */
    CH_DATA,          /* chunk data */
    CH_DATA_CR,       /* the CRLF after the data */
    CH_DATA_LF,       /* CR seen after the data */
    CH_TRAILER_START, /* start of a trailer line (or of the final empty line) */
    CH_TRAILER_LINE,  /* inside a trailer field: skipped */
    CH_TRAILER_LF,    /* CR seen at the end of a trailer line */
    CH_END_LF,        /* CR of the final empty line seen */
    CH_DONE,
    CH_FAILED,
};

/* Extensions and trailers are discarded, so they cost no memory; still, a
 * peer streaming an endless extension or trailer would keep the connection
 * busy for nothing, hence T4__CHUNKED_MAX_META on the bytes skipped (every
 * byte in the states from CH_EXT and from CH_TRAILER_START on). */

/* The size line is complete: data follows, or the last chunk's trailers. */
static void size_line_done(t4__chunked *d)
{
    d->hex_digits = 0;
    d->state = d->remaining == 0 ? CH_TRAILER_START : CH_DATA;
}

ssize_t t4__chunked_decode(t4__chunked *d, char *buf, size_t *len)
{
    size_t n = *len, in = 0, out = 0;

    if (d->state == CH_FAILED) {
        *len = 0;
        return T4__HTTP_ERROR;
    }
    while (in < n && d->state != CH_DONE) {
        if (d->state == CH_DATA) {
            size_t take = n - in;
            if ((uint64_t)take > d->remaining)
                take = (size_t)d->remaining;
            memmove(buf + out, buf + in, take);
            in += take;
            out += take;
            d->remaining -= take;
            if (d->remaining == 0)
                d->state = CH_DATA_CR;
            continue;
        }
        unsigned char c = (unsigned char)buf[in++];
        if (d->state == CH_EXT || d->state >= CH_TRAILER_START) {
            if (++d->meta_bytes > T4__CHUNKED_MAX_META)
                goto fail;
        }
        switch (d->state) {
        case CH_SIZE: {
            int v = t4__hexval(c);
            if (v >= 0) {
                if (d->remaining > (UINT64_MAX >> 4))
                    goto fail; /* size overflow */
                d->remaining = (d->remaining << 4) | (uint64_t)v;
                d->hex_digits++;
                break;
            }
            if (d->hex_digits == 0)
                goto fail;
            if (c == ';')
                d->state = CH_EXT;
            else if (c == ' ' || c == '\t')
                d->state = CH_SIZE_WS;
            else if (c == '\r')
                d->state = CH_SIZE_LF;
            else
                goto fail; /* also a bare LF */
            break;
        }
        case CH_SIZE_WS:
            if (c == ';')
                d->state = CH_EXT;
            else if (c == '\r')
                d->state = CH_SIZE_LF;
            else if (c != ' ' && c != '\t')
                goto fail;
            break;
        case CH_EXT:
            if (c == '\r')
                d->state = CH_SIZE_LF;
            else if ((c < 0x20 && c != '\t') || c == 0x7f)
                goto fail;
            break;
        case CH_SIZE_LF:
            if (c != '\n')
                goto fail;
            size_line_done(d);
            break;
        case CH_DATA_CR:
            if (c == '\r')
                d->state = CH_DATA_LF;
            else
                goto fail; /* data longer than its declared size, or a bare LF */
            break;
        case CH_DATA_LF:
            if (c != '\n')
                goto fail;
            d->state = CH_SIZE;
            break;
        case CH_TRAILER_START:
            if (c == '\r')
                d->state = CH_END_LF;
            else if (c == '\n' || c == ' ' || c == '\t')
                goto fail; /* a bare LF, or obs-fold in a trailer */
            else
                d->state = CH_TRAILER_LINE;
            break;
        case CH_TRAILER_LINE:
            if (c == '\r')
                d->state = CH_TRAILER_LF;
            else if (c == '\n')
                goto fail; /* a bare LF */
            break;
        case CH_TRAILER_LF:
            if (c != '\n')
                goto fail;
            d->state = CH_TRAILER_START;
            break;
        case CH_END_LF:
            if (c != '\n')
                goto fail;
            d->state = CH_DONE;
            break;
        default:
            goto fail;
        }
    }
    *len = out;
    if (d->state != CH_DONE)
        return T4__HTTP_INCOMPLETE;
    /* Whatever follows the body belongs to the next request. */
    memmove(buf + out, buf + in, n - in);
    return (ssize_t)(n - in);

fail:
    d->state = CH_FAILED;
    *len = out;
    return T4__HTTP_ERROR;
}
