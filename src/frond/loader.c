/* SPDX-License-Identifier: MIT */
/* FROND loader: the template directory, the in-memory cache (parsed once,
 * re-read in debug mode when the file's mtime changes) and the render API. */
#include "frond/internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

typedef struct {
    char *name;
    t4__ftpl *tpl;
    time_t mtime;
    off_t size;
    unsigned gen; /* render in which the file was last checked */
} entry;

struct t4__frond {
    char *dir;
    bool debug;
    entry *cache;
    size_t n, cap;
    unsigned gen;
    long max_steps;
    size_t max_bytes;
    size_t max_size, max_nodes; /* per template: TINA4_TEMPLATE_MAX_SIZE / _NODES */
};

t4__frond *t4__frond_new(const char *dir, bool debug)
{
    t4__frond *f = calloc(1, sizeof *f);
    if (!f) {
        return NULL;
    }
    if (!dir || !*dir) {
        dir = getenv("TINA4_TEMPLATES");
    }
    if (!dir || !*dir) {
        dir = "src/templates";
    }
    f->dir = strdup(dir);
    if (!f->dir) {
        free(f);
        return NULL;
    }
    size_t n = strlen(f->dir);
    while (n > 1 && f->dir[n - 1] == '/') {
        f->dir[--n] = '\0';
    }
    f->debug = debug;
    f->max_steps = T4F_MAX_STEPS;
    f->max_bytes = T4F_MAX_BYTES;
    f->max_size = T4F_MAX_SIZE;
    f->max_nodes = T4F_MAX_NODES;
    return f;
}

void t4__frond_set_template_limits(t4__frond *f, size_t max_size, size_t max_nodes)
{
    if (f && max_size > 0) {
        f->max_size = max_size;
    }
    if (f && max_nodes > 0) {
        f->max_nodes = max_nodes;
    }
    t4__frond_clear(f); /* cached templates were parsed under the old limits */
}

void t4__frond_set_limits(t4__frond *f, long max_steps, size_t max_bytes)
{
    if (f && max_steps > 0 && max_steps < T4F_MAX_STEPS) {
        f->max_steps = max_steps;
    }
    if (f && max_bytes > 0 && max_bytes < T4F_MAX_BYTES) {
        f->max_bytes = max_bytes;
    }
}

void t4__frond_clear(t4__frond *f)
{
    if (!f) {
        return;
    }
    for (size_t i = 0; i < f->n; i++) {
        free(f->cache[i].name);
        t4__ftpl_free(f->cache[i].tpl);
    }
    f->n = 0;
}

void t4__frond_free(t4__frond *f)
{
    if (!f) {
        return;
    }
    t4__frond_clear(f);
    free(f->cache);
    free(f->dir);
    free(f);
}

static bool safe_name(const char *name)
{
    if (!*name || name[0] == '/') {
        return false;
    }
    for (const char *p = name; *p;) {
        const char *slash = strchr(p, '/');
        size_t len = slash ? (size_t)(slash - p) : strlen(p);
        if (len == 2 && p[0] == '.' && p[1] == '.') {
            return false;
        }
        p += len + (slash ? 1 : 0);
    }
    return true;
}

/* Reads at most max + 1 bytes: enough to tell a file grown past the size
 * limit since stat() without reading all of it. */
static int read_file(const char *path, size_t max, char **out, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        return errno == ENOENT || errno == ENOTDIR ? T4_ENOTFOUND : T4_EIO;
    }
    t4__fbuf b = {0};
    char chunk[8192];
    size_t n;
    while (b.n <= max && (n = fread(chunk, 1, sizeof chunk, fp)) > 0) {
        t4__fbuf_put(&b, chunk, n);
    }
    int bad = ferror(fp);
    fclose(fp);
    if (bad || b.oom) {
        t4__fbuf_free(&b);
        return bad ? T4_EIO : T4_ENOMEM;
    }
    *len = b.n;
    *out = t4__fbuf_take(&b);
    return *out ? 0 : T4_ENOMEM;
}

