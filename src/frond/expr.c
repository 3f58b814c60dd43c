/* SPDX-License-Identifier: MIT */
/* FROND expression parser: precedence climbing with Twig's operator table. */
#include "frond/parse.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

t4__ftok *t4__fp_tok(t4__fp *p)
{
    return &p->t->v[p->i < p->t->n ? p->i : p->t->n - 1];
}

static t4__ftok *peek(t4__fp *p, size_t k)
{
    size_t j = p->i + k;
    return &p->t->v[j < p->t->n ? j : p->t->n - 1];
}

bool t4__fp_is(t4__fp *p, t4__ftok_type type, const char *s)
{
    t4__ftok *t = t4__fp_tok(p);
    return t->type == type && (!s || strcmp(t->s, s) == 0);
}

bool t4__fp_accept(t4__fp *p, t4__ftok_type type, const char *s)
{
    if (t4__fp_is(p, type, s)) {
        if (p->i < p->t->n - 1) {
            p->i++;
        }
        return true;
    }
    return false;
}

int t4__fp_fail(t4__fp *p, const t4__ftok *at, const char *fmt, ...)
{
    if (p->over && *p->err) { /* the node limit's error stays */
        return T4_EINVAL;
    }
    if (!at) {
        at = t4__fp_tok(p);
    }
    va_list ap;
    va_start(ap, fmt);
    char *msg = t4__fvasprintf(fmt, ap);
    va_end(ap);
    free(*p->err);
    *p->err = t4__fasprintf("%s:%d:%d: %s", p->name, at->line, at->col, msg ? msg : "error");
    free(msg);
    return T4_EINVAL;
}

int t4__fp_unexpected(t4__fp *p)
{
    t4__ftok *t = t4__fp_tok(p);
    if (t->type == T4F_EOF) {
        return t4__fp_fail(p, t, "unexpected end of template");
    }
    return t4__fp_fail(p, t, "unexpected %s '%s'", t4__ftok_type_name(t->type), t->s);
}

int t4__fp_expect(t4__fp *p, t4__ftok_type type, const char *s)
{
    if (t4__fp_accept(p, type, s)) {
        return 0;
    }
    t4__ftok *t = t4__fp_tok(p);
    if (t->type == T4F_EOF) {
        return t4__fp_fail(p, t, "unexpected end of template");
    }
    return t4__fp_fail(p, t, "unexpected %s '%s' (expected %s%s%s%s)", t4__ftok_type_name(t->type), t->s,
                       t4__ftok_type_name(type), s ? " '" : "", s ? s : "", s ? "'" : "");
}

bool t4__fp_node(t4__fp *p, const t4__ftok *at)
{
    if (++p->nodes <= p->max_nodes) {
        return true;
    }
    if (!p->over) {
        t4__fp_fail(p, at, "template has more than %zu nodes (TINA4_TEMPLATE_MAX_NODES)", p->max_nodes);
        p->over = true;
    }
    return false;
}

int t4__fp_oom(t4__fp *p)
{
    if (p->over) {
        return T4_EINVAL;
    }
    t4__fp_fail(p, NULL, "out of memory");
    return T4_ENOMEM;
}

t4__fexpr *t4__fexpr_new(t4__fp *p, t4__fexpr_kind kind, const t4__ftok *at)
{
    if (!t4__fp_node(p, at)) {
        return NULL;
    }
    t4__fexpr *e = calloc(1, sizeof *e);
    if (e) {
        e->kind = kind;
        e->line = at->line;
        e->col = at->col;
    }
    return e;
}

void t4__fexpr_free(t4__fexpr *e)
{
    if (!e) {
        return;
    }
    json_decref(e->lit);
    free(e->name);
    t4__fexpr_free(e->a);
    t4__fexpr_free(e->b);
    t4__fexpr_free(e->c);
    for (size_t i = 0; i < e->nargs; i++) {
        t4__fexpr_free(e->args[i]);
    }
    free(e->args);
    free(e);
}

