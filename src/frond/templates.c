/* SPDX-License-Identifier: MIT */
/*
 * The public face of Frond: t4_render, t4_render_string, t4_res_template.
 * One engine per process, created on first use from TINA4_TEMPLATES /
 * TINA4_DEBUG (or from the running server's settings), guarded by a mutex
 * because the engine's cache is not thread-safe and rendering is allowed
 * from any thread.
 */
#include "frond/templates.h"
#include "frond/frond.h"
#include "tina4.h"
#include "util/buf.h"
#include "util/log.h"
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static t4__frond *engine;
static char *engine_dir;
static bool engine_debug;
/* The server's template limits; 0 (no server configured them): the
 * environment's, else the defaults. */
static size_t engine_max_size, engine_max_nodes;

static bool env_true(const char *name)
{
    const char *v = getenv(name);
    return v && (strcmp(v, "1") == 0 || strcasecmp(v, "true") == 0 || strcasecmp(v, "yes") == 0 ||
                 strcasecmp(v, "on") == 0);
}

void t4__templates_configure(const char *dir, bool debug, size_t max_size, size_t max_nodes)
{
    pthread_mutex_lock(&lock);
    if (engine)
        t4__frond_free(engine);
    free(engine_dir);
    engine = NULL;
    engine_dir = dir ? strdup(dir) : NULL;
    engine_debug = debug;
    engine_max_size = max_size;
    engine_max_nodes = max_nodes;
    pthread_mutex_unlock(&lock);
}

void t4__templates_shutdown(void)
{
    pthread_mutex_lock(&lock);
    if (engine)
        t4__frond_free(engine);
    free(engine_dir);
    engine = NULL;
    engine_dir = NULL;
    engine_max_size = engine_max_nodes = 0;
    pthread_mutex_unlock(&lock);
}

bool t4__templates_debug(void)
{
    return engine_debug || env_true("TINA4_DEBUG");
}

/* Called under the lock. */
static t4__frond *new_engine(void)
{
    size_t max_size = engine_max_size, max_nodes = engine_max_nodes;
    if (!max_size || !max_nodes) {
        size_t env_size = 0, env_nodes = 0;
        char *err = NULL;
        if (t4__frond_env_limits(&env_size, &env_nodes, &err)) /* a bad value: the default */
            t4_log(T4_LOG_ERROR, "%s", err ? err : "out of memory");
        free(err);
        max_size = max_size ? max_size : env_size;
        max_nodes = max_nodes ? max_nodes : env_nodes;
    }
    t4__frond *f = t4__frond_new(engine_dir, engine_debug || env_true("TINA4_DEBUG"));
    t4__frond_set_template_limits(f, max_size, max_nodes);
    return f;
}

/* Renders under the lock; returns 0 or a T4_E code with *err set. */
static int render(const char *name, const char *source, json_t *ctx, char **out, char **err)
{
    pthread_mutex_lock(&lock);
    if (!engine)
        engine = new_engine();
    int rc = T4_ENOMEM;
    if (engine)
        rc = source ? t4__frond_render_string(engine, source, ctx, out, err)
                    : t4__frond_render(engine, name, ctx, out, err);
    pthread_mutex_unlock(&lock);
    return rc;
}

static char *render_logged(const char *name, const char *source, json_t *ctx, const char *fn)
{
    if (!name && !source) {
        json_decref(ctx);
        t4_log(T4_LOG_ERROR, "%s: NULL template", fn);
        return NULL;
    }
    char *out = NULL, *err = NULL;
    int rc = render(name, source, ctx, &out, &err);
    json_decref(ctx);
    if (rc != 0) {
        t4_log(T4_LOG_ERROR, "%s: %s", fn, err ? err : t4_strerror(rc));
        free(err);
        return NULL;
    }
    return out;
}

char *t4_render(const char *name, json_t *ctx)
{
    return render_logged(name, NULL, ctx, "t4_render");
}

char *t4_render_string(const char *source, json_t *ctx)
{
    return render_logged(NULL, source, ctx, "t4_render_string");
}

static void html_escape(t4__buf *b, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&':
            t4__buf_append(b, "&amp;", 5);
            break;
        case '<':
            t4__buf_append(b, "&lt;", 4);
            break;
        case '>':
            t4__buf_append(b, "&gt;", 4);
            break;
        case '"':
            t4__buf_append(b, "&quot;", 6);
            break;
        default:
            t4__buf_append(b, s, 1);
        }
    }
}

int t4_res_template(t4_res *res, int status, const char *name, json_t *ctx)
{
    if (!res || !name) {
        json_decref(ctx);
        t4_log(T4_LOG_ERROR, "t4_res_template: NULL response or template name");
        return T4_EINVAL;
    }
    char *out = NULL, *err = NULL;
    int rc = render(name, NULL, ctx, &out, &err);
    json_decref(ctx);
    if (rc == 0) {
        int r = t4_res_html(res, status, out);
        free(out);
        return r;
    }
    t4_log(T4_LOG_ERROR, "template %s: %s", name, err ? err : t4_strerror(rc));
    t4__buf page = {0};
    if (t4__templates_debug()) {
        t4__buf_appendf(&page, "<!doctype html><title>Template error</title><h1>Template error</h1><pre>");
        html_escape(&page, err ? err : t4_strerror(rc));
        t4__buf_appendf(&page, "</pre>\n");
    } else {
        t4__buf_appendf(&page, "<!doctype html><title>500 Internal Server Error</title>"
                               "<h1>500 Internal Server Error</h1>\n");
    }
    free(err);
    t4_res_html(res, 500, page.data ? page.data : "500 Internal Server Error\n");
    t4__buf_free(&page);
    return rc;
}
