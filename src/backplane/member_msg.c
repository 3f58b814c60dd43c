/* SPDX-License-Identifier: MIT */
/* Members channel messages (member_msg.h): build and strict parse. */
#include "backplane/member_msg.h"
#include "backplane/presence_msg.h"
#include <string.h>

int t4__member_msg_build(t4__buf *out, const char *src, const char *conn, const char *path, size_t plen,
                         const char *info)
{
    if (t4__buf_appendf(out, "%c %s %s %zu ", info ? 'j' : 'l', src, conn, plen) != 0 ||
        t4__buf_append(out, path, plen) != 0)
        return -1;
    return info ? t4__buf_append(out, info, strlen(info)) : 0;
}

int t4__member_msg_parse(const char *msg, size_t len, size_t max_path, t4__member_msg *m)
{
    const char *p = msg, *end = msg + len, *f;
    size_t n;
    uint64_t plen;
    if (len < 2 || (msg[0] != 'j' && msg[0] != 'l') || msg[1] != ' ')
        return -1;
    m->kind = msg[0];
    p += 2;
    if (t4__pres_field(&p, end, &f, &n, 32) != 0 || !t4__pres_valid_id(f, n))
        return -1;
    memcpy(m->src, f, n);
    m->src[n] = '\0';
    if (t4__pres_field(&p, end, &f, &n, 32) != 0 || !t4__pres_alnum(f, n))
        return -1;
    memcpy(m->conn, f, n);
    m->conn[n] = '\0';
    if (t4__pres_field(&p, end, &f, &n, 20) != 0 || t4__pres_parse_uint(f, n, max_path, &plen) != 0)
        return -1;
    if ((size_t)(end - p) < plen || plen == 0 || p[0] != '/')
        return -1;
    m->path = p;
    m->path_len = (size_t)plen;
    p += plen;
    if (m->kind == 'l') {
        m->info = NULL;
        m->info_len = 0;
        return p == end ? 0 : -1;
    }
    if (p == end)
        return -1;
    m->info = p;
    m->info_len = (size_t)(end - p);
    return 0;
}