static int oom(t4__fp *p)
{
    return t4__fp_oom(p);
}

static int push_arg(t4__fp *p, t4__fexpr *e, t4__fexpr *a)
{
    size_t cap = t4__fp_grow(e->nargs);
    t4__fexpr **v = cap ? realloc(e->args, cap * sizeof *v) : e->args;
    if (!v) {
        t4__fexpr_free(a);
        return oom(p);
    }
    e->args = v;
    e->args[e->nargs++] = a;
    return 0;
}

static int parse_binary(t4__fp *p, int min, t4__fexpr **out);

/* ( args ) -> appended to e->args. Positional only. */
static int parse_args(t4__fp *p, t4__fexpr *e)
{
    int rc = t4__fp_expect(p, T4F_PUNCT, "(");
    while (!rc && !t4__fp_is(p, T4F_PUNCT, ")")) {
        if (e->nargs && (rc = t4__fp_expect(p, T4F_PUNCT, ","))) {
            break;
        }
        if (t4__fp_is(p, T4F_PUNCT, ")")) {
            break;
        }
        if (t4__fp_tok(p)->type == T4F_NAME && peek(p, 1)->type == T4F_PUNCT &&
            strcmp(peek(p, 1)->s, "=") == 0) {
            return t4__fp_fail(p, NULL, "named arguments are not supported");
        }
        t4__fexpr *a;
        if ((rc = t4__fp_expr(p, &a)) || (rc = push_arg(p, e, a))) {
            break;
        }
    }
    return rc ? rc : t4__fp_expect(p, T4F_PUNCT, ")");
}

static int number_lit(t4__fp *p, const t4__ftok *t, t4__fexpr *e)
{
    errno = 0;
    bool real = strpbrk(t->s, ".eE") != NULL; /* a fraction or an exponent */
    long long v = real ? 0 : strtoll(t->s, NULL, 10);
    if (real || errno == ERANGE) {
        double d = strtod(t->s, NULL);
        if (!isfinite(d)) {
            return t4__fp_fail(p, t, "number out of range: %s", t->s);
        }
        e->lit = json_real(d);
    } else {
        e->lit = json_integer(v);
    }
    return e->lit ? 0 : oom(p);
}

static bool is_from_name(t4__fp *p, const char *name)
{
    for (size_t i = 0; i < p->nfrom; i++) {
        if (strcmp(p->from_names[i], name) == 0) {
            return true;
        }
    }
    return false;
}

static int parse_primary(t4__fp *p, t4__fexpr **out);

/* .name  [key]  [a:b]  |filter  .name(args). Each one nests the tree a level
 * deeper, so each counts against the nesting limit (evaluating and freeing
 * the tree recurse). */
