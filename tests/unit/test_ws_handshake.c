/* SPDX-License-Identifier: MIT */
/* Unit tests of the pure part of the WebSocket opening handshake
 * (src/ws/handshake_logic.c): accept key, key syntax, the order of the
 * checks, the Origin allow-list, subprotocol offers and permessage-deflate
 * negotiation across header lines. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ws/handshake.h"

#define KEY "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
#define VER "Sec-WebSocket-Version: 13\r\n"
#define UPG "Upgrade: websocket\r\nConnection: Upgrade\r\n"

static t4__http_head H;
static char buf[4096];

/* Parses "<request line>Host: h\r\n<lines>\r\n" into H. */
static void head(const char *request_line, const char *lines)
{
    int n = snprintf(buf, sizeof buf, "%sHost: h\r\n%s\r\n", request_line, lines);
    int st = 0;
    int r = t4__http_parse_head(buf, (size_t)n, 0, sizeof buf, &H, &st);
    if (r != n)
        fail_msg("parser: %d (%d) for %s", r, st, lines);
}

static void test_accept_key(void **state)
{
    (void)state;
    char out[29];
    t4__ws_accept_key("dGhlIHNhbXBsZSBub25jZQ==", 24, out); /* RFC 6455 1.3 */
    assert_string_equal(out, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

static bool key_ok(const char *k)
{
    t4__slice s = {k, strlen(k)};
    return t4__ws_key_valid(s);
}

static void test_key_syntax(void **state)
{
    (void)state;
    assert_true(key_ok("dGhlIHNhbXBsZSBub25jZQ=="));
    assert_true(key_ok("AAAAAAAAAAAAAAAAAAAAAA=="));
    assert_true(key_ok("+/+/+/+/+/+/+/+/+/+/+/=="));
    assert_false(key_ok("dGhlIHNhbXBsZSBub2=jZQ==")); /* '=' among the data */
    assert_false(key_ok("=GhlIHNhbXBsZSBub25jZQ=="));
    assert_false(key_ok("dGhlIHNhbXBsZSBub25jZQ="));   /* 23 */
    assert_false(key_ok("dGhlIHNhbXBsZSBub25jZQ===")); /* 25 */
    assert_false(key_ok("dGhlIHNhbXBsZSBub25jZQAA"));  /* no padding: 18 bytes */
    assert_false(key_ok("dGhlIHNhbXBsZSBub25jZ-_==")); /* base64url */
    assert_false(key_ok("dGhlIHNhbXBsZSBub25j Q=="));
    assert_false(key_ok(""));
}

static void test_check_order(void **state)
{
    (void)state;
    head("GET /ws HTTP/1.1\r\n", UPG KEY VER);
    assert_int_equal(t4__ws_upgrade_check(&H, ""), 0);
    head("POST /ws HTTP/1.1\r\n", UPG KEY VER);
    assert_int_equal(t4__ws_upgrade_check(&H, ""), 400);
    head("GET /ws HTTP/1.0\r\n", UPG KEY VER);
    assert_int_equal(t4__ws_upgrade_check(&H, ""), 400);
    head("GET /ws HTTP/1.1\r\n", UPG KEY VER "Content-Length: 1\r\n");
    assert_int_equal(t4__ws_upgrade_check(&H, ""), 400);
    head("GET /ws HTTP/1.1\r\n", UPG KEY KEY VER);
    assert_int_equal(t4__ws_upgrade_check(&H, ""), 400);
    head("GET /ws HTTP/1.1\r\n", UPG KEY VER VER);
    assert_int_equal(t4__ws_upgrade_check(&H, ""), 400);
    head("GET /ws HTTP/1.1\r\n", UPG KEY "Sec-WebSocket-Version: 8\r\n");
    assert_int_equal(t4__ws_upgrade_check(&H, ""), 426);
    head("GET /ws HTTP/1.1\r\n", UPG KEY);
    assert_int_equal(t4__ws_upgrade_check(&H, ""), 426);
    /* The version is checked before the key. */
    head("GET /ws HTTP/1.1\r\n", UPG "Sec-WebSocket-Version: 8\r\n");
    assert_int_equal(t4__ws_upgrade_check(&H, ""), 426);
    head("GET /ws HTTP/1.1\r\n", UPG VER);
    assert_int_equal(t4__ws_upgrade_check(&H, ""), 400);
    head("GET /ws HTTP/1.1\r\n", UPG VER "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub2=jZQ==\r\n");
    assert_int_equal(t4__ws_upgrade_check(&H, ""), 400);
    head("GET /ws HTTP/1.1\r\n", UPG KEY VER "Origin: https://evil.example\r\n");
    assert_int_equal(t4__ws_upgrade_check(&H, "https://good.example"), 403);
    assert_int_equal(t4__ws_upgrade_check(&H, "*"), 0);
    assert_int_equal(t4__ws_upgrade_check(&H, ""), 0);
}

static void test_origin_list(void **state)
{
    (void)state;
    const char *list = "https://a.example, http://B.example:8080 https://c.example";
    head("GET /ws HTTP/1.1\r\n", "Origin: https://a.example\r\n");
    assert_true(t4__ws_origin_allowed(list, &H));
    head("GET /ws HTTP/1.1\r\n", "Origin: HTTP://b.example:8080\r\n");
    assert_true(t4__ws_origin_allowed(list, &H));
    head("GET /ws HTTP/1.1\r\n", "Origin: https://c.example\r\n");
    assert_true(t4__ws_origin_allowed(list, &H));
    head("GET /ws HTTP/1.1\r\n", "Origin: https://a.example.evil\r\n");
    assert_false(t4__ws_origin_allowed(list, &H));
    head("GET /ws HTTP/1.1\r\n", "Origin: https://a.exampl\r\n");
    assert_false(t4__ws_origin_allowed(list, &H));
    head("GET /ws HTTP/1.1\r\n", "X: y\r\n");
    assert_true(t4__ws_origin_allowed(list, &H)); /* no Origin: not a browser */
}

static void test_offers(void **state)
{
    (void)state;
    head("GET /ws HTTP/1.1\r\n",
         "Sec-WebSocket-Protocol: chat, superchat\r\nsec-websocket-protocol:v2.json\r\n");
    assert_true(t4__ws_client_offers(&H, "chat"));
    assert_true(t4__ws_client_offers(&H, "superchat"));
    assert_true(t4__ws_client_offers(&H, "v2.json"));
    assert_false(t4__ws_client_offers(&H, "Chat"));
    assert_false(t4__ws_client_offers(&H, "cha"));
    assert_false(t4__ws_client_offers(&H, "v2"));
}

static void test_deflate_across_lines(void **state)
{
    (void)state;
    char ext[160];
    size_t n = 1;
    head("GET /ws HTTP/1.1\r\n", "X: y\r\n");
    assert_int_equal(t4__ws_negotiate_deflate(&H, ext, sizeof ext, &n), 0);
    assert_int_equal(n, 0);
    /* The first line offers nothing acceptable; the second decides. */
    head("GET /ws HTTP/1.1\r\n", "Sec-WebSocket-Extensions: x-webkit-deflate-frame\r\n"
                                 "Sec-WebSocket-Extensions: permessage-deflate; server_max_window_bits=10\r\n"
                                 "Sec-WebSocket-Extensions: permessage-deflate\r\n");
    assert_int_equal(t4__ws_negotiate_deflate(&H, ext, sizeof ext, &n), 10);
    assert_int_equal(n, strlen(ext));
    assert_string_equal(ext, "Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover; "
                             "client_no_context_takeover; server_max_window_bits=10\r\n");
    head("GET /ws HTTP/1.1\r\n", "sec-websocket-extensions: permessage-deflate; server_max_window_bits=8, "
                                 "permessage-deflate\r\n");
    assert_int_equal(t4__ws_negotiate_deflate(&H, ext, sizeof ext, &n), 15);
    assert_string_equal(ext, "Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover; "
                             "client_no_context_takeover\r\n");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_accept_key),  cmocka_unit_test(test_key_syntax),
        cmocka_unit_test(test_check_order), cmocka_unit_test(test_origin_list),
        cmocka_unit_test(test_offers),      cmocka_unit_test(test_deflate_across_lines),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
