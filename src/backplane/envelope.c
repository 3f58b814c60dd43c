/* SPDX-License-Identifier: MIT */
/* Encoding and decoding of backplane envelopes (see envelope.h). */
#include "backplane/envelope.h"
#include "ws/utf8.h"
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- */
/* base64                                                             */
/* ---------------------------------------------------------------- */

static const char b64chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t t4__b64_len(size_t n)
{
    return (n + 2) / 3 * 4;
}

void t4__b64_encode(const void *in, size_t n, char *out)
{
    const uint8_t *s = in;
    size_t i = 0;
    for (; i + 3 <= n; i += 3) {
        uint32_t v = (uint32_t)s[i] << 16 | (uint32_t)s[i + 1] << 8 | s[i + 2];
        *out++ = b64chars[v >> 18];
        *out++ = b64chars[(v >> 12) & 63];
        *out++ = b64chars[(v >> 6) & 63];
        *out++ = b64chars[v & 63];
    }
    if (n - i == 1) {
        uint32_t v = (uint32_t)s[i] << 16;
        *out++ = b64chars[v >> 18];
        *out++ = b64chars[(v >> 12) & 63];
        *out++ = '=';
        *out++ = '=';
    } else if (n - i == 2) {
        uint32_t v = (uint32_t)s[i] << 16 | (uint32_t)s[i + 1] << 8;
        *out++ = b64chars[v >> 18];
        *out++ = b64chars[(v >> 12) & 63];
        *out++ = b64chars[(v >> 6) & 63];
        *out++ = '=';
    }
}

/* Character -> 6-bit value, or 64 for "not base64". */
static uint8_t b64rev[256];

static void b64rev_init(void)
{
    if (b64rev[0] == 64)
        return;
    memset(b64rev, 64, sizeof b64rev);
    for (int i = 0; i < 64; i++)
        b64rev[(unsigned char)b64chars[i]] = (uint8_t)i;
}

long long t4__b64_decode(const char *in, size_t n, uint8_t *out)
{
    b64rev_init();
    if (n % 4 == 0 && n >= 1 && in[n - 1] == '=')
        n -= (n >= 2 && in[n - 2] == '=') ? 2 : 1;
    if (n % 4 == 1)
        return -1;
    const uint8_t *s = (const uint8_t *)in;
    size_t o = 0, i = 0;
    /* Whole quads; out may alias in (o < i always). */
    for (; i + 4 <= n; i += 4) {
        uint32_t a = b64rev[s[i]], b = b64rev[s[i + 1]], c = b64rev[s[i + 2]], d = b64rev[s[i + 3]];
        if ((a | b | c | d) & 64)
            return -1;
        uint32_t v = a << 18 | b << 12 | c << 6 | d;
        out[o++] = (uint8_t)(v >> 16);
        out[o++] = (uint8_t)(v >> 8);
        out[o++] = (uint8_t)v;
    }
    if (n - i >= 2) {
        uint32_t a = b64rev[s[i]], b = b64rev[s[i + 1]], c = n - i == 3 ? b64rev[s[i + 2]] : 0;
        if ((a | b | c) & 64)
            return -1;
        uint32_t v = a << 18 | b << 12 | c << 6;
        out[o++] = (uint8_t)(v >> 16);
        if (n - i == 3)
            out[o++] = (uint8_t)(v >> 8);
    }
    return (long long)o;
}

/* ---------------------------------------------------------------- */
/* JSON                                                               */
/* ---------------------------------------------------------------- */

/* Extra bytes each byte needs inside a JSON string: 0 for most, 1 for
 * \" \\ \n \r \t \b \f, 5 for other control characters (\u00XX). */
static const uint8_t esc_extra[256] = {
    5, 5, 5, 5, 5, 5, 5, 5, 1, 1, 1, 5, 1, 1, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5,
    0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0,
};

/* How many bytes from s on need no escaping: eight at a time (a word has
 * none when no byte is below 0x20, '"' or '\\'), then byte by byte. */
