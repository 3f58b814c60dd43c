/* SPDX-License-Identifier: MIT */
/* FROND tag parser: tokens -> template tree (t4__ftpl). */
#include "frond/parse.h"

#include <stdlib.h>
#include <string.h>

static int oom(t4__fp *p)
{
    return t4__fp_oom(p);
}

static t4__fnode *node_new(t4__fp *p, t4__fnode_kind kind, const t4__ftok *at)
{
    if (!t4__fp_node(p, at)) {
        return NULL;
    }
    t4__fnode *n = calloc(1, sizeof *n);
    if (n) {
        n->kind = kind;
        n->line = at->line;
        n->col = at->col;
        n->esc = p->esc;
    }
    return n;
}

static void node_free(t4__fnode *n)
{
    if (!n) {
        return;
    }
    free(n->text);
    t4__fexpr_free(n->e1);
    t4__fexpr_free(n->e2);
    free(n->name);
    free(n->name2);
    for (size_t i = 0; i < n->nnames; i++) {
        free(n->names[i]);
    }
    free(n->names);
    for (size_t i = 0; i < n->nexprs; i++) {
        t4__fexpr_free(n->exprs[i]);
    }
    free(n->exprs);
    t4__fnodes_free(&n->body);
    t4__fnodes_free(&n->alt);
    free(n);
}

void t4__fnodes_free(t4__fnodes *l)
{
    for (size_t i = 0; i < l->n; i++) {
        node_free(l->v[i]);
    }
    free(l->v);
    memset(l, 0, sizeof *l);
}

/* Append n to l (n is owned by l afterwards, or freed on failure). */
static int push(t4__fp *p, t4__fnodes *l, t4__fnode *n)
{
    if (!n) {
        return oom(p);
    }
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 8;
        t4__fnode **v = realloc(l->v, cap * sizeof *v);
        if (!v) {
            node_free(n);
            return oom(p);
        }
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n++] = n;
    return 0;
}

static int push_ptr(t4__fp *p, void ***v, size_t *n, void *item)
{
    size_t cap = t4__fp_grow(*n);
    void **nv = cap ? realloc(*v, cap * sizeof *nv) : *v;
    if (!nv) {
        return oom(p);
    }
    *v = nv;
    nv[(*n)++] = item;
    return 0;
}

static int push_name(t4__fp *p, t4__fnode *n, const char *s)
{
    if (!t4__fp_node(p, NULL)) { /* names count as nodes */
        return oom(p);
    }
    char *c = strdup(s);
    if (!c) {
        return oom(p);
    }
    int rc = push_ptr(p, (void ***)&n->names, &n->nnames, c);
    if (rc) {
        free(c);
    }
    return rc;
}

static int expect_name(t4__fp *p, const t4__ftok **out)
{
    const t4__ftok *t = t4__fp_tok(p);
    if (t->type != T4F_NAME) {
        return t4__fp_unexpected(p);
    }
    p->i++;
    *out = t;
    return 0;
}

static int end_of_tag(t4__fp *p)
{
    return t4__fp_expect(p, T4F_BLOCK_END, NULL);
}

static int parse_body(t4__fp *p, t4__fnodes *out, const char *const *ends, const char *opener,
                      const t4__ftok *open_at);

#define ENDS(...) ((const char *const[]){__VA_ARGS__, NULL})

/* Parses "{% endxxx [name] %}" after parse_body stopped on it. */
static int close_tag(t4__fp *p, const char *name)
{
    p->i++; /* the end tag name */
    if (name && t4__fp_tok(p)->type == T4F_NAME) {
        const t4__ftok *t = t4__fp_tok(p);
        if (strcmp(t->s, name) != 0) {
            return t4__fp_fail(p, t, "expected endblock for block '%s' (but '%s' given)", name, t->s);
        }
        p->i++;
    }
    return end_of_tag(p);
}

static const char *cur(t4__fp *p)
{
    return t4__fp_tok(p)->s;
}

