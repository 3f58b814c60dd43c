/* SPDX-License-Identifier: MIT */
/* Settings: defaults, the TINA4_* environment and `.env` (real env wins). */
#include "server/config.h"
#include "util/log.h"
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

void t4__config_defaults(t4_config *c)
{
    if (!c->host || !*c->host)
        c->host = "0.0.0.0";
    /* 0 is "the default"; -1 asks for any free port (TINA4_PORT=0) and stays
     * -1, so applying the defaults twice (t4_config_from_env, then t4_run)
     * keeps its meaning. */
    if (c->port == 0)
        c->port = 7145;
    if (!c->http_max_header)
        c->http_max_header = 16 * 1024;
    if (!c->http_max_body)
        c->http_max_body = 8 * 1024 * 1024;
    if (!c->http_header_timeout)
        c->http_header_timeout = 10000;
    if (!c->http_keepalive)
        c->http_keepalive = 5000;
    if (!c->ws_max_message)
        c->ws_max_message = 1024 * 1024;
    if (!c->ws_ping_interval)
        c->ws_ping_interval = 30000;
    if (!c->ws_idle_timeout)
        c->ws_idle_timeout = 60000;
    if (!c->ws_max_backpressure)
        c->ws_max_backpressure = 4 * 1024 * 1024;
    if (!c->http_max_backpressure)
        c->http_max_backpressure = 256 * 1024;
    if (!c->ws_compression_min)
        c->ws_compression_min = 128;
    if (!c->ws_close_timeout)
        c->ws_close_timeout = 5000;
    if (!c->shutdown_timeout)
        c->shutdown_timeout = 10000;
    if (!c->max_input_memory)
        c->max_input_memory = 256 * 1024 * 1024;
    if (!c->max_output_memory)
        c->max_output_memory = 256 * 1024 * 1024;
    if (!c->ws_history_memory)
        c->ws_history_memory = 64 * 1024 * 1024;
    if (!c->min_data_rate)
        c->min_data_rate = 1024;
    if (!c->min_data_rate_grace)
        c->min_data_rate_grace = 10000;
    if (!c->http_max_headers)
        c->http_max_headers = 100;
    if (c->http_max_headers > T4__HTTP_MAX_HEADERS) { /* set in code: TINA4_HTTP_MAX_HEADERS is refused */
        t4_log(T4_LOG_ERROR, "http_max_headers %zu is over the most supported, %d: using %d",
               c->http_max_headers, T4__HTTP_MAX_HEADERS, T4__HTTP_MAX_HEADERS);
        c->http_max_headers = T4__HTTP_MAX_HEADERS;
    }
    if (!c->template_max_size)
        c->template_max_size = 1024 * 1024;
    if (!c->template_max_nodes)
        c->template_max_nodes = 100000;
    if (!c->ws_backplane_secret)
        c->ws_backplane_secret = "";
    if (!c->max_connections)
        c->max_connections = 100000;
    if (!c->ws_allowed_origins)
        c->ws_allowed_origins = "";
    if (!c->templates_dir || !*c->templates_dir)
        c->templates_dir = "src/templates";
    if (!c->public_dir) /* "" turns static files off */
        c->public_dir = "src/public";
    if (!c->static_cache_control || !*c->static_cache_control)
        c->static_cache_control = "public, max-age=3600";
    if (!c->ws_backplane)
        c->ws_backplane = "";
    if (!c->ws_backplane_url || !*c->ws_backplane_url)
        c->ws_backplane_url = "redis://localhost:6379";
    if (!c->ws_backplane_format || !*c->ws_backplane_format)
        c->ws_backplane_format = "json";
    if (!c->ws_backplane_heartbeat)
        c->ws_backplane_heartbeat = 5000;
    if (!c->ws_backplane_max_queue)
        c->ws_backplane_max_queue = 8 * 1024 * 1024;
    if (!c->handler_warn)
        c->handler_warn = 1000;
    if (!c->tls_handshake_timeout)
        c->tls_handshake_timeout = 10000;
    if (!c->reload_grace)
        c->reload_grace = 1000;
    if (c->workers <= 0) { /* unset or "auto": one worker per CPU online */
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        c->workers = n > 0 ? (int)(n > 1024 ? 1024 : n) : 1;
    }
}

int t4__dotenv_load(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    char line[4096];
    int lineno = 0;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        char *s = line;
        while (isspace((unsigned char)*s))
            s++;
        if (*s == '#' || *s == '\0')
            continue;
        if (strncmp(s, "export ", 7) == 0)
            s += 7;
        char *eq = strchr(s, '=');
        if (!eq) {
            t4_log(T4_LOG_WARN, "%s:%d: ignoring a line without '='", path, lineno);
            continue;
        }
        char *kend = eq;
        while (kend > s && isspace((unsigned char)kend[-1]))
            kend--;
        *kend = '\0';
        char *v = eq + 1;
        while (isspace((unsigned char)*v))
            v++;
        size_t vl = strlen(v);
        while (vl > 0 && (v[vl - 1] == '\n' || v[vl - 1] == '\r' || isspace((unsigned char)v[vl - 1])))
            v[--vl] = '\0';
        if (vl >= 2 && (v[0] == '"' || v[0] == '\'') && v[vl - 1] == v[0]) {
            v[vl - 1] = '\0';
            v++;
        } else {
            /* An unquoted value may carry a trailing " # comment". */
            char *hash = strstr(v, " #");
            if (hash) {
                *hash = '\0';
                vl = strlen(v);
                while (vl > 0 && isspace((unsigned char)v[vl - 1]))
                    v[--vl] = '\0';
            }
        }
        if (*s)
            setenv(s, v, 0); /* the real environment wins */
    }
    fclose(f);
    return 0;
}