static size_t clean_run(const uint8_t *s, size_t n)
{
    const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t x;
        memcpy(&x, s + i, 8);
        uint64_t q = x ^ (ones * '"'), b = x ^ (ones * '\\');
        uint64_t hit = ((x - ones * 0x20) & ~x) | ((q - ones) & ~q) | ((b - ones) & ~b);
        if (hit & highs)
            break;
    }
    while (i < n && !esc_extra[s[i]])
        i++;
    return i;
}

/* Length of s as the body of a JSON string. */
static size_t json_escaped_len(const uint8_t *s, size_t n)
{
    size_t extra = 0;
    for (size_t i = clean_run(s, n); i < n; i += 1 + clean_run(s + i + 1, n - i - 1))
        extra += esc_extra[s[i]];
    return n + extra;
}

static char *json_escape(char *o, const uint8_t *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    size_t run = 0; /* bytes copied as they are, in one memcpy */
    for (size_t i = clean_run(s, n); i < n; i += 1 + clean_run(s + i + 1, n - i - 1)) {
        uint8_t c = s[i];
        memcpy(o, s + run, i - run);
        o += i - run;
        run = i + 1;
        *o++ = '\\';
        switch (c) {
        case '"':
        case '\\':
            *o++ = (char)c;
            break;
        case '\n':
            *o++ = 'n';
            break;
        case '\r':
            *o++ = 'r';
            break;
        case '\t':
            *o++ = 't';
            break;
        case '\b':
            *o++ = 'b';
            break;
        case '\f':
            *o++ = 'f';
            break;
        default:
            *o++ = 'u';
            *o++ = '0';
            *o++ = '0';
            *o++ = hex[c >> 4];
            *o++ = hex[c & 15];
        }
    }
    memcpy(o, s + run, n - run);
    return o + (n - run);
}

#define PUT(lit)                                                                                             \
    do {                                                                                                     \
        memcpy(o, lit, sizeof lit - 1);                                                                      \
        o += sizeof lit - 1;                                                                                 \
    } while (0)

int t4__envelope_encode_json(t4__buf *out, const char *src, const char *path, size_t path_len, uint8_t opcode,
                             const void *data, size_t len, const char *exclude)
{
    size_t srclen = strlen(src), exlen = exclude ? strlen(exclude) : 0;
    /* JSON strings are UTF-8: anything else would not decode again. */
    if (!t4__utf8_valid((const uint8_t *)src, srclen) || !t4__utf8_valid((const uint8_t *)path, path_len) ||
        (exclude && !t4__utf8_valid((const uint8_t *)exclude, exlen)))
        return -1;
    bool text = opcode == 0x1;
    size_t plen = json_escaped_len((const uint8_t *)path, path_len);
    size_t dlen = text ? json_escaped_len(data, len) : t4__b64_len(len);
    size_t need = 96 + json_escaped_len((const uint8_t *)src, srclen) + plen +
                  (exclude ? json_escaped_len((const uint8_t *)exclude, exlen) : 0) + dlen;
    if (t4__buf_reserve(out, need) != 0)
        return -1;
    char *o = out->data + out->len;
    PUT("{\"src\":\"");
    o = json_escape(o, (const uint8_t *)src, srclen);
    PUT("\",\"kind\":\"path\",\"path\":\"");
    o = json_escape(o, (const uint8_t *)path, path_len);
    if (exclude) {
        PUT("\",\"exclude\":\"");
        o = json_escape(o, (const uint8_t *)exclude, exlen);
        PUT("\",\"room\":null,");
    } else {
        PUT("\",\"exclude\":null,\"room\":null,");
    }
    if (text) {
        PUT("\"text\":\"");
        o = json_escape(o, data, len);
    } else {
        PUT("\"b64\":\"");
        t4__b64_encode(data, len, o);
        o += dlen;
    }
    PUT("\"}");
    out->len = (size_t)(o - out->data);
    out->data[out->len] = '\0';
    return 0;
}

