/* SPDX-License-Identifier: MIT */
/*
 * Counters of what the backplane drops from Redis (forged, malformed or
 * oversized input), logged at most once a second each, with the count, so
 * a flood of junk cannot flood the log too.
 */
#ifndef T4_BACKPLANE_DROPS_H
#define T4_BACKPLANE_DROPS_H
#include <stdbool.h>
#include <stdint.h>

#define T4__DROPS_LOG_MS 1000

typedef struct {
    const char *what; /* e.g. "malformed presence message(s)" */
    const char *hint; /* appended to the log line, or NULL */
    uint64_t total;   /* since start */
    uint64_t pending; /* not logged yet */
    uint64_t last_log;
    bool logged;
} t4__drops;

/* Counts one drop at now (ms); logs at once unless a line was written
 * less than a second ago (then the next drop or flush does). */
void t4__drops_add(t4__drops *d, uint64_t now);
/* Zeroes the counts (a new start). */
void t4__drops_reset(t4__drops *d);
/* Logs what is pending once a second has passed (call it periodically). */
void t4__drops_flush(t4__drops *d, uint64_t now);
#endif
