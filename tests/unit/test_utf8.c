/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for the incremental UTF-8 validator (src/ws/utf8.c): the
 * Autobahn 6.x style cases, the exact position of the first refused byte
 * (fail fast), split feeding, the ASCII fast path at every alignment, every
 * code point, exhaustive short sequences and random input, all checked
 * against slow reference validators written here from RFC 3629 directly.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../common/utf8_ref.h"
#include "ws/utf8.h"

static uint64_t rng_state = 0x2545F4914F6CDD1Dull;
static uint64_t rng(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545F4914F6CDD1Dull;
}

/* ------------------------------------------------------------------ */
/* slow references                                                      */
/* ------------------------------------------------------------------ */

/* A second, differently built whole-buffer reference: decode loosely, then
 * insist the code point is a scalar value whose shortest encoding is the
 * bytes just read. */
static int ref_encode(uint32_t cp, uint8_t *out)
{
    if (cp < 0x80) {
        out[0] = (uint8_t)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (uint8_t)(0xC0 | (cp >> 6));
        out[1] = (uint8_t)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (uint8_t)(0xE0 | (cp >> 12));
        out[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (uint8_t)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (uint8_t)(0xF0 | (cp >> 18));
    out[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (uint8_t)(0x80 | (cp & 0x3F));
    return 4;
}

static bool ref_valid_roundtrip(const uint8_t *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        int len = s[i] < 0x80 ? 1 : s[i] >= 0xF0 ? 4 : s[i] >= 0xE0 ? 3 : 2;
        if (i + (size_t)len > n)
            return false;
        uint32_t cp = len == 1 ? s[i] : (uint32_t)(s[i] & (0x7F >> len));
        for (int j = 1; j < len; j++)
            cp = (cp << 6) | (s[i + j] & 0x3F);
        if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return false;
        uint8_t enc[4];
        if (ref_encode(cp, enc) != len || memcmp(enc, s + i, (size_t)len) != 0)
            return false;
        i += (size_t)len;
    }
    return true;
}

/* ------------------------------------------------------------------ */
/* helpers that drive the validator                                     */
/* ------------------------------------------------------------------ */

/* Feeds one byte at a time; returns the index of the byte that was refused
 * (n if none) and whether the input ended at a boundary. */
static size_t bytewise_first_bad(const uint8_t *s, size_t n, bool *complete)
{
    t4__utf8 v;
    t4__utf8_init(&v);
    for (size_t i = 0; i < n; i++) {
        if (!t4__utf8_feed(&v, s + i, 1)) {
            *complete = false;
            return i;
        }
    }
    *complete = t4__utf8_complete(&v);
    return n;
}

static bool split_valid(const uint8_t *s, size_t n, size_t cut)
{
    t4__utf8 v;
    t4__utf8_init(&v);
    if (!t4__utf8_feed(&v, s, cut))
        return false;
    if (!t4__utf8_feed(&v, s + cut, n - cut))
        return false;
    return t4__utf8_complete(&v);
}

/* Every way of driving the validator agrees with the references. */
static void check_all(const uint8_t *s, size_t n)
{
    bool boundary;
    size_t bad = ref_first_bad(s, n, &boundary);
    bool want = bad == n && boundary;
    assert_int_equal(ref_valid_roundtrip(s, n), want);
    assert_int_equal(t4__utf8_valid(s, n), want);

    bool complete;
    assert_int_equal(bytewise_first_bad(s, n, &complete), bad);
    if (bad == n)
        assert_int_equal(complete, boundary);

    /* Whole feed: refused exactly when some byte is bad. */
    t4__utf8 v;
    t4__utf8_init(&v);
    assert_int_equal(t4__utf8_feed(&v, s, n), bad == n);

    for (size_t cut = 0; cut <= n; cut++)
        assert_int_equal(split_valid(s, n, cut), want);
}

/* ------------------------------------------------------------------ */
/* table-driven cases                                                   */
/* ------------------------------------------------------------------ */

typedef struct {
    const char *name;
    const char *bytes;
    size_t len;
    long bad;      /* index of the first refused byte, -1 if none */
    bool complete; /* when bad == -1: ends on a boundary */
} utf8_case;

#define OK(name, s)                                                                                          \
    {                                                                                                        \
        name, s, sizeof(s) - 1, -1, true                                                                     \
    }
#define TRUNC(name, s)                                                                                       \
    {                                                                                                        \
        name, s, sizeof(s) - 1, -1, false                                                                    \
    }
#define BAD(name, s, at)                                                                                     \
    {                                                                                                        \
        name, s, sizeof(s) - 1, at, false                                                                    \
    }

static const utf8_case CASES[] = {
    /* Autobahn 6.1 / 6.2 / 6.5: valid text. */
    OK("empty", ""),
    OK("ascii", "Hello-\xC2\xB5@\xC3\x9F\xC3\xB6\xC3\xA4\xC3\xBC\xC3\xA0\xC3\xA1-UTF-8!!"),
    OK("kosme", "\xCE\xBA\xE1\xBD\xB9\xCF\x83\xCE\xBC\xCE\xB5"),
    /* Autobahn 6.6: boundaries of the encoding lengths. */
    OK("U+0000", "\x00"),
    OK("U+007F", "\x7F"),
    OK("U+0080", "\xC2\x80"),
    OK("U+07FF", "\xDF\xBF"),
    OK("U+0800", "\xE0\xA0\x80"),
    OK("U+D7FF", "\xED\x9F\xBF"),
    OK("U+E000", "\xEE\x80\x80"),
    OK("U+FFFD", "\xEF\xBF\xBD"),
    OK("U+FFFE", "\xEF\xBF\xBE"), /* noncharacters are still valid UTF-8 */
    OK("U+FFFF", "\xEF\xBF\xBF"),
    OK("U+10000", "\xF0\x90\x80\x80"),
    OK("U+FFFFF", "\xF3\xBF\xBF\xBF"),
    OK("U+100000", "\xF4\x80\x80\x80"),
    OK("U+10FFFF", "\xF4\x8F\xBF\xBF"),
    OK("mixed", "a\xC2\x80"
                "b\xE0\xA0\x80"
                "c\xF0\x90\x80\x80"
                "d"),
    /* Autobahn 6.3: kosme followed by an encoded surrogate. */
    BAD("kosme-edited", "\xCE\xBA\xE1\xBD\xB9\xCF\x83\xCE\xBC\xCE\xB5\xED\xA0\x80\x65\x64\x69\x74\x65\x64",
        12),
    /* Autobahn 6.4: fail fast in the middle of a message. */
    BAD("6.4.1 U+110000", "\xCE\xBA\xE1\xBD\xB9\xCF\x83\xCE\xBC\xCE\xB5\xF4\x90\x80\x80\x65\x64", 12),
    BAD("6.4.3 F4 90", "\xCE\xBA\xE1\xBD\xB9\xCF\x83\xCE\xBC\xCE\xB5\xF4\x90", 12),
    /* Autobahn 6.7-6.9: code points outside U+10FFFF. */
    BAD("U+110000", "\xF4\x90\x80\x80", 1),
    BAD("U+13FFFF", "\xF4\xBF\xBF\xBF", 1),
    BAD("F5", "\xF5\x80\x80\x80", 0),
    BAD("F7", "\xF7\xBF\xBF\xBF", 0),
    BAD("F8 5-byte", "\xF8\x88\x80\x80\x80", 0),
    BAD("FC 6-byte", "\xFC\x84\x80\x80\x80\x80", 0),
    BAD("FE", "\xFE", 0),
    BAD("FF", "\xFF", 0),
    BAD("FE FE FF FF", "\xFE\xFE\xFF\xFF", 0),
    /* Autobahn 6.10-6.12: lone continuation bytes. */
    BAD("lone 80", "\x80", 0),
    BAD("lone BF", "\xBF", 0),
    BAD("80 BF", "\x80\xBF", 0),
    BAD("after ascii 80", "abc\x80", 3),
    BAD("extra continuation", "\xC2\x80\x80", 2),
    BAD("extra after 3-byte", "\xE2\x82\xAC\xBF", 3),
    /* Autobahn 6.13-6.14: lead bytes followed by a space. */
    BAD("C0 space", "\xC0 ", 0),
    BAD("C2 space", "\xC2 ", 1),
    BAD("E0 A0 space", "\xE0\xA0 ", 2),
    BAD("F0 90 80 space", "\xF0\x90\x80 ", 3),
    /* Autobahn 6.14-6.15: truncated sequences at the end of the message:
     * not refused while more may come, but incomplete. */
    TRUNC("C2", "\xC2"),
    TRUNC("DF", "\xDF"),
    TRUNC("E0", "\xE0"),
    TRUNC("E0 A0", "\xE0\xA0"),
    TRUNC("EF BF", "\xEF\xBF"),
    TRUNC("ED 9F", "\xED\x9F"),
    TRUNC("F0", "\xF0"),
    TRUNC("F0 90", "\xF0\x90"),
    TRUNC("F0 90 80", "\xF0\x90\x80"),
    TRUNC("F4 8F BF", "\xF4\x8F\xBF"),
    TRUNC("kosme then E0", "\xCE\xBA\xE1\xBD\xB9\xCF\x83\xCE\xBC\xCE\xB5\xE0"),
    /* Truncated then a new lead byte. */
    BAD("C2 C2", "\xC2\xC2\x80", 1),
    BAD("E0 A0 E0", "\xE0\xA0\xE0", 2),
    /* Autobahn 6.17-6.18: overlong forms. */
    BAD("C0 AF overlong /", "\xC0\xAF", 0),
    BAD("C1 BF", "\xC1\xBF", 0),
    BAD("C0 80 overlong NUL", "\xC0\x80", 0),
    BAD("E0 80 AF overlong /", "\xE0\x80\xAF", 1),
    BAD("E0 9F BF", "\xE0\x9F\xBF", 1),
    BAD("E0 80 80", "\xE0\x80\x80", 1),
    BAD("F0 80 80 AF overlong /", "\xF0\x80\x80\xAF", 1),
    BAD("F0 8F BF BF", "\xF0\x8F\xBF\xBF", 1),
    BAD("F0 80 80 80", "\xF0\x80\x80\x80", 1),
    BAD("F8 overlong /", "\xF8\x80\x80\x80\xAF", 0),
    /* Autobahn 6.19-6.20: surrogates, alone and paired. */
    BAD("U+D800", "\xED\xA0\x80", 1),
    BAD("U+DB7F", "\xED\xAD\xBF", 1),
    BAD("U+DB80", "\xED\xAE\x80", 1),
    BAD("U+DBFF", "\xED\xAF\xBF", 1),
    BAD("U+DC00", "\xED\xB0\x80", 1),
    BAD("U+DF80", "\xED\xBE\x80", 1),
    BAD("U+DFFF", "\xED\xBF\xBF", 1),
    BAD("pair D800 DC00", "\xED\xA0\x80\xED\xB0\x80", 1),
    BAD("pair DBFF DFFF", "\xED\xAF\xBF\xED\xBF\xBF", 1),
    BAD("ascii then surrogate", "abcdefghijklmnop\xED\xA0\x80", 17),
    /* Bad continuation bytes in the middle of a sequence. */
    BAD("E2 28 A1", "\xE2\x28\xA1", 1),
    BAD("E2 82 28", "\xE2\x82\x28", 2),
    BAD("F0 28 8C BC", "\xF0\x28\x8C\xBC", 1),
    BAD("F0 90 28 BC", "\xF0\x90\x28\xBC", 2),
    BAD("F0 90 8C 28", "\xF0\x90\x8C\x28", 3),
    BAD("C2 C0", "\xC2\xC0", 1),
};

static void test_cases(void **st)
{
    (void)st;
    for (size_t k = 0; k < sizeof CASES / sizeof CASES[0]; k++) {
        const utf8_case *c = &CASES[k];
        const uint8_t *s = (const uint8_t *)c->bytes;
        bool valid = c->bad < 0 && c->complete;
        if (t4__utf8_valid(s, c->len) != valid)
            fail_msg("%s: t4__utf8_valid gave %d", c->name, !valid);

        /* The references agree with the table (so they are trustworthy
         * for the random tests below). */
        bool boundary;
        size_t rbad = ref_first_bad(s, c->len, &boundary);
        if (rbad != (c->bad < 0 ? c->len : (size_t)c->bad))
            fail_msg("%s: reference says %zu, table %ld", c->name, rbad, c->bad);
        assert_int_equal(ref_valid_roundtrip(s, c->len), valid);

        /* Fail fast: byte by byte, refused at exactly the first bad byte. */
        bool complete;
        size_t at = bytewise_first_bad(s, c->len, &complete);
        if (at != (c->bad < 0 ? c->len : (size_t)c->bad))
            fail_msg("%s: refused at %zu, expected %ld", c->name, at, c->bad);
        if (c->bad < 0)
            assert_int_equal(complete, c->complete);

        /* Fail fast inside one feed too: the prefix up to the bad byte is
         * accepted, the prefix including it is refused. */
        if (c->bad >= 0) {
            t4__utf8 v;
            t4__utf8_init(&v);
            assert_true(t4__utf8_feed(&v, s, (size_t)c->bad));
            t4__utf8_init(&v);
            assert_false(t4__utf8_feed(&v, s, (size_t)c->bad + 1));
        }
        check_all(s, c->len);
    }
}

/* The same cases behind a long ASCII run (so the word-at-a-time path hands
 * over to the byte path at every alignment) and followed by ASCII. */
static void test_cases_after_ascii(void **st)
{
    (void)st;
    uint8_t buf[128];
    for (size_t k = 0; k < sizeof CASES / sizeof CASES[0]; k++) {
        const utf8_case *c = &CASES[k];
        for (size_t pre = 0; pre <= 40; pre++) {
            memset(buf, 'x', pre);
            memcpy(buf + pre, c->bytes, c->len);
            memset(buf + pre + c->len, 'y', 20);
            size_t n = pre + c->len + 20;
            bool complete;
            size_t at = bytewise_first_bad(buf, n, &complete);
            if (c->bad >= 0) {
                assert_int_equal(at, pre + (size_t)c->bad);
            } else if (!c->complete) {
                /* a truncated sequence followed by ASCII fails there */
                assert_int_equal(at, pre + c->len);
            } else {
                assert_int_equal(at, n);
            }
            check_all(buf, n);
        }
    }
}

static void test_fail_is_sticky(void **st)
{
    (void)st;
    t4__utf8 v;
    t4__utf8_init(&v);
    assert_false(t4__utf8_feed(&v, (const uint8_t *)"\xFF", 1));
    assert_false(t4__utf8_feed(&v, (const uint8_t *)"abc", 3));
    assert_false(t4__utf8_feed(&v, NULL, 0));
    assert_false(t4__utf8_complete(&v));
    t4__utf8_init(&v);
    assert_true(t4__utf8_feed(&v, (const uint8_t *)"abc", 3));
    assert_true(t4__utf8_complete(&v));
    /* Empty feeds change nothing, mid-sequence included. */
    assert_true(t4__utf8_feed(&v, (const uint8_t *)"\xE2", 1));
    assert_true(t4__utf8_feed(&v, NULL, 0));
    assert_false(t4__utf8_complete(&v));
    assert_true(t4__utf8_feed(&v, (const uint8_t *)"\x82\xAC", 2));
    assert_true(t4__utf8_complete(&v));
    assert_true(t4__utf8_valid(NULL, 0));
}

/* ------------------------------------------------------------------ */
/* ASCII fast path                                                      */
/* ------------------------------------------------------------------ */

static void test_ascii_fast_path(void **st)
{
    (void)st;
    static uint8_t buf[8 + 300];
    for (size_t align = 0; align < 8; align++) {
        uint8_t *s = buf + align;
        for (size_t n = 0; n <= 300; n++) {
            for (size_t i = 0; i < n; i++)
                s[i] = (uint8_t)(rng() & 0x7F);
            assert_true(t4__utf8_valid(s, n));
        }
        /* One bad byte at every position of a long ASCII run, found exactly
         * whether fed whole, byte-wise or in two parts. */
        size_t n = 200;
        for (size_t bad = 0; bad < n; bad++) {
            memset(s, 'a', n);
            s[bad] = 0x80;
            assert_false(t4__utf8_valid(s, n));
            t4__utf8 v;
            t4__utf8_init(&v);
            assert_true(t4__utf8_feed(&v, s, bad));
            assert_false(t4__utf8_feed(&v, s + bad, n - bad));
            bool complete;
            assert_int_equal(bytewise_first_bad(s, n, &complete), bad);
            /* A valid 2-byte char there instead is fine, everywhere. */
            if (bad + 1 < n) {
                s[bad] = 0xC3;
                s[bad + 1] = 0xA9;
                assert_true(t4__utf8_valid(s, n));
            }
        }
    }
}

/* ------------------------------------------------------------------ */
/* exhaustive                                                           */
/* ------------------------------------------------------------------ */

static void test_every_code_point(void **st)
{
    (void)st;
    uint8_t enc[16];
    for (uint32_t cp = 0; cp <= 0x10FFFF; cp++) {
        int n = ref_encode(cp, enc);
        bool surrogate = cp >= 0xD800 && cp <= 0xDFFF;
        if (t4__utf8_valid(enc, (size_t)n) == surrogate)
            fail_msg("U+%04X", (unsigned)cp);
        /* Split in the middle of the character. */
        if (n > 1 && !surrogate)
            assert_true(split_valid(enc, (size_t)n, (size_t)n / 2));
        /* Every overlong (longer than shortest) form is refused. */
        for (int longer = n + 1; longer <= 4; longer++) {
            uint32_t c = cp;
            for (int j = longer - 1; j > 0; j--, c >>= 6)
                enc[j] = (uint8_t)(0x80 | (c & 0x3F));
            enc[0] = (uint8_t)((0xF00u >> longer) | c);
            if (t4__utf8_valid(enc, (size_t)longer))
                fail_msg("overlong %d-byte U+%04X", longer, (unsigned)cp);
        }
    }
    /* Above U+10FFFF in the 4-byte pattern (up to U+1FFFFF). */
    for (uint32_t cp = 0x110000; cp <= 0x1FFFFF; cp += 0x3F) {
        int n = ref_encode(cp, enc);
        assert_int_equal(n, 4);
        assert_false(t4__utf8_valid(enc, 4));
    }
}

static void test_exhaustive_short(void **st)
{
    (void)st;
    uint8_t s[3];
    for (unsigned a = 0; a < 256; a++) {
        s[0] = (uint8_t)a;
        check_all(s, 1);
        for (unsigned b = 0; b < 256; b++) {
            s[1] = (uint8_t)b;
            check_all(s, 2);
        }
    }
    /* Three bytes with a non-ASCII first byte: where all the rules bite. */
    for (unsigned a = 0x80; a < 256; a++) {
        for (unsigned b = 0; b < 256; b++) {
            for (unsigned c = 0; c < 256; c++) {
                s[0] = (uint8_t)a;
                s[1] = (uint8_t)b;
                s[2] = (uint8_t)c;
                bool boundary;
                size_t bad = ref_first_bad(s, 3, &boundary);
                bool complete;
                assert_int_equal(bytewise_first_bad(s, 3, &complete), bad);
                assert_int_equal(t4__utf8_valid(s, 3), bad == 3 && boundary);
            }
        }
    }
}

/* ------------------------------------------------------------------ */
/* random                                                               */
/* ------------------------------------------------------------------ */

/* Mostly-valid text with the occasional random byte, so errors land deep
 * inside long inputs rather than always at byte 0. */
static size_t gen_text(uint8_t *out, size_t cap)
{
    size_t n = 0;
    size_t target = (size_t)(rng() % cap);
    while (n + 4 <= target) {
        uint64_t r = rng();
        switch (r % 8) {
        case 0:
        case 1:
        case 2: {
            size_t run = (size_t)((r >> 8) % 40);
            for (size_t k = 0; k < run && n < target; k++)
                out[n++] = (uint8_t)(0x20 + (rng() % 95));
            break;
        }
        case 3:
        case 4:
        case 5: {
            uint32_t cp = (uint32_t)((r >> 8) % 0x110000);
            if (cp >= 0xD800 && cp <= 0xDFFF)
                cp = 0xFFFD;
            n += (size_t)ref_encode(cp, out + n);
            break;
        }
        case 6:
            if ((r >> 8) % 16 == 0)
                out[n++] = (uint8_t)(r >> 16);
            break;
        default:
            if ((r >> 8) % 32 == 0) {
                /* A surrogate or an out-of-range lead. */
                static const uint8_t nasty[][4] = {
                    {0xED, 0xA0, 0x80, 'x'}, {0xF4, 0x90, 0x80, 0x80}, {0xC0, 0x80, 'x', 'y'},
                    {0xE0, 0x80, 0x80, 'x'}, {0xF0, 0x8F, 0xBF, 0xBF}, {0xE2, 0x82, 'x', 'y'},
                };
                memcpy(out + n, nasty[(r >> 16) % 6], 4);
                n += 4;
            }
            break;
        }
    }
    return n;
}

static void test_random_vs_reference(void **st)
{
    (void)st;
    static uint8_t buf[600];
    for (int it = 0; it < 20000; it++) {
        size_t n;
        if (it % 4 == 0) {
            /* Pure noise, biased toward the interesting bytes. */
            n = (size_t)(rng() % 24);
            for (size_t i = 0; i < n; i++) {
                uint64_t r = rng();
                buf[i] = (r & 1) ? (uint8_t)(0x80 | ((r >> 8) & 0x3F)) : (uint8_t)(r >> 8);
            }
        } else {
            n = gen_text(buf, sizeof buf);
        }
        check_all(buf, n);
        /* Three-way split at random points. */
        size_t c1 = n ? (size_t)(rng() % (n + 1)) : 0, c2 = n ? (size_t)(rng() % (n + 1)) : 0;
        if (c1 > c2) {
            size_t t = c1;
            c1 = c2;
            c2 = t;
        }
        t4__utf8 v;
        t4__utf8_init(&v);
        bool ok = t4__utf8_feed(&v, buf, c1) && t4__utf8_feed(&v, buf + c1, c2 - c1) &&
                  t4__utf8_feed(&v, buf + c2, n - c2) && t4__utf8_complete(&v);
        assert_int_equal(ok, t4__utf8_valid(buf, n));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cases),
        cmocka_unit_test(test_cases_after_ascii),
        cmocka_unit_test(test_fail_is_sticky),
        cmocka_unit_test(test_ascii_fast_path),
        cmocka_unit_test(test_every_code_point),
        cmocka_unit_test(test_exhaustive_short),
        cmocka_unit_test(test_random_vs_reference),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
