/* SPDX-License-Identifier: MIT */
/*
 * Cluster connection counts, in memory (no I/O here; redis.c moves the
 * updates through Redis).
 *
 * Local: path -> count on this instance, with a sequence number bumped on
 * every change (the announcements carry it).
 *
 * Remote: per other instance, path -> count, each entry stamped with the
 * sequence number of the update that set it, plus the instance's last
 * snapshot and when it was last heard from. Updates arrive two ways that
 * may race: change notifications (pub/sub, in order per instance) and
 * snapshots (HGETALL of the instance's hash, on (re)connect or when a
 * heartbeat shows we missed something). The sequence numbers make the
 * result independent of which arrives first: an update older than what we
 * hold is ignored, and a path that went to zero is kept as a tombstone for
 * a while so a late snapshot cannot resurrect it.
 *
 * An aggregate path -> sum over remote instances answers
 * t4__pres_remote_count in O(1).
 */
#ifndef T4_BACKPLANE_PRESENCE_H
#define T4_BACKPLANE_PRESENCE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The most a cluster count (sum over instances) reaches: it saturates
 * there, and half of SIZE_MAX leaves room to add the local count. Each
 * instance's count is at most T4__PRES_COUNT_MAX (presence_msg.h). */
#define T4__PRES_SUM_MAX (SIZE_MAX / 2)

/* Local side. set records a count (0 = none) and marks the path dirty;
 * returns -1 without memory. flush calls fn for every dirty path with a
 * fresh sequence number (increasing in call order), then forgets paths at
 * zero. foreach visits every path with a non-zero count. */
int t4__pres_local_set(const char *path, size_t len, size_t count);
bool t4__pres_local_dirty(void);
void t4__pres_local_flush(void (*fn)(const char *path, size_t len, size_t count, uint64_t seq, void *arg),
                          void *arg);
uint64_t t4__pres_local_seq(void);
uint64_t t4__pres_local_next_seq(void);
void t4__pres_local_foreach(void (*fn)(const char *path, size_t len, size_t count, void *arg), void *arg);

/* Remote side. now and ages in ms (monotonic). */
void t4__pres_remote_update(const char *id, uint64_t seq, const char *path, size_t len, size_t count,
                            uint64_t now);
/* A snapshot: begin, add each path, end (which drops what it did not list).
 * seen is when the instance was last alive (from the key's remaining TTL). */
void t4__pres_snapshot_begin(const char *id, uint64_t seq, uint64_t seen);
void t4__pres_snapshot_add(const char *path, size_t len, size_t count);
void t4__pres_snapshot_end(void);
/* A heartbeat. Returns true when the instance is unknown or announced a
 * sequence number we have not seen (a snapshot should be fetched). */
bool t4__pres_remote_seen(const char *id, uint64_t seq, uint64_t now);
void t4__pres_remote_forget(const char *id);
/* Drops instances not heard from for max_age ms and tombstones older than
 * tomb_age ms. Returns the number of instances dropped. */
size_t t4__pres_remote_expire(uint64_t now, uint64_t max_age, uint64_t tomb_age);
size_t t4__pres_remote_count(const char *path, size_t len);
size_t t4__pres_remote_instances(void);

/* fn (or nobody, NULL) is called with the id of every remote instance
 * dropped (forgotten, expired, cleared), before its entries go. */
void t4__pres_set_drop_hook(void (*fn)(const char *id));

/* Frees everything (local and remote). */
void t4__pres_clear(void);
#endif
