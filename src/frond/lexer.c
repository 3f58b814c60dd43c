/* SPDX-License-Identifier: MIT */
/* FROND lexer: template source -> tokens (text, tag delimiters, expression
 * tokens). Handles comments, whitespace control ({{- -}} {{~ ~}}), the
 * newline eaten after a block or comment tag, {% verbatim %} / {% raw %} and
 * "#{...}" interpolation in double-quoted strings. */
#include "frond/internal.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    const char *name;
    const char *s;
    size_t n, i;
    size_t tpos, line_start; /* position tracking (monotonic) */
    int line;
    int depth;
    t4__ftoks *out;
    char **err;
} L;

enum { CLOSE_VAR, CLOSE_BLOCK, CLOSE_INTERP };

static void where(L *l, size_t at, int *line, int *col)
{
    if (at < l->tpos) { /* rare: rescan from the start */
        l->tpos = 0;
        l->line = 1;
        l->line_start = 0;
    }
    for (; l->tpos < at && l->tpos < l->n; l->tpos++) {
        if (l->s[l->tpos] == '\n') {
            l->line++;
            l->line_start = l->tpos + 1;
        }
    }
    *line = l->line;
    *col = (int)(at - l->line_start) + 1;
}

static int fail(L *l, size_t at, const char *msg, const char *arg)
{
    int line, col;
    where(l, at, &line, &col);
    free(*l->err);
    *l->err = t4__fasprintf("%s:%d:%d: %s%s", l->name, line, col, msg, arg ? arg : "");
    return T4_EINVAL;
}

/* Appends a token. Its string goes to the shared text buffer (not one
 * malloc per token: a million small tokens would cost 32+ bytes each);
 * t->s is set once the buffer stops moving (finish()). */
static int emit(L *l, t4__ftok_type type, const char *s, size_t n, size_t at)
{
    t4__ftoks *o = l->out;
    if (o->n == o->cap) {
        size_t cap = o->cap ? o->cap * 2 : 64;
        t4__ftok *v = realloc(o->v, cap * sizeof *v);
        if (!v) {
            return T4_ENOMEM;
        }
        o->v = v;
        o->cap = cap;
    }
    if (n + 1 > o->tcap - o->tn) {
        size_t cap = o->tcap ? o->tcap : l->n / 2 + 64;
        while (n + 1 > cap - o->tn) {
            cap *= 2;
        }
        char *t = realloc(o->text, cap);
        if (!t) {
            return T4_ENOMEM;
        }
        o->text = t;
        o->tcap = cap;
    }
    if (n) {
        memcpy(o->text + o->tn, s, n);
    }
    o->text[o->tn + n] = '\0';
    o->tn += n + 1;
    t4__ftok *t = &o->v[o->n];
    t->type = type;
    t->s = NULL;
    t->n = n;
    where(l, at, &t->line, &t->col);
    o->n++;
    return 0;
}

/* Points every token at its string: they are in token order. */
static void finish(t4__ftoks *o)
{
    size_t off = 0;
    for (size_t i = 0; i < o->n; i++) {
        o->v[i].s = o->text + off;
        off += o->v[i].n + 1;
    }
}

static bool is_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\0' || c == '\f';
}

static bool is_blank(char c) /* what ~ trims */
{
    return c == ' ' || c == '\t' || c == '\0' || c == '\v';
}

static bool name_start(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (unsigned char)c >= 0x80;
}

static bool name_char(char c)
{
    return name_start(c) || (c >= '0' && c <= '9');
}

/* After a closing delimiter at l->i: apply '-'/'~' or eat one newline. */
static void after_close(L *l, char mod, bool eat_newline)
{
    if (mod == '-') {
        while (l->i < l->n && is_ws(l->s[l->i])) {
            l->i++;
        }
    } else if (mod == '~') {
        while (l->i < l->n && is_blank(l->s[l->i])) {
            l->i++;
        }
    } else if (eat_newline && l->i < l->n && l->s[l->i] == '\n') {
        l->i++;
    }
}

static int lex_string(L *l);