static int parse_if(t4__fp *p, t4__fnode *n)
{
    int rc;
    const t4__ftok *open = t4__fp_tok(p);
    if ((rc = t4__fp_expr(p, &n->e1)) || (rc = end_of_tag(p)) ||
        (rc = parse_body(p, &n->body, ENDS("elseif", "else", "endif"), "if", open))) {
        return rc;
    }
    if (strcmp(cur(p), "elseif") == 0) {
        const t4__ftok *at = t4__fp_tok(p);
        p->i++;
        t4__fnode *e = node_new(p, N_IF, at);
        if ((rc = push(p, &n->alt, e))) {
            return rc;
        }
        return parse_if(p, e);
    }
    if (strcmp(cur(p), "else") == 0) {
        p->i++;
        if ((rc = end_of_tag(p)) || (rc = parse_body(p, &n->alt, ENDS("endif"), "if", open))) {
            return rc;
        }
    }
    return close_tag(p, NULL);
}

static int parse_for(t4__fp *p, t4__fnode *n, const t4__ftok *open)
{
    const t4__ftok *a = NULL, *b = NULL;
    int rc = expect_name(p, &a);
    if (!rc && t4__fp_accept(p, T4F_PUNCT, ",")) {
        rc = expect_name(p, &b);
    }
    if (rc || (rc = t4__fp_expect(p, T4F_NAME, "in")) || (rc = t4__fp_expr(p, &n->e1))) {
        return rc;
    }
    if (t4__fp_is(p, T4F_NAME, "if")) {
        return t4__fp_fail(p, NULL, "the 'if' condition of a for loop is not supported; use a filter");
    }
    n->name = strdup(b ? b->s : a->s);
    n->name2 = b ? strdup(a->s) : NULL;
    if (!n->name || (b && !n->name2)) {
        return oom(p);
    }
    if ((rc = end_of_tag(p)) || (rc = parse_body(p, &n->body, ENDS("else", "endfor"), "for", open))) {
        return rc;
    }
    if (strcmp(cur(p), "else") == 0) {
        p->i++;
        if ((rc = end_of_tag(p)) || (rc = parse_body(p, &n->alt, ENDS("endfor"), "for", open))) {
            return rc;
        }
    }
    return close_tag(p, NULL);
}

static int parse_set(t4__fp *p, t4__fnode *n, const t4__ftok *open)
{
    int rc;
    do {
        const t4__ftok *t = NULL;
        if ((rc = expect_name(p, &t)) || (rc = push_name(p, n, t->s))) {
            return rc;
        }
    } while (t4__fp_accept(p, T4F_PUNCT, ","));
    if (t4__fp_accept(p, T4F_PUNCT, "=")) {
        do {
            t4__fexpr *e;
            if ((rc = t4__fp_expr(p, &e))) {
                return rc;
            }
            if ((rc = push_ptr(p, (void ***)&n->exprs, &n->nexprs, e))) {
                t4__fexpr_free(e);
                return rc;
            }
        } while (t4__fp_accept(p, T4F_PUNCT, ","));
        if (n->nexprs != n->nnames) {
            return t4__fp_fail(p, open,
                               "when using set, you must have the same number of variables and assignments");
        }
        return end_of_tag(p);
    }
    if (n->nnames != 1) {
        return t4__fp_fail(p, open, "when using set with a block, you cannot have a multi-target");
    }
    n->kind = N_SETBLOCK;
    if ((rc = end_of_tag(p)) || (rc = parse_body(p, &n->body, ENDS("endset"), "set", open))) {
        return rc;
    }
    return close_tag(p, NULL);
}

