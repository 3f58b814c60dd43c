/* SPDX-License-Identifier: MIT */
/* Internal types of the FROND template engine (shared by its files only). */
#ifndef T4_FROND_INTERNAL_H
#define T4_FROND_INTERNAL_H

#include "frond/frond.h"
#include "tina4.h"
#include <jansson.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

/* ---- growable string buffer (buf.c) ---- */
typedef struct {
    char *p;
    size_t n, cap;
    bool oom; /* out of memory, or past T4F_MAX_STRING */
} t4__fbuf;

/* Limits that keep the work of one render bounded, whatever the template:
 * errors "name:line:col: ..." instead of endless loops or memory blow-up. */
#define T4F_MAX_DEPTH  200          /* nesting of tags, expressions, includes, macro calls */
#define T4F_MAX_ITEMS  1000000      /* items of a range() or an array built by a filter */
#define T4F_MAX_STRING (32u << 20)  /* bytes of one string (the output included) */
#define T4F_MAX_STEPS  1000000      /* loop iterations, macro calls and includes of a render */
#define T4F_MAX_BYTES  (256u << 20) /* bytes of all strings built during a render */
/* (t4__frond_set_limits() can lower the last two.) */
/* Defaults of the per-template limits TINA4_TEMPLATE_MAX_SIZE and
 * TINA4_TEMPLATE_MAX_NODES (t4__frond_set_template_limits()). */
#define T4F_MAX_SIZE  (1u << 20) /* bytes of one template's source */
#define T4F_MAX_NODES 100000     /* nodes of one template's tree */

void t4__fbuf_put(t4__fbuf *b, const char *s, size_t n);
void t4__fbuf_fill(t4__fbuf *b, char c, size_t n); /* n copies of c */
void t4__fbuf_puts(t4__fbuf *b, const char *s);
void t4__fbuf_putc(t4__fbuf *b, char c);
void t4__fbuf_printf(t4__fbuf *b, const char *fmt, ...) T4__PRINTF(2, 3);
char *t4__fbuf_take(t4__fbuf *b); /* NUL-terminated, malloc'd; resets b */
void t4__fbuf_free(t4__fbuf *b);
char *t4__fstrndup(const char *s, size_t n);
char *t4__fasprintf(const char *fmt, ...) T4__PRINTF(1, 2);
char *t4__fvasprintf(const char *fmt, va_list ap);
/* The string budget of the render running on this thread (at most
 * T4F_MAX_BYTES, counted by every buffer between start and stop).
 * t4__fbuf_limit() tells which limit last made a buffer fail (0: none, else
 * T4F_LIMIT_STRING or T4F_LIMIT_BYTES, *max its size) and clears it. */
enum { T4F_LIMIT_STRING = 1, T4F_LIMIT_BYTES = 2 };
void t4__fbuf_budget_start(size_t max_bytes);
void t4__fbuf_budget_stop(void);
int t4__fbuf_limit(size_t *max);

/* ---- UTF-8 helpers (utf8.c) ---- */
size_t t4__futf8_len(const char *s, size_t n);                  /* code points */
size_t t4__futf8_decode(const char *s, size_t n, unsigned *cp); /* bytes used, >= 1 */
void t4__futf8_put(t4__fbuf *b, unsigned cp);
unsigned t4__futf8_lower(unsigned cp);
unsigned t4__futf8_upper(unsigned cp);
size_t t4__futf8_offset(const char *s, size_t n, size_t chars); /* byte offset of char index */

/* ---- tokens (lexer.c) ---- */
typedef enum {
    T4F_TEXT,
    T4F_VAR_START,
    T4F_VAR_END,
    T4F_BLOCK_START,
    T4F_BLOCK_END,
    T4F_NAME,
    T4F_NUMBER,
    T4F_STRING,
    T4F_OP,
    T4F_PUNCT,
    T4F_EOF,
} t4__ftok_type;

typedef struct {
    t4__ftok_type type;
    char *s; /* NUL-terminated, in t4__ftoks.text; strings are unescaped */
    size_t n;
    int line, col;
} t4__ftok;

