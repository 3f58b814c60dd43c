/* SPDX-License-Identifier: MIT */
/*
 * Connection counts on the local bus (bus.h), in memory: per path, this
 * worker's own count and each other worker's latest announced count, with
 * their sum kept up to date so t4__busc_remote is O(1). A path is forgotten
 * once every count on it is zero. Loop thread only.
 */
#ifndef T4_BACKPLANE_BUS_COUNTS_H
#define T4_BACKPLANE_BUS_COUNTS_H
#include <stddef.h>

/* nslots: the number of workers (slots 0 .. nslots-1). Returns 0 or -1. */
int t4__busc_init(int nslots);
void t4__busc_free(void);
/* This worker's count on path. Returns 0 or -1 (no memory). */
int t4__busc_set_local(const char *path, size_t len, size_t count);
/* What worker slot announced for path (absolute, not a delta). */
int t4__busc_set_peer(int slot, const char *path, size_t len, size_t count);
/* Worker slot is gone (or restarted): its counts drop out at once. */
void t4__busc_clear_peer(int slot);
/* The sum over the other workers. */
size_t t4__busc_remote(const char *path, size_t len);
/* Visits every path with a non-zero local count. */
void t4__busc_foreach_local(void (*fn)(const char *path, size_t len, size_t count, void *arg), void *arg);
#endif