static int parse_block(t4__fp *p, t4__fnode *n, const t4__ftok *open)
{
    const t4__ftok *t = NULL;
    int rc = expect_name(p, &t);
    if (rc) {
        return rc;
    }
    for (size_t i = 0; i < p->tpl->nblocks; i++) {
        if (strcmp(p->tpl->blocks[i]->name, t->s) == 0) {
            return t4__fp_fail(p, t, "the block '%s' has already been defined", t->s);
        }
    }
    if (!(n->name = strdup(t->s))) {
        return oom(p);
    }
    if ((rc = push_ptr(p, (void ***)&p->tpl->blocks, &p->tpl->nblocks, n))) {
        return rc;
    }
    if (!t4__fp_is(p, T4F_BLOCK_END, NULL)) { /* {% block name expr %} */
        t4__fnode *pr = node_new(p, N_PRINT, t4__fp_tok(p));
        if ((rc = push(p, &n->body, pr)) || (rc = t4__fp_expr(p, &pr->e1))) {
            return rc;
        }
        return end_of_tag(p);
    }
    p->block_depth++;
    if ((rc = end_of_tag(p)) || (rc = parse_body(p, &n->body, ENDS("endblock"), "block", open))) {
        return rc;
    }
    p->block_depth--;
    return close_tag(p, n->name);
}

static int parse_include(t4__fp *p, t4__fnode *n)
{
    int rc = t4__fp_expr(p, &n->e1);
    if (rc) {
        return rc;
    }
    if (t4__fp_is(p, T4F_NAME, "ignore")) {
        p->i++;
        if ((rc = t4__fp_expect(p, T4F_NAME, "missing"))) {
            return rc;
        }
        n->flags |= T4F_IGNORE_MISSING;
    }
    if (t4__fp_accept(p, T4F_NAME, "with") && (rc = t4__fp_expr(p, &n->e2))) {
        return rc;
    }
    if (t4__fp_accept(p, T4F_NAME, "only")) {
        n->flags |= T4F_ONLY;
    }
    return end_of_tag(p);
}

static int parse_macro(t4__fp *p, const t4__ftok *open)
{
    const t4__ftok *t = NULL;
    int rc = expect_name(p, &t);
    if (rc) {
        return rc;
    }
    if (!t4__fp_node(p, t)) {
        return oom(p);
    }
    t4__fmacro *m = calloc(1, sizeof *m);
    if (!m || !(m->name = strdup(t->s))) {
        free(m);
        return oom(p);
    }
    m->line = t->line;
    m->col = t->col;
    if ((rc = push_ptr(p, (void ***)&p->tpl->macros, &p->tpl->nmacros, m))) {
        free(m->name);
        free(m);
        return rc;
    }
    if ((rc = t4__fp_expect(p, T4F_PUNCT, "("))) {
        return rc;
    }
    while (!t4__fp_is(p, T4F_PUNCT, ")")) {
        if (m->nparams && (rc = t4__fp_expect(p, T4F_PUNCT, ","))) {
            return rc;
        }
        const t4__ftok *a = NULL;
        if ((rc = expect_name(p, &a))) {
            return rc;
        }
        if (!t4__fp_node(p, a)) { /* parameters count as nodes */
            return oom(p);
        }
        size_t cap = t4__fp_grow(m->nparams);
        char **np = cap ? realloc(m->params, cap * sizeof *np) : m->params;
        if (np) {
            m->params = np;
        }
        t4__fexpr **nd = cap ? realloc(m->defaults, cap * sizeof *nd) : m->defaults;
        if (nd) {
            m->defaults = nd;
        }
        if (!np || !nd) {
            return oom(p);
        }
        m->defaults[m->nparams] = NULL;
        if (!(m->params[m->nparams] = strdup(a->s))) {
            return oom(p);
        }
        m->nparams++;
        if (t4__fp_accept(p, T4F_PUNCT, "=") && (rc = t4__fp_expr(p, &m->defaults[m->nparams - 1]))) {
            return rc;
        }
    }
    p->i++;
    t4__fesc saved = p->esc;
    if ((rc = end_of_tag(p)) || (rc = parse_body(p, &m->body, ENDS("endmacro"), "macro", open))) {
        return rc;
    }
    p->esc = saved;
    return close_tag(p, m->name);
}