/* Expression tokens up to the closing delimiter of `mode`. */
static int lex_expr(L *l, int mode, size_t open_at)
{
    int depth = 0;
    static const char *const ops[] = {"<=>", "**", "//", "==", "!=", "<=", ">=", "..", "??",
                                      "<",   ">",  "+",  "-",  "~",  "*",  "/",  "%"};
    for (;;) {
        while (l->i < l->n && is_ws(l->s[l->i])) {
            l->i++;
        }
        if (l->i >= l->n) {
            return fail(l, open_at,
                        mode == CLOSE_VAR     ? "unclosed variable tag"
                        : mode == CLOSE_BLOCK ? "unclosed block tag"
                                              : "unclosed string interpolation",
                        NULL);
        }
        const char *p = l->s + l->i;
        size_t rest = l->n - l->i;
        if (depth == 0) {
            if (mode == CLOSE_INTERP && p[0] == '}') {
                l->i++;
                return 0;
            }
            const char *close = mode == CLOSE_VAR ? "}}" : "%}";
            if (mode != CLOSE_INTERP) {
                char mod = 0;
                size_t k = 0;
                if ((p[0] == '-' || p[0] == '~') && rest >= 3 && memcmp(p + 1, close, 2) == 0) {
                    mod = p[0];
                    k = 1;
                }
                if (rest >= k + 2 && memcmp(p + k, close, 2) == 0) {
                    int rc = emit(l, mode == CLOSE_VAR ? T4F_VAR_END : T4F_BLOCK_END, close, 2, l->i);
                    if (rc) {
                        return rc;
                    }
                    l->i += k + 2;
                    after_close(l, mod, mode == CLOSE_BLOCK);
                    return 0;
                }
            }
        }
        char c = p[0];
        int rc;
        if (name_start(c)) {
            size_t k = 1;
            while (k < rest && name_char(p[k])) {
                k++;
            }
            rc = emit(l, T4F_NAME, p, k, l->i);
            l->i += k;
        } else if (c >= '0' && c <= '9') {
            size_t k = 1;
            while (k < rest && p[k] >= '0' && p[k] <= '9') {
                k++;
            }
            if (k + 1 < rest && p[k] == '.' && p[k + 1] >= '0' && p[k + 1] <= '9') {
                k++;
                while (k < rest && p[k] >= '0' && p[k] <= '9') {
                    k++;
                }
            }
            /* An exponent, as Twig writes it (1.5e+3, 2E-4; 1e3 too). */
            if (k < rest && (p[k] == 'e' || p[k] == 'E')) {
                size_t d = k + 1 < rest && (p[k + 1] == '+' || p[k + 1] == '-') ? k + 2 : k + 1;
                if (d < rest && p[d] >= '0' && p[d] <= '9') {
                    k = d;
                    while (k < rest && p[k] >= '0' && p[k] <= '9') {
                        k++;
                    }
                }
            }
            rc = emit(l, T4F_NUMBER, p, k, l->i);
            l->i += k;
        } else if (c == '"' || c == '\'') {
            rc = lex_string(l);
        } else {
            size_t k = 0;
            for (size_t o = 0; o < sizeof ops / sizeof *ops; o++) {
                size_t ol = strlen(ops[o]);
                if (rest >= ol && memcmp(p, ops[o], ol) == 0) {
                    k = ol;
                    break;
                }
            }
            if (k) {
                rc = emit(l, T4F_OP, p, k, l->i);
                l->i += k;
            } else if (strchr("()[]{}?:.,|=", c)) {
                if (c == '(' || c == '[' || c == '{') {
                    depth++;
                } else if (c == ')' || c == ']' || c == '}') {
                    if (depth == 0) {
                        char s[4] = {'\'', c, '\'', 0};
                        return fail(l, l->i, "unexpected character ", s);
                    }
                    depth--;
                }
                rc = emit(l, T4F_PUNCT, p, 1, l->i);
                l->i++;
            } else {
                char s[4] = {'\'', c, '\'', 0};
                return fail(l, l->i, "unexpected character ", s);
            }
        }
        if (rc) {
            return rc;
        }
    }
}

/* A string literal at l->i. Double-quoted strings with #{...} become
 * ( "part" ~ (expr) ~ "part" ). */
