/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for TINA4_TLS_REDIRECT's plain side: the first-byte
 * sniff (src/tls/sniff.c) and the https Location built for a plain request
 * (src/http/redirect_logic.c).
 *
 * FUZZ_SOURCES: src/tls/sniff.c src/http/redirect_logic.c src/http/parser.c
 *
 * Checks: the sniff depends on the first byte only (TLS exactly for 0x16,
 * MORE only for no bytes); a head the parser accepts yields either no
 * Location (no Host) or one that starts "https://", carries the Host as
 * sent, holds no CR, LF, NUL or space (it goes into a header as it is) and
 * ends with the request target when that is origin-form.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/parser.h"
#include "http/redirect.h"
#include "tls/tls.h"

#include "check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    t4__sniff_result r = t4__tls_sniff(data, size);
    if (size == 0) {
        CHECK(r == T4__SNIFF_MORE);
        return 0;
    }
    CHECK(r == (data[0] == 0x16 ? T4__SNIFF_TLS : T4__SNIFF_PLAIN));
    CHECK(t4__tls_sniff(data, 1) == r); /* one byte decides */
    if (r != T4__SNIFF_PLAIN)
        return 0;

    char *buf = malloc(size + 1);
    if (!buf)
        return 0;
    memcpy(buf, data, size);
    buf[size] = '\0';
    static t4__http_head h;
    int status = 0;
    int n = t4__http_parse_head_max(buf, size, 0, 16384, 100, &h, &status);
    if (n > 0) {
        char loc[2048];
        int len = t4__https_location(&h, loc, sizeof loc);
        const t4__http_header *host = t4__http_find_header(&h, "Host");
        if (!host || host->value.n == 0) {
            CHECK(len == -1);
        } else if (len >= 0) {
            CHECK((size_t)len == strlen(loc));
            CHECK(strncmp(loc, "https://", 8) == 0);
            CHECK(strncmp(loc + 8, host->value.p, host->value.n) == 0);
            for (int i = 0; i < len; i++)
                CHECK(loc[i] != '\r' && loc[i] != '\n' && loc[i] != ' ' && loc[i] != '\0');
            if (h.target.n > 0 && h.target.p[0] == '/') {
                CHECK((size_t)len == 8 + host->value.n + h.target.n);
                CHECK(memcmp(loc + 8 + host->value.n, h.target.p, h.target.n) == 0);
            } else {
                CHECK(strcmp(loc + 8 + host->value.n, "/") == 0);
            }
        } else {
            CHECK(8 + host->value.n + h.target.n + 1 >= sizeof loc); /* only too long fails */
        }
    }
    free(buf);
    return 0;
}