static int add_from_name(t4__fp *p, const char *s)
{
    char *c = strdup(s);
    if (!c) {
        return oom(p);
    }
    int rc = push_ptr(p, (void ***)&p->from_names, &p->nfrom, c);
    if (rc) {
        free(c);
    }
    return rc;
}

static int parse_import_expr(t4__fp *p, t4__fnode *n)
{
    if (t4__fp_is(p, T4F_NAME, "_self")) { /* e1 stays NULL: this template */
        p->i++;
        return 0;
    }
    return t4__fp_expr(p, &n->e1);
}

static int parse_from(t4__fp *p, t4__fnode *n)
{
    int rc = parse_import_expr(p, n);
    if (rc || (rc = t4__fp_expect(p, T4F_NAME, "import"))) {
        return rc;
    }
    do {
        const t4__ftok *m = NULL, *alias = NULL;
        if ((rc = expect_name(p, &m))) {
            return rc;
        }
        alias = m;
        if (t4__fp_accept(p, T4F_NAME, "as") && (rc = expect_name(p, &alias))) {
            return rc;
        }
        if ((rc = push_name(p, n, m->s)) || (rc = push_name(p, n, alias->s)) ||
            (rc = add_from_name(p, alias->s))) {
            return rc;
        }
    } while (t4__fp_accept(p, T4F_PUNCT, ","));
    return end_of_tag(p);
}

static int parse_autoescape(t4__fp *p, t4__fnode *n, const t4__ftok *open)
{
    t4__fesc esc = ESC_HTML;
    const t4__ftok *t = t4__fp_tok(p);
    if (t->type == T4F_STRING) {
        if (t4__fesc_parse(t->s, &esc)) {
            return t4__fp_fail(p, t, "invalid escaping strategy '%s'", t->s);
        }
        p->i++;
    } else if (t->type == T4F_NAME && (strcmp(t->s, "false") == 0 || strcmp(t->s, "true") == 0)) {
        esc = t->s[0] == 'f' ? ESC_NONE : ESC_HTML;
        p->i++;
    } else if (t->type != T4F_BLOCK_END) {
        return t4__fp_fail(p, t, "an escaping strategy must be a string or false");
    }
    int rc = end_of_tag(p);
    if (rc) {
        return rc;
    }
    t4__fesc saved = p->esc;
    p->esc = esc;
    rc = parse_body(p, &n->body, ENDS("endautoescape"), "autoescape", open);
    p->esc = saved;
    return rc ? rc : close_tag(p, NULL);
}

static int parse_tag_inner(t4__fp *p, t4__fnodes *out, const t4__ftok *tag);

static int parse_tag(t4__fp *p, t4__fnodes *out, const t4__ftok *tag)
{
    if (p->depth >= T4F_MAX_DEPTH) {
        return t4__fp_fail(p, tag, "tags nested too deeply");
    }
    p->depth++;
    int rc = parse_tag_inner(p, out, tag);
    p->depth--;
    return rc;
}

