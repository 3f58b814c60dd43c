/* SPDX-License-Identifier: MIT */
/* Strict parsing of presence messages (see presence_msg.h). */
#include "backplane/presence_msg.h"
#include <string.h>

int t4__pres_parse_uint(const char *s, size_t n, uint64_t max, uint64_t *out)
{
    if (n == 0)
        return -1;
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        unsigned d = (unsigned)(s[i] - '0');
        if (d > max || v > (max - d) / 10) /* v * 10 + d > max, without overflow */
            return -1;
        v = v * 10 + d;
    }
    *out = v;
    return 0;
}

int t4__pres_field(const char **p, const char *end, const char **f, size_t *n, size_t max)
{
    const char *sp = memchr(*p, ' ', (size_t)(end - *p));
    if (!sp || sp == *p || (size_t)(sp - *p) > max)
        return -1;
    *f = *p;
    *n = (size_t)(sp - *p);
    *p = sp + 1;
    return 0;
}

bool t4__pres_alnum(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')))
            return false;
    }
    return true;
}

bool t4__pres_valid_id(const char *id, size_t n)
{
    if (n == 0 || n > T4__PRES_ID_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((id[i] >= '0' && id[i] <= '9') || (id[i] >= 'a' && id[i] <= 'f') ||
              (id[i] >= 'A' && id[i] <= 'F')))
            return false;
    return true;
}

bool t4__pres_valid_path(const char *path, size_t n, size_t max_path)
{
    return n > 0 && n <= max_path && path[0] == '/';
}

/* The next field: from *p up to the next space (or the end when last).
 * Returns its length, and moves *p past the field and its one separator;
 * -1 when a field that is not the last has no space after it. */
static long long field(const char **p, const char *end, bool last)
{
    const char *s = *p;
    if (last) {
        *p = end;
        return (long long)(end - s);
    }
    const char *sp = memchr(s, ' ', (size_t)(end - s));
    if (!sp)
        return -1;
    *p = sp + 1;
    return (long long)(sp - s);
}

int t4__pres_msg_parse(const char *msg, size_t len, size_t max_path, t4__pres_msg *m)
{
    memset(m, 0, sizeof *m);
    if (len < 3 || msg[1] != ' ')
        return -1;
    char kind = msg[0];
    if (kind != 'P' && kind != 'H' && kind != 'J' && kind != 'B')
        return -1;
    const char *p = msg + 2, *end = msg + len, *f = p;
    long long n = field(&p, end, kind == 'B');
    if (n < 0 || !t4__pres_valid_id(f, (size_t)n))
        return -1;
    m->kind = kind;
    memcpy(m->id, f, (size_t)n);
    m->id[n] = '\0';
    m->id_len = (size_t)n;
    if (kind == 'B')
        return 0;
    f = p;
    n = field(&p, end, kind != 'P');
    if (n < 0 || t4__pres_parse_uint(f, (size_t)n, UINT64_MAX, &m->seq) != 0)
        return -1;
    if (kind != 'P')
        return 0;
    f = p;
    n = field(&p, end, false);
    uint64_t count;
    if (n < 0 || t4__pres_parse_uint(f, (size_t)n, T4__PRES_COUNT_MAX, &count) != 0)
        return -1;
    m->count = (size_t)count;
    m->path = p;
    m->path_len = (size_t)(end - p);
    if (!t4__pres_valid_path(m->path, m->path_len, max_path))
        return -1;
    return 0;
}
