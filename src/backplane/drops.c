/* SPDX-License-Identifier: MIT */
/* Rate-limited drop counters (see drops.h). */
#include "backplane/drops.h"
#include "util/log.h"
#include <inttypes.h>

void t4__drops_flush(t4__drops *d, uint64_t now)
{
    if (!d->pending || (d->logged && now - d->last_log < T4__DROPS_LOG_MS))
        return;
    t4_log(T4_LOG_WARN, "backplane: dropped %" PRIu64 " %s (%" PRIu64 " in all)%s%s", d->pending, d->what,
           d->total, d->hint ? "; " : "", d->hint ? d->hint : "");
    d->pending = 0;
    d->last_log = now;
    d->logged = true;
}

void t4__drops_add(t4__drops *d, uint64_t now)
{
    d->total++;
    d->pending++;
    t4__drops_flush(d, now);
}

void t4__drops_reset(t4__drops *d)
{
    d->total = d->pending = d->last_log = 0;
    d->logged = false;
}
