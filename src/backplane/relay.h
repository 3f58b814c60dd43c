/* SPDX-License-Identifier: MIT */
/* A backplane implementation: a table of functions (see backplane.h for
 * what each call means). */
#ifndef T4_BACKPLANE_RELAY_H
#define T4_BACKPLANE_RELAY_H
#include "tina4.h"
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

typedef struct t4__relay {
    const char *name;
    int (*start)(uv_loop_t *loop, const t4_config *cfg, const char *instance_id);
    void (*stop)(void);
    void (*publish)(const char *path, size_t path_len, uint8_t opcode, const void *data, size_t len,
                    const char *exclude_id);
    void (*presence)(const char *path, size_t path_len, size_t local_count);
    size_t (*remote_count)(const char *path, size_t path_len);
    void (*member)(const char *path, size_t path_len, const char *id, const char *info);
    /* Positions and keeps a message of a path with history, cluster-wide
     * (NULL: this relay keeps no history). 0, or -1 when it cannot now. */
    int (*publish_history)(const char *path, size_t path_len, uint8_t opcode, const void *data, size_t len,
                           const char *exclude_id, size_t maxlen, uint64_t ttl_ms);
} t4__relay;

extern const t4__relay t4__relay_redis;
#endif