static int lex_string(L *l)
{
    size_t start = l->i;
    char q = l->s[l->i++];
    t4__fbuf b = {0};
    bool interp = false;
    int rc = 0;
    /* does it interpolate? */
    if (q == '"') {
        for (size_t k = l->i; k < l->n && l->s[k] != '"'; k++) {
            if (l->s[k] == '\\') {
                k++;
            } else if (l->s[k] == '#' && k + 1 < l->n && l->s[k + 1] == '{') {
                interp = true;
                break;
            }
        }
    }
    if (interp && (rc = emit(l, T4F_PUNCT, "(", 1, start))) {
        return rc;
    }
    size_t part_at = start;
    bool first = true;
    for (;;) {
        if (l->i >= l->n) {
            t4__fbuf_free(&b);
            return fail(l, start, "unclosed string", NULL);
        }
        char c = l->s[l->i];
        if (c == q) {
            l->i++;
            break;
        }
        if (c == '\\' && l->i + 1 < l->n) {
            char e = l->s[l->i + 1];
            l->i += 2;
            switch (e) {
            case 'n':
                t4__fbuf_putc(&b, '\n');
                break;
            case 't':
                t4__fbuf_putc(&b, '\t');
                break;
            case 'r':
                t4__fbuf_putc(&b, '\r');
                break;
            case 'v':
                t4__fbuf_putc(&b, '\v');
                break;
            case 'f':
                t4__fbuf_putc(&b, '\f');
                break;
            case 'e':
                t4__fbuf_putc(&b, 27);
                break;
            case 'a':
                t4__fbuf_putc(&b, 7);
                break;
            case 'b':
                t4__fbuf_putc(&b, 8);
                break;
            case 'x': {
                int v = 0, k = 0;
                while (k < 2 && l->i < l->n && strchr("0123456789abcdefABCDEF", l->s[l->i]) && l->s[l->i]) {
                    char h = l->s[l->i++];
                    v = v * 16 + (h <= '9' ? h - '0' : (h | 32) - 'a' + 10);
                    k++;
                }
                t4__fbuf_putc(&b, k ? (char)v : 'x');
                break;
            }
            default:
                if (e >= '0' && e <= '7') {
                    int v = e - '0', k = 1;
                    while (k < 3 && l->i < l->n && l->s[l->i] >= '0' && l->s[l->i] <= '7') {
                        v = v * 8 + (l->s[l->i++] - '0');
                        k++;
                    }
                    t4__fbuf_putc(&b, (char)v);
                } else {
                    t4__fbuf_putc(&b, e);
                }
                break;
            }
            continue;
        }
        if (interp && c == '#' && l->i + 1 < l->n && l->s[l->i + 1] == '{') {
            if (!first && (rc = emit(l, T4F_OP, "~", 1, l->i))) {
                break;
            }
            if ((rc = emit(l, T4F_STRING, b.p, b.n, part_at)) || (rc = emit(l, T4F_OP, "~", 1, l->i)) ||
                (rc = emit(l, T4F_PUNCT, "(", 1, l->i))) {
                break;
            }
            t4__fbuf_free(&b);
            size_t open = l->i;
            l->i += 2;
            if (l->depth >= T4F_MAX_DEPTH) {
                rc = fail(l, open, "string interpolation nested too deeply", NULL);
                break;
            }
            l->depth++;
            rc = lex_expr(l, CLOSE_INTERP, open);
            l->depth--;
            if (rc || (rc = emit(l, T4F_PUNCT, ")", 1, l->i - 1))) {
                break;
            }
            first = false;
            part_at = l->i;
            continue;
        }
        t4__fbuf_putc(&b, c);
        l->i++;
    }
    if (!rc && !first) {
        rc = emit(l, T4F_OP, "~", 1, part_at);
    }
    if (!rc) {
        rc = emit(l, T4F_STRING, b.p, b.n, part_at);
    }
    if (!rc && interp) {
        rc = emit(l, T4F_PUNCT, ")", 1, l->i - 1);
    }
    t4__fbuf_free(&b);
    return b.oom ? T4_ENOMEM : rc;
}

/* {% raw %} / {% verbatim %} at p (which points at "{%"): returns the
 * length of the opening tag, or 0. *mod receives its closing modifier. */
static size_t raw_open(const char *p, size_t rest, const char **word, char *mod)
{
    size_t k = 2;
    if (k < rest && (p[k] == '-' || p[k] == '~')) {
        k++;
    }
    while (k < rest && is_ws(p[k])) {
        k++;
    }
    static const char *const words[] = {"verbatim", "raw"};
    for (int w = 0; w < 2; w++) {
        size_t wl = strlen(words[w]);
        if (rest - k >= wl && memcmp(p + k, words[w], wl) == 0 && (k + wl >= rest || !name_char(p[k + wl]))) {
            size_t j = k + wl;
            while (j < rest && is_ws(p[j])) {
                j++;
            }
            *mod = 0;
            if (j < rest && (p[j] == '-' || p[j] == '~')) {
                *mod = p[j];
                j++;
            }
            if (rest - j >= 2 && p[j] == '%' && p[j + 1] == '}') {
                *word = words[w];
                return j + 2;
            }
        }
    }
    return 0;
}

static void rtrim(const char *s, size_t *n, char mod)
{
    while (*n > 0 && (mod == '-' ? is_ws(s[*n - 1]) : is_blank(s[*n - 1]))) {
        (*n)--;
    }
}