bool t4__envelope_json_from(const char *buf, size_t len, const char *src)
{
    static const char head[] = "{\"src\":\"";
    size_t sl = strlen(src);
    return len > sizeof head - 1 + sl && memcmp(buf, head, sizeof head - 1) == 0 &&
           memcmp(buf + sizeof head - 1, src, sl) == 0 && buf[sizeof head - 1 + sl] == '"';
}

bool t4__envelope_json_src_starts(const char *buf, size_t len, const char *prefix, size_t n)
{
    static const char head[] = "{\"src\":\"";
    return len > sizeof head - 1 + n && memcmp(buf, head, sizeof head - 1) == 0 &&
           memcmp(buf + sizeof head - 1, prefix, n) == 0;
}

/* The fast path: the envelope as Tina4 instances write it, an object whose
 * values are strings or null, parsed in one pass into one buffer. Anything
 * else (numbers, nested values) goes to jansson (FALLBACK), so the result is
 * the same either way; jansson is just ~50x slower on long strings. */
enum { FALLBACK = 2 };

typedef struct {
    const char *p, *end;
    char *out; /* decoded strings go here, NUL-terminated */
} jcur;

static void skip_ws(jcur *c)
{
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
        c->p++;
}

static int hex4(const char *p, unsigned *out)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        char ch = p[i];
        v <<= 4;
        if (ch >= '0' && ch <= '9')
            v |= (unsigned)(ch - '0');
        else if (ch >= 'a' && ch <= 'f')
            v |= (unsigned)(ch - 'a' + 10);
        else if (ch >= 'A' && ch <= 'F')
            v |= (unsigned)(ch - 'A' + 10);
        else
            return -1;
    }
    *out = v;
    return 0;
}

/* Parses a string at c->p (on the opening quote). If keep, the decoded bytes
 * go to c->out (NUL-terminated) and *s / *n describe them. -1: malformed. */
static int jstring(jcur *c, bool keep, const char **s, size_t *n)
{
    c->p++; /* the quote */
    char *o = c->out, *start = c->out;
    for (;;) {
        const char *run = c->p;
        c->p += clean_run((const uint8_t *)c->p, (size_t)(c->end - c->p));
        if (keep) {
            memcpy(o, run, (size_t)(c->p - run));
            o += c->p - run;
        }
        if (c->p >= c->end || (unsigned char)*c->p < 0x20)
            return -1;
        if (*c->p == '"') {
            c->p++;
            break;
        }
        /* an escape */
        if (c->end - c->p < 2)
            return -1;
        char esc = c->p[1];
        c->p += 2;
        char ch;
        switch (esc) {
        case '"':
        case '\\':
        case '/':
            ch = esc;
            break;
        case 'b':
            ch = '\b';
            break;
        case 'f':
            ch = '\f';
            break;
        case 'n':
            ch = '\n';
            break;
        case 'r':
            ch = '\r';
            break;
        case 't':
            ch = '\t';
            break;
        case 'u': {
            unsigned cp;
            if (c->end - c->p < 4 || hex4(c->p, &cp) != 0)
                return -1;
            c->p += 4;
            if (cp >= 0xDC00 && cp <= 0xDFFF)
                return -1; /* a lone low surrogate */
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                unsigned lo;
                if (c->end - c->p < 6 || c->p[0] != '\\' || c->p[1] != 'u' || hex4(c->p + 2, &lo) != 0 ||
                    lo < 0xDC00 || lo > 0xDFFF)
                    return -1;
                c->p += 6;
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            }
            if (keep) { /* UTF-8 of at most 4 bytes: never longer than the 6..12 escape bytes */
                if (cp < 0x80) {
                    *o++ = (char)cp;
                } else if (cp < 0x800) {
                    *o++ = (char)(0xC0 | cp >> 6);
                    *o++ = (char)(0x80 | (cp & 0x3F));
                } else if (cp < 0x10000) {
                    *o++ = (char)(0xE0 | cp >> 12);
                    *o++ = (char)(0x80 | ((cp >> 6) & 0x3F));
                    *o++ = (char)(0x80 | (cp & 0x3F));
                } else {
                    *o++ = (char)(0xF0 | cp >> 18);
                    *o++ = (char)(0x80 | ((cp >> 12) & 0x3F));
                    *o++ = (char)(0x80 | ((cp >> 6) & 0x3F));
                    *o++ = (char)(0x80 | (cp & 0x3F));
                }
            }
            continue;
        }
        default:
            return -1;
        }
        if (keep)
            *o++ = ch;
    }
    if (keep) {
        *s = start;
        *n = (size_t)(o - start);
        *o++ = '\0';
        c->out = o;
        if (!t4__utf8_valid((const uint8_t *)start, *n))
            return -1;
    }
    return 0;
}

