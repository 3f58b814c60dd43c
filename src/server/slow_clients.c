/* SPDX-License-Identifier: MIT */
/* Clients that send too slowly (see slow_clients.h). */
#include "server/slow_clients.h"
#include "server/input_budget.h"
#include "util/log.h"

/* A holder is a reclaim candidate only after this long without a byte, or
 * after this long into a window whose rate is below the minimum. */
#define RECLAIM_MIN_IDLE_MS 1000
/* After a scan that found nobody to cut off, the next waits this long: a
 * flood of refused newcomers must not turn into one scan of every
 * connection each. */
#define RECLAIM_BACKOFF_MS 100

static bool in_progress(const t4__conn *c)
{
    if (c->closing || c->discard_input || c->close_after_flush || c->shutting_down)
        return false;
    return c->ops->receiving(c);
}

static void cut_off(t4__conn *c)
{
    c->ops->too_slow(c); /* 408 or 1008 */
}

void t4__slow_check(t4__conn *c, uint64_t now)
{
    const t4_config *cfg = &t4__srv->cfg;
    if (c->read_stopped || !in_progress(c)) {
        c->rate_t0 = 0; /* nothing arriving, or we paused it ourselves */
        return;
    }
    if (c->rate_t0 == 0) {
        c->rate_t0 = now;
        c->rate_b0 = c->bytes_in;
        return;
    }
    uint64_t elapsed = now - c->rate_t0;
    if (elapsed < cfg->min_data_rate_grace)
        return;
    uint64_t got = c->bytes_in - c->rate_b0;
    if (got * 1000 < (uint64_t)cfg->min_data_rate * elapsed) {
        t4_log(T4_LOG_INFO,
               "client sent %llu bytes in %llu ms, below TINA4_MIN_DATA_RATE (%zu/s): cutting it off",
               (unsigned long long)got, (unsigned long long)elapsed, cfg->min_data_rate);
        cut_off(c);
        return;
    }
    c->rate_t0 = now; /* a new window */
    c->rate_b0 = c->bytes_in;
}

/* Whether c is slow enough to be cut off when memory is contended. */
static bool reclaimable(const t4__conn *c, uint64_t now)
{
    if (c == t4__srv->current || !in_progress(c) || c->read_stopped || t4__conn_input_held(c) == 0)
        return false;
    if (now - c->last_read >= RECLAIM_MIN_IDLE_MS)
        return true;
    uint64_t elapsed = c->rate_t0 ? now - c->rate_t0 : 0;
    return elapsed >= RECLAIM_MIN_IDLE_MS &&
           (c->bytes_in - c->rate_b0) * 1000 < (uint64_t)t4__srv->cfg.min_data_rate * elapsed;
}

bool t4__slow_reclaim(size_t need)
{
    t4__server *s = t4__srv;
    if (!s)
        return false;
    uint64_t now = uv_now(&s->loop);
    if (now < s->reclaim_idle_until)
        return false;
    bool freed = false;
    size_t limit = s->cfg.max_input_memory;
    while (t4__input_in_use() + need > limit) {
        /* The slowest holder: the one that has gone longest without a byte. */
        t4__conn *victim = NULL;
        for (t4__conn *c = s->conns; c; c = c->next)
            if (reclaimable(c, now) && (!victim || c->last_read < victim->last_read))
                victim = c;
        if (!victim)
            break;
        t4_log(T4_LOG_INFO,
               "input memory contended: cutting off the slowest holder (%zu bytes, no byte for %llu ms)",
               t4__conn_input_held(victim), (unsigned long long)(now - victim->last_read));
        cut_off(victim);
        freed = true;
    }
    if (!freed)
        s->reclaim_idle_until = now + RECLAIM_BACKOFF_MS;
    return freed;
}
