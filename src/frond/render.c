/* SPDX-License-Identifier: MIT */
/* FROND renderer: runs the template tree (tags, blocks and inheritance,
 * includes, macros, scoping). */
#include "frond/internal.h"

#include <stdlib.h>
#include <string.h>

static int nomem(t4__frs *st, int line, int col)
{
    return t4__frs_nomem(st, line, col);
}

static int print_value(t4__frs *st, json_t *v, unsigned flags, t4__fesc esc)
{
    if ((flags & (T4F_SAFE | T4F_CONST)) || esc == ESC_NONE || json_is_integer(v) || json_is_boolean(v) ||
        json_is_null(v)) {
        t4__fv_append(st->out, v);
        return 0;
    }
    char *s = t4__fv_str(v);
    if (!s) {
        return T4_ENOMEM;
    }
    t4__fescape(st->out, s, strlen(s), esc);
    free(s);
    return 0;
}

/* Render l into a fresh string (the current output is saved). */
static int capture(t4__frs *st, const t4__fnodes *l, json_t **out)
{
    t4__fbuf buf = {0}, *saved = st->out;
    st->out = &buf;
    int rc = t4__frs_render_nodes(st, l);
    st->out = saved;
    if (!rc && buf.oom) {
        rc = T4_ENOMEM;
    }
    *out = rc ? NULL : t4__fv_str_new(buf.p ? buf.p : "", buf.n);
    t4__fbuf_free(&buf);
    if (!rc && !*out) {
        rc = T4_ENOMEM;
    }
    return rc;
}

int t4__frs_spaceless(t4__fbuf *b, const char *s, size_t n)
{
    size_t i = 0;
    while (i < n && strchr(" \t\n\r\v\f", s[i]) && s[i]) {
        i++;
    }
    while (n > i && strchr(" \t\n\r\v\f", s[n - 1]) && s[n - 1]) {
        n--;
    }
    while (i < n) {
        t4__fbuf_putc(b, s[i]);
        if (s[i] == '>') {
            size_t j = i + 1;
            while (j < n && s[j] && strchr(" \t\n\r\v\f", s[j])) {
                j++;
            }
            if (j > i + 1 && j < n && s[j] == '<') {
                i = j;
                continue;
            }
        }
        i++;
    }
    return b->oom ? T4_ENOMEM : 0;
}

/* Twig's scoping for loops: variables that existed before keep what the loop
 * did to them, new ones vanish, the loop variables get their old values. */
static void restore_scope(json_t *ctx, json_t *parent, const char *const *names, size_t n)
{
    const char *k;
    json_t *v;
    void *tmp;
    json_object_foreach_safe(ctx, tmp, k, v)
    {
        if (!json_object_get(parent, k)) {
            json_object_del(ctx, k);
        }
    }
    for (size_t i = 0; i < n; i++) {
        if (!names[i]) {
            continue;
        }
        char mark[256];
        snprintf(mark, sizeof mark, "%c%s", T4F_SAFE_MARK, names[i]);
        const char *both[2] = {names[i], mark};
        for (int j = 0; j < 2; j++) {
            json_t *old = json_object_get(parent, both[j]);
            if (old) {
                json_object_set(ctx, both[j], old);
            } else {
                json_object_del(ctx, both[j]);
            }
        }
    }
    json_object_foreach(parent, k, v)
    {
        if (!json_object_get(ctx, k)) {
            json_object_set(ctx, k, v);
        }
    }
}

typedef struct {
    t4__frs *st;
    const t4__fnode *n;
    size_t len;
    json_t *outer_loop;
} for_state;