static int parse_tag_inner(t4__fp *p, t4__fnodes *out, const t4__ftok *tag)
{
    const char *s = tag->s;
    int rc;
    p->i++;
#define NEW(kind)                                                                                            \
    t4__fnode *n = node_new(p, kind, tag);                                                                   \
    if ((rc = push(p, out, n))) {                                                                            \
        return rc;                                                                                           \
    }
    if (strcmp(s, "if") == 0) {
        NEW(N_IF);
        return parse_if(p, n);
    }
    if (strcmp(s, "for") == 0) {
        NEW(N_FOR);
        return parse_for(p, n, tag);
    }
    if (strcmp(s, "set") == 0) {
        NEW(N_SET);
        return parse_set(p, n, tag);
    }
    if (strcmp(s, "block") == 0) {
        NEW(N_BLOCK);
        return parse_block(p, n, tag);
    }
    if (strcmp(s, "extends") == 0) {
        if (p->tpl->parent) {
            return t4__fp_fail(p, tag, "multiple extends tags are forbidden");
        }
        if (p->block_depth) {
            return t4__fp_fail(p, tag, "cannot use extends in a block");
        }
        p->tpl->parent_line = tag->line;
        p->tpl->parent_col = tag->col;
        if ((rc = t4__fp_expr(p, &p->tpl->parent))) {
            return rc;
        }
        return end_of_tag(p);
    }
    if (strcmp(s, "include") == 0) {
        NEW(N_INCLUDE);
        return parse_include(p, n);
    }
    if (strcmp(s, "macro") == 0) {
        return parse_macro(p, tag);
    }
    if (strcmp(s, "import") == 0) {
        NEW(N_IMPORT);
        const t4__ftok *alias = NULL;
        if ((rc = parse_import_expr(p, n)) || (rc = t4__fp_expect(p, T4F_NAME, "as")) ||
            (rc = expect_name(p, &alias))) {
            return rc;
        }
        if (!(n->name = strdup(alias->s))) {
            return oom(p);
        }
        return end_of_tag(p);
    }
    if (strcmp(s, "from") == 0) {
        NEW(N_FROM);
        return parse_from(p, n);
    }
    if (strcmp(s, "autoescape") == 0) {
        NEW(N_BODY);
        return parse_autoescape(p, n, tag);
    }
    if (strcmp(s, "spaceless") == 0) {
        NEW(N_SPACELESS);
        if ((rc = end_of_tag(p)) || (rc = parse_body(p, &n->body, ENDS("endspaceless"), "spaceless", tag))) {
            return rc;
        }
        return close_tag(p, NULL);
    }
    if (strcmp(s, "apply") == 0) {
        NEW(N_APPLY);
        t4__fexpr *base = t4__fexpr_new(p, E_CAPTURED, tag);
        if (!base) {
            return oom(p);
        }
        rc = t4__fp_filter_chain(p, base, &n->e1, false);
        while (!rc && t4__fp_is(p, T4F_PUNCT, "|")) {
            rc = t4__fp_filter_chain(p, n->e1, &n->e1, true);
        }
        if (rc || (rc = end_of_tag(p)) || (rc = parse_body(p, &n->body, ENDS("endapply"), "apply", tag))) {
            return rc;
        }
        return close_tag(p, NULL);
    }
    if (strcmp(s, "with") == 0) {
        NEW(N_WITH);
        if (!t4__fp_is(p, T4F_BLOCK_END, NULL) && !t4__fp_is(p, T4F_NAME, "only") &&
            (rc = t4__fp_expr(p, &n->e1))) {
            return rc;
        }
        if (t4__fp_accept(p, T4F_NAME, "only")) {
            n->flags |= T4F_ONLY;
        }
        if ((rc = end_of_tag(p)) || (rc = parse_body(p, &n->body, ENDS("endwith"), "with", tag))) {
            return rc;
        }
        return close_tag(p, NULL);
    }
    if (strcmp(s, "do") == 0) {
        NEW(N_DO);
        if ((rc = t4__fp_expr(p, &n->e1))) {
            return rc;
        }
        return end_of_tag(p);
    }
#undef NEW
    static const char *const closers[] = {"endif",         "endfor",       "endblock", "endset",  "endmacro",
                                          "endautoescape", "endspaceless", "endapply", "endwith", "else",
                                          "elseif",        "endverbatim",  "endraw",   NULL};
    for (size_t i = 0; closers[i]; i++) {
        if (strcmp(s, closers[i]) == 0) {
            return t4__fp_fail(p, tag, "unexpected '%s' tag", s);
        }
    }
    return t4__fp_fail(p, tag, "unknown tag '%s'", s);
}

/* Nodes until EOF (ends == NULL) or one of the tags in ends; it stops with
 * the cursor on that tag's name. */
