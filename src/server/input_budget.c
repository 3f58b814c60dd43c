/* SPDX-License-Identifier: MIT */
/* The server-wide budget for buffered input (see input_budget.h). */
#include "server/input_budget.h"
#include "server/slow_clients.h"
#include "tina4.h"
#include "util/log.h"
#include <time.h>

static size_t in_use, limit = (size_t)-1;
static time_t last_warning;

void t4__input_set_limit(size_t l)
{
    limit = l ? l : (size_t)-1;
}

size_t t4__input_in_use(void)
{
    return in_use;
}

int t4__input_reserve(t4__buf *b, size_t extra)
{
    size_t need = b->len + extra + 1;
    /* Before refusing, memory held by clients too slow to deserve it is
     * taken back (server/slow_clients.c). */
    if (need > b->cap && in_use - b->cap + need > limit)
        t4__slow_reclaim(need - b->cap);
    if (need > b->cap && in_use - b->cap + need > limit) {
        time_t now = time(NULL);
        if (now != last_warning) { /* one line a second, however many clients push */
            last_warning = now;
            t4_log(T4_LOG_WARN, "TINA4_MAX_INPUT_MEMORY (%zu bytes) is spent: refusing more buffered input",
                   limit);
        }
        return T4_EBACKPRESSURE;
    }
    size_t before = b->cap;
    if (t4__buf_reserve(b, extra) != 0)
        return T4_ENOMEM;
    in_use += b->cap - before;
    return 0;
}

int t4__input_append(t4__buf *b, const void *p, size_t n)
{
    int r = t4__input_reserve(b, n);
    if (r != 0)
        return r;
    return t4__buf_append(b, p, n) == 0 ? 0 : T4_ENOMEM;
}

void t4__input_consume(t4__buf *b, size_t n)
{
    t4__buf_consume(b, n);
}

void t4__input_free(t4__buf *b)
{
    in_use -= b->cap;
    t4__buf_free(b);
}
