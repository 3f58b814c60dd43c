/* SPDX-License-Identifier: MIT */
/*
 * WebSocket frame codec (RFC 6455 section 5). Pure functions, no I/O, no
 * allocation: the connection code feeds bytes in and gets headers out.
 */
#ifndef T4_WS_FRAME_H
#define T4_WS_FRAME_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
    T4__WS_OP_CONT = 0x0,
    T4__WS_OP_TEXT = 0x1,
    T4__WS_OP_BINARY = 0x2,
    T4__WS_OP_CLOSE = 0x8,
    T4__WS_OP_PING = 0x9,
    T4__WS_OP_PONG = 0xA,
};

#define T4__WS_MAX_HEADER 14 /* 2 + 8 (64-bit length) + 4 (mask) */

typedef struct {
    bool fin;
    uint8_t rsv; /* the three RSV bits, 0..7 */
    uint8_t opcode;
    bool masked;
    uint8_t mask[4];
    uint64_t len;      /* payload length */
    size_t header_len; /* bytes of header incl. mask key */
} t4__ws_frame;

/* Frame-level protocol errors, each answered with close 1002. */
typedef enum {
    T4__WS_FRAME_OK = 0,
    T4__WS_FRAME_NEED_MORE = 1,
    T4__WS_FRAME_ERR_RSV = -1,      /* RSV bit set without an extension */
    T4__WS_FRAME_ERR_OPCODE = -2,   /* reserved opcode 3-7, B-F */
    T4__WS_FRAME_ERR_CONTROL = -3,  /* control frame fragmented or > 125 bytes */
    T4__WS_FRAME_ERR_UNMASKED = -4, /* client frame without mask (when required) */
    T4__WS_FRAME_ERR_LENGTH = -5,   /* 64-bit length with the top bit set, or not in the minimal form */
} t4__ws_frame_status;

/* Parses a frame header from buf[0..len). require_mask: true on the server.
 * allowed_rsv: the RSV bits an extension negotiated (0 without extensions),
 * as in t4__ws_frame.rsv (RSV1 = 4, RSV2 = 2, RSV3 = 1).
 * Fails fast: each error is reported as soon as the byte carrying it is in
 * buf (RSV/opcode/fragmented control from byte 0, control length and
 * missing mask from byte 1, the 64-bit length's top bit from byte 2, a
 * length not in its minimal encoding from the extended length's last byte),
 * so NEED_MORE means "no error yet". *out is written only on OK. */
t4__ws_frame_status t4__ws_parse_frame(const uint8_t *buf, size_t len, bool require_mask, uint8_t allowed_rsv,
                                       t4__ws_frame *out);

/* Writes a frame header into out (>= T4__WS_MAX_HEADER bytes); returns its
 * length. mask NULL = unmasked (server to client). */
size_t t4__ws_write_header(uint8_t *out, bool fin, uint8_t opcode, uint64_t len, const uint8_t *mask);

/* XORs data[0..len) with the mask, as if data began at payload offset
 * `offset` (so a payload can be unmasked in pieces). Word-at-a-time. */
void t4__ws_unmask(uint8_t *data, size_t len, const uint8_t mask[4], uint64_t offset);

/* Close codes a peer may send (1000-1003, 1007-1011, 1012-1014, 3000-4999).
 * 1012-1014 were registered with IANA after RFC 6455; accepted, as the
 * Autobahn suite expects today. 1004-1006, 1015 and the rest: invalid. */
bool t4__ws_close_code_valid(int code);
#endif