static int parse_body(t4__fp *p, t4__fnodes *out, const char *const *ends, const char *opener,
                      const t4__ftok *open_at)
{
    for (;;) {
        t4__ftok *t = t4__fp_tok(p);
        int rc = 0;
        switch (t->type) {
        case T4F_EOF:
            if (ends) {
                return t4__fp_fail(p, t, "unexpected end of template (unclosed '%s' opened at line %d)",
                                   opener, open_at->line);
            }
            return 0;
        case T4F_TEXT: {
            p->i++;
            t4__fnode *n = node_new(p, N_TEXT, t);
            if ((rc = push(p, out, n))) {
                return rc;
            }
            if (!(n->text = t4__fstrndup(t->s, t->n))) {
                return oom(p);
            }
            n->len = t->n;
            break;
        }
        case T4F_VAR_START: {
            p->i++;
            t4__fnode *n = node_new(p, N_PRINT, t);
            if ((rc = push(p, out, n)) || (rc = t4__fp_expr(p, &n->e1)) ||
                (rc = t4__fp_expect(p, T4F_VAR_END, NULL))) {
                return rc;
            }
            break;
        }
        case T4F_BLOCK_START: {
            p->i++;
            t4__ftok *tag = t4__fp_tok(p);
            if (tag->type != T4F_NAME) {
                return t4__fp_fail(p, tag, "a block must start with a tag name");
            }
            for (size_t i = 0; ends && ends[i]; i++) {
                if (strcmp(ends[i], tag->s) == 0) {
                    return 0;
                }
            }
            if ((rc = parse_tag(p, out, tag))) {
                return rc;
            }
            break;
        }
        default:
            return t4__fp_unexpected(p);
        }
    }
}

void t4__ftpl_free(t4__ftpl *t)
{
    if (!t) {
        return;
    }
    t4__fnodes_free(&t->body);
    t4__fexpr_free(t->parent);
    free(t->blocks); /* the nodes belong to the tree */
    for (size_t i = 0; i < t->nmacros; i++) {
        t4__fmacro *m = t->macros[i];
        for (size_t k = 0; k < m->nparams; k++) {
            free(m->params[k]);
            t4__fexpr_free(m->defaults[k]);
        }
        free(m->params);
        free(m->defaults);
        t4__fnodes_free(&m->body);
        free(m->name);
        free(m);
    }
    free(t->macros);
    free(t->name);
    free(t->path);
    free(t);
}

int t4__frond_parse(const char *name, const char *src, size_t len, t4__ftpl **out, char **err)
{
    return t4__frond_parse_max(name, src, len, T4F_MAX_SIZE, T4F_MAX_NODES, out, err);
}

int t4__frond_parse_max(const char *name, const char *src, size_t len, size_t max_size, size_t max_nodes,
                        t4__ftpl **out, char **err)
{
    *out = NULL;
    if (len > max_size) {
        *err = t4__fasprintf("%s:1:1: template too large: %zu bytes, limit %zu (TINA4_TEMPLATE_MAX_SIZE)",
                             name, len, max_size);
        return T4_EINVAL;
    }
    t4__ftpl *tpl = calloc(1, sizeof *tpl);
    if (!tpl || !(tpl->name = strdup(name))) {
        free(tpl);
        return T4_ENOMEM;
    }
    t4__ftoks toks;
    int rc = t4__frond_lex(name, src, len, &toks, err);
    if (rc) {
        t4__ftpl_free(tpl);
        return rc;
    }
    t4__fp p = {.name = name, .t = &toks, .err = err, .tpl = tpl, .esc = ESC_HTML, .max_nodes = max_nodes};
    rc = parse_body(&p, &tpl->body, NULL, NULL, NULL);
    for (size_t i = 0; i < p.nfrom; i++) {
        free(p.from_names[i]);
    }
    free(p.from_names);
    t4__frond_toks_free(&toks);
    if (rc) {
        t4__ftpl_free(tpl);
        return rc;
    }
    *out = tpl;
    return 0;
}
