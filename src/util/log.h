/* SPDX-License-Identifier: MIT */
#ifndef T4_UTIL_LOG_H
#define T4_UTIL_LOG_H
#include "tina4.h"

extern int t4__log_level;
#define T4__LOG_ON(level) ((level) <= t4__log_level)
#define t4__debug(...)                                                                                       \
    do {                                                                                                     \
        if (T4__LOG_ON(T4_LOG_DEBUG))                                                                        \
            t4_log(T4_LOG_DEBUG, __VA_ARGS__);                                                               \
    } while (0)
#endif
