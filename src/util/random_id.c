/* SPDX-License-Identifier: MIT */
/* Connection ids from the kernel's CSPRNG: unguessable, unique across
 * instances without coordination (128 bits). */
#include "util/random_id.h"
#include <errno.h>
#include <sys/random.h>
#include <unistd.h>

int t4__random_bytes(void *buf, size_t n)
{
    unsigned char *p = buf;
    while (n > 0) {
#ifdef __APPLE__ /* no getrandom; getentropy gives at most 256 bytes a call */
        ssize_t got = getentropy(p, n < 256 ? n : 256) == 0 ? (ssize_t)(n < 256 ? n : 256) : -1;
#else
        ssize_t got = getrandom(p, n, 0);
#endif
        if (got < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += got;
        n -= (size_t)got;
    }
    return 0;
}

int t4__random_id(char out[T4__ID_LEN + 1])
{
    static const char hex[] = "0123456789abcdef";
    unsigned char raw[T4__ID_LEN / 2];
    if (t4__random_bytes(raw, sizeof raw) != 0)
        return -1;
    for (size_t i = 0; i < sizeof raw; i++) {
        out[2 * i] = hex[raw[i] >> 4];
        out[2 * i + 1] = hex[raw[i] & 15];
    }
    out[T4__ID_LEN] = '\0';
    return 0;
}