static int lex_raw(L *l, size_t open_len, const char *word, char open_mod)
{
    size_t tag_at = l->i;
    l->i += open_len;
    after_close(l, open_mod, true);
    size_t body = l->i;
    char endword[16];
    snprintf(endword, sizeof endword, "end%s", word);
    size_t el = strlen(endword);
    for (size_t k = body; k + 1 < l->n; k++) {
        if (l->s[k] != '{' || l->s[k + 1] != '%') {
            continue;
        }
        size_t j = k + 2;
        char pre = 0;
        if (j < l->n && (l->s[j] == '-' || l->s[j] == '~')) {
            pre = l->s[j++];
        }
        while (j < l->n && is_ws(l->s[j])) {
            j++;
        }
        if (l->n - j < el || memcmp(l->s + j, endword, el) != 0) {
            continue;
        }
        j += el;
        while (j < l->n && is_ws(l->s[j])) {
            j++;
        }
        char post = 0;
        if (j < l->n && (l->s[j] == '-' || l->s[j] == '~')) {
            post = l->s[j++];
        }
        if (l->n - j < 2 || l->s[j] != '%' || l->s[j + 1] != '}') {
            continue;
        }
        size_t len = k - body;
        if (pre) {
            rtrim(l->s + body, &len, pre);
        }
        int rc = len ? emit(l, T4F_TEXT, l->s + body, len, body) : 0;
        if (rc) {
            return rc;
        }
        l->i = j + 2;
        after_close(l, post, true);
        return 0;
    }
    return fail(l, tag_at, "unclosed ", word);
}

int t4__frond_lex(const char *name, const char *src, size_t len, t4__ftoks *out, char **err)
{
    L l = {.name = name, .s = src, .n = len, .line = 1, .out = out, .err = err};
    memset(out, 0, sizeof *out);
    int rc = 0;
    while (!rc && l.i < l.n) {
        const char *p = l.s + l.i;
        size_t rest = l.n - l.i, j = 0;
        while (j + 1 < rest && !(p[j] == '{' && (p[j + 1] == '{' || p[j + 1] == '%' || p[j + 1] == '#'))) {
            j++;
        }
        if (j + 1 >= rest) {
            rc = emit(&l, T4F_TEXT, p, rest, l.i);
            l.i = l.n;
            break;
        }
        char kind = p[j + 1];
        char mod = (j + 2 < rest && (p[j + 2] == '-' || p[j + 2] == '~')) ? p[j + 2] : 0;
        size_t tn = j;
        if (mod) {
            rtrim(p, &tn, mod);
        }
        if (tn && (rc = emit(&l, T4F_TEXT, p, tn, l.i))) {
            break;
        }
        size_t at = l.i + j;
        l.i = at;
        if (kind == '#') {
            size_t k = at + 2;
            while (k + 1 < l.n && !(l.s[k] == '#' && l.s[k + 1] == '}')) {
                k++;
            }
            if (k + 1 >= l.n) {
                rc = fail(&l, at, "unclosed comment", NULL);
                break;
            }
            char cm = (k > at + 2 && (l.s[k - 1] == '-' || l.s[k - 1] == '~')) ? l.s[k - 1] : 0;
            l.i = k + 2;
            after_close(&l, cm, true);
            continue;
        }
        if (kind == '%') {
            const char *word;
            char rmod;
            size_t ol = raw_open(l.s + at, l.n - at, &word, &rmod);
            if (ol) {
                rc = lex_raw(&l, ol, word, rmod);
                continue;
            }
            if ((rc = emit(&l, T4F_BLOCK_START, "{%", 2, at))) {
                break;
            }
            l.i = at + 2 + (mod ? 1 : 0);
            rc = lex_expr(&l, CLOSE_BLOCK, at);
            continue;
        }
        if ((rc = emit(&l, T4F_VAR_START, "{{", 2, at))) {
            break;
        }
        l.i = at + 2 + (mod ? 1 : 0);
        rc = lex_expr(&l, CLOSE_VAR, at);
    }
    if (!rc) {
        rc = emit(&l, T4F_EOF, "", 0, l.n);
    }
    if (!rc) {
        finish(out);
    }
    if (rc) {
        if (rc == T4_ENOMEM && !*err) {
            *err = t4__fasprintf("%s: out of memory", name);
        }
        t4__frond_toks_free(out);
    }
    return rc;
}

void t4__frond_toks_free(t4__ftoks *t)
{
    free(t->text);
    free(t->v);
    memset(t, 0, sizeof *t);
}

const char *t4__ftok_type_name(t4__ftok_type t)
{
    static const char *const names[] = {"text",           "{{",     "}}",     "{%",       "%}",
                                        "name",           "number", "string", "operator", "punctuation",
                                        "end of template"};
    return (unsigned)t < sizeof names / sizeof *names ? names[t] : "?";
}