static int for_item(void *ud, const char *key, size_t idx, json_t *v)
{
    for_state *fs = ud;
    t4__frs *st = fs->st;
    const t4__fnode *n = fs->n;
    int rc = t4__frs_step(st, n->line, n->col);
    if (rc) {
        return rc;
    }
    if (n->name2) {
        long long ik = (long long)idx;
        bool int_key = !key || t4__fv_int_key(key, &ik);
        t4__fctx_set(st->ctx, n->name2, int_key ? json_integer(ik) : json_string(key), false);
    }
    t4__fctx_set(st->ctx, n->name, json_incref(v), false);
    json_t *loop =
        json_pack("{s:I,s:I,s:I,s:I,s:b,s:b,s:I}", "index", (json_int_t)idx + 1, "index0", (json_int_t)idx,
                  "revindex", (json_int_t)(fs->len - idx), "revindex0", (json_int_t)(fs->len - idx - 1),
                  "first", idx == 0, "last", idx + 1 == fs->len, "length", (json_int_t)fs->len);
    if (!loop) {
        return nomem(st, n->line, n->col);
    }
    if (fs->outer_loop) {
        json_object_set_new(loop, "parent", json_pack("{s:O}", "loop", fs->outer_loop));
    }
    t4__fctx_set(st->ctx, "loop", loop, false);
    return t4__frs_render_nodes(st, &n->body);
}

static int render_for(t4__frs *st, const t4__fnode *n)
{
    json_t *seq;
    int rc = t4__frs_eval(st, n->e1, &seq, NULL);
    if (rc) {
        return rc;
    }
    size_t len = t4__fv_count(seq);
    if (len == 0) {
        json_decref(seq);
        return t4__frs_render_nodes(st, &n->alt);
    }
    json_t *parent = json_copy(st->ctx);
    if (!parent) {
        json_decref(seq);
        return nomem(st, n->line, n->col);
    }
    for_state fs = {st, n, len, json_object_get(parent, "loop")};
    rc = t4__fv_iterate(seq, for_item, &fs);
    const char *names[3] = {n->name, n->name2, "loop"};
    restore_scope(st->ctx, parent, names, 3);
    json_decref(parent);
    json_decref(seq);
    return rc;
}

static int render_set(t4__frs *st, const t4__fnode *n)
{
    json_t *vals[16];
    unsigned fl[16];
    if (n->nexprs > 16) {
        return t4__frs_error(st, n->line, n->col, "too many assignments");
    }
    for (size_t i = 0; i < n->nexprs; i++) {
        int rc = t4__frs_eval(st, n->exprs[i], &vals[i], &fl[i]);
        if (!rc && t4__fv_too_deep(vals[i], T4F_MAX_DEPTH)) {
            json_decref(vals[i]);
            rc = t4__frs_error(st, n->line, n->col, "value nested more than %d levels deep (the limit)",
                               T4F_MAX_DEPTH);
        }
        if (rc) {
            while (i-- > 0) {
                json_decref(vals[i]);
            }
            return rc;
        }
    }
    for (size_t i = 0; i < n->nexprs; i++) {
        t4__fctx_set(st->ctx, n->names[i], vals[i], fl[i] & T4F_SAFE);
    }
    return 0;
}

static const t4__fblk *find_block(t4__frs *st, const char *name, size_t from)
{
    for (size_t i = from; i < st->nblocks; i++) {
        if (strcmp(st->blocks[i].name, name) == 0) {
            return &st->blocks[i];
        }
    }
    return NULL;
}

/* Render a block definition with its own copy of the context. */
static int render_block_def(t4__frs *st, const t4__fblk *b)
{
    json_t *saved_ctx = st->ctx;
    const t4__ftpl *saved_tpl = st->tpl, *saved_owner = st->cur_block_owner;
    const char *saved_block = st->cur_block;
    const t4__fnode *n = b->node;
    if (st->depth >= T4F_MAX_DEPTH) {
        return t4__frs_error(st, n->line, n->col, "maximum nesting depth exceeded");
    }
    int rc = t4__frs_step(st, n->line, n->col);
    if (rc) {
        return rc;
    }
    st->ctx = json_copy(saved_ctx);
    if (!st->ctx) {
        st->ctx = saved_ctx;
        return nomem(st, b->node->line, b->node->col);
    }
    st->tpl = b->owner;
    st->cur_block = b->name;
    st->cur_block_owner = b->owner;
    st->depth++;
    rc = t4__frs_render_nodes(st, &b->node->body);
    st->depth--;
    json_decref(st->ctx);
    st->ctx = saved_ctx;
    st->tpl = saved_tpl;
    st->cur_block = saved_block;
    st->cur_block_owner = saved_owner;
    return rc;
}

