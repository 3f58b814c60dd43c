/* SPDX-License-Identifier: MIT */
/* Unit tests of the local bus's connection counts (src/backplane/bus_counts.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "backplane/bus_counts.h"

#define P(s) (s), strlen(s)

static void sum_local(const char *path, size_t len, size_t count, void *arg)
{
    (void)path, (void)len;
    *(size_t *)arg += count;
}

static void test_sums_over_peers(void **state)
{
    (void)state;
    assert_int_equal(t4__busc_init(4), 0);
    assert_int_equal(t4__busc_set_local(P("/chat/1"), 3), 0);
    assert_int_equal(t4__busc_remote(P("/chat/1")), 0); /* our own is not remote */
    t4__busc_set_peer(1, P("/chat/1"), 2);
    t4__busc_set_peer(2, P("/chat/1"), 5);
    t4__busc_set_peer(2, P("/chat/2"), 7);
    assert_int_equal(t4__busc_remote(P("/chat/1")), 7);
    t4__busc_set_peer(2, P("/chat/1"), 1); /* absolute, not a delta */
    assert_int_equal(t4__busc_remote(P("/chat/1")), 3);
    assert_int_equal(t4__busc_remote(P("/chat/2")), 7);
    assert_int_equal(t4__busc_remote(P("/chat/3")), 0);
    size_t local = 0;
    t4__busc_foreach_local(sum_local, &local);
    assert_int_equal(local, 3);
    t4__busc_free();
}

static void test_a_dead_peer_drops_out(void **state)
{
    (void)state;
    assert_int_equal(t4__busc_init(3), 0);
    t4__busc_set_peer(1, P("/a"), 4);
    t4__busc_set_peer(2, P("/a"), 6);
    t4__busc_set_peer(1, P("/b"), 1);
    t4__busc_clear_peer(1);
    assert_int_equal(t4__busc_remote(P("/a")), 6);
    assert_int_equal(t4__busc_remote(P("/b")), 0);
    t4__busc_clear_peer(2);
    assert_int_equal(t4__busc_remote(P("/a")), 0);
    /* Out-of-range slots (a malformed frame could carry one) change nothing. */
    t4__busc_set_peer(7, P("/a"), 9);
    t4__busc_set_peer(-1, P("/a"), 9);
    t4__busc_clear_peer(99);
    assert_int_equal(t4__busc_remote(P("/a")), 0);
    t4__busc_free();
}

static void test_many_paths(void **state)
{
    (void)state;
    assert_int_equal(t4__busc_init(2), 0);
    char path[32];
    for (int i = 0; i < 5000; i++) {
        int n = snprintf(path, sizeof path, "/room/%d", i);
        assert_int_equal(t4__busc_set_peer(1, path, (size_t)n, (size_t)i + 1), 0);
        assert_int_equal(t4__busc_set_local(path, (size_t)n, 1), 0);
    }
    assert_int_equal(t4__busc_remote(P("/room/4999")), 5000);
    for (int i = 0; i < 5000; i++) {
        int n = snprintf(path, sizeof path, "/room/%d", i);
        t4__busc_set_local(path, (size_t)n, 0);
    }
    t4__busc_clear_peer(1);
    size_t local = 0;
    t4__busc_foreach_local(sum_local, &local);
    assert_int_equal(local, 0);
    t4__busc_free(); /* LeakSanitizer checks that the entries went with it */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sums_over_peers),
        cmocka_unit_test(test_a_dead_peer_drops_out),
        cmocka_unit_test(test_many_paths),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
