/* The Redis backplane: not implemented yet (issue 4). Starting it is a clear
 * error rather than a silent local-only server. */
#include "backplane/relay.h"
#include "util/log.h"

static int start(uv_loop_t *loop, const t4_config *cfg, const char *instance_id)
{
    (void)loop;
    (void)cfg;
    (void)instance_id;
    t4_log(T4_LOG_ERROR, "TINA4_WS_BACKPLANE=redis: the Redis backplane is not built yet");
    return T4_EINVAL;
}

static void stop(void)
{
}

static void publish(const char *path, size_t path_len, uint8_t opcode, const void *data, size_t len,
                    const char *exclude_id)
{
    (void)path, (void)path_len, (void)opcode, (void)data, (void)len, (void)exclude_id;
}

static void presence(const char *path, size_t path_len, size_t local_count)
{
    (void)path, (void)path_len, (void)local_count;
}

static size_t remote_count(const char *path, size_t path_len)
{
    (void)path, (void)path_len;
    return 0;
}

const t4__relay t4__relay_redis = {"redis", start, stop, publish, presence, remote_count};
