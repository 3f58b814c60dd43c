/* SPDX-License-Identifier: MIT */
/*
 * Presence entries of connections held by other processes: the other
 * workers of this machine (origin "w<slot>", over the local bus) and other
 * instances (origin: their backplane instance id, over Redis). members.c
 * merges them with the local members of a path for t4_path_presence, the
 * welcome list and the join/update/leave events.
 *
 * An origin's entries go all at once when it is gone: a worker whose bus
 * link closed, an instance whose heartbeats stopped (crashed) or that said
 * goodbye. Snapshots (a peer's whole list) use mark / set / sweep: entries
 * of the origin not set again between mark and sweep are removed.
 *
 * Pure data, no I/O. Loop thread only.
 */
#ifndef T4_WS_REMOTE_MEMBERS_H
#define T4_WS_REMOTE_MEMBERS_H
#include <stdbool.h>
#include <stddef.h>

#define T4__RMEM_ORIGIN_MAX 40
#define T4__RMEM_ID_MAX     32

/* Called with a removed (or listed) entry; info is JSON text. */
typedef void (*t4__rmem_fn)(const char *path, size_t plen, const char *id, const char *info, void *arg);

/* Adds or replaces an entry. Returns 0 (new), 1 (info changed), 2 (same
 * info: nothing to tell) or -1 (no memory, or an origin or id too long). */
int t4__rmem_set(const char *origin, const char *path, size_t plen, const char *id, const char *info,
                 size_t ilen);
/* Removes one entry (fn sees it first). Returns true if it was there. */
bool t4__rmem_del(const char *origin, const char *path, size_t plen, const char *id, t4__rmem_fn fn,
                  void *arg);
/* Removes every entry of origin; returns how many. */
size_t t4__rmem_drop_origin(const char *origin, t4__rmem_fn fn, void *arg);
void t4__rmem_mark(const char *origin);
size_t t4__rmem_sweep(const char *origin, t4__rmem_fn fn, void *arg);
/* Visits the entries of path. */
void t4__rmem_each(const char *path, size_t plen, t4__rmem_fn fn, void *arg);
size_t t4__rmem_count(void);
void t4__rmem_reset(void);
#endif