typedef struct {
    t4__ftok *v;
    size_t n, cap;
    char *text; /* every token's string, one after another: one allocation */
    size_t tn, tcap;
} t4__ftoks;

/* Tokenize src. Returns 0, or T4_EINVAL with *err = "name:line:col: msg". */
int t4__frond_lex(const char *name, const char *src, size_t len, t4__ftoks *out, char **err);
void t4__frond_toks_free(t4__ftoks *t);
const char *t4__ftok_type_name(t4__ftok_type t);

/* ---- syntax tree (parser.c, expr.c) ---- */
typedef enum {
    E_LIT,
    E_NAME,
    E_ARRAY,
    E_MAP,
    E_ATTR,
    E_BIN,
    E_UN,
    E_COND,
    E_FILTER,
    E_TEST,
    E_FUNC,
    E_MACRO,    /* call of a macro imported with `from` */
    E_CAPTURED, /* the body captured by {% apply %} */
} t4__fexpr_kind;

typedef enum {
    OP_OR = 1,
    OP_AND,
    OP_EQ,
    OP_NE,
    OP_LT,
    OP_GT,
    OP_LE,
    OP_GE,
    OP_CMP,
    OP_IN,
    OP_NOTIN,
    OP_STARTS,
    OP_ENDS,
    OP_RANGE,
    OP_ADD,
    OP_SUB,
    OP_CONCAT,
    OP_MUL,
    OP_DIV,
    OP_FDIV,
    OP_MOD,
    OP_POW,
    OP_COALESCE,
    OP_NOT,
    OP_NEG,
    OP_POS,
} t4__fop;

typedef enum { ESC_NONE, ESC_HTML, ESC_JS, ESC_URL, ESC_CSS, ESC_ATTR } t4__fesc;

struct t4__frs;
typedef struct t4__fexpr t4__fexpr;

/* A filter/test/function. in: the input (NULL for functions). Returns 0 or
 * T4_EINVAL/T4_ENOMEM after setting the error with t4__frs_error(). *out
 * receives a new reference. */
typedef int (*t4__ffn)(struct t4__frs *st, const t4__fexpr *e, json_t *in, json_t **args, size_t nargs,
                       json_t **out, unsigned *out_flags);

struct t4__fexpr {
    t4__fexpr_kind kind;
    int op;
    int line, col;
    json_t *lit; /* E_LIT */
    char *name;  /* E_NAME, E_FILTER, E_TEST, E_FUNC, E_MACRO */
    t4__fexpr *a, *b, *c;
    t4__fexpr **args; /* E_ARRAY items, E_MAP key/value pairs, call arguments */
    size_t nargs;
    bool call;  /* E_ATTR: obj.name(args) */
    t4__ffn fn; /* resolved filter/test/function */
};

typedef enum {
    N_TEXT,
    N_PRINT,
    N_IF,
    N_FOR,
    N_SET,
    N_SETBLOCK,
    N_BLOCK,
    N_INCLUDE,
    N_IMPORT,
    N_FROM,
    N_SPACELESS,
    N_APPLY,
    N_WITH,
    N_DO,
    N_BODY, /* a plain list (autoescape) */
} t4__fnode_kind;

typedef struct t4__fnode t4__fnode;
typedef struct {
    t4__fnode **v;
    size_t n, cap;
} t4__fnodes;

#define T4F_ONLY           1
#define T4F_IGNORE_MISSING 2

struct t4__fnode {
    t4__fnode_kind kind;
    int line, col;
    char *text; /* N_TEXT */
    size_t len;
    t4__fexpr *e1, *e2;
    char *name, *name2; /* N_FOR value/key, N_SETBLOCK, N_BLOCK, N_IMPORT alias */
    char **names;       /* N_SET targets, N_FROM macro names/aliases (pairs) */
    t4__fexpr **exprs;  /* N_SET values */
    size_t nnames, nexprs;
    t4__fnodes body, alt; /* alt: else branch */
    int flags;
    t4__fesc esc; /* N_PRINT, N_APPLY */
};

