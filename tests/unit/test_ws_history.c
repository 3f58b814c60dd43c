/* SPDX-License-Identifier: MIT */
/* Unit tests of per-path history (src/ws/history.c): rings, positions,
 * epochs, the memory budget, TTL; and the tina4.v1 heads and offer tokens
 * (src/ws/v1.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "ws/history.h"
#include "ws/v1.h"

#define P(s) (s), strlen(s)

static int teardown(void **state)
{
    (void)state;
    t4__hist_reset();
    t4__hist_set_limit(64u * 1024 * 1024);
    assert_int_equal(t4__hist_memory(), 0);
    assert_int_equal(t4__hist_paths(), 0);
    return 0;
}

static void append_n(t4__hist *h, int from, int n, uint64_t now)
{
    char msg[32];
    for (int i = from; i < from + n; i++) {
        int l = snprintf(msg, sizeof msg, "m%d", i);
        uint64_t off = t4__hist_append(h, 1, msg, (size_t)l, now);
        assert_int_equal(off, h->last);
    }
}

static void test_offsets_and_ring(void **state)
{
    (void)state;
    t4__hist *h = t4__hist_open(P("/r"), 5, 0);
    assert_non_null(h);
    assert_true(h->epoch != 0);
    assert_int_equal(h->last, 0);
    assert_int_equal(t4__hist_first(h), 1);
    append_n(h, 1, 3, 0);
    assert_int_equal(h->last, 3);
    assert_int_equal(h->count, 3);
    assert_memory_equal(t4__hist_at(h, 2)->data, "m2", 2);
    append_n(h, 4, 4, 0); /* 7 messages into a ring of 5: 1 and 2 are gone */
    assert_int_equal(h->last, 7);
    assert_int_equal(h->count, 5);
    assert_int_equal(t4__hist_first(h), 3);
    assert_null(t4__hist_at(h, 2));
    assert_null(t4__hist_at(h, 8));
    for (uint64_t o = 3; o <= 7; o++) {
        char want[8];
        snprintf(want, sizeof want, "m%d", (int)o);
        assert_int_equal(t4__hist_at(h, o)->offset, o);
        assert_memory_equal(t4__hist_at(h, o)->data, want, strlen(want));
    }
    /* Same path, same history. */
    assert_ptr_equal(t4__hist_open(P("/r"), 5, 0), h);
}

static void test_missed(void **state)
{
    (void)state;
    t4__hist *h = t4__hist_open(P("/r"), 5, 0);
    append_n(h, 1, 7, 0); /* keeps 3..7 */
    assert_int_equal(t4__hist_missed(h, h->epoch, 7), 0);
    assert_int_equal(t4__hist_missed(h, h->epoch, 6), 1);
    assert_int_equal(t4__hist_missed(h, h->epoch, 2), 5);  /* 3..7 all kept */
    assert_int_equal(t4__hist_missed(h, h->epoch, 1), -1); /* 2 is gone */
    assert_int_equal(t4__hist_missed(h, h->epoch, 8), -1); /* from the future */
    assert_int_equal(t4__hist_missed(h, h->epoch ^ 1, 7), -1);
}

static uint64_t fixed_epoch(const char *path, size_t len)
{
    (void)path, (void)len;
    return 0x1234;
}

/* A replica follows the owner's positions: same epoch and offsets; a hole
 * or another epoch empties it (a resume across must see a gap). */
static void test_replica_positions(void **state)
{
    (void)state;
    t4__hist_set_epoch_source(fixed_epoch);
    t4__hist *h = t4__hist_open(P("/r"), 5, 0);
    t4__hist_set_epoch_source(NULL);
    assert_int_equal(h->epoch, 0x1234);
    assert_int_equal(t4__hist_append_at(h, 0x1234, 1, 1, "a", 1, 0), 1);
    assert_int_equal(t4__hist_append_at(h, 0x1234, 2, 1, "b", 1, 0), 2);
    assert_int_equal(t4__hist_append_at(h, 0x1234, 2, 1, "b", 1, 0), 0); /* had it */
    assert_int_equal(t4__hist_missed(h, 0x1234, 0), 2);
    assert_int_equal(t4__hist_append_at(h, 0x1234, 5, 1, "e", 1, 0), 5); /* 3, 4 never seen */
    assert_int_equal(h->count, 1);
    assert_int_equal(t4__hist_missed(h, 0x1234, 2), -1);
    assert_int_equal(t4__hist_missed(h, 0x1234, 4), 1);
    assert_int_equal(t4__hist_append_at(h, 0x99, 1, 1, "n", 1, 0), 1); /* the owner was replaced */
    assert_int_equal(h->epoch, 0x99);
    assert_int_equal(h->count, 1);
    assert_int_equal(t4__hist_missed(h, 0x1234, 5), -1);
}