int t4__frond_load(t4__frond *f, const char *name, const t4__ftpl **out, char **err)
{
    entry *e = NULL;
    for (size_t i = 0; i < f->n; i++) {
        if (strcmp(f->cache[i].name, name) == 0) {
            e = &f->cache[i];
            break;
        }
    }
    if (e && (!f->debug || e->gen == f->gen)) {
        *out = e->tpl;
        return 0;
    }
    if (!safe_name(name)) {
        *err = t4__fasprintf("%s: invalid template name", name);
        return T4_ENOTFOUND;
    }
    char *path = t4__fasprintf("%s/%s", f->dir, name);
    if (!path) {
        return T4_ENOMEM;
    }
    struct stat sb;
    if (stat(path, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        *err = t4__fasprintf("%s: template not found in %s", name, f->dir);
        free(path);
        return T4_ENOTFOUND;
    }
    if (e && e->mtime == sb.st_mtime && e->size == sb.st_size) {
        e->gen = f->gen;
        *out = e->tpl;
        free(path);
        return 0;
    }
    if ((unsigned long long)sb.st_size > f->max_size) { /* refused before reading it */
        *err = t4__fasprintf("%s:1:1: template too large: %lld bytes, limit %zu (TINA4_TEMPLATE_MAX_SIZE)",
                             name, (long long)sb.st_size, f->max_size);
        free(path);
        return T4_EINVAL;
    }
    char *src;
    size_t len;
    int rc = read_file(path, f->max_size, &src, &len);
    if (rc) {
        *err = t4__fasprintf("%s: cannot read %s", name, path);
        free(path);
        return rc;
    }
    t4__ftpl *tpl;
    rc = t4__frond_parse_max(name, src, len, f->max_size, f->max_nodes, &tpl, err);
    free(src);
    if (rc) {
        free(path);
        return rc;
    }
    tpl->path = path;
    tpl->mtime = sb.st_mtime;
    if (!e) {
        if (f->n == f->cap) {
            size_t cap = f->cap ? f->cap * 2 : 16;
            entry *v = realloc(f->cache, cap * sizeof *v);
            if (!v) {
                t4__ftpl_free(tpl);
                return T4_ENOMEM;
            }
            f->cache = v;
            f->cap = cap;
        }
        e = &f->cache[f->n];
        if (!(e->name = strdup(name))) {
            t4__ftpl_free(tpl);
            return T4_ENOMEM;
        }
        f->n++;
    } else {
        t4__ftpl_free(e->tpl);
    }
    e->tpl = tpl;
    e->mtime = sb.st_mtime;
    e->size = sb.st_size;
    e->gen = f->gen;
    *out = tpl;
    return 0;
}

static const char *errname(int rc)
{
    return rc == T4_ENOMEM      ? "out of memory"
           : rc == T4_ENOTFOUND ? "template not found"
           : rc == T4_EIO       ? "I/O error"
                                : "error";
}

static int run(t4__frond *f, const t4__ftpl *t, json_t *ctx, char **out, char **err)
{
    t4__fbuf buf = {0};
    t4__frs st = {.f = f, .out = &buf, .tpl = t, .max_steps = f->max_steps};
    st.ctx = json_is_object(ctx) ? json_copy(ctx) : json_object();
    if (!st.ctx) {
        return T4_ENOMEM;
    }
    t4__fbuf_budget_start(f->max_bytes);
    int rc = t4__frs_render_template(&st, t);
    t4__fbuf_budget_stop();
    json_decref(st.ctx);
    for (size_t i = 0; i < st.nimports; i++) {
        free(st.imports[i].alias);
        free(st.imports[i].macro);
    }
    free(st.imports);
    if (!rc && buf.oom) {
        rc = T4_ENOMEM;
    }
    if (rc) {
        t4__fbuf_free(&buf);
        if (err) {
            *err = st.err ? st.err : t4__fasprintf("%s: %s", t->name, errname(rc));
        } else {
            free(st.err);
        }
        return rc == T4_ENOTFOUND ? T4_EINVAL : rc;
    }
    free(st.err);
    *out = t4__fbuf_take(&buf);
    return *out ? 0 : T4_ENOMEM;
}

int t4__frond_render(t4__frond *f, const char *name, json_t *ctx, char **out, char **err)
{
    char *e = NULL;
    if (out) {
        *out = NULL;
    }
    if (err) {
        *err = NULL;
    }
    if (!f || !name || !out) {
        return T4_EINVAL;
    }
    f->gen++;
    const t4__ftpl *t;
    int rc = t4__frond_load(f, name, &t, &e);
    if (rc) {
        if (err) {
            *err = e ? e : t4__fasprintf("%s: %s", name, errname(rc));
        } else {
            free(e);
        }
        return rc;
    }
    return run(f, t, ctx, out, err);
}

int t4__frond_render_string(t4__frond *f, const char *source, json_t *ctx, char **out, char **err)
{
    if (out) {
        *out = NULL;
    }
    if (err) {
        *err = NULL;
    }
    if (!f || !source || !out) {
        return T4_EINVAL;
    }
    f->gen++;
    t4__ftpl *t;
    char *e = NULL;
    int rc = t4__frond_parse_max("string", source, strlen(source), f->max_size, f->max_nodes, &t, &e);
    if (rc) {
        if (err) {
            *err = e ? e : t4__fasprintf("string: %s", errname(rc));
        } else {
            free(e);
        }
        return rc;
    }
    rc = run(f, t, ctx, out, err);
    t4__ftpl_free(t);
    return rc;
}