typedef struct {
    char *name;
    char **params;
    t4__fexpr **defaults; /* entries may be NULL */
    size_t nparams;
    t4__fnodes body;
    int line, col;
} t4__fmacro;

typedef struct t4__ftpl {
    char *name;
    char *path; /* NULL for string templates */
    time_t mtime;
    t4__fnodes body;
    t4__fexpr *parent; /* {% extends %} */
    int parent_line, parent_col;
    t4__fnode **blocks; /* every block defined here, nested ones too */
    size_t nblocks;
    t4__fmacro **macros;
    size_t nmacros;
} t4__ftpl;

/* Parse a template. Returns 0 / T4_EINVAL / T4_ENOMEM. A source longer
 * than max_size bytes, or one whose tree would have more than max_nodes
 * nodes (text runs, tags, prints, macros and every part of an expression),
 * is refused with T4_EINVAL: "name:line:col: template too large..." /
 * "... more than N nodes". t4__frond_parse() uses the defaults. */
int t4__frond_parse(const char *name, const char *src, size_t len, t4__ftpl **out, char **err);
int t4__frond_parse_max(const char *name, const char *src, size_t len, size_t max_size, size_t max_nodes,
                        t4__ftpl **out, char **err);
void t4__ftpl_free(t4__ftpl *t);
void t4__fexpr_free(t4__fexpr *e);
void t4__fnodes_free(t4__fnodes *l);

/* Used by the parser: registries (filters.c, tests.c, functions.c). */
t4__ffn t4__ffilter_find(const char *name);
t4__ffn t4__ftest_find(const char *name);
t4__ffn t4__ffunc_find(const char *name);
bool t4__ffilter_safe(const char *name); /* output is markup (raw, escape, nl2br...) */

/* ---- values (value.c) ---- */
bool t4__fv_truthy(const json_t *v);
void t4__fv_append(t4__fbuf *b, const json_t *v); /* PHP string conversion */
char *t4__fv_str(const json_t *v);                /* malloc'd */
void t4__fv_float(t4__fbuf *b, double d, int precision);
bool t4__fv_numeric_str(const char *s, size_t n, bool allow_trailing, json_t **num);
json_t *t4__fv_to_number(const json_t *v, bool *ok); /* new ref: integer or real */
double t4__fv_to_double(const json_t *v);
long long t4__fv_to_int(const json_t *v);
bool t4__fv_loose_eq(const json_t *a, const json_t *b);
int t4__fv_compare(const json_t *a, const json_t *b); /* PHP 8 <=> */
bool t4__fv_int_key(const char *k, long long *out);
bool t4__fv_is_list_obj(const json_t *o);
size_t t4__fv_count(const json_t *v);
/* True when v nests arrays/objects more than `levels` deep (a scalar is 0
 * deep, [] is 1). Values past T4F_MAX_DEPTH are refused where they grow:
 * deeper ones would overflow the stack when freed. */
bool t4__fv_too_deep(const json_t *v, int levels);
json_t *t4__fv_str_new(const char *s, size_t n);
int t4__fv_json_encode(t4__fbuf *b, const json_t *v, long flags);
/* Rounding at `places` decimals (negative: tens, hundreds...), places
 * clamped to -T4F_MAX_PLACES..T4F_MAX_PLACES. t4__fv_round_dir() may give
 * an infinite result (ceil past the largest double): callers report that. */
#define T4F_MAX_PLACES 308
double t4__fv_php_round(double v, int places);
double t4__fv_round_dir(double v, int places, bool up); /* ceil (up) or floor */

/* PHP-array builder: appends take the next integer key, integer-like keys
 * count as integers. Finishes as a JSON array when the keys are 0..n-1. */