/* Priming from a stored copy: fills an empty history; keeps what arrived
 * meanwhile after the copy; leaves a history alone across a hole. */
static void test_prime(void **state)
{
    (void)state;
    t4__hist_item items[3] = {{4, 1, "d", 1}, {5, 1, "e", 1}, {6, 1, "f", 1}};
    t4__hist *h = t4__hist_open(P("/r"), 10, 0);
    assert_int_equal(t4__hist_prime(h, 0x77, items, 3, 0), 0);
    assert_int_equal(h->epoch, 0x77);
    assert_int_equal(t4__hist_first(h), 4);
    assert_int_equal(h->last, 6);
    assert_int_equal(t4__hist_missed(h, 0x77, 3), 3);
    /* Live 6, 7 came first; the copy (4..6) goes before them. */
    t4__hist *g = t4__hist_open(P("/g"), 10, 0);
    t4__hist_append_at(g, 0x77, 6, 1, "f", 1, 0);
    t4__hist_append_at(g, 0x77, 7, 1, "g", 1, 0);
    assert_int_equal(t4__hist_prime(g, 0x77, items, 3, 0), 0);
    assert_int_equal(t4__hist_first(g), 4);
    assert_int_equal(g->last, 7);
    assert_memory_equal(t4__hist_at(g, 7)->data, "g", 1);
    assert_memory_equal(t4__hist_at(g, 5)->data, "e", 1);
    /* Live 9 only: 7 and 8 are in neither, so the copy is not used. */
    t4__hist *k = t4__hist_open(P("/k"), 10, 0);
    t4__hist_append_at(k, 0x77, 9, 1, "i", 1, 0);
    assert_int_equal(t4__hist_prime(k, 0x77, items, 3, 0), 0);
    assert_int_equal(t4__hist_first(k), 9);
    assert_int_equal(k->count, 1);
}

static void test_epoch_changes_when_history_is_lost(void **state)
{
    (void)state;
    t4__hist *h = t4__hist_open(P("/r"), 5, 0);
    t4__hist_hold(h);
    append_n(h, 1, 2, 0);
    uint64_t e1 = h->epoch;
    t4__hist_release(h); /* nobody listens, but messages are kept: stays */
    assert_int_equal(t4__hist_paths(), 1);
    t4__hist_reset(); /* a restart */
    h = t4__hist_open(P("/r"), 5, 0);
    assert_true(h->epoch != e1);
    assert_int_equal(h->last, 0);
    assert_int_equal(t4__hist_missed(h, e1, 2), -1);
}

static void test_empty_unheld_history_costs_nothing(void **state)
{
    (void)state;
    t4__hist *h = t4__hist_open(P("/r"), 5, 1000);
    t4__hist_hold(h);
    append_n(h, 1, 2, 0);
    t4__hist_release(h);
    assert_int_equal(t4__hist_paths(), 1);
    t4__hist_expire_all(999);
    assert_int_equal(t4__hist_paths(), 1);
    t4__hist_expire_all(1000); /* TTL over: empty and unheld, freed */
    assert_int_equal(t4__hist_paths(), 0);
    assert_int_equal(t4__hist_memory(), 0);
}

static void test_ttl_keeps_epoch_while_held(void **state)
{
    (void)state;
    t4__hist *h = t4__hist_open(P("/r"), 100, 1000);
    t4__hist_hold(h);
    append_n(h, 1, 3, 0);
    append_n(h, 4, 2, 600);
    t4__hist_expire(h, 1100); /* 1..3 expire, 4..5 stay */
    assert_int_equal(h->count, 2);
    assert_int_equal(t4__hist_first(h), 4);
    assert_int_equal(t4__hist_missed(h, h->epoch, 3), 2);
    assert_int_equal(t4__hist_missed(h, h->epoch, 2), -1);
    t4__hist_expire(h, 1600);
    assert_int_equal(h->count, 0);
    assert_int_equal(t4__hist_missed(h, h->epoch, 5), 0); /* nothing missed */
    assert_int_equal(t4__hist_missed(h, h->epoch, 4), -1);
    t4__hist_release(h);
    assert_int_equal(t4__hist_paths(), 0);
}