/* Sizes: bytes with an optional K, M or G suffix (binary units). */
static int parse_size(const char *name, size_t *out)
{
    const char *v = getenv(name);
    if (!v || !*v)
        return 0;
    char *end;
    errno = 0;
    unsigned long long n = strtoull(v, &end, 10);
    unsigned long long mult = 1;
    if (*end == 'k' || *end == 'K')
        mult = 1024, end++;
    else if (*end == 'm' || *end == 'M')
        mult = 1024 * 1024, end++;
    else if (*end == 'g' || *end == 'G')
        mult = 1024ULL * 1024 * 1024, end++;
    if (*end == 'i' || *end == 'B' || *end == 'b')
        end += (*end == 'i' && (end[1] == 'B' || end[1] == 'b')) ? 2 : 1;
    if (errno || *end || v[0] == '-' || n == 0 || n > SIZE_MAX / mult) {
        t4_log(T4_LOG_ERROR, "%s=%s: expected a positive size in bytes (K, M, G suffixes allowed)", name, v);
        return -1;
    }
    *out = (size_t)(n * mult);
    return 0;
}

/* Durations: seconds, fractions allowed ("0.5"), stored in ms. */
static int parse_seconds(const char *name, unsigned *out_ms)
{
    const char *v = getenv(name);
    if (!v || !*v)
        return 0;
    char *end;
    errno = 0;
    double s = strtod(v, &end);
    /* Stored in ms in an unsigned: at most about 49 days. */
    if (errno || *end || !(s > 0) || s * 1000 > (double)UINT_MAX) {
        t4_log(T4_LOG_ERROR, "%s=%s: expected a positive number of seconds, at most %u", name, v,
               UINT_MAX / 1000);
        return -1;
    }
    unsigned ms = (unsigned)ceil(s * 1000);
    *out_ms = ms ? ms : 1;
    return 0;
}

static int parse_int(const char *name, int lo, int hi, int *out)
{
    const char *v = getenv(name);
    if (!v || !*v)
        return 0;
    char *end;
    errno = 0;
    long n = strtol(v, &end, 10);
    if (errno || *end || n < lo || n > hi) {
        t4_log(T4_LOG_ERROR, "%s=%s: expected an integer from %d to %d", name, v, lo, hi);
        return -1;
    }
    *out = (int)n;
    return 0;
}

static int parse_bool(const char *name, bool *out)
{
    const char *v = getenv(name);
    if (!v || !*v)
        return 0;
    static const char *const yes[] = {"1", "true", "yes", "on"}, *const no[] = {"0", "false", "no", "off"};
    for (int i = 0; i < 4; i++) {
        if (strcasecmp(v, yes[i]) == 0) {
            *out = true;
            return 0;
        }
        if (strcasecmp(v, no[i]) == 0) {
            *out = false;
            return 0;
        }
    }
    t4_log(T4_LOG_ERROR, "%s=%s: expected true or false", name, v);
    return -1;
}

static int parse_log_level(int *out)
{
    const char *v = getenv("TINA4_LOG_LEVEL");
    if (!v || !*v)
        return 0;
    static const char *const names[] = {"error", "warn", "info", "debug"};
    for (int i = 0; i < 4; i++) {
        if (strcasecmp(v, names[i]) == 0 || (v[0] == '0' + i && v[1] == '\0')) {
            *out = i;
            return 0;
        }
    }
    if (strcasecmp(v, "warning") == 0) {
        *out = 1;
        return 0;
    }
    t4_log(T4_LOG_ERROR, "TINA4_LOG_LEVEL=%s: expected error, warn, info or debug", v);
    return -1;
}

