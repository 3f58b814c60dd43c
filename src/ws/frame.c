/* SPDX-License-Identifier: MIT */
/*
 * WebSocket frame codec (RFC 6455 section 5.2). See frame.h for the contract.
 *
 * The parser checks each field as soon as the byte holding it has arrived, so
 * a bad frame is refused on its first byte rather than after the connection
 * has waited for (and buffered) the rest of a header that no longer matters.
 */
#include "ws/frame.h"

#include <string.h>

/* Opcodes 0-2 and 8-A are defined; 3-7 and B-F are reserved (5.2). */
static bool opcode_known(uint8_t op)
{
    return op <= T4__WS_OP_BINARY || (op >= T4__WS_OP_CLOSE && op <= T4__WS_OP_PONG);
}

static uint64_t load_be(const uint8_t *p, size_t n)
{
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++)
        v = (v << 8) | p[i];
    return v;
}

t4__ws_frame_status t4__ws_parse_frame(const uint8_t *buf, size_t len, bool require_mask, uint8_t allowed_rsv,
                                       t4__ws_frame *out)
{
    if (len < 1)
        return T4__WS_FRAME_NEED_MORE;

    uint8_t b0 = buf[0];
    bool fin = (b0 & 0x80) != 0;
    uint8_t rsv = (uint8_t)((b0 >> 4) & 7);
    uint8_t opcode = (uint8_t)(b0 & 0x0F);
    bool control = (opcode & 0x08) != 0;

    /* Everything in byte 0 is judged before waiting for byte 1: fail fast. */
    if (rsv & (uint8_t)~allowed_rsv)
        return T4__WS_FRAME_ERR_RSV;
    if (!opcode_known(opcode))
        return T4__WS_FRAME_ERR_OPCODE;
    if (control && !fin) /* 5.5: control frames MUST NOT be fragmented */
        return T4__WS_FRAME_ERR_CONTROL;
    if (len < 2)
        return T4__WS_FRAME_NEED_MORE;

    uint8_t b1 = buf[1];
    bool masked = (b1 & 0x80) != 0;
    uint8_t len7 = (uint8_t)(b1 & 0x7F);

    /* 5.5: a control payload is at most 125 bytes, so 126/127 (extended
     * length) are refused here too, without reading the extension. */
    if (control && len7 > 125)
        return T4__WS_FRAME_ERR_CONTROL;
    if (require_mask && !masked) /* 5.1: a client MUST mask every frame */
        return T4__WS_FRAME_ERR_UNMASKED;

    size_t ext = len7 == 126 ? 2 : len7 == 127 ? 8 : 0;
    size_t hlen = 2 + ext + (masked ? 4 : 0);

    /* The 64-bit length's top bit is checkable from its first byte. */
    if (ext == 8 && len >= 3 && (buf[2] & 0x80))
        return T4__WS_FRAME_ERR_LENGTH;
    /* 5.2: "the minimal number of bytes MUST be used to encode the length".
     * 126 for a length under 126, or 127 for one under 65536, is a protocol
     * error (close 1002), known as soon as the extended length is in. */
    if (ext && len >= 2 + ext) {
        uint64_t v = load_be(buf + 2, ext);
        if (ext == 2 ? v < 126 : v < 0x10000)
            return T4__WS_FRAME_ERR_LENGTH;
    }
    if (len < hlen)
        return T4__WS_FRAME_NEED_MORE;

    out->fin = fin;
    out->rsv = rsv;
    out->opcode = opcode;
    out->masked = masked;
    out->len = ext ? load_be(buf + 2, ext) : len7;
    if (masked)
        memcpy(out->mask, buf + 2 + ext, 4);
    else
        memset(out->mask, 0, 4);
    out->header_len = hlen;
    return T4__WS_FRAME_OK;
}

size_t t4__ws_write_header(uint8_t *out, bool fin, uint8_t opcode, uint64_t len, const uint8_t *mask)
{
    size_t n = 0;
    out[n++] = (uint8_t)((fin ? 0x80 : 0) | (opcode & 0x0F));
    uint8_t mbit = mask ? 0x80 : 0;
    if (len <= 125) {
        out[n++] = (uint8_t)(mbit | len);
    } else if (len <= 0xFFFF) {
        out[n++] = (uint8_t)(mbit | 126);
        out[n++] = (uint8_t)(len >> 8);
        out[n++] = (uint8_t)len;
    } else {
        out[n++] = (uint8_t)(mbit | 127);
        for (int shift = 56; shift >= 0; shift -= 8)
            out[n++] = (uint8_t)(len >> shift);
    }
    if (mask) {
        memcpy(out + n, mask, 4);
        n += 4;
    }
    return n;
}

void t4__ws_unmask(uint8_t *data, size_t len, const uint8_t mask[4], uint64_t offset)
{
    if (len == 0)
        return;

    /* Payload byte i (counted from the start of the frame's payload) is
     * XORed with mask[i % 4]; data[0] is payload byte `offset`. */
    unsigned base = (unsigned)(offset & 3);
    size_t i = 0;

    /* Head: a few single bytes until the pointer is 8-aligned, so the bulk
     * loads and stores below never straddle a cache line. */
    size_t head = (size_t)(-(uintptr_t)data & 7);
    if (head > len)
        head = len;
    for (; i < head; i++)
        data[i] ^= mask[(base + i) & 3];

    if (len - i >= 8) {
        /* An 8-byte mask in memory order, rotated to line up with data + i.
         * Building it byte-wise keeps it correct on either endianness. */
        uint8_t rot[8];
        for (unsigned k = 0; k < 8; k++)
            rot[k] = mask[(base + i + k) & 3];
        uint64_t m;
        memcpy(&m, rot, 8);

        /* memcpy loads and stores compile to plain word moves but stay
         * defined for any alignment (UBSan-clean); four words per trip
         * give the compiler room to vectorise. */
        for (; len - i >= 32; i += 32) {
            uint64_t w[4];
            memcpy(w, data + i, 32);
            w[0] ^= m;
            w[1] ^= m;
            w[2] ^= m;
            w[3] ^= m;
            memcpy(data + i, w, 32);
        }
        for (; len - i >= 8; i += 8) {
            uint64_t w;
            memcpy(&w, data + i, 8);
            w ^= m;
            memcpy(data + i, &w, 8);
        }
    }
    for (; i < len; i++)
        data[i] ^= mask[(base + i) & 3];
}

bool t4__ws_close_code_valid(int code)
{
    /* RFC 6455 7.4.1 and the IANA "WebSocket Close Code Number" registry.
     * 1004 is reserved; 1005, 1006 and 1015 are "MUST NOT be sent in a close
     * frame" (they only describe local conditions). 1012-1014 (Service
     * Restart, Try Again Later, Bad Gateway) were registered after the RFC;
     * the Autobahn suite accepts them today (case 7.7), so we do too.
     * 1016-2999 are reserved for future RFCs, 3000-3999 are registered by
     * libraries and 4000-4999 are private: a peer may send either. */
    if (code >= 1000 && code <= 1003)
        return true;
    if (code >= 1007 && code <= 1014)
        return true;
    return code >= 3000 && code <= 4999;
}
