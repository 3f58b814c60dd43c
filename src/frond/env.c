/* SPDX-License-Identifier: MIT */
/* The template limits from the environment, for rendering outside a running
 * server (t4_render before t4_run, `tina4 render`). The syntax is the one of
 * the server's settings: a positive number with an optional K, M or G suffix
 * (binary units, "KiB"/"KB" accepted). */
#include "frond/internal.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

static int env_size(const char *name, const char *what, size_t *out, char **err)
{
    const char *v = getenv(name);
    if (!v || !*v) {
        return 0;
    }
    char *end;
    errno = 0;
    unsigned long long n = strtoull(v, &end, 10);
    unsigned long long mult = 1;
    if (*end == 'k' || *end == 'K') {
        mult = 1024, end++;
    } else if (*end == 'm' || *end == 'M') {
        mult = 1024 * 1024, end++;
    } else if (*end == 'g' || *end == 'G') {
        mult = 1024ULL * 1024 * 1024, end++;
    }
    if (*end == 'i' || *end == 'B' || *end == 'b') {
        end += (*end == 'i' && (end[1] == 'B' || end[1] == 'b')) ? 2 : 1;
    }
    if (errno || *end || v[0] == '-' || n == 0 || n > SIZE_MAX / mult) {
        *err = t4__fasprintf("%s=%s: expected a positive %s (K, M, G suffixes allowed)", name, v, what);
        return -1;
    }
    *out = (size_t)(n * mult);
    return 0;
}

int t4__frond_env_limits(size_t *max_size, size_t *max_nodes, char **err)
{
    *err = NULL;
    if (env_size("TINA4_TEMPLATE_MAX_SIZE", "size in bytes", max_size, err) ||
        env_size("TINA4_TEMPLATE_MAX_NODES", "number of nodes", max_nodes, err)) {
        return -1;
    }
    return 0;
}