int t4__frs_parent(t4__frs *st, const t4__fexpr *at, json_t **out)
{
    if (!st->cur_block) {
        return t4__frs_error(st, at->line, at->col, "calling parent() outside a block is forbidden");
    }
    size_t i = 0;
    for (; i < st->nblocks; i++) {
        if (st->blocks[i].owner == st->cur_block_owner && strcmp(st->blocks[i].name, st->cur_block) == 0) {
            break;
        }
    }
    const t4__fblk *b = i < st->nblocks ? find_block(st, st->cur_block, i + 1) : NULL;
    if (!b) {
        return t4__frs_error(st, at->line, at->col, "the block '%s' has no parent", st->cur_block);
    }
    t4__fbuf buf = {0}, *saved = st->out;
    st->out = &buf;
    int rc = render_block_def(st, b);
    st->out = saved;
    *out = rc ? NULL : t4__fv_str_new(buf.p ? buf.p : "", buf.n);
    t4__fbuf_free(&buf);
    return rc ? rc : *out ? 0 : nomem(st, at->line, at->col);
}

int t4__frs_block(t4__frs *st, const t4__fexpr *at, const char *name, json_t **out)
{
    const t4__fblk *b = find_block(st, name, 0);
    if (!b) {
        return t4__frs_error(st, at->line, at->col, "block '%s' not found", name);
    }
    t4__fbuf buf = {0}, *saved = st->out;
    st->out = &buf;
    int rc = render_block_def(st, b);
    st->out = saved;
    *out = rc ? NULL : t4__fv_str_new(buf.p ? buf.p : "", buf.n);
    t4__fbuf_free(&buf);
    return rc ? rc : *out ? 0 : nomem(st, at->line, at->col);
}

static int add_import(t4__frs *st, const char *alias, const t4__ftpl *target, const char *macro)
{
    if (st->nimports == st->capimports) {
        size_t cap = st->capimports ? st->capimports * 2 : 8;
        t4__fimport *v = realloc(st->imports, cap * sizeof *v);
        if (!v) {
            return T4_ENOMEM;
        }
        st->imports = v;
        st->capimports = cap;
    }
    t4__fimport *im = &st->imports[st->nimports];
    im->owner = st->tpl;
    im->target = target;
    im->alias = strdup(alias);
    im->macro = macro ? strdup(macro) : NULL;
    if (!im->alias || (macro && !im->macro)) {
        free(im->alias);
        free(im->macro);
        return T4_ENOMEM;
    }
    st->nimports++;
    return 0;
}

static int load_named(t4__frs *st, const t4__fexpr *e, const t4__ftpl **out)
{
    if (!e) {
        *out = st->tpl;
        return 0;
    }
    json_t *name;
    int rc = t4__frs_eval(st, e, &name, NULL);
    if (rc) {
        return rc;
    }
    if (json_is_string(name) && strcmp(json_string_value(name), st->tpl->name) == 0 && !st->tpl->path) {
        *out = st->tpl;
        json_decref(name);
        return 0;
    }
    char *s = t4__fv_str(name);
    json_decref(name);
    char *err = NULL;
    rc = s ? t4__frond_load(st->f, s, out, &err) : T4_ENOMEM;
    if (rc == T4_ENOTFOUND) {
        free(err);
        err = NULL;
        rc = t4__frs_error(st, e->line, e->col, "unable to find template '%s'", s);
    } else if (rc) {
        free(st->err);
        st->err = err;
        err = NULL;
    }
    free(s);
    free(err);
    return rc;
}