static int parse_postfix_ops(t4__fp *p, t4__fexpr **io)
{
    int rc = 0;
    for (;;) {
        t4__ftok *t = t4__fp_tok(p);
        if (p->depth >= T4F_MAX_DEPTH) {
            return t4__fp_fail(p, t, "expression nested too deeply");
        }
        p->depth++;
        if (t->type == T4F_PUNCT && strcmp(t->s, ".") == 0) {
            p->i++;
            t4__ftok *k = t4__fp_tok(p);
            if (k->type != T4F_NAME && k->type != T4F_NUMBER) {
                return t4__fp_unexpected(p);
            }
            p->i++;
            t4__fexpr *e = t4__fexpr_new(p, E_ATTR, t), *key = t4__fexpr_new(p, E_LIT, k);
            if (!e || !key) {
                free(e);
                free(key);
                return oom(p);
            }
            key->lit =
                k->type == T4F_NUMBER ? json_integer(strtoll(k->s, NULL, 10)) : t4__fv_str_new(k->s, k->n);
            e->a = *io;
            e->b = key;
            *io = e;
            if (t4__fp_is(p, T4F_PUNCT, "(")) {
                e->call = true;
                if ((rc = parse_args(p, e))) {
                    return rc;
                }
            }
        } else if (t->type == T4F_PUNCT && strcmp(t->s, "[") == 0) {
            p->i++;
            t4__fexpr *from = NULL, *len = NULL;
            bool slice = false;
            if (!t4__fp_is(p, T4F_PUNCT, ":") && (rc = t4__fp_expr(p, &from))) {
                return rc;
            }
            if (t4__fp_accept(p, T4F_PUNCT, ":")) {
                slice = true;
                if (!t4__fp_is(p, T4F_PUNCT, "]") && (rc = t4__fp_expr(p, &len))) {
                    t4__fexpr_free(from);
                    return rc;
                }
            }
            if ((rc = t4__fp_expect(p, T4F_PUNCT, "]"))) {
                t4__fexpr_free(from);
                t4__fexpr_free(len);
                return rc;
            }
            if (!slice) {
                t4__fexpr *e = t4__fexpr_new(p, E_ATTR, t);
                if (!e) {
                    t4__fexpr_free(from);
                    return oom(p);
                }
                e->a = *io;
                e->b = from;
                *io = e;
                continue;
            }
            /* a[from:len] == a|slice(from, len) */
            t4__fexpr *e = t4__fexpr_new(p, E_FILTER, t);
            t4__fexpr *zero = from ? NULL : t4__fexpr_new(p, E_LIT, t);
            if (!e || (!from && !zero)) {
                free(e);
                free(zero);
                t4__fexpr_free(len);
                return oom(p);
            }
            if (zero) {
                zero->lit = json_integer(0);
                from = zero;
            }
            e->name = strdup("slice");
            e->fn = t4__ffilter_find("slice");
            e->a = *io;
            *io = e;
            if ((rc = push_arg(p, e, from))) {
                t4__fexpr_free(len);
                return rc;
            }
            if (len && (rc = push_arg(p, e, len))) {
                return rc;
            }
        } else if (t->type == T4F_PUNCT && strcmp(t->s, "|") == 0) {
            if ((rc = t4__fp_filter_chain(p, *io, io, true))) {
                return rc;
            }
        } else {
            return 0;
        }
    }
}

static int parse_postfix(t4__fp *p, t4__fexpr **io)
{
    int depth = p->depth;
    int rc = parse_postfix_ops(p, io);
    p->depth = depth;
    return rc;
}

/* One filter (leading_bar: expects '|' first) applied to base; on error base
 * is owned by *out anyway (so callers free *out). */
int t4__fp_filter_chain(t4__fp *p, t4__fexpr *base, t4__fexpr **out, bool leading_bar)
{
    *out = base;
    if (leading_bar && !t4__fp_accept(p, T4F_PUNCT, "|")) {
        return 0;
    }
    t4__ftok *n = t4__fp_tok(p);
    if (n->type != T4F_NAME) {
        return t4__fp_unexpected(p);
    }
    t4__ffn fn = t4__ffilter_find(n->s);
    if (!fn) {
        return t4__fp_fail(p, n, "unknown filter '%s'", n->s);
    }
    p->i++;
    t4__fexpr *e = t4__fexpr_new(p, E_FILTER, n);
    if (!e || !(e->name = strdup(n->s))) {
        free(e);
        return oom(p);
    }
    e->fn = fn;
    e->a = base;
    *out = e;
    if (t4__fp_is(p, T4F_PUNCT, "(")) {
        return parse_args(p, e);
    }
    return 0;
}

