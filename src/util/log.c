/* SPDX-License-Identifier: MIT */
/* Logging and error names: one line per event, to stderr. */
#include "util/log.h"
#include <stdio.h>
#include <time.h>

int t4__log_level = T4_LOG_INFO;

static const char *const level_names[] = {"error", "warn", "info", "debug"};

void t4_log(int level, const char *fmt, ...)
{
    if (level > t4__log_level || !fmt)
        return;
    if (level < 0)
        level = 0;
    if (level > 3)
        level = 3;
    char stamp[32];
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    /* One fprintf per line so lines from threads do not interleave. */
    fprintf(stderr, "%s.%03ldZ tina4 %s: %s\n", stamp, ts.tv_nsec / 1000000, level_names[level], line);
}

const char *t4_strerror(int err)
{
    switch (err) {
    case T4_OK:
        return "T4_OK: success";
    case T4_EINVAL:
        return "T4_EINVAL: invalid argument";
    case T4_ENOMEM:
        return "T4_ENOMEM: out of memory";
    case T4_ECLOSED:
        return "T4_ECLOSED: connection closed";
    case T4_ETOOBIG:
        return "T4_ETOOBIG: message too big";
    case T4_EBACKPRESSURE:
        return "T4_EBACKPRESSURE: outbound buffer full, connection closed with 1013";
    case T4_ESTATE:
        return "T4_ESTATE: not allowed in this state";
    case T4_EEXIST:
        return "T4_EEXIST: already exists";
    case T4_EIO:
        return "T4_EIO: input/output error";
    case T4_ENOTFOUND:
        return "T4_ENOTFOUND: not found";
    case T4_ETHREAD:
        return "T4_ETHREAD: not allowed from this thread";
    default:
        return err >= 0 ? "T4_OK: success" : "unknown error";
    }
}