static int render_import(t4__frs *st, const t4__fnode *n)
{
    const t4__ftpl *t;
    int rc = load_named(st, n->e1, &t);
    if (rc) {
        return rc;
    }
    if (n->kind == N_IMPORT) {
        rc = add_import(st, n->name, t, NULL);
    } else {
        for (size_t i = 0; !rc && i + 1 < n->nnames; i += 2) {
            rc = add_import(st, n->names[i + 1], t, n->names[i]);
        }
    }
    return rc ? nomem(st, n->line, n->col) : 0;
}

int t4__frs_call_macro(t4__frs *st, const t4__fexpr *at, const t4__ftpl *t, const char *name,
                       t4__fexpr **args, size_t nargs, json_t **out)
{
    const t4__fmacro *m = NULL;
    for (size_t i = 0; i < t->nmacros; i++) {
        if (strcmp(t->macros[i]->name, name) == 0) {
            m = t->macros[i];
        }
    }
    if (!m) {
        return t4__frs_error(st, at->line, at->col, "macro '%s' is not defined in template '%s'", name,
                             t->name);
    }
    if (st->depth >= T4F_MAX_DEPTH) {
        return t4__frs_error(st, at->line, at->col, "maximum nesting depth exceeded");
    }
    int rc = t4__frs_step(st, at->line, at->col);
    if (rc) {
        return rc;
    }
    json_t *ctx = json_object();
    json_t *varargs = json_array();
    if (!ctx || !varargs) {
        json_decref(ctx);
        json_decref(varargs);
        return nomem(st, at->line, at->col);
    }
    for (size_t i = 0; i < nargs; i++) {
        json_t *v;
        unsigned fl = 0;
        if ((rc = t4__frs_eval(st, args[i], &v, &fl))) {
            break;
        }
        if (i < m->nparams) {
            t4__fctx_set(ctx, m->params[i], v, fl & T4F_SAFE);
        } else {
            json_array_append_new(varargs, v);
        }
    }
    json_t *saved_ctx = st->ctx;
    const t4__ftpl *saved_tpl = st->tpl;
    const char *saved_block = st->cur_block;
    st->ctx = ctx;
    st->tpl = t;
    st->cur_block = NULL;
    for (size_t i = nargs; !rc && i < m->nparams; i++) {
        json_t *v = NULL;
        unsigned fl = 0;
        if (m->defaults[i] && (rc = t4__frs_eval(st, m->defaults[i], &v, &fl))) {
            break;
        }
        t4__fctx_set(ctx, m->params[i], v ? v : json_null(), fl & T4F_SAFE);
    }
    json_object_set_new(ctx, "varargs", varargs);
    st->depth++;
    if (!rc) {
        rc = capture(st, &m->body, out);
    }
    st->depth--;
    st->ctx = saved_ctx;
    st->tpl = saved_tpl;
    st->cur_block = saved_block;
    json_decref(ctx);
    if (rc == T4_ENOMEM && !st->err) {
        nomem(st, at->line, at->col);
    }
    return rc;
}

/* Run the template t (following its extends chain) with the current context
 * and a fresh block table. */