static int parse_array(t4__fp *p, t4__fexpr *e, bool map)
{
    const char *close = map ? "}" : "]";
    int rc = 0;
    bool first = true;
    while (!t4__fp_is(p, T4F_PUNCT, close)) {
        if (!first && (rc = t4__fp_expect(p, T4F_PUNCT, ","))) {
            return rc;
        }
        first = false;
        if (t4__fp_is(p, T4F_PUNCT, close)) {
            break; /* trailing comma */
        }
        t4__fexpr *v;
        if (map) {
            t4__ftok *k = t4__fp_tok(p);
            t4__fexpr *key;
            if (k->type == T4F_NAME || k->type == T4F_STRING || k->type == T4F_NUMBER) {
                key = t4__fexpr_new(p, E_LIT, k);
                if (!key) {
                    return oom(p);
                }
                key->lit = k->type == T4F_NUMBER ? json_integer(strtoll(k->s, NULL, 10))
                                                 : t4__fv_str_new(k->s, k->n);
                p->i++;
            } else if (k->type == T4F_PUNCT && strcmp(k->s, "(") == 0) {
                if ((rc = t4__fp_expr(p, &key))) {
                    return rc;
                }
            } else {
                return t4__fp_unexpected(p);
            }
            if ((rc = push_arg(p, e, key))) {
                return rc;
            }
            if (!t4__fp_is(p, T4F_PUNCT, ":") && k->type == T4F_NAME) {
                /* {name} shorthand */
                v = t4__fexpr_new(p, E_NAME, k);
                if (!v || !(v->name = strdup(k->s))) {
                    free(v);
                    return oom(p);
                }
                if ((rc = push_arg(p, e, v))) {
                    return rc;
                }
                continue;
            }
            if ((rc = t4__fp_expect(p, T4F_PUNCT, ":"))) {
                return rc;
            }
        }
        if ((rc = t4__fp_expr(p, &v)) || (rc = push_arg(p, e, v))) {
            return rc;
        }
    }
    p->i++;
    return 0;
}

static int parse_primary(t4__fp *p, t4__fexpr **out)
{
    t4__ftok *t = t4__fp_tok(p);
    t4__fexpr *e = NULL;
    int rc = 0;
    *out = NULL;
    if (p->depth >= T4F_MAX_DEPTH) {
        return t4__fp_fail(p, t, "expression nested too deeply");
    }
    if (t->type == T4F_NAME && strcmp(t->s, "not") == 0) {
        p->i++;
        e = t4__fexpr_new(p, E_UN, t);
        if (!e) {
            return oom(p);
        }
        e->op = OP_NOT;
        p->depth++;
        rc = parse_binary(p, 50, &e->a);
        p->depth--;
        *out = e;
        return rc;
    }
    if (t->type == T4F_OP && (strcmp(t->s, "-") == 0 || strcmp(t->s, "+") == 0)) {
        p->i++;
        e = t4__fexpr_new(p, E_UN, t);
        if (!e) {
            return oom(p);
        }
        e->op = t->s[0] == '-' ? OP_NEG : OP_POS;
        p->depth++;
        rc = parse_binary(p, 200, &e->a);
        p->depth--;
        *out = e;
        return rc;
    }
    switch (t->type) {
    case T4F_NUMBER:
        e = t4__fexpr_new(p, E_LIT, t);
        if (!e) {
            return oom(p);
        }
        p->i++;
        rc = number_lit(p, t, e);
        break;
    case T4F_STRING:
        e = t4__fexpr_new(p, E_LIT, t);
        if (!e || !(e->lit = t4__fv_str_new(t->s, t->n))) {
            free(e);
            return oom(p);
        }
        p->i++;
        break;
    case T4F_NAME: {
        p->i++;
        const char *s = t->s;
        if (!strcasecmp(s, "true") || !strcasecmp(s, "false") || !strcasecmp(s, "null") ||
            !strcasecmp(s, "none")) {
            e = t4__fexpr_new(p, E_LIT, t);
            if (!e) {
                return oom(p);
            }
            e->lit = !strcasecmp(s, "true")    ? json_true()
                     : !strcasecmp(s, "false") ? json_false()
                                               : json_null();
            break;
        }
        if (t4__fp_is(p, T4F_PUNCT, "(")) {
            t4__ffn fn = NULL;
            t4__fexpr_kind kind = E_FUNC;
            if (is_from_name(p, s)) {
                kind = E_MACRO;
            } else if (!(fn = t4__ffunc_find(s))) {
                return t4__fp_fail(p, t, "unknown function '%s'", s);
            }
            e = t4__fexpr_new(p, kind, t);
            if (!e || !(e->name = strdup(s))) {
                free(e);
                return oom(p);
            }
            e->fn = fn;
            rc = parse_args(p, e);
            break;
        }
        e = t4__fexpr_new(p, E_NAME, t);
        if (!e || !(e->name = strdup(s))) {
            free(e);
            return oom(p);
        }
        break;
    }
    case T4F_PUNCT:
        if (strcmp(t->s, "(") == 0) {
            p->i++;
            if ((rc = t4__fp_expr(p, &e)) == 0) {
                rc = t4__fp_expect(p, T4F_PUNCT, ")");
            }
            break;
        }
        if (strcmp(t->s, "[") == 0 || strcmp(t->s, "{") == 0) {
            p->i++;
            bool map = t->s[0] == '{';
            e = t4__fexpr_new(p, map ? E_MAP : E_ARRAY, t);
            if (!e) {
                return oom(p);
            }
            rc = parse_array(p, e, map);
            break;
        }
        return t4__fp_unexpected(p);
    default:
        return t4__fp_unexpected(p);
    }
    *out = e;
    if (rc) {
        return rc;
    }
    return parse_postfix(p, out);
}