typedef struct {
    json_t *obj;
    long long next;
    bool list;
} t4__fparr;
void t4__fparr_init(t4__fparr *a);
void t4__fparr_append(t4__fparr *a, json_t *v);               /* steals v */
void t4__fparr_set(t4__fparr *a, const char *key, json_t *v); /* steals v */
json_t *t4__fparr_finish(t4__fparr *a);
/* Iterate a sequence or mapping: cb gets key (string; NULL index for lists) */
typedef int (*t4__fiter_cb)(void *ud, const char *key, size_t idx, json_t *v);
int t4__fv_iterate(json_t *seq, t4__fiter_cb cb, void *ud);

/* ---- escaping (escape.c) ---- */
int t4__fesc_parse(const char *s, t4__fesc *out);
void t4__fescape(t4__fbuf *b, const char *s, size_t n, t4__fesc how);

/* ---- dates (date.c) ---- */
int t4__fdate_parse(const json_t *v, time_t *t, int *offset); /* 0 or -1 */
void t4__fdate_format(t4__fbuf *b, const char *fmt, time_t t);

/* ---- rendering (render.c, eval.c) ---- */
typedef struct t4__fblk {
    const char *name;
    const t4__fnode *node;
    const t4__ftpl *owner;
} t4__fblk;

typedef struct t4__fimport {
    const t4__ftpl *owner;
    char *alias;
    const t4__ftpl *target;
    char *macro; /* NULL: a namespace (`import ... as alias`) */
} t4__fimport;

typedef struct t4__frs {
    t4__frond *f;
    t4__fbuf *out;
    json_t *ctx;
    const t4__ftpl *tpl; /* the template whose code runs */
    t4__fblk *blocks;    /* the block chain of the current render */
    size_t nblocks;
    const char *cur_block; /* for parent() */
    const t4__ftpl *cur_block_owner;
    t4__fimport *imports;
    size_t nimports, capimports;
    json_t *captured; /* {% apply %} */
    int depth;
    long steps, max_steps; /* T4F_MAX_STEPS or lower */
    char *err;
    int code;
} t4__frs;

int t4__frs_error(t4__frs *st, int line, int col, const char *fmt, ...) T4__PRINTF(4, 5);
/* Out of memory, or a string limit hit: sets the error, returns the code. */
int t4__frs_nomem(t4__frs *st, int line, int col);
/* Counts one loop iteration, macro call or include (or `units` steps of
 * other work: array items handled / 16) against max_steps. */
int t4__frs_step(t4__frs *st, int line, int col);
int t4__frs_charge(t4__frs *st, int line, int col, size_t units);
int t4__frs_eval(t4__frs *st, const t4__fexpr *e, json_t **out, unsigned *flags);
int t4__frs_render_nodes(t4__frs *st, const t4__fnodes *l);
int t4__frs_render_template(t4__frs *st, const t4__ftpl *t);
int t4__frs_call_macro(t4__frs *st, const t4__fexpr *at, const t4__ftpl *t, const char *name,
                       t4__fexpr **args, size_t nargs, json_t **out);
int t4__frs_parent(t4__frs *st, const t4__fexpr *at, json_t **out);
int t4__frs_include(t4__frs *st, const t4__fexpr *at, json_t *name, json_t *with, bool only,
                    bool ignore_missing);
int t4__frs_spaceless(t4__fbuf *b, const char *s, size_t n);
int t4__frs_block(t4__frs *st, const t4__fexpr *at, const char *name, json_t **out);
int t4__frange(t4__frs *st, const t4__fexpr *at, json_t *lo, json_t *hi, json_t *step, json_t **out);
bool t4__ftest_empty(const json_t *v);
int t4__fin(const json_t *needle, const json_t *hay);
void t4__fctx_set(json_t *ctx, const char *name, json_t *v, bool safe); /* steals v */
#define T4F_SAFE_MARK '\x01' /* ctx key "\x01name": the variable holds markup */
#define T4F_SAFE      1u
#define T4F_UNDEF     2u
#define T4F_IN_SAFE   8u /* given to a filter: its input is markup */
#define T4F_CONST     4u /* a literal: printed without escaping, like Twig */

/* ---- loader (loader.c) ---- */
int t4__frond_load(t4__frond *f, const char *name, const t4__ftpl **out, char **err);

#endif