static void test_memory_budget_evicts_oldest_first(void **state)
{
    (void)state;
    char big[1000];
    memset(big, 'x', sizeof big);
    t4__hist_set_limit(16 * 1024);
    t4__hist *a = t4__hist_open(P("/a"), 1000, 0);
    t4__hist *b = t4__hist_open(P("/b"), 1000, 0);
    t4__hist_hold(b);
    for (int i = 0; i < 5; i++)
        assert_true(t4__hist_append(a, 1, big, sizeof big, 0) > 0);
    for (int i = 0; i < 20; i++) {
        assert_true(t4__hist_append(b, 1, big, sizeof big, 0) > 0);
        assert_true(t4__hist_memory() <= 16 * 1024);
    }
    /* a's messages were the oldest: all gone, and so is a (nobody held it) */
    assert_null(t4__hist_find(P("/a")));
    assert_int_equal(b->last, 20);
    assert_true(b->count > 5 && b->count < 16);
    assert_int_equal(b->slot[b->head]->offset, t4__hist_first(b)); /* the newest kept, contiguous */
    assert_int_equal(t4__hist_missed(b, b->epoch, 0), -1);
    assert_int_equal(t4__hist_missed(b, b->epoch, 19), 1);
    /* Larger than the whole budget: not kept, and the ring is emptied so a
     * resume across it sees the gap; the offset still moves on. */
    static char huge[20000];
    assert_int_equal(t4__hist_append(b, 1, huge, sizeof huge, 0), 0);
    assert_int_equal(b->last, 21);
    assert_int_equal(b->count, 0);
    assert_int_equal(t4__hist_missed(b, b->epoch, 20), -1);
    assert_int_equal(t4__hist_missed(b, b->epoch, 21), 0);
    t4__hist_release(b);
}

static void test_v1_heads(void **state)
{
    (void)state;
    char out[T4__V1_MAX_HEAD];
    size_t n = t4__v1_head(out, 'p', 0x0123456789abcdefULL, 42);
    assert_int_equal(n, 21);
    assert_memory_equal(out, "p0123456789abcdef:42\n", n);
    n = t4__v1_head(out, 's', 1, UINT64_MAX);
    assert_memory_equal(out, "s0000000000000001:18446744073709551615", n);
    assert_true(n <= T4__V1_MAX_HEAD);
}

static void test_v1_offer_tokens(void **state)
{
    (void)state;
    t4__v1_offer o = {0};
    assert_int_equal(t4__v1_parse_token(P("tina4.resume.0123456789abcdef.77"), &o), 1);
    assert_int_equal(o.resume, 1);
    assert_true(o.epoch == 0x0123456789abcdefULL);
    assert_int_equal(o.offset, 77);
    assert_int_equal(t4__v1_parse_token(P("tina4.history.50"), &o), 1);
    assert_int_equal(o.history, 50);
    t4__v1_offer z = {0};
    assert_int_equal(t4__v1_parse_token(P("tina4.resume.0.5"), &z), 0); /* epoch 0: none */
    assert_int_equal(t4__v1_parse_token(P("tina4.resume.abc"), &z), 0);
    assert_int_equal(t4__v1_parse_token(P("tina4.resume.ABC.1"), &z), 0);
    assert_int_equal(t4__v1_parse_token(P("tina4.resume.10000000000000000.1"), &z), 0);    /* 17 digits */
    assert_int_equal(t4__v1_parse_token(P("tina4.resume.1.18446744073709551616"), &z), 0); /* overflow */
    assert_int_equal(t4__v1_parse_token(P("tina4.history."), &z), 0);
    assert_int_equal(t4__v1_parse_token(P("tina4.history.-1"), &z), 0);
    assert_int_equal(t4__v1_parse_token(P("tina4.v1"), &z), 0);
    assert_int_equal(z.resume, 0);
    assert_int_equal(z.history, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_offsets_and_ring, teardown),
        cmocka_unit_test_teardown(test_missed, teardown),
        cmocka_unit_test_teardown(test_replica_positions, teardown),
        cmocka_unit_test_teardown(test_prime, teardown),
        cmocka_unit_test_teardown(test_epoch_changes_when_history_is_lost, teardown),
        cmocka_unit_test_teardown(test_empty_unheld_history_costs_nothing, teardown),
        cmocka_unit_test_teardown(test_ttl_keeps_epoch_while_held, teardown),
        cmocka_unit_test_teardown(test_memory_budget_evicts_oldest_first, teardown),
        cmocka_unit_test_teardown(test_v1_heads, teardown),
        cmocka_unit_test_teardown(test_v1_offer_tokens, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