/* The binary operator at the cursor: op, precedence, right-assoc, tokens. */
static int binop(t4__fp *p, int *prec, bool *right, int *ntok)
{
    t4__ftok *t = t4__fp_tok(p);
    *right = false;
    *ntok = 1;
    if (t->type == T4F_OP) {
        static const struct {
            const char *s;
            int op, prec;
        } tab[] = {
            {"==", OP_EQ, 20},        {"!=", OP_NE, 20},   {"<=>", OP_CMP, 20},  {"<", OP_LT, 20},
            {">", OP_GT, 20},         {"<=", OP_LE, 20},   {">=", OP_GE, 20},    {"..", OP_RANGE, 25},
            {"+", OP_ADD, 30},        {"-", OP_SUB, 30},   {"~", OP_CONCAT, 40}, {"*", OP_MUL, 60},
            {"/", OP_DIV, 60},        {"//", OP_FDIV, 60}, {"%", OP_MOD, 60},    {"**", OP_POW, 200},
            {"??", OP_COALESCE, 300},
        };
        for (size_t i = 0; i < sizeof tab / sizeof *tab; i++) {
            if (strcmp(t->s, tab[i].s) == 0) {
                *prec = tab[i].prec;
                *right = tab[i].op == OP_POW || tab[i].op == OP_COALESCE;
                return tab[i].op;
            }
        }
        return 0;
    }
    if (t->type != T4F_NAME) {
        return 0;
    }
    t4__ftok *n = peek(p, 1);
    if (strcmp(t->s, "or") == 0) {
        *prec = 10;
        return OP_OR;
    }
    if (strcmp(t->s, "and") == 0) {
        *prec = 15;
        return OP_AND;
    }
    if (strcmp(t->s, "in") == 0) {
        *prec = 20;
        return OP_IN;
    }
    if (strcmp(t->s, "not") == 0 && n->type == T4F_NAME && strcmp(n->s, "in") == 0) {
        *prec = 20;
        *ntok = 2;
        return OP_NOTIN;
    }
    if (strcmp(t->s, "starts") == 0 && n->type == T4F_NAME && strcmp(n->s, "with") == 0) {
        *prec = 20;
        *ntok = 2;
        return OP_STARTS;
    }
    if (strcmp(t->s, "ends") == 0 && n->type == T4F_NAME && strcmp(n->s, "with") == 0) {
        *prec = 20;
        *ntok = 2;
        return OP_ENDS;
    }
    if (strcmp(t->s, "is") == 0) {
        *prec = 100;
        return -1;
    }
    return 0;
}

