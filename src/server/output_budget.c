/* SPDX-License-Identifier: MIT */
/* The server-wide budget for queued output (see output_budget.h). */
#include "server/output_budget.h"
#include "util/log.h"
#include "util/sbuf.h"
#include <time.h>

static size_t limit = (size_t)-1;
static time_t last_warning;

void t4__output_set_limit(size_t l)
{
    limit = l ? l : (size_t)-1;
}

bool t4__output_over(void)
{
    size_t used = t4__sbuf_live_bytes();
    if (used <= limit)
        return false;
    time_t now = time(NULL);
    if (now != last_warning) { /* one line a second, however many clients lag */
        last_warning = now;
        t4_log(T4_LOG_WARN,
               "TINA4_MAX_OUTPUT_MEMORY (%zu bytes) is spent (%zu queued): pausing requests of clients "
               "that do not read, closing lagging WebSockets with 1013",
               limit, used);
    }
    return true;
}
