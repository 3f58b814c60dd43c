/* SPDX-License-Identifier: MIT */
/*
 * Backplane envelopes: how one broadcast or push travels through Redis.
 *
 * JSON (the default; the Tina4 family's format, channel "tina4:ws"):
 *   {"src":"<instance id>","kind":"path","path":"/chat/1","exclude":null,
 *    "room":null,"text":"hello"}            ("b64":"..." instead of "text"
 *                                            for a binary message)
 * Binary (TINA4_WS_BACKPLANE_FORMAT=binary, channel "tina4:ws:bin"; only
 * tina4-c speaks it):
 *   "T4B1" | opcode u8 | flags u8 | src[32] | exclude[32] |
 *   path_len u32 LE | path | payload [| mac[32]]
 * flags: bit 0 has an exclude id, bit 1 ends with a MAC (auth.h).
 * A MAC (JSON's "mac" member too) is skipped by the decoders: auth.c checks
 * it before decoding.
 *
 * Decoding never trusts the input: malformed envelopes and other kinds are
 * reported, never crash.
 */
#ifndef T4_BACKPLANE_ENVELOPE_H
#define T4_BACKPLANE_ENVELOPE_H
#include "util/buf.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define T4__BP_CHANNEL_JSON "tina4:ws"
#define T4__BP_CHANNEL_BIN  "tina4:ws:bin"
#define T4__BP_ID_LEN       32

typedef struct {
    const char *src; /* NUL-terminated (JSON) or T4__BP_ID_LEN bytes (binary) */
    size_t src_len;
    const char *path;
    size_t path_len;
    const char *exclude; /* NUL-terminated connection id, or NULL */
    uint8_t opcode;      /* 0x1 text or 0x2 binary */
    const uint8_t *data;
    size_t len;
    /* owned storage */
    void *json;
    uint8_t *decoded;
    char exclude_buf[T4__BP_ID_LEN + 1];
} t4__envelope;

enum { T4__ENV_OK = 0, T4__ENV_IGNORE = 1, T4__ENV_BAD = -1 };

/* Appends the envelope to out (out->len is not reset). src, path and exclude
 * must be valid UTF-8 for JSON (text payloads are valid UTF-8 already).
 * Returns 0, or -1 (no memory, or a string that JSON cannot carry). */
int t4__envelope_encode_json(t4__buf *out, const char *src, const char *path, size_t path_len, uint8_t opcode,
                             const void *data, size_t len, const char *exclude);
int t4__envelope_encode_bin(t4__buf *out, const char *src, const char *path, size_t path_len, uint8_t opcode,
                            const void *data, size_t len, const char *exclude);

/* Decode: T4__ENV_OK (fill e; call t4__envelope_free after use),
 * T4__ENV_IGNORE (valid, but another kind), T4__ENV_BAD (malformed; a text
 * payload that is not UTF-8 too). */
int t4__envelope_decode_json(const char *buf, size_t len, t4__envelope *e);
int t4__envelope_decode_bin(const char *buf, size_t len, t4__envelope *e);
void t4__envelope_free(t4__envelope *e);

/* True when buf is surely an envelope from src (a cheap prefix check that
 * skips decoding our own messages when Redis echoes them back). */
bool t4__envelope_json_from(const char *buf, size_t len, const char *src);
bool t4__envelope_bin_from(const char *buf, size_t len, const char *src);
/* Whether the envelope's src starts with prefix (n bytes): an envelope of a
 * worker of this machine (their ids start with the bus token), told without
 * decoding it. */
bool t4__envelope_json_src_starts(const char *buf, size_t len, const char *prefix, size_t n);
bool t4__envelope_bin_src_starts(const char *buf, size_t len, const char *prefix, size_t n);

/* The largest envelope that a message of max_message bytes to a path of
 * at most max_path bytes can encode to, MAC included: JSON escaping by any
 * encoder grows a byte at most 6-fold (a control character as \u00XX),
 * plus room for src, exclude, keys and spacing. A larger envelope is
 * dropped without being decoded. Saturates instead of wrapping. */
size_t t4__envelope_json_max(size_t max_message, size_t max_path);
size_t t4__envelope_bin_max(size_t max_message, size_t max_path);

/* Standard base64 with padding. encode writes b64_len(n) chars (no NUL).
 * decode accepts padded or unpadded input, returns the decoded length or
 * -1 for bad input; out needs room for (n / 4 + 1) * 3 bytes. */
size_t t4__b64_len(size_t n);
void t4__b64_encode(const void *in, size_t n, char *out);
long long t4__b64_decode(const char *in, size_t n, uint8_t *out);
#endif