static int parse_test(t4__fp *p, t4__fexpr **io)
{
    t4__ftok *is = t4__fp_tok(p);
    p->i++;
    bool neg = t4__fp_accept(p, T4F_NAME, "not");
    t4__ftok *n = t4__fp_tok(p);
    if (n->type != T4F_NAME) {
        return t4__fp_unexpected(p);
    }
    char name[64];
    snprintf(name, sizeof name, "%s", n->s);
    p->i++;
    if ((strcmp(name, "divisible") == 0 && t4__fp_is(p, T4F_NAME, "by")) ||
        (strcmp(name, "same") == 0 && t4__fp_is(p, T4F_NAME, "as"))) {
        snprintf(name, sizeof name, "%s %s", n->s, t4__fp_tok(p)->s);
        p->i++;
    }
    t4__ffn fn = t4__ftest_find(name);
    if (!fn) {
        return t4__fp_fail(p, n, "unknown test '%s'", name);
    }
    t4__fexpr *e = t4__fexpr_new(p, E_TEST, n);
    if (!e || !(e->name = strdup(name))) {
        free(e);
        return oom(p);
    }
    e->fn = fn;
    e->a = *io;
    *io = e;
    int rc = 0;
    if (t4__fp_is(p, T4F_PUNCT, "(") && (rc = parse_args(p, e))) {
        return rc;
    }
    if (neg) {
        t4__fexpr *u = t4__fexpr_new(p, E_UN, is);
        if (!u) {
            return oom(p);
        }
        u->op = OP_NOT;
        u->a = *io;
        *io = u;
    }
    return 0;
}

static int parse_binary(t4__fp *p, int min, t4__fexpr **out)
{
    int depth = p->depth; /* each operator nests the tree a level deeper */
    int rc = parse_primary(p, out);
    while (!rc) {
        int prec, ntok;
        bool right;
        t4__ftok *at = t4__fp_tok(p);
        int op = binop(p, &prec, &right, &ntok);
        if (!op || prec < min) {
            break;
        }
        if (p->depth >= T4F_MAX_DEPTH) {
            rc = t4__fp_fail(p, at, "expression nested too deeply");
            break;
        }
        p->depth++;
        if (op == -1) {
            rc = parse_test(p, out);
            continue;
        }
        p->i += (size_t)ntok;
        t4__fexpr *e = t4__fexpr_new(p, E_BIN, at);
        if (!e) {
            rc = oom(p);
            break;
        }
        e->op = op;
        e->a = *out;
        *out = e;
        rc = parse_binary(p, right ? prec : prec + 1, &e->b);
    }
    p->depth = depth;
    return rc;
}

int t4__fp_expr(t4__fp *p, t4__fexpr **out)
{
    *out = NULL;
    if (p->depth >= T4F_MAX_DEPTH) {
        return t4__fp_fail(p, NULL, "expression nested too deeply");
    }
    int depth = p->depth;
    p->depth++;
    int rc = parse_binary(p, 0, out);
    while (!rc && t4__fp_is(p, T4F_PUNCT, "?")) {
        t4__ftok *q = t4__fp_tok(p);
        if (p->depth >= T4F_MAX_DEPTH) {
            rc = t4__fp_fail(p, q, "expression nested too deeply");
            break;
        }
        p->depth++;
        p->i++;
        t4__fexpr *e = t4__fexpr_new(p, E_COND, q);
        if (!e) {
            rc = oom(p);
            break;
        }
        e->a = *out;
        *out = e;
        if (t4__fp_accept(p, T4F_PUNCT, ":")) { /* a ?: b */
            rc = t4__fp_expr(p, &e->c);
            continue;
        }
        if ((rc = t4__fp_expr(p, &e->b))) {
            break;
        }
        if (t4__fp_accept(p, T4F_PUNCT, ":")) {
            rc = t4__fp_expr(p, &e->c);
        } else {
            e->c = t4__fexpr_new(p, E_LIT, q);
            if (!e->c) {
                rc = oom(p);
            } else {
                e->c->lit = json_string("");
            }
        }
    }
    p->depth = depth;
    if (rc) {
        t4__fexpr_free(*out);
        *out = NULL;
    }
    return rc;
}