typedef struct {
    const char *s;
    size_t n;
    int state; /* 0 absent, 1 null, 2 string */
} jfield;

static int decode_json_fast(const char *buf, size_t len, t4__envelope *e)
{
    static const char *const names[] = {"src", "kind", "path", "exclude", "text", "b64"};
    enum { F_SRC, F_KIND, F_PATH, F_EXCLUDE, F_TEXT, F_B64, F_N };
    jfield f[F_N] = {{0}};
    e->decoded = malloc(len + 8);
    if (!e->decoded)
        return T4__ENV_BAD;
    jcur c = {buf, buf + len, (char *)e->decoded};
    skip_ws(&c);
    if (c.p >= c.end || *c.p != '{')
        return FALLBACK;
    c.p++;
    skip_ws(&c);
    if (c.p < c.end && *c.p == '}') {
        c.p++;
    } else {
        for (;;) {
            skip_ws(&c);
            if (c.p >= c.end || *c.p != '"')
                return FALLBACK;
            /* Keys are decoded into the buffer too, then dropped. */
            char *mark = c.out;
            const char *k;
            size_t kn;
            if (jstring(&c, true, &k, &kn) != 0)
                return FALLBACK;
            int which = -1;
            for (int i = 0; i < F_N; i++)
                if (strlen(names[i]) == kn && memcmp(names[i], k, kn) == 0)
                    which = i;
            c.out = mark;
            skip_ws(&c);
            if (c.p >= c.end || *c.p != ':')
                return FALLBACK;
            c.p++;
            skip_ws(&c);
            if (c.p < c.end && *c.p == '"') {
                const char *v = NULL;
                size_t vn = 0;
                if (jstring(&c, which >= 0, &v, &vn) != 0)
                    return FALLBACK;
                if (which >= 0)
                    f[which] = (jfield){v, vn, 2};
            } else if (c.end - c.p >= 4 && memcmp(c.p, "null", 4) == 0) {
                c.p += 4;
                if (which >= 0)
                    f[which] = (jfield){NULL, 0, 1};
            } else {
                return FALLBACK; /* numbers, booleans, nested values */
            }
            skip_ws(&c);
            if (c.p < c.end && *c.p == ',') {
                c.p++;
                continue;
            }
            if (c.p < c.end && *c.p == '}') {
                c.p++;
                break;
            }
            return FALLBACK;
        }
    }
    skip_ws(&c);
    if (c.p != c.end)
        return FALLBACK;
    if (f[F_KIND].state != 2)
        return T4__ENV_BAD;
    if (f[F_KIND].n != 4 || memcmp(f[F_KIND].s, "path", 4) != 0)
        return T4__ENV_IGNORE;
    if (f[F_SRC].state != 2 || f[F_PATH].state != 2 || f[F_PATH].n == 0)
        return T4__ENV_BAD;
    e->src = f[F_SRC].s;
    e->src_len = f[F_SRC].n;
    e->path = f[F_PATH].s;
    e->path_len = f[F_PATH].n;
    e->exclude = f[F_EXCLUDE].state == 2 ? f[F_EXCLUDE].s : NULL;
    if (f[F_TEXT].state == 2) {
        e->opcode = 0x1;
        e->data = (const uint8_t *)f[F_TEXT].s;
        e->len = f[F_TEXT].n;
    } else if (f[F_B64].state == 2) {
        /* Decoded in place: base64 never grows. */
        long long m = t4__b64_decode(f[F_B64].s, f[F_B64].n, (uint8_t *)f[F_B64].s);
        if (m < 0)
            return T4__ENV_BAD;
        e->opcode = 0x2;
        e->data = (const uint8_t *)f[F_B64].s;
        e->len = (size_t)m;
    } else {
        return T4__ENV_BAD;
    }
    return T4__ENV_OK;
}

