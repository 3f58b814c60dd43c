/* SPDX-License-Identifier: MIT */
/*
 * Backplane authentication (TINA4_WS_BACKPLANE_SECRET): every envelope,
 * presence message and presence hash value an instance writes carries an
 * HMAC-SHA256 keyed with the shared secret; with a secret set, whatever
 * lacks a correct one is dropped.
 *
 * The MAC is HMAC-SHA256(secret, domain || 0x00 || data), where the domain
 * is the channel (or hash key) the data is written to, so a MAC from one
 * place never validates data in another. Where it travels:
 *
 *   JSON envelope  the envelope text without its closing '}' is X; sent is
 *                  X + ",\"mac\":\"<64 lowercase hex>\"}" (a last member that
 *                  JSON readers which do not check it simply ignore);
 *                  domain "tina4:ws", data X.
 *   binary         flag bit 1 of byte 5 set, then 32 raw MAC bytes after
 *                  the payload; domain "tina4:ws:bin", data everything
 *                  before the MAC (flag included).
 *   presence       "S <64 hex> <message>"; domain "tina4:ws:presence",
 *                  data the message.
 *   hash value     "<count> <64 hex>"; domain the hash key
 *                  ("tina4:ws:presence:<id>"), data field || 0x00 || count.
 *
 * Comparisons are constant time (CRYPTO_memcmp). Loop thread only (one
 * HMAC context per key).
 */
#ifndef T4_BACKPLANE_AUTH_H
#define T4_BACKPLANE_AUTH_H
#include "util/buf.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define T4__BP_MAC_LEN 32
#define T4__BP_MAC_HEX 64
/* What a MAC adds to a JSON envelope: ,"mac":"<64 hex>" */
#define T4__BP_MAC_JSON_EXTRA (8 + T4__BP_MAC_HEX + 1)

typedef struct t4__bp_auth t4__bp_auth;

/* A key for secret[0..len). NULL when out of memory or OpenSSL refuses. */
t4__bp_auth *t4__bp_auth_new(const char *secret, size_t len);
void t4__bp_auth_free(t4__bp_auth *a);
/* HMAC-SHA256(secret, domain || 0x00 || data). Returns 0 or -1. */
int t4__bp_mac(t4__bp_auth *a, const char *domain, const void *data, size_t len, uint8_t mac[T4__BP_MAC_LEN]);

/* Seal: the envelope at out->data[start..out->len) (as encoded) gets its
 * MAC. Returns 0 or -1 (no memory, or not an envelope of that format). */
int t4__bp_seal_json(t4__bp_auth *a, t4__buf *out, size_t start);
int t4__bp_seal_bin(t4__bp_auth *a, t4__buf *out, size_t start);
/* Check: true when the envelope carries the right MAC (then it can be
 * decoded as it is: the decoders skip the MAC). */
bool t4__bp_open_json(t4__bp_auth *a, const char *buf, size_t len);
bool t4__bp_open_bin(t4__bp_auth *a, const char *buf, size_t len);

/* Presence: appends "S <hex> " + msg to out. */
int t4__bp_seal_presence(t4__bp_auth *a, t4__buf *out, const char *msg, size_t len);
/* Sets *body / *blen to the message inside. With a key, false unless it
 * is sealed with the right MAC. Without (a == NULL), an "S <hex> " prefix
 * is skipped unchecked and anything else is the message itself. */
bool t4__bp_open_presence(t4__bp_auth *a, const char *msg, size_t len, const char **body, size_t *blen);

/* Presence hash values: writes "<count>" or "<count> <hex>" (with a key)
 * to out (at least 96 bytes). Returns its length, or -1. */
int t4__bp_seal_value(t4__bp_auth *a, const char *key, const char *field, size_t flen, uint64_t count,
                      char *out, size_t cap);
/* Parses a value of field in hash key: the count (strict digits, at most
 * max), and with a key the right MAC. Without a key, a MAC is skipped
 * unchecked. Returns 0, -1 (malformed) or -2 (not authenticated). */
int t4__bp_open_value(t4__bp_auth *a, const char *key, const char *field, size_t flen, const char *v,
                      size_t vlen, uint64_t max, uint64_t *count);
#endif