int t4_config_from_env(t4_config *c)
{
    if (!c) {
        t4_log(T4_LOG_ERROR, "t4_config_from_env: NULL config");
        return T4_EINVAL;
    }
    memset(c, 0, sizeof *c);
    c->log_level = T4_LOG_INFO;
    t4__dotenv_load(".env");
    int bad = 0;
    const char *host = getenv("TINA4_HOST");
    if (host && *host)
        c->host = host;
    bad |= parse_int("TINA4_PORT", 0, 65535, &c->port);
    if (getenv("TINA4_PORT") && strcmp(getenv("TINA4_PORT"), "0") == 0)
        c->port = -1;
    bad |= parse_size("TINA4_HTTP_MAX_HEADER", &c->http_max_header);
    bad |= parse_size("TINA4_HTTP_MAX_BODY", &c->http_max_body);
    bad |= parse_seconds("TINA4_HTTP_HEADER_TIMEOUT", &c->http_header_timeout);
    bad |= parse_seconds("TINA4_HTTP_KEEPALIVE_TIMEOUT", &c->http_keepalive);
    bad |= parse_size("TINA4_WS_MAX_MESSAGE", &c->ws_max_message);
    bad |= parse_seconds("TINA4_WS_PING_INTERVAL", &c->ws_ping_interval);
    bad |= parse_seconds("TINA4_WS_IDLE_TIMEOUT", &c->ws_idle_timeout);
    bad |= parse_size("TINA4_WS_MAX_BACKPRESSURE", &c->ws_max_backpressure);
    bad |= parse_size("TINA4_HTTP_MAX_BACKPRESSURE", &c->http_max_backpressure);
    bad |= parse_seconds("TINA4_WS_CLOSE_TIMEOUT", &c->ws_close_timeout);
    bad |= parse_bool("TINA4_WS_COMPRESSION", &c->ws_compression);
    bad |= parse_size("TINA4_WS_COMPRESSION_MIN", &c->ws_compression_min);
    bad |= parse_seconds("TINA4_SHUTDOWN_TIMEOUT", &c->shutdown_timeout);
    size_t maxc = 0;
    bad |= parse_size("TINA4_MAX_CONNECTIONS", &maxc);
    bad |= parse_size("TINA4_MAX_INPUT_MEMORY", &c->max_input_memory);
    c->max_connections = maxc;
    bad |= parse_size("TINA4_MAX_OUTPUT_MEMORY", &c->max_output_memory);
    bad |= parse_size("TINA4_WS_HISTORY_MEMORY", &c->ws_history_memory);
    bad |= parse_size("TINA4_MIN_DATA_RATE", &c->min_data_rate);
    bad |= parse_seconds("TINA4_MIN_DATA_RATE_GRACE", &c->min_data_rate_grace);
    bad |= parse_size("TINA4_HTTP_MAX_HEADERS", &c->http_max_headers);
    if (c->http_max_headers > T4__HTTP_MAX_HEADERS) {
        t4_log(T4_LOG_ERROR, "TINA4_HTTP_MAX_HEADERS=%zu: at most %d", c->http_max_headers,
               T4__HTTP_MAX_HEADERS);
        c->http_max_headers = 0; /* refused: no second message from the defaults */
        bad = 1;
    }
    bad |= parse_size("TINA4_TEMPLATE_MAX_SIZE", &c->template_max_size);
    bad |= parse_size("TINA4_TEMPLATE_MAX_NODES", &c->template_max_nodes);
    c->ws_backplane_secret = getenv("TINA4_WS_BACKPLANE_SECRET");
    const char *origins = getenv("TINA4_WS_ALLOWED_ORIGINS");
    if (origins)
        c->ws_allowed_origins = origins;
    c->templates_dir = getenv("TINA4_TEMPLATES");
    c->public_dir = getenv("TINA4_PUBLIC");
    c->static_cache_control = getenv("TINA4_STATIC_CACHE_CONTROL");
    bad |= parse_bool("TINA4_DEBUG", &c->debug);
    c->ws_backplane = getenv("TINA4_WS_BACKPLANE");
    c->ws_backplane_url = getenv("TINA4_WS_BACKPLANE_URL");
    c->ws_backplane_format = getenv("TINA4_WS_BACKPLANE_FORMAT");
    bad |= parse_seconds("TINA4_WS_BACKPLANE_HEARTBEAT", &c->ws_backplane_heartbeat);
    bad |= parse_size("TINA4_WS_BACKPLANE_MAX_QUEUE", &c->ws_backplane_max_queue);
    bad |= parse_log_level(&c->log_level);
    const char *workers = getenv("TINA4_WORKERS");
    if (workers && strcasecmp(workers, "auto") == 0)
        c->workers = -1;
    else if (parse_int("TINA4_WORKERS", 1, 1024, &c->workers) != 0) {
        t4_log(T4_LOG_ERROR, "TINA4_WORKERS: worker processes, 1 to 1024, or auto (one per CPU)");
        bad = 1;
    }
    bad |= parse_seconds("TINA4_HANDLER_WARN", &c->handler_warn);
    bad |= parse_seconds("TINA4_HANDLER_KILL", &c->handler_kill);
    c->tls_cert = getenv("TINA4_TLS_CERT");
    c->tls_key = getenv("TINA4_TLS_KEY");
    bad |= parse_bool("TINA4_TLS_REDIRECT", &c->tls_redirect);
    bad |= parse_seconds("TINA4_TLS_HANDSHAKE_TIMEOUT", &c->tls_handshake_timeout);
    bool ktls = true;
    if (getenv("TINA4_TLS_KTLS") && *getenv("TINA4_TLS_KTLS"))
        bad |= parse_bool("TINA4_TLS_KTLS", &ktls);
    c->tls_no_ktls = !ktls;
    bad |= parse_seconds("TINA4_RELOAD_GRACE", &c->reload_grace);
    t4__log_level = c->log_level;
    t4__config_defaults(c);
    return bad ? T4_EINVAL : 0;
}