int t4__frs_render_template(t4__frs *st, const t4__ftpl *t)
{
    if (st->depth >= T4F_MAX_DEPTH) {
        return t4__frs_error(st, 1, 1, "maximum nesting depth exceeded");
    }
    t4__fblk *saved_blocks = st->blocks;
    size_t saved_n = st->nblocks;
    const t4__ftpl *saved_tpl = st->tpl;
    const char *saved_block = st->cur_block;
    st->blocks = NULL;
    st->nblocks = 0;
    st->cur_block = NULL;
    st->depth++;
    int rc = 0;
    size_t cap = 0, levels = 0;
    const t4__ftpl *cur = t;
    for (;;) {
        st->tpl = cur;
        for (size_t i = 0; i < cur->nblocks; i++) {
            if (st->nblocks == cap) {
                cap = cap ? cap * 2 : 16;
                t4__fblk *v = realloc(st->blocks, cap * sizeof *v);
                if (!v) {
                    rc = nomem(st, 1, 1);
                    break;
                }
                st->blocks = v;
            }
            st->blocks[st->nblocks++] = (t4__fblk){cur->blocks[i]->name, cur->blocks[i], cur};
        }
        if (rc || !cur->parent) {
            break;
        }
        /* a child template: run its top-level set/import tags */
        for (size_t i = 0; !rc && i < cur->body.n; i++) {
            const t4__fnode *n = cur->body.v[i];
            if (n->kind == N_SET) {
                rc = render_set(st, n);
            } else if (n->kind == N_IMPORT || n->kind == N_FROM) {
                rc = render_import(st, n);
            } else if (n->kind == N_SETBLOCK || n->kind == N_DO) {
                rc = t4__frs_render_nodes(st, &(t4__fnodes){(t4__fnode **)&cur->body.v[i], 1, 1});
            }
        }
        if (rc) {
            break;
        }
        if (++levels > 64) {
            rc = t4__frs_error(st, cur->parent_line, cur->parent_col, "too many levels of extends");
            break;
        }
        const t4__ftpl *parent;
        if ((rc = load_named(st, cur->parent, &parent))) {
            break;
        }
        cur = parent;
    }
    if (!rc) {
        st->tpl = cur;
        rc = t4__frs_render_nodes(st, &cur->body);
    }
    free(st->blocks);
    st->blocks = saved_blocks;
    st->nblocks = saved_n;
    st->tpl = saved_tpl;
    st->cur_block = saved_block;
    st->depth--;
    return rc;
}

int t4__frs_include(t4__frs *st, const t4__fexpr *at, json_t *name, json_t *with, bool only,
                    bool ignore_missing)
{
    json_t *names = json_is_array(name) ? json_incref(name) : json_pack("[O]", name);
    if (!names) {
        return nomem(st, at->line, at->col);
    }
    const t4__ftpl *t = NULL;
    int rc = T4_ENOTFOUND;
    char *err = NULL;
    for (size_t i = 0; i < json_array_size(names) && rc == T4_ENOTFOUND; i++) {
        int src = t4__frs_step(st, at->line, at->col);
        if (src) {
            free(err);
            json_decref(names);
            return src;
        }
        char *s = t4__fv_str(json_array_get(names, i));
        free(err);
        err = NULL;
        rc = s ? t4__frond_load(st->f, s, &t, &err) : T4_ENOMEM;
        free(s);
    }
    if (rc == T4_ENOTFOUND) {
        free(err);
        char *s = t4__fv_str(json_array_get(names, 0));
        json_decref(names);
        if (ignore_missing) {
            free(s);
            return 0;
        }
        rc = t4__frs_error(st, at->line, at->col, "unable to find template '%s'", s ? s : "");
        free(s);
        return rc;
    }
    json_decref(names);
    if (rc) {
        if (!st->err) {
            st->err = err;
        } else {
            free(err);
        }
        return rc;
    }
    if (with && !json_is_null(with) && !json_is_object(with) && !json_is_array(with)) {
        return t4__frs_error(st, at->line, at->col, "variables passed to include must be a mapping");
    }
    json_t *ctx = only ? json_object() : json_copy(st->ctx);
    if (!ctx) {
        return nomem(st, at->line, at->col);
    }
    if (json_is_object(with)) {
        const char *k;
        json_t *v;
        json_object_foreach(with, k, v)
        {
            t4__fctx_set(ctx, k, json_incref(v), false);
        }
    }
    json_t *saved = st->ctx;
    st->ctx = ctx;
    rc = t4__frs_render_template(st, t);
    st->ctx = saved;
    json_decref(ctx);
    return rc;
}