int t4__envelope_decode_json(const char *buf, size_t len, t4__envelope *e)
{
    memset(e, 0, sizeof *e);
    int fast = decode_json_fast(buf, len, e);
    if (fast != FALLBACK)
        return fast;
    free(e->decoded);
    memset(e, 0, sizeof *e);
    json_error_t err;
    json_t *root = json_loadb(buf, len, JSON_ALLOW_NUL, &err);
    if (!root)
        return T4__ENV_BAD;
    e->json = root;
    if (!json_is_object(root))
        return T4__ENV_BAD;
    json_t *kind = json_object_get(root, "kind");
    if (!json_is_string(kind))
        return T4__ENV_BAD;
    if (strcmp(json_string_value(kind), "path") != 0)
        return T4__ENV_IGNORE;
    json_t *src = json_object_get(root, "src"), *path = json_object_get(root, "path");
    json_t *ex = json_object_get(root, "exclude");
    json_t *text = json_object_get(root, "text"), *b64 = json_object_get(root, "b64");
    if (!json_is_string(src) || !json_is_string(path) || json_string_length(path) == 0)
        return T4__ENV_BAD;
    if (ex && !json_is_null(ex) && !json_is_string(ex))
        return T4__ENV_BAD;
    e->src = json_string_value(src);
    e->src_len = json_string_length(src);
    e->path = json_string_value(path);
    e->path_len = json_string_length(path);
    e->exclude = json_is_string(ex) ? json_string_value(ex) : NULL;
    if (json_is_string(text)) {
        e->opcode = 0x1;
        e->data = (const uint8_t *)json_string_value(text);
        e->len = json_string_length(text);
    } else if (json_is_string(b64)) {
        size_t n = json_string_length(b64);
        e->decoded = malloc(n / 4 * 3 + 4);
        if (!e->decoded)
            return T4__ENV_BAD;
        long long m = t4__b64_decode(json_string_value(b64), n, e->decoded);
        if (m < 0)
            return T4__ENV_BAD;
        e->opcode = 0x2;
        e->data = e->decoded;
        e->len = (size_t)m;
    } else {
        return T4__ENV_BAD;
    }
    return T4__ENV_OK;
}

/* ---------------------------------------------------------------- */
/* Binary                                                             */
/* ---------------------------------------------------------------- */

#define BIN_MAGIC   "T4B1"
#define BIN_HEAD    (4 + 1 + 1 + T4__BP_ID_LEN + T4__BP_ID_LEN + 4)
#define BIN_EXCLUDE 1
#define BIN_MAC     2
#define BIN_MAC_LEN 32 /* T4__BP_MAC_LEN */

int t4__envelope_encode_bin(t4__buf *out, const char *src, const char *path, size_t path_len, uint8_t opcode,
                            const void *data, size_t len, const char *exclude)
{
    if (strlen(src) != T4__BP_ID_LEN || path_len > UINT32_MAX || (exclude && strlen(exclude) > T4__BP_ID_LEN))
        return -1;
    if (t4__buf_reserve(out, BIN_HEAD + path_len + len) != 0)
        return -1;
    uint8_t *o = (uint8_t *)out->data + out->len;
    memcpy(o, BIN_MAGIC, 4);
    o[4] = opcode;
    o[5] = exclude ? 1 : 0;
    memcpy(o + 6, src, T4__BP_ID_LEN);
    memset(o + 6 + T4__BP_ID_LEN, 0, T4__BP_ID_LEN);
    if (exclude)
        memcpy(o + 6 + T4__BP_ID_LEN, exclude, strlen(exclude));
    uint32_t pl = (uint32_t)path_len;
    uint8_t *lp = o + 6 + 2 * T4__BP_ID_LEN;
    lp[0] = (uint8_t)pl, lp[1] = (uint8_t)(pl >> 8), lp[2] = (uint8_t)(pl >> 16), lp[3] = (uint8_t)(pl >> 24);
    memcpy(o + BIN_HEAD, path, path_len);
    if (len)
        memcpy(o + BIN_HEAD + path_len, data, len);
    out->len += BIN_HEAD + path_len + len;
    out->data[out->len] = '\0';
    return 0;
}

