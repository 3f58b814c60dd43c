/* SPDX-License-Identifier: MIT */
/* The https Location of a plain request (see redirect.h). */
#include "http/redirect.h"
#include <stdio.h>
#include <string.h>

int t4__https_location(const t4__http_head *h, char *out, size_t n)
{
    const t4__http_header *host = t4__http_find_header(h, "Host");
    if (!host || host->value.n == 0) /* HTTP/1.0 may omit it: nowhere to send the client */
        return -1;
    /* The parser has checked Host (uri-host [":" port]) and the target (no
     * spaces or control bytes), so both can go into a header as they are. */
    const char *target = h->target.p;
    size_t tn = h->target.n;
    if (tn == 0 || target[0] != '/') {
        target = "/";
        tn = 1;
    }
    int r = snprintf(out, n, "https://%.*s%.*s", (int)host->value.n, host->value.p, (int)tn, target);
    return r < 0 || (size_t)r >= n ? -1 : r;
}
