/* SPDX-License-Identifier: MIT */
/* History channel messages (hist_msg.h): build and strict parse. */
#include "backplane/hist_msg.h"
#include "backplane/presence_msg.h"
#include <string.h>

int t4__hist_body_build(t4__buf *out, const char *src, unsigned char opcode, const char *exclude,
                        const char *path, size_t plen, const void *data, size_t len)
{
    if (t4__buf_appendf(out, "%s %u %s %zu ", src, (unsigned)opcode, exclude && *exclude ? exclude : "-",
                        plen) != 0 ||
        t4__buf_append(out, path, plen) != 0)
        return -1;
    return len ? t4__buf_append(out, data, len) : 0;
}

int t4__hist_pos_parse(const char *msg, size_t len, t4__hist_pos *p)
{
    const char *s = msg, *end = msg + len, *f;
    size_t n;
    if (t4__pres_field(&s, end, &f, &n, 16) != 0 || n != 16)
        return -1;
    uint64_t e = 0;
    for (size_t i = 0; i < 16; i++) {
        char c = f[i];
        unsigned d;
        if (c >= '0' && c <= '9')
            d = (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            d = (unsigned)(c - 'a' + 10);
        else
            return -1;
        e = e << 4 | d;
    }
    if (!e || t4__pres_field(&s, end, &f, &n, 20) != 0 ||
        t4__pres_parse_uint(f, n, UINT64_MAX, &p->offset) != 0 || !p->offset)
        return -1;
    p->epoch = e;
    p->body = s;
    p->body_len = (size_t)(end - s);
    return 0;
}

int t4__hist_body_parse(const char *body, size_t len, size_t max_path, t4__hist_msg *m)
{
    const char *p = body, *end = body + len, *f;
    size_t n;
    uint64_t v;
    if (t4__pres_field(&p, end, &f, &n, 32) != 0 || !t4__pres_valid_id(f, n))
        return -1;
    memcpy(m->src, f, n);
    m->src[n] = '\0';
    if (t4__pres_field(&p, end, &f, &n, 1) != 0 || (f[0] != '1' && f[0] != '2'))
        return -1;
    m->opcode = (unsigned char)(f[0] - '0');
    if (t4__pres_field(&p, end, &f, &n, 32) != 0 || (!(n == 1 && f[0] == '-') && !t4__pres_alnum(f, n)))
        return -1;
    if (n == 1 && f[0] == '-')
        n = 0;
    memcpy(m->exclude, f, n);
    m->exclude[n] = '\0';
    if (t4__pres_field(&p, end, &f, &n, 20) != 0 || t4__pres_parse_uint(f, n, max_path, &v) != 0 || !v)
        return -1;
    if ((size_t)(end - p) < v || p[0] != '/')
        return -1;
    m->path = p;
    m->path_len = (size_t)v;
    m->data = p + v;
    m->len = (size_t)(end - p) - (size_t)v;
    return 0;
}
