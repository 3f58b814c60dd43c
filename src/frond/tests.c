/* SPDX-License-Identifier: MIT */
/* FROND tests: `x is defined`, `is empty`, `is divisible by(3)`... */
#include "frond/internal.h"

#include <math.h>
#include <string.h>

bool t4__ftest_empty(const json_t *v)
{
    if (json_is_null(v) || json_is_false(v)) {
        return true;
    }
    if (json_is_string(v)) {
        return json_string_length(v) == 0;
    }
    if (json_is_array(v) || json_is_object(v)) {
        return t4__fv_count(v) == 0;
    }
    return false;
}

#define TEST(name)                                                                                           \
    static int name(t4__frs *st, const t4__fexpr *e, json_t *in, json_t **a, size_t na, json_t **out,        \
                    unsigned *fl)
#define NEED(k)                                                                                              \
    if (na < (k)) {                                                                                          \
        return t4__frs_error(st, e->line, e->col, "the test '%s' needs %d argument%s", e->name, (k),         \
                             (k) == 1 ? "" : "s");                                                           \
    }

TEST(t_defined)
{
    *out = json_true(); /* evaluated by eval.c */
    return 0;
}

TEST(t_empty)
{
    *out = json_boolean(t4__ftest_empty(in));
    return 0;
}

TEST(t_null)
{
    *out = json_boolean(json_is_null(in));
    return 0;
}

TEST(t_even)
{
    *out = json_boolean(t4__fv_to_int(in) % 2 == 0);
    return 0;
}

TEST(t_odd)
{
    *out = json_boolean(t4__fv_to_int(in) % 2 != 0);
    return 0;
}

TEST(t_divisible)
{
    NEED(1);
    double d = t4__fv_to_double(a[0]);
    if (d == 0) {
        return t4__frs_error(st, e->line, e->col, "modulo by zero");
    }
    long long n = t4__fv_to_int(a[0]);
    *out = json_boolean(n != 0 && (n == -1 || t4__fv_to_int(in) % n == 0));
    return 0;
}

TEST(t_iterable)
{
    *out = json_boolean(json_is_array(in) || json_is_object(in));
    return 0;
}

TEST(t_same_as)
{
    NEED(1);
    const json_t *b = a[0];
    bool same;
    if (json_is_boolean(in) || json_is_boolean(b)) {
        same = json_is_boolean(in) && json_is_boolean(b) && json_is_true(in) == json_is_true(b);
    } else if (json_typeof(in) != json_typeof(b)) {
        same = false;
    } else if (json_is_real(in)) {
        same = json_real_value(in) == json_real_value(b);
    } else {
        same = json_is_null(in) || json_equal(in, (json_t *)b);
    }
    *out = json_boolean(same);
    return 0;
}

static const struct {
    const char *name;
    t4__ffn fn;
} tests[] = {
    {"defined", t_defined},
    {"empty", t_empty},
    {"null", t_null},
    {"none", t_null},
    {"even", t_even},
    {"odd", t_odd},
    {"divisible by", t_divisible},
    {"iterable", t_iterable},
    {"same as", t_same_as},
};

t4__ffn t4__ftest_find(const char *name)
{
    for (size_t i = 0; i < sizeof tests / sizeof *tests; i++) {
        if (strcmp(tests[i].name, name) == 0) {
            return tests[i].fn;
        }
    }
    return NULL;
}
