/* SPDX-License-Identifier: MIT */
/*
 * Backplane selection: TINA4_WS_BACKPLANE unset -> none (every call is a
 * no-op), "redis" -> the Redis implementation (redis.c), anything else -> a
 * start-up error. The implementation is a small table of functions, as
 * facil.io's pub/sub engines are, so another relay can be added beside it.
 * In a worker (TINA4_WORKERS > 1) the local bus (bus.h) runs beside the
 * relay: every publish and count goes to both, the bus for the other
 * workers of this machine, the relay for other instances.
 */
#include "backplane/backplane.h"
#include "backplane/bus.h"
#include "backplane/relay.h"
#include "runtime/supervisor.h"
#include "util/log.h"
#include "util/random_id.h"
#include <string.h>
#include <strings.h>

static const t4__relay *relay; /* NULL: local only */
static char instance_id[T4__ID_LEN + 1];

int t4__backplane_start(uv_loop_t *loop, const t4_config *cfg)
{
    relay = NULL;
    if (!instance_id[0] && t4__random_id(instance_id) != 0)
        return T4_EIO;
    /* The local bus first (workers only): the Redis relay asks it which
     * instance ids are local peers, whose ids start with its token. */
    int brc = t4__bus_start(loop, cfg);
    if (brc != 0)
        return brc;
    if (t4__bus_token())
        memcpy(instance_id, t4__bus_token(), T4__BUS_TOKEN_LEN);
    const char *kind = cfg->ws_backplane;
    if (!kind || !*kind || strcasecmp(kind, "none") == 0)
        return 0;
    if (strcasecmp(kind, "redis") != 0) {
        t4_log(T4_LOG_ERROR, "TINA4_WS_BACKPLANE=%s: unknown backplane (expected \"redis\" or unset)", kind);
        t4__bus_stop();
        return T4_EINVAL;
    }
    const t4__relay *r = &t4__relay_redis;
    int rc = r->start(loop, cfg, instance_id);
    if (rc != 0) {
        t4__bus_stop();
        return rc;
    }
    relay = r;
    return 0;
}

void t4__backplane_stop(void)
{
    if (relay)
        relay->stop();
    relay = NULL;
    t4__bus_stop();
    t4__ws_remote_reset(); /* whatever other processes reported is stale now */
}

bool t4__backplane_active(void)
{
    return relay != NULL;
}

const char *t4__backplane_instance_id(void)
{
    return instance_id;
}

void t4__backplane_publish(const char *path, size_t path_len, uint8_t opcode, const void *data, size_t len,
                           const char *exclude_id)
{
    t4__bus_publish(path, path_len, opcode, data, len, exclude_id);
    if (relay)
        relay->publish(path, path_len, opcode, data, len, exclude_id);
}

bool t4__backplane_history(void)
{
    return relay && relay->publish_history;
}

int t4__backplane_publish_history(const char *path, size_t path_len, uint8_t opcode, const void *data,
                                  size_t len, const char *exclude_id, size_t maxlen, uint64_t ttl_ms)
{
    if (!relay || !relay->publish_history)
        return -1;
    return relay->publish_history(path, path_len, opcode, data, len, exclude_id, maxlen, ttl_ms);
}

void t4__backplane_relay_publish(const char *path, size_t path_len, uint8_t opcode, const void *data,
                                 size_t len, const char *exclude_id)
{
    if (relay)
        relay->publish(path, path_len, opcode, data, len, exclude_id);
}

void t4__backplane_presence(const char *path, size_t path_len, size_t local_count)
{
    t4__bus_presence(path, path_len, local_count);
    if (relay)
        relay->presence(path, path_len, local_count);
}

void t4__backplane_member(const char *path, size_t path_len, const char *id, const char *info)
{
    t4__bus_member(path, path_len, id, info);
    if (relay && relay->member)
        relay->member(path, path_len, id, info);
}

size_t t4__backplane_remote_count(const char *path, size_t path_len)
{
    /* Other workers here (the bus) plus other instances (the relay, which
     * skips our local peers); both sums are well below SIZE_MAX / 2. */
    return t4__bus_remote_count(path, path_len) + (relay ? relay->remote_count(path, path_len) : 0);
}