bool t4__envelope_bin_from(const char *buf, size_t len, const char *src)
{
    return len >= BIN_HEAD && memcmp(buf, BIN_MAGIC, 4) == 0 && memcmp(buf + 6, src, T4__BP_ID_LEN) == 0;
}

bool t4__envelope_bin_src_starts(const char *buf, size_t len, const char *prefix, size_t n)
{
    return len >= BIN_HEAD && n <= T4__BP_ID_LEN && memcmp(buf, BIN_MAGIC, 4) == 0 &&
           memcmp(buf + 6, prefix, n) == 0;
}

int t4__envelope_decode_bin(const char *buf, size_t len, t4__envelope *e)
{
    memset(e, 0, sizeof *e);
    if (len < BIN_HEAD || memcmp(buf, BIN_MAGIC, 4) != 0)
        return T4__ENV_BAD;
    const uint8_t *p = (const uint8_t *)buf;
    if ((p[4] != 0x1 && p[4] != 0x2) || p[5] > (BIN_EXCLUDE | BIN_MAC))
        return T4__ENV_BAD;
    if (p[5] & BIN_MAC) { /* checked by auth.c, if at all: not part of the message */
        if (len < BIN_HEAD + BIN_MAC_LEN)
            return T4__ENV_BAD;
        len -= BIN_MAC_LEN;
    }
    const uint8_t *lp = p + 6 + 2 * T4__BP_ID_LEN;
    size_t pl = (size_t)lp[0] | (size_t)lp[1] << 8 | (size_t)lp[2] << 16 | (size_t)lp[3] << 24;
    if (pl == 0 || pl > len - BIN_HEAD)
        return T4__ENV_BAD;
    e->opcode = p[4];
    e->src = buf + 6;
    e->src_len = T4__BP_ID_LEN;
    if (p[5] & BIN_EXCLUDE) {
        memcpy(e->exclude_buf, buf + 6 + T4__BP_ID_LEN, T4__BP_ID_LEN);
        e->exclude_buf[T4__BP_ID_LEN] = '\0';
        e->exclude = e->exclude_buf;
    }
    e->path = buf + BIN_HEAD;
    e->path_len = pl;
    e->data = p + BIN_HEAD + pl;
    e->len = len - BIN_HEAD - pl;
    /* A text message goes out in text frames: like JSON ones, it must be
     * UTF-8 (RFC 6455 8.1). */
    if (e->opcode == 0x1 && !t4__utf8_valid(e->data, e->len)) {
        e->exclude = NULL;
        return T4__ENV_BAD;
    }
    return T4__ENV_OK;
}

/* a * b + c, or SIZE_MAX when that does not fit. */
static size_t sat_muladd(size_t a, size_t b, size_t c)
{
    size_t r;
    if (__builtin_mul_overflow(a, b, &r) || __builtin_add_overflow(r, c, &r))
        return SIZE_MAX;
    return r;
}

size_t t4__envelope_json_max(size_t max_message, size_t max_path)
{
    size_t strings = max_message > SIZE_MAX - max_path ? SIZE_MAX : max_message + max_path;
    return sat_muladd(strings, 6, 4096);
}

size_t t4__envelope_bin_max(size_t max_message, size_t max_path)
{
    size_t strings = max_message > SIZE_MAX - max_path ? SIZE_MAX : max_message + max_path;
    return sat_muladd(strings, 1, BIN_HEAD + BIN_MAC_LEN);
}

void t4__envelope_free(t4__envelope *e)
{
    if (e->json)
        json_decref(e->json);
    free(e->decoded);
    e->json = NULL;
    e->decoded = NULL;
}
