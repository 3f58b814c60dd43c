/* SPDX-License-Identifier: MIT */
/*
 * First-byte sniffing (see tls.h). A TLS client speaks first with a
 * handshake record, content type 22 (0x16); no HTTP method starts with that
 * byte, so one byte decides. No server state: fuzzed on its own.
 */
#include "tls/tls.h"

#define TLS_HANDSHAKE 22

t4__sniff_result t4__tls_sniff(const unsigned char *p, size_t n)
{
    if (n == 0)
        return T4__SNIFF_MORE;
    return p[0] == TLS_HANDSHAKE ? T4__SNIFF_TLS : T4__SNIFF_PLAIN;
}
