/* SPDX-License-Identifier: MIT */
/*
 * Message history per concrete path, for routes that ask for it
 * (.history_size / .history_ttl): every broadcast and push gets a position,
 * an (epoch, offset) pair, and is kept in a bounded ring so a client that
 * reconnects can be sent what it missed (see docs/RESUME_PROTOCOL.md).
 *
 * offset: 1 for the first message of a path, +1 per message.
 * epoch:  64 random bits chosen when the path's history is created; a new
 *         history (after a restart, or after the old one was dropped) has a
 *         new epoch, so an old position can never be mistaken for a new one.
 *
 * A history exists while the path has listeners or still holds a message:
 * a path nobody listens to and with nothing kept costs nothing.
 *
 * Memory: every entry counts its header and payload, every ring its slot
 * array; past the server-wide budget (TINA4_WS_HISTORY_MEMORY) the oldest
 * entries of the whole server go first, whichever path they belong to.
 *
 * Pure data structure: no sockets, the caller passes the clock. Loop thread
 * only.
 */
#ifndef T4_WS_HISTORY_H
#define T4_WS_HISTORY_H
#include "util/hmap.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct t4__hist t4__hist;

typedef struct t4__hist_entry {
    struct t4__hist_entry *older, *newer; /* the server-wide age list */
    t4__hist *h;
    uint64_t offset;
    uint64_t at; /* ms, the caller's clock */
    uint8_t opcode;
    size_t len;
    char data[];
} t4__hist_entry;

struct t4__hist {
    t4__hnode node;
    uint64_t epoch;
    uint64_t last;         /* offset of the newest message, 0 before the first */
    size_t size;           /* most messages kept */
    uint64_t ttl;          /* ms a message is kept, 0 = no limit */
    size_t listeners;      /* groups that hold this history open */
    t4__hist_entry **slot; /* ring: slot[(first + i) % cap] */
    size_t cap, head, count;
    size_t len;
    char path[];
};

/* The server-wide budget in bytes (0 = no history is kept at all). */
void t4__hist_set_limit(size_t bytes);
size_t t4__hist_memory(void); /* bytes held now */
size_t t4__hist_paths(void);  /* histories alive now */

t4__hist *t4__hist_find(const char *path, size_t len);
/* Finds or creates the history of a path; NULL when out of memory. */
t4__hist *t4__hist_open(const char *path, size_t len, size_t size, uint64_t ttl_ms);
/* A listener group takes / lets go of the history; let go of, an empty
 * history is freed (its epoch is gone). */
void t4__hist_hold(t4__hist *h);
void t4__hist_release(t4__hist *h);

/* Appends a message: it gets the next offset (returned; 0 when it could not
 * be kept: out of memory, or larger than the whole budget - the offset still
 * advances, so positions never repeat). May free other paths' histories
 * (never h itself) to stay within the budget. */
uint64_t t4__hist_append(t4__hist *h, uint8_t opcode, const void *data, size_t len, uint64_t now);
/* Appends a message positioned elsewhere (a replica of the history that
 * the path's owner keeps, docs/ARCHITECTURE.md): at (epoch, offset). A new
 * epoch, or an offset past last + 1, first empties the ring (a resume across
 * it must see a gap). Returns the offset, or 0 when it was not kept (also
 * when offset <= last: a message already had). */
uint64_t t4__hist_append_at(t4__hist *h, uint64_t epoch, uint64_t offset, uint8_t opcode, const void *data,
                            size_t len, uint64_t now);
/* Fills h from a stored copy (Redis): items in increasing offset order,
 * all of epoch. What h holds past the copy (arrived meanwhile) is kept
 * after it; h is left as it is when the copy is older than what it holds
 * with a hole between. Returns 0 or -1 (no memory). */
typedef struct {
    uint64_t offset;
    uint8_t opcode;
    const void *data;
    size_t len;
} t4__hist_item;
int t4__hist_prime(t4__hist *h, uint64_t epoch, const t4__hist_item *items, size_t n, uint64_t now);
/* Where new histories get their epoch: fn(path) (0: a random one). With
 * workers every worker derives the same epoch for a path. */
void t4__hist_set_epoch_source(uint64_t (*fn)(const char *path, size_t len));
/* Drops messages older than the history's TTL. */
void t4__hist_expire(t4__hist *h, uint64_t now);
/* Expires every history (a periodic sweep). May free histories. */
void t4__hist_expire_all(uint64_t now);

/* The offset of the oldest message kept (last + 1 when none). */
static inline uint64_t t4__hist_first(const t4__hist *h)
{
    return h->last - h->count + 1;
}
/* The message at offset, or NULL when it is not kept. */
const t4__hist_entry *t4__hist_at(const t4__hist *h, uint64_t offset);

/* What a client that stopped at (epoch, offset) can be given:
 *   >= 0: the number of messages to replay, from offset + 1 to last
 *   -1:   a gap - another epoch, a future offset, or messages no longer kept. */
long long t4__hist_missed(const t4__hist *h, uint64_t epoch, uint64_t offset);

/* Visits every history. */
void t4__hist_each(void (*fn)(t4__hist *h, void *arg), void *arg);

/* Frees every history (server shutdown). */
void t4__hist_reset(void);
#endif
