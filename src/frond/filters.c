/* SPDX-License-Identifier: MIT */
/* FROND filter registry. */
#include "frond/filters.h"

#include <stdlib.h>
#include <string.h>

int t4__ff_nomem(t4__frs *st, const t4__fexpr *e)
{
    return t4__frs_nomem(st, e->line, e->col);
}

char *t4__ff_str(const json_t *v, size_t *len)
{
    t4__fbuf b = {0};
    t4__fv_append(&b, v);
    if (len) {
        *len = b.n;
    }
    return t4__fbuf_take(&b);
}

FILTER(t4__ff_default)
{
    *out = json_incref(in); /* evaluated by eval.c (needs "is defined") */
    return 0;
}

static const struct {
    const char *name;
    t4__ffn fn;
} filters[] = {
    {"escape", t4__ff_escape},
    {"e", t4__ff_escape},
    {"raw", t4__ff_raw},
    {"upper", t4__ff_upper},
    {"lower", t4__ff_lower},
    {"capitalize", t4__ff_capitalize},
    {"title", t4__ff_title},
    {"trim", t4__ff_trim},
    {"length", t4__ff_length},
    {"default", t4__ff_default},
    {"join", t4__ff_join},
    {"split", t4__ff_split},
    {"replace", t4__ff_replace},
    {"first", t4__ff_first},
    {"last", t4__ff_last},
    {"reverse", t4__ff_reverse},
    {"sort", t4__ff_sort},
    {"keys", t4__ff_keys},
    {"slice", t4__ff_slice},
    {"merge", t4__ff_merge},
    {"round", t4__ff_round},
    {"abs", t4__ff_abs},
    {"number_format", t4__ff_number_format},
    {"nl2br", t4__ff_nl2br},
    {"striptags", t4__ff_striptags},
    {"url_encode", t4__ff_url_encode},
    {"json_encode", t4__ff_json_encode},
    {"date", t4__ff_date},
    {"batch", t4__ff_batch},
    {"format", t4__ff_format},
    {"spaceless", t4__ff_spaceless},
};

t4__ffn t4__ffilter_find(const char *name)
{
    for (size_t i = 0; i < sizeof filters / sizeof *filters; i++) {
        if (strcmp(filters[i].name, name) == 0) {
            return filters[i].fn;
        }
    }
    return NULL;
}

bool t4__ffilter_safe(const char *name)
{
    return !strcmp(name, "raw") || !strcmp(name, "escape") || !strcmp(name, "e") || !strcmp(name, "nl2br") ||
           !strcmp(name, "spaceless");
}
