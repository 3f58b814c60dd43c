/* SPDX-License-Identifier: MIT */
/*
 * HTTP/1.1 request-head parser (RFC 9112 section 2-3, 5-7).
 *
 * Two passes over the bytes: a cheap scan for the blank line that ends the
 * head (resumable thanks to last_len, so a slow client costs O(n) in total,
 * not O(n^2)), then one strict pass over the complete head. Parsing only
 * complete heads keeps the result of a split feed identical to that of a
 * whole feed, which the fuzzer checks.
 *
 * Strictness is deliberate: every ambiguity a front proxy might resolve
 * differently (duplicate lengths, CL + TE, obs-fold, bare CR or LF, whitespace
 * before ':') is a request-smuggling vector, so it is refused, not guessed.
 */
#include "http/parser.h"

#include <limits.h>
#include <string.h>

/* tchar (RFC 9110 5.6.2): the characters of methods and header names. */
static bool is_tchar(unsigned char c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return true;
    return c != 0 && memchr("!#$%&'*+-.^_`|~", c, 15) != NULL;
}

static int lower(int c)
{
    return (c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c;
}

static bool ieq(const char *a, size_t an, const char *b)
{
    size_t bn = strlen(b);
    if (an != bn)
        return false;
    for (size_t i = 0; i < an; i++)
        if (lower((unsigned char)a[i]) != lower((unsigned char)b[i]))
            return false;
    return true;
}

static bool is_ows(char c)
{
    return c == ' ' || c == '\t';
}

/* Is `tok` one of the comma-separated tokens of a list header (Connection,
 * Upgrade)? "keep-alive, Upgrade" must count as containing "upgrade". */
static bool has_token(t4__slice v, const char *tok)
{
    size_t i = 0;
    while (i < v.n) {
        size_t a = i;
        while (i < v.n && v.p[i] != ',')
            i++;
        size_t b = i;
        while (a < b && is_ows(v.p[a]))
            a++;
        while (b > a && is_ows(v.p[b - 1]))
            b--;
        if (ieq(v.p + a, b - a, tok))
            return true;
        i++; /* past the comma */
    }
    return false;
}

/* Expect (RFC 9110 10.1.1) is a list whose only defined member is
 * "100-continue" (case-insensitive). Sets *cont when it is there; returns
 * false when any other member is (answered 417). Empty members are list
 * syntax, not expectations. */
static bool expect_known(t4__slice v, bool *cont)
{
    size_t i = 0;
    while (i < v.n) {
        size_t a = i;
        while (i < v.n && v.p[i] != ',')
            i++;
        size_t b = i++;
        while (a < b && is_ows(v.p[a]))
            a++;
        while (b > a && is_ows(v.p[b - 1]))
            b--;
        if (a == b)
            continue;
        if (!ieq(v.p + a, b - a, "100-continue"))
            return false;
        *cont = true;
    }
    return true;
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool is_hex(char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* unreserved / sub-delims (RFC 3986 2.2, 2.3): what a reg-name is made of,
 * besides pct-encoded octets; all but ',', which would make "Host: a,b" read
 * as a list of two hosts to anyone treating it as one (no DNS name has it). */
static bool is_host_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) ||
           (c != 0 && strchr("-._~!$&'()*+;=", c) != NULL);
}

/* Host = uri-host [ ":" port ] (RFC 9110 7.2, RFC 3986 3.2.2-3.2.3): an
 * IP-literal in brackets (hex digits, ':', '.', and for IPvFuture or a
 * zone ID the reg-name characters and '%'), or an IPv4 address / reg-name
 * with %XX escapes; port = *DIGIT. The host may not be empty: an "http" URI
 * without one is invalid (RFC 9110 4.2.1). Anything else (spaces, '/', '@',
 * '<', a second ':') is 400, as RFC 9112 3.2 requires. */
static bool host_valid(t4__slice v)
{
    const char *p = v.p;
    size_t n = v.n, i = 0;
    if (n == 0)
        return false;
    if (p[0] == '[') {
        for (i = 1; i < n && p[i] != ']'; i++)
            if (!is_host_char(p[i]) && p[i] != ':' && p[i] != '%')
                return false;
        if (i == n || i == 1)
            return false; /* unclosed, or "[]" */
        i++;
    } else {
        for (; i < n && p[i] != ':'; i++) {
            if (p[i] == '%') {
                if (n - i < 3 || !is_hex(p[i + 1]) || !is_hex(p[i + 2]))
                    return false;
                i += 2;
            } else if (!is_host_char(p[i])) {
                return false;
            }
        }
        if (i == 0)
            return false; /* ":80" */
    }
    if (i < n && p[i++] != ':')
        return false; /* "[::1]x" */
    for (; i < n; i++)
        if (!is_digit(p[i]))
            return false;
    return true;
}

/* Content-Length: 1*DIGIT, nothing else (no sign, no list, no spaces inside),
 * and it must fit an int64 (a wrapped length would be a smuggling vector). */
static bool parse_content_length(t4__slice v, int64_t *out)
{
    if (v.n == 0)
        return false;
    int64_t n = 0;
    for (size_t i = 0; i < v.n; i++) {
        unsigned char c = (unsigned char)v.p[i];
        if (c < '0' || c > '9')
            return false;
        if (n > (INT64_MAX - (c - '0')) / 10)
            return false;
        n = n * 10 + (c - '0');
    }
    *out = n;
    return true;
}

/* Skips the empty lines (CRLF) a client may send before a request (RFC
 * 9112 2.2: typically a CRLF after a POST body), looking at buf[0..limit).
 * A bare LF is not a line end here either: it starts the request line and
 * fails there. */
static size_t skip_empty_lines(const char *buf, size_t limit)
{
    size_t s = 0;
    while (s + 1 < limit && buf[s] == '\r' && buf[s + 1] == '\n')
        s += 2;
    return s;
}

/* Finds the end of the head in buf[from..limit): the first LF followed by an
 * empty line (LF or CRLF). Returns the head length including that empty line,
 * or 0 when it is not there yet. Bare LFs count here so that a head using
 * them is answered (400, by the strict pass) as soon as it ends, instead of
 * waiting for a CRLFCRLF that may never come. */
static size_t find_head_end(const char *buf, size_t from, size_t limit)
{
    size_t i = from;
    while (i < limit) {
        const char *lf = memchr(buf + i, '\n', limit - i);
        if (lf == NULL)
            return 0;
        i = (size_t)(lf - buf);
        if (i + 1 < limit && buf[i + 1] == '\n')
            return i + 2;
        if (i + 2 < limit && buf[i + 1] == '\r' && buf[i + 2] == '\n')
            return i + 3;
        i++;
    }
    return 0;
}

/* The head did not end within max_head bytes. A request line whose target
 * alone exceeds max_head / 2 is answered 414 (the more useful status), the
 * rest 431. Only buf[0..max_head] is looked at, so that the verdict does not
 * depend on how much more data happened to arrive (split == whole). */
static int overflow_status(const char *buf, size_t max_head)
{
    size_t w = max_head + 1, i = skip_empty_lines(buf, w);
    while (i < w && buf[i] != ' ' && buf[i] != '\n')
        i++;
    if (i >= w || buf[i] != ' ')
        return 431;
    size_t t = ++i;
    while (i < w && buf[i] != ' ' && buf[i] != '\r' && buf[i] != '\n')
        i++;
    return (i - t > max_head / 2) ? 414 : 431;
}

/* Splits the request-target into path and query. Origin-form ("/a?b") is
 * the norm; absolute-form ("http://h/a?b") must be accepted by servers (RFC
 * 9112 3.2.2); "*" is passed through for OPTIONS. Everything else (authority
 * form, which only CONNECT uses) is refused: this is not a proxy. */
static bool split_target(t4__slice t, t4__slice *path, t4__slice *query)
{
    size_t i = 0;
    if (t.n == 1 && t.p[0] == '*') {
        *path = t;
        query->p = t.p + t.n;
        query->n = 0;
        return true;
    }
    if (t.p[0] != '/') {
        size_t skip;
        if (t.n >= 7 && ieq(t.p, 7, "http://"))
            skip = 7;
        else if (t.n >= 8 && ieq(t.p, 8, "https://"))
            skip = 8;
        else
            return false;
        i = skip;
        while (i < t.n && t.p[i] != '/' && t.p[i] != '?' && t.p[i] != '#')
            i++;
        if (i == skip || i == t.n || t.p[i] != '/')
            return false; /* no host, or no path to route on */
    }
    size_t ps = i;
    while (i < t.n && t.p[i] != '?' && t.p[i] != '#')
        i++;
    path->p = t.p + ps;
    path->n = i - ps;
    if (i < t.n && t.p[i] == '?') {
        size_t qs = ++i;
        while (i < t.n && t.p[i] != '#')
            i++;
        query->p = t.p + qs;
        query->n = i - qs;
    } else {
        query->p = t.p + i;
        query->n = 0;
    }
    return true;
}

/* After a line's content: CRLF, nothing else. Returns the position after
 * the line end, or 0 for a bare CR or a bare LF (RFC 9112 2.2 lets a
 * recipient accept a bare LF; we do not: a front proxy that splits lines
 * only on CRLF would see "X: a\nContent-Length: 5" as one header, we would
 * see two, and that disagreement is request smuggling). */
static size_t line_end(const char *buf, size_t p, size_t end)
{
    if (p + 1 < end && buf[p] == '\r' && buf[p + 1] == '\n')
        return p + 2;
    return 0;
}

#define FAIL(code)                                                                                           \
    do {                                                                                                     \
        *status = (code);                                                                                    \
        return T4__HTTP_ERROR;                                                                               \
    } while (0)

/* Parses the complete head buf[s..end). */
static int parse_complete(const char *buf, size_t s, size_t end, size_t max_head, size_t max_headers,
                          t4__http_head *out, int *status)
{
    size_t p = s;

    /* request-line = method SP request-target SP HTTP-version CRLF */
    while (p < end && is_tchar((unsigned char)buf[p]))
        p++;
    if (p == s || buf[p] != ' ')
        FAIL(400);
    out->method.p = buf + s;
    out->method.n = p - s;

    size_t ts = ++p;
    /* Visible ASCII only: no CTL, no space, no raw 8-bit bytes. */
    while (p < end && (unsigned char)buf[p] > 0x20 && (unsigned char)buf[p] < 0x7f)
        p++;
    if (p == ts || buf[p] != ' ')
        FAIL(400);
    if (p - ts > max_head / 2)
        FAIL(414);
    out->target.p = buf + ts;
    out->target.n = p - ts;
    p++;

    if (end - p < 8 || memcmp(buf + p, "HTTP/", 5) != 0 || buf[p + 5] < '0' || buf[p + 5] > '9' ||
        buf[p + 6] != '.' || buf[p + 7] < '0' || buf[p + 7] > '9')
        FAIL(400);
    int major = buf[p + 5] - '0', minor = buf[p + 7] - '0';
    size_t next = line_end(buf, p + 8, end);
    if (next == 0)
        FAIL(400);
    if (major != 1 || minor > 1)
        FAIL(505);
    out->minor_version = minor;
    if (!split_target(out->target, &out->path, &out->query))
        FAIL(400);
    p = next;

    /* header-field = field-name ":" OWS field-value OWS */
    out->num_headers = 0;
    for (;;) {
        if (buf[p] == '\n' || buf[p] == '\r') {
            /* The empty line; find_head_end guarantees it is the last one.
             * It must be a CRLF too. */
            if (line_end(buf, p, end) != end)
                FAIL(400);
            break;
        }
        if (is_ows(buf[p]))
            FAIL(400); /* obs-fold (RFC 9112 5.2) */
        size_t ns = p;
        while (p < end && is_tchar((unsigned char)buf[p]))
            p++;
        if (p == ns || buf[p] != ':')
            FAIL(400); /* empty name, bad character, or space before ':' */
        size_t ne = p++;
        while (is_ows(buf[p]))
            p++;
        size_t vs = p;
        for (;;) {
            unsigned char c = (unsigned char)buf[p];
            if (c == '\r' || c == '\n')
                break;
            if ((c < 0x20 && c != '\t') || c == 0x7f)
                FAIL(400); /* NUL and other controls */
            p++;
        }
        size_t ve = p;
        next = line_end(buf, p, end);
        if (next == 0)
            FAIL(400); /* bare CR or bare LF */
        while (ve > vs && is_ows(buf[ve - 1]))
            ve--;
        if (out->num_headers == max_headers)
            FAIL(431);
        t4__http_header *h = &out->headers[out->num_headers++];
        h->name.p = buf + ns;
        h->name.n = ne - ns;
        h->value.p = buf + vs;
        h->value.n = ve - vs;
        p = next;
    }

    /* The derived fields. */
    bool has_cl = false, conn_close = false, conn_keep = false, conn_upgrade = false, up_ws = false;
    bool bad_host = false, expect_100 = false, expect_other = false;
    int te_count = 0, hosts = 0;
    bool te_chunked = false;
    out->content_length = -1;
    for (size_t i = 0; i < out->num_headers; i++) {
        const t4__http_header *h = &out->headers[i];
        const char *n = h->name.p;
        size_t nl = h->name.n;
        if (ieq(n, nl, "content-length")) {
            int64_t v;
            if (!parse_content_length(h->value, &v))
                FAIL(400);
            if (has_cl && v != out->content_length)
                FAIL(400);
            has_cl = true;
            out->content_length = v;
        } else if (ieq(n, nl, "transfer-encoding")) {
            /* Two TE headers combine to "chunked, chunked" (or worse), which
             * is not the one coding we implement. */
            te_count++;
            te_chunked = ieq(h->value.p, h->value.n, "chunked");
        } else if (ieq(n, nl, "host")) {
            hosts++;
            bad_host |= !host_valid(h->value);
        } else if (ieq(n, nl, "connection")) {
            conn_close |= has_token(h->value, "close");
            conn_keep |= has_token(h->value, "keep-alive");
            conn_upgrade |= has_token(h->value, "upgrade");
        } else if (ieq(n, nl, "upgrade")) {
            up_ws |= has_token(h->value, "websocket");
        } else if (ieq(n, nl, "expect")) {
            expect_other |= !expect_known(h->value, &expect_100);
        }
    }
    if (te_count > 0 && has_cl)
        FAIL(400); /* the classic CL.TE / TE.CL smuggling setup */
    if (te_count > 0 && minor == 0)
        FAIL(400); /* RFC 9112 6.1: TE in 1.0 means the framing is faulty */
    if (te_count > 1 || (te_count == 1 && !te_chunked))
        FAIL(501);
    if (hosts > 1 || (minor == 1 && hosts == 0) || bad_host)
        FAIL(400); /* RFC 9112 3.2 */
    if (expect_other)
        FAIL(417); /* an expectation we cannot meet (RFC 9110 10.1.1) */
    /* RFC 9110 10.1.1: a 100-continue in HTTP/1.0 MUST be ignored (a 1.0
     * client does not know 1xx responses). */
    out->expect_continue = expect_100 && minor == 1;
    out->chunked = te_count == 1;
    out->keep_alive = minor == 1 ? !conn_close : (conn_keep && !conn_close);
    out->upgrade_websocket = up_ws && conn_upgrade;
    return (int)end;
}

int t4__http_parse_head_max(const char *buf, size_t len, size_t last_len, size_t max_head, size_t max_headers,
                            t4__http_head *out, int *status)
{
    int ignored;
    if (status == NULL)
        status = &ignored;
    if (max_headers == 0 || max_headers > T4__HTTP_MAX_HEADERS)
        max_headers = T4__HTTP_MAX_HEADERS; /* the array's size */
    /* The return value is an int: keep every head length representable. */
    if (max_head > INT_MAX - 1)
        max_head = INT_MAX - 1;
    size_t limit = len < max_head ? len : max_head;
    size_t s = skip_empty_lines(buf, limit);
    /* A previous call saw buf[0..last_len) without an end; the end marker is
     * at most 3 bytes, so it can only start in its last 2 bytes or later. */
    size_t from = last_len > len ? len : last_len;
    from = from >= 3 ? from - 3 : 0;
    if (from < s)
        from = s;
    size_t end = find_head_end(buf, from, limit);
    if (end == 0) {
        if (len > max_head) {
            *status = overflow_status(buf, max_head);
            return T4__HTTP_ERROR;
        }
        return T4__HTTP_INCOMPLETE;
    }
    return parse_complete(buf, s, end, max_head, max_headers, out, status);
}

int t4__http_parse_head(const char *buf, size_t len, size_t last_len, size_t max_head, t4__http_head *out,
                        int *status)
{
    return t4__http_parse_head_max(buf, len, last_len, max_head, T4__HTTP_MAX_HEADERS, out, status);
}

const t4__http_header *t4__http_find_header(const t4__http_head *h, const char *name)
{
    for (size_t i = 0; i < h->num_headers; i++)
        if (ieq(h->headers[i].name.p, h->headers[i].name.n, name))
            return &h->headers[i];
    return NULL;
}