static int render_node(t4__frs *st, const t4__fnode *n)
{
    int rc = 0;
    json_t *v = NULL;
    unsigned fl = 0;
    switch (n->kind) {
    case N_TEXT:
        t4__fbuf_put(st->out, n->text, n->len);
        return 0;
    case N_PRINT:
        if ((rc = t4__frs_eval(st, n->e1, &v, &fl))) {
            return rc;
        }
        rc = print_value(st, v, fl, n->esc);
        json_decref(v);
        return rc;
    case N_IF:
        if ((rc = t4__frs_eval(st, n->e1, &v, NULL))) {
            return rc;
        }
        bool t = t4__fv_truthy(v);
        json_decref(v);
        return t4__frs_render_nodes(st, t ? &n->body : &n->alt);
    case N_FOR:
        return render_for(st, n);
    case N_SET:
        return render_set(st, n);
    case N_SETBLOCK:
        if ((rc = capture(st, &n->body, &v))) {
            return rc;
        }
        t4__fctx_set(st->ctx, n->name ? n->name : n->names[0], v, json_string_length(v) > 0);
        return 0;
    case N_BLOCK: {
        const t4__fblk *b = find_block(st, n->name, 0);
        t4__fblk self = {n->name, n, st->tpl};
        return render_block_def(st, b ? b : &self);
    }
    case N_INCLUDE: {
        json_t *with = NULL;
        if ((rc = t4__frs_eval(st, n->e1, &v, NULL))) {
            return rc;
        }
        if (n->e2 && (rc = t4__frs_eval(st, n->e2, &with, NULL))) {
            json_decref(v);
            return rc;
        }
        rc = t4__frs_include(st, n->e1, v, with, n->flags & T4F_ONLY, n->flags & T4F_IGNORE_MISSING);
        json_decref(v);
        json_decref(with);
        return rc;
    }
    case N_IMPORT:
    case N_FROM:
        return render_import(st, n);
    case N_SPACELESS:
        if ((rc = capture(st, &n->body, &v))) {
            return rc;
        }
        rc = t4__frs_spaceless(st->out, json_string_value(v), json_string_length(v));
        json_decref(v);
        return rc;
    case N_APPLY: {
        if ((rc = capture(st, &n->body, &v))) {
            return rc;
        }
        json_t *saved = st->captured, *r;
        st->captured = v;
        rc = t4__frs_eval(st, n->e1, &r, &fl);
        st->captured = saved;
        json_decref(v);
        if (!rc) {
            rc = print_value(st, r, fl, n->esc);
            json_decref(r);
        }
        return rc;
    }
    case N_WITH: {
        json_t *vars = NULL;
        if (n->e1 && (rc = t4__frs_eval(st, n->e1, &vars, NULL))) {
            return rc;
        }
        if (vars && !json_is_object(vars) && !(json_is_array(vars) && json_array_size(vars) == 0)) {
            json_decref(vars);
            return t4__frs_error(st, n->line, n->col, "variables passed to the 'with' tag must be a mapping");
        }
        json_t *ctx = (n->flags & T4F_ONLY) ? json_object() : json_copy(st->ctx);
        if (json_is_object(vars)) {
            const char *k;
            json_t *x;
            json_object_foreach(vars, k, x)
            {
                t4__fctx_set(ctx, k, json_incref(x), false);
            }
        }
        json_decref(vars);
        json_t *saved = st->ctx;
        st->ctx = ctx;
        rc = t4__frs_render_nodes(st, &n->body);
        st->ctx = saved;
        json_decref(ctx);
        return rc;
    }
    case N_DO:
        if ((rc = t4__frs_eval(st, n->e1, &v, NULL))) {
            return rc;
        }
        json_decref(v);
        return 0;
    case N_BODY:
        return t4__frs_render_nodes(st, &n->body);
    }
    return 0;
}

int t4__frs_render_nodes(t4__frs *st, const t4__fnodes *l)
{
    for (size_t i = 0; i < l->n; i++) {
        int rc = render_node(st, l->v[i]);
        if (rc) {
            if (rc == T4_ENOMEM && !st->err) {
                nomem(st, l->v[i]->line, l->v[i]->col);
            }
            return rc;
        }
        if (st->out->oom) {
            return nomem(st, l->v[i]->line, l->v[i]->col);
        }
    }
    return 0;
}
