/* SPDX-License-Identifier: MIT */
/*
 * The header keeps its promises: every public function of tina4.h is called
 * with NULL and with bad arguments, and must answer as its comment says
 * (T4_EINVAL, the documented error, NULL or 0), with no effect and no crash.
 *
 * The functions that need a request or a connection are called inside real
 * handlers: the test runs a server on 127.0.0.1 and a client thread that
 * speaks HTTP and WebSocket over real sockets (it also makes the calls that
 * must be refused off the loop thread).
 *
 * The list of cases is checked against tina4.h itself: a public function
 * without a case, a case for a function the header no longer declares, or a
 * case that never ran fails the test.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tina4.h"

#define HEADER   "../../include/tina4.h"
#define MAX_MSG  4096 /* TINA4_WS_MAX_MESSAGE of the test server */
#define WS_PATH  "/contract/ws/5"
#define BIG_SIZE (MAX_MSG + 1)

/* ---------------------------------------------------------------- */
/* Cases: one per public function, marked when its checks ran          */
/* ---------------------------------------------------------------- */

static struct {
    const char *name;
    int ran;
} cases[] = {
    {"t4_strerror", 0},
    {"t4_route", 0},
    {"t4_websocket", 0},
    {"t4_websocket_guarded", 0},
    {"t4_websocket_with", 0},
    {"t4_config_from_env", 0},
    {"t4_run", 0},
    {"t4_stop", 0},
    {"t4_bound_port", 0},
    {"t4_req_method", 0},
    {"t4_req_path", 0},
    {"t4_req_query_string", 0},
    {"t4_req_param", 0},
    {"t4_req_query", 0},
    {"t4_req_header", 0},
    {"t4_req_cookie", 0},
    {"t4_req_remote_addr", 0},
    {"t4_req_body", 0},
    {"t4_req_json", 0},
    {"t4_req_form", 0},
    {"t4_res_header", 0},
    {"t4_res_send", 0},
    {"t4_res_text", 0},
    {"t4_res_html", 0},
    {"t4_res_json", 0},
    {"t4_res_printf", 0},
    {"t4_render", 0},
    {"t4_render_string", 0},
    {"t4_res_template", 0},
    {"t4_ws_send", 0},
    {"t4_ws_send_text", 0},
    {"t4_ws_send_binary", 0},
    {"t4_ws_sendf", 0},
    {"t4_ws_send_json", 0},
    {"t4_ws_broadcast", 0},
    {"t4_ws_broadcast_text", 0},
    {"t4_ws_broadcast_binary", 0},
    {"t4_ws_broadcast_json", 0},
    {"t4_ws_broadcastf", 0},
    {"t4_ws_close", 0},
    {"t4_ws_id", 0},
    {"t4_ws_protocol", 0},
    {"t4_ws_path", 0},
    {"t4_ws_param", 0},
    {"t4_ws_params", 0},
    {"t4_ws_header", 0},
    {"t4_ws_cookie", 0},
    {"t4_ws_remote_addr", 0},
    {"t4_ws_connection_count", 0},
    {"t4_path_connection_count", 0},
    {"t4_ws_local_connection_count", 0},
    {"t4_path_local_connection_count", 0},
    {"t4_ws_join_kind", 0},
    {"t4_ws_set_presence", 0},
    {"t4_ws_presence", 0},
    {"t4_path_presence", 0},
    {"t4_ws_set_data", 0},
    {"t4_ws_data", 0},
    {"t4_ws_handle", 0},
    {"t4_ws_lookup", 0},
    {"t4_push", 0},
    {"t4_push_text", 0},
    {"t4_push_binary", 0},
    {"t4_push_json", 0},
    {"t4_pushf", 0},
    {"t4_log", 0},
};
#define NCASES (sizeof cases / sizeof *cases)

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int failures;

static void mark(const char *name)
{
    pthread_mutex_lock(&lock);
    size_t i = 0;
    while (i < NCASES && strcmp(cases[i].name, name) != 0)
        i++;
    if (i < NCASES)
        cases[i].ran++;
    else {
        fprintf(stderr, "CONTRACT: %s is not in the list of cases\n", name);
        failures++;
    }
    pthread_mutex_unlock(&lock);
}

/* Handlers run inside the server's loop: a failed check is counted (a
 * cmocka assertion would longjmp out of the loop) and reported at the end. */
static void failed(const char *what, int line)
{
    pthread_mutex_lock(&lock);
    failures++;
    pthread_mutex_unlock(&lock);
    fprintf(stderr, "CONTRACT FAILED (line %d): %s\n", line, what);
}
#define CHECK(cond)                                                                                          \
    do {                                                                                                     \
        if (!(cond))                                                                                         \
            failed(#cond, __LINE__);                                                                         \
    } while (0)
#define CHECK_STR(got, want) CHECK((got) && strcmp((got), (want)) == 0)

static char big[BIG_SIZE];
static const char bad_utf8[] = "\xff\xfe";

/* ---------------------------------------------------------------- */
/* Without a server                                                   */
/* ---------------------------------------------------------------- */

static void dummy_http(t4_req *req, t4_res *res)
{
    (void)req;
    t4_res_text(res, 200, "dummy\n");
}

static void dummy_ws(t4_ws *ws, t4_ws_event ev, t4_msg msg)
{
    (void)ws, (void)ev, (void)msg;
}

static int dummy_guard(const t4_ws *ws)
{
    (void)ws;
    return 0;
}

static void no_server_checks(void)
{
    mark("t4_strerror");
    const int codes[] = {T4_OK,     T4_EINVAL, T4_ENOMEM, T4_ECLOSED,   T4_ETOOBIG, T4_EBACKPRESSURE,
                         T4_ESTATE, T4_EEXIST, T4_EIO,    T4_ENOTFOUND, T4_ETHREAD};
    const char *names[] = {"T4_OK",      "T4_EINVAL",        "T4_ENOMEM", "T4_ECLOSED",
                           "T4_ETOOBIG", "T4_EBACKPRESSURE", "T4_ESTATE", "T4_EEXIST",
                           "T4_EIO",     "T4_ENOTFOUND",     "T4_ETHREAD"};
    for (size_t i = 0; i < sizeof codes / sizeof *codes; i++)
        CHECK(strncmp(t4_strerror(codes[i]), names[i], strlen(names[i])) == 0);
    CHECK(t4_strerror(-999) != NULL && strstr(t4_strerror(-999), "unknown") != NULL);
    CHECK(t4_strerror(42) != NULL);

    mark("t4_route");
    CHECK(t4_route(NULL, "/x", dummy_http) == T4_EINVAL);
    CHECK(t4_route("GET", NULL, dummy_http) == T4_EINVAL);
    CHECK(t4_route("GET", "/x", NULL) == T4_EINVAL);
    CHECK(t4_route("BREW", "/x", dummy_http) == T4_EINVAL);
    CHECK(t4_route("get", "/x", dummy_http) == T4_EINVAL);
    CHECK(t4_route("GET", "", dummy_http) == T4_EINVAL);
    CHECK(t4_route("GET", "no-slash", dummy_http) == T4_EINVAL);
    CHECK(t4_route("GET", "/a/{unclosed", dummy_http) == T4_EINVAL);
    CHECK(t4_route("GET", "/contract/dup", dummy_http) == 0);
    CHECK(t4_route("GET", "/contract/dup", dummy_http) == T4_EEXIST);

    mark("t4_websocket");
    CHECK(t4_websocket(NULL, dummy_ws) == T4_EINVAL);
    CHECK(t4_websocket("/contract/w", NULL) == T4_EINVAL);
    CHECK(t4_websocket("no-slash", dummy_ws) == T4_EINVAL);
    CHECK(t4_websocket("/contract/w", dummy_ws) == 0);
    CHECK(t4_websocket("/contract/w", dummy_ws) == T4_EEXIST);

    mark("t4_websocket_guarded");
    CHECK(t4_websocket_guarded(NULL, dummy_ws, dummy_guard) == T4_EINVAL);
    CHECK(t4_websocket_guarded("/contract/g", NULL, dummy_guard) == T4_EINVAL);
    CHECK(t4_websocket_guarded("/contract/g", dummy_ws, NULL) == 0); /* no guard: allowed */
    CHECK(t4_websocket_guarded("/contract/g", dummy_ws, dummy_guard) == T4_EEXIST);

    mark("t4_websocket_with");
    CHECK(t4_websocket_with(NULL, dummy_ws, NULL) == T4_EINVAL);
    CHECK(t4_websocket_with("/contract/o", NULL, NULL) == T4_EINVAL);
    CHECK(t4_websocket_with("/contract/o", dummy_ws, &(t4_ws_options){.protocols = "a b"}) == T4_EINVAL);
    CHECK(t4_websocket_with("/contract/o", dummy_ws, &(t4_ws_options){.protocols = "x/y"}) == T4_EINVAL);
    CHECK(t4_websocket_with("/contract/o", dummy_ws, &(t4_ws_options){.protocols = "v1, v2"}) == 0);

    mark("t4_config_from_env");
    CHECK(t4_config_from_env(NULL) == T4_EINVAL);
    t4_config cfg;
    setenv("TINA4_PORT", "not-a-port", 1);
    CHECK(t4_config_from_env(&cfg) == T4_EINVAL);
    setenv("TINA4_PORT", "70000", 1);
    CHECK(t4_config_from_env(&cfg) == T4_EINVAL);
    unsetenv("TINA4_PORT");
    CHECK(t4_config_from_env(&cfg) == 0 && cfg.port == 7145);

    mark("t4_run");
    CHECK(t4_run(&(t4_config){.host = "999.0.0.1", .port = -1, .quiet_banner = true, .workers = 1}) ==
          T4_EINVAL);
    int taken = socket(AF_INET, SOCK_STREAM, 0); /* a port in use: T4_EIO */
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t alen = sizeof a;
    CHECK(bind(taken, (struct sockaddr *)&a, sizeof a) == 0 && listen(taken, 1) == 0 &&
          getsockname(taken, (struct sockaddr *)&a, &alen) == 0);
    CHECK(t4_run(&(t4_config){
              .host = "127.0.0.1", .port = ntohs(a.sin_port), .quiet_banner = true, .workers = 1}) == T4_EIO);
    close(taken);
    CHECK(t4_run(&(t4_config){.host = "127.0.0.1", .port = 70000, .quiet_banner = true, .workers = 1}) ==
          T4_EINVAL);
    CHECK(t4_run(&(t4_config){.host = "127.0.0.1", .port = -2, .quiet_banner = true, .workers = 1}) ==
          T4_EINVAL);

    mark("t4_bound_port");
    CHECK(t4_bound_port() == 0); /* before start */

    mark("t4_render");
    CHECK(t4_render(NULL, json_object()) == NULL); /* ctx is stolen all the same (ASan: no leak) */
    CHECK(t4_render("no-such-template.html", json_object()) == NULL);

    mark("t4_render_string");
    CHECK(t4_render_string(NULL, json_object()) == NULL);
    CHECK(t4_render_string("{% if %}", NULL) == NULL);
    char *s = t4_render_string("{{ a }}", json_pack("{s:i}", "a", 7));
    CHECK_STR(s, "7");
    free(s);

    mark("t4_log");
    t4_log(T4_LOG_ERROR, NULL); /* ignored */
    t4_log(-7, "level below error: logged as an error");
    t4_log(99, "level above debug: filtered out");

    /* No server: nothing to deliver to. */
    mark("t4_push");
    CHECK(t4_push("/contract/nobody", "x") == T4_ESTATE);
    CHECK(t4_push(NULL, "x") == T4_EINVAL);
}

/* ---------------------------------------------------------------- */
/* HTTP: inside a handler                                             */
/* ---------------------------------------------------------------- */

static void http_checks(t4_req *req, t4_res *res)
{
    mark("t4_req_method");
    CHECK(t4_req_method(NULL) == NULL);
    CHECK_STR(t4_req_method(req), "GET");
    mark("t4_req_path");
    CHECK(t4_req_path(NULL) == NULL);
    CHECK_STR(t4_req_path(req), "/contract/http/7");
    mark("t4_req_query_string");
    CHECK(t4_req_query_string(NULL) == NULL);
    CHECK_STR(t4_req_query_string(req), "q=1");
    mark("t4_req_param");
    CHECK(t4_req_param(NULL, "id") == NULL);
    CHECK(t4_req_param(req, NULL) == NULL);
    CHECK(t4_req_param(req, "nope") == NULL);
    CHECK_STR(t4_req_param(req, "id"), "7");
    CHECK_STR(t4_req_param(req, "q"), "1"); /* falls back to the query */
    mark("t4_req_query");
    CHECK(t4_req_query(NULL, "q") == NULL);
    CHECK(t4_req_query(req, NULL) == NULL);
    CHECK(t4_req_query(req, "id") == NULL); /* a path parameter is not a query parameter */
    CHECK_STR(t4_req_query(req, "q"), "1");
    mark("t4_req_header");
    CHECK(t4_req_header(NULL, "Host") == NULL);
    CHECK(t4_req_header(req, NULL) == NULL);
    CHECK(t4_req_header(req, "") == NULL);
    CHECK_STR(t4_req_header(req, "x-contract"), "yes");
    mark("t4_req_cookie");
    CHECK(t4_req_cookie(NULL, "c") == NULL);
    CHECK(t4_req_cookie(req, NULL) == NULL);
    CHECK(t4_req_cookie(req, "nope") == NULL);
    CHECK_STR(t4_req_cookie(req, "c"), "v");
    mark("t4_req_remote_addr");
    CHECK(t4_req_remote_addr(NULL) == NULL);
    CHECK_STR(t4_req_remote_addr(req), "127.0.0.1");
    mark("t4_req_body");
    size_t len = 99;
    CHECK(t4_req_body(NULL, &len) == NULL && len == 0);
    CHECK(t4_req_body(NULL, NULL) == NULL);
    const char *body = t4_req_body(req, NULL); /* len may be NULL */
    CHECK(body != NULL && t4_req_body(req, &len) == body && len == 0);
    mark("t4_req_json");
    CHECK(t4_req_json(NULL) == NULL);
    CHECK(t4_req_json(req) == NULL); /* no body */
    mark("t4_req_form");
    CHECK(t4_req_form(NULL, "a") == NULL);
    CHECK(t4_req_form(req, NULL) == NULL);
    CHECK(t4_req_form(req, "a") == NULL);

    mark("t4_res_header");
    CHECK(t4_res_header(NULL, "X-A", "1") == T4_EINVAL);
    CHECK(t4_res_header(res, NULL, "1") == T4_EINVAL);
    CHECK(t4_res_header(res, "X-A", NULL) == T4_EINVAL);
    CHECK(t4_res_header(res, "", "1") == T4_EINVAL);
    CHECK(t4_res_header(res, "X-A: b", "1") == T4_EINVAL);
    CHECK(t4_res_header(res, "X-A", "1\r\nX-Injected: 1") == T4_EINVAL);
    CHECK(t4_res_header(res, "X-Contract", "ok") == 0);
    mark("t4_res_send");
    CHECK(t4_res_send(NULL, 200, "text/plain", "x", 1) == T4_EINVAL);
    CHECK(t4_res_send(res, 99, "text/plain", "x", 1) == T4_EINVAL);
    CHECK(t4_res_send(res, 1000, "text/plain", "x", 1) == T4_EINVAL);
    CHECK(t4_res_send(res, 200, "text/plain", NULL, 1) == T4_EINVAL);
    CHECK(t4_res_send(res, 200, "text/plain\r\nX-Injected: 1", "x", 1) == T4_EINVAL);
    mark("t4_res_text");
    CHECK(t4_res_text(NULL, 200, "x") == T4_EINVAL);
    CHECK(t4_res_text(res, 200, NULL) == T4_EINVAL);
    CHECK(t4_res_text(res, 42, "x") == T4_EINVAL);
    mark("t4_res_html");
    CHECK(t4_res_html(NULL, 200, "x") == T4_EINVAL);
    CHECK(t4_res_html(res, 200, NULL) == T4_EINVAL);
    CHECK(t4_res_html(res, 42, "x") == T4_EINVAL);
    mark("t4_res_json");
    CHECK(t4_res_json(NULL, 200, json_true()) == T4_EINVAL); /* stolen all the same */
    CHECK(t4_res_json(res, 200, NULL) == T4_EINVAL);
    CHECK(t4_res_json(res, 42, json_true()) == T4_EINVAL);
    mark("t4_res_printf");
    CHECK(t4_res_printf(NULL, 200, "text/plain", "%d", 1) == T4_EINVAL);
    CHECK(t4_res_printf(res, 200, "text/plain", NULL) == T4_EINVAL);
    CHECK(t4_res_printf(res, 42, "text/plain", "%d", 1) == T4_EINVAL);
    mark("t4_res_template");
    CHECK(t4_res_template(NULL, 200, "x.html", json_object()) == T4_EINVAL);
    CHECK(t4_res_template(res, 200, NULL, json_object()) == T4_EINVAL);

    /* None of the failed calls sent anything: this one does, once. */
    CHECK(t4_res_text(res, 200, "ok") == 0);
    CHECK(t4_res_text(res, 200, "again") == T4_ESTATE);
    CHECK(t4_res_json(res, 200, json_true()) == T4_ESTATE);
    CHECK(t4_res_header(res, "X-Late", "1") == T4_ESTATE);
}

static int template_rc = 1;
static void template_missing(t4_req *req, t4_res *res)
{
    (void)req;
    template_rc = t4_res_template(res, 200, "no-such-template.html", json_object());
}

/* ---------------------------------------------------------------- */
/* WebSocket: inside the handler                                      */
/* ---------------------------------------------------------------- */

static t4_ws *open_ws; /* for the off-thread checks: alive until the client closes */
static uint64_t open_handle;
static int data_frees, close_events;

static void counting_free(void *p)
{
    data_frees++;
    free(p);
}

static void ws_open_checks(t4_ws *ws)
{
    mark("t4_ws_send");
    CHECK(t4_ws_send(NULL, "x") == T4_EINVAL);
    CHECK(t4_ws_send(ws, NULL) == T4_EINVAL);
    mark("t4_ws_send_text");
    CHECK(t4_ws_send_text(NULL, "x", 1) == T4_EINVAL);
    CHECK(t4_ws_send_text(ws, NULL, 3) == T4_EINVAL);
    CHECK(t4_ws_send_text(ws, bad_utf8, 2) == T4_EINVAL);
    CHECK(t4_ws_send_text(ws, big, BIG_SIZE) == T4_ETOOBIG);
    mark("t4_ws_send_binary");
    CHECK(t4_ws_send_binary(NULL, "x", 1) == T4_EINVAL);
    CHECK(t4_ws_send_binary(ws, NULL, 3) == T4_EINVAL);
    CHECK(t4_ws_send_binary(ws, big, BIG_SIZE) == T4_ETOOBIG);
    mark("t4_ws_sendf");
    CHECK(t4_ws_sendf(NULL, "%d", 1) == T4_EINVAL);
    CHECK(t4_ws_sendf(ws, NULL) == T4_EINVAL);
    mark("t4_ws_send_json");
    CHECK(t4_ws_send_json(NULL, json_true()) == T4_EINVAL);
    CHECK(t4_ws_send_json(ws, NULL) == T4_EINVAL);

    mark("t4_ws_broadcast");
    CHECK(t4_ws_broadcast(NULL, "x", false) == T4_EINVAL);
    CHECK(t4_ws_broadcast(ws, NULL, false) == T4_EINVAL);
    mark("t4_ws_broadcast_text");
    CHECK(t4_ws_broadcast_text(NULL, "x", 1, false) == T4_EINVAL);
    CHECK(t4_ws_broadcast_text(ws, NULL, 3, false) == T4_EINVAL);
    CHECK(t4_ws_broadcast_text(ws, bad_utf8, 2, false) == T4_EINVAL);
    CHECK(t4_ws_broadcast_text(ws, big, BIG_SIZE, false) == T4_ETOOBIG);
    mark("t4_ws_broadcast_binary");
    CHECK(t4_ws_broadcast_binary(NULL, "x", 1, false) == T4_EINVAL);
    CHECK(t4_ws_broadcast_binary(ws, NULL, 3, false) == T4_EINVAL);
    CHECK(t4_ws_broadcast_binary(ws, big, BIG_SIZE, true) == T4_ETOOBIG);
    mark("t4_ws_broadcast_json");
    CHECK(t4_ws_broadcast_json(NULL, json_true(), false) == T4_EINVAL);
    CHECK(t4_ws_broadcast_json(ws, NULL, false) == T4_EINVAL);
    mark("t4_ws_broadcastf");
    CHECK(t4_ws_broadcastf(NULL, false, "%d", 1) == T4_EINVAL);
    CHECK(t4_ws_broadcastf(ws, false, NULL) == T4_EINVAL);
    /* exclude_self with nobody else on the path: queued for nobody */
    CHECK(t4_ws_broadcast(ws, "to the others", true) == 0);

    mark("t4_ws_close");
    CHECK(t4_ws_close(NULL, 1000, NULL) == T4_EINVAL);

    mark("t4_ws_id");
    CHECK(t4_ws_id(NULL) == NULL);
    const char *id = t4_ws_id(ws);
    CHECK(id && strlen(id) == 32 && strspn(id, "0123456789abcdef") == 32);
    mark("t4_ws_protocol");
    CHECK(t4_ws_protocol(NULL) == NULL);
    CHECK(t4_ws_protocol(ws) == NULL); /* the route speaks none */
    mark("t4_ws_path");
    CHECK(t4_ws_path(NULL) == NULL);
    CHECK_STR(t4_ws_path(ws), WS_PATH);
    mark("t4_ws_param");
    CHECK(t4_ws_param(NULL, "id") == NULL);
    CHECK(t4_ws_param(ws, NULL) == NULL);
    CHECK(t4_ws_param(ws, "nope") == NULL);
    CHECK_STR(t4_ws_param(ws, "id"), "5");
    mark("t4_ws_params");
    CHECK(t4_ws_params(NULL) == NULL);
    CHECK(json_is_object(t4_ws_params(ws)) && json_object_size(t4_ws_params(ws)) == 1);
    mark("t4_ws_header");
    CHECK(t4_ws_header(NULL, "Host") == NULL);
    CHECK(t4_ws_header(ws, NULL) == NULL);
    CHECK_STR(t4_ws_header(ws, "X-CONTRACT"), "yes");
    mark("t4_ws_cookie");
    CHECK(t4_ws_cookie(NULL, "c") == NULL);
    CHECK(t4_ws_cookie(ws, NULL) == NULL);
    CHECK_STR(t4_ws_cookie(ws, "c"), "w");
    mark("t4_ws_remote_addr");
    CHECK(t4_ws_remote_addr(NULL) == NULL);
    CHECK_STR(t4_ws_remote_addr(ws), "127.0.0.1");

    mark("t4_ws_connection_count");
    CHECK(t4_ws_connection_count(NULL) == 0);
    CHECK(t4_ws_connection_count(ws) == 1);
    mark("t4_ws_local_connection_count");
    CHECK(t4_ws_local_connection_count(NULL) == 0);
    CHECK(t4_ws_local_connection_count(ws) == 1);
    mark("t4_path_connection_count");
    CHECK(t4_path_connection_count(NULL) == 0);
    CHECK(t4_path_connection_count("/contract/nobody") == 0);
    CHECK(t4_path_connection_count(WS_PATH "?x=1") == 1);
    mark("t4_path_local_connection_count");
    CHECK(t4_path_local_connection_count(NULL) == 0);
    CHECK(t4_path_local_connection_count(WS_PATH "/") == 1);

    mark("t4_ws_join_kind");
    CHECK(t4_ws_join_kind(NULL) == T4_WS_JOIN_FRESH);
    CHECK(t4_ws_join_kind(ws) == T4_WS_JOIN_FRESH); /* a plain client: never a resume */
    mark("t4_ws_set_presence");
    CHECK(t4_ws_set_presence(NULL, json_string("stolen")) == T4_EINVAL); /* freed (ASan: no leak) */
    CHECK(t4_ws_set_presence(ws, NULL) == T4_EINVAL);
    mark("t4_ws_presence");
    CHECK(t4_ws_presence(NULL) == NULL);
    json_t *none = t4_ws_presence(ws);
    CHECK(json_is_array(none) && json_array_size(none) == 0);
    json_decref(none);
    CHECK(t4_ws_set_presence(ws, json_pack("{s:s}", "name", "contract")) == 0);
    mark("t4_path_presence");
    CHECK(t4_path_presence(NULL) == NULL);
    json_t *list = t4_path_presence(WS_PATH);
    CHECK(json_is_array(list) && json_array_size(list) == 1 &&
          strcmp(json_string_value(json_object_get(json_object_get(json_array_get(list, 0), "info"), "name")),
                 "contract") == 0);
    json_decref(list);

    mark("t4_ws_set_data");
    int *kept = malloc(sizeof *kept);
    t4_ws_set_data(NULL, kept, counting_free); /* no effect: still ours */
    CHECK(data_frees == 0);
    free(kept);
    t4_ws_set_data(ws, malloc(1), counting_free);
    t4_ws_set_data(ws, malloc(1), counting_free); /* the first is freed now */
    CHECK(data_frees == 1);
    mark("t4_ws_data");
    CHECK(t4_ws_data(NULL) == NULL);
    CHECK(t4_ws_data(ws) != NULL);

    mark("t4_ws_handle");
    CHECK(t4_ws_handle(NULL) == 0);
    open_handle = t4_ws_handle(ws);
    CHECK(open_handle != 0);
    mark("t4_ws_lookup");
    CHECK(t4_ws_lookup(0) == NULL);
    CHECK(t4_ws_lookup(open_handle + 1000) == NULL);
    CHECK(t4_ws_lookup(open_handle) == ws);

    mark("t4_push");
    CHECK(t4_push(NULL, "x") == T4_EINVAL);
    CHECK(t4_push("no-slash", "x") == T4_EINVAL);
    CHECK(t4_push(WS_PATH, NULL) == T4_EINVAL);
    CHECK(t4_push("/contract/nobody", "x") == 0);
    mark("t4_push_text");
    CHECK(t4_push_text(NULL, "x", 1) == T4_EINVAL);
    CHECK(t4_push_text(WS_PATH, NULL, 3) == T4_EINVAL);
    CHECK(t4_push_text(WS_PATH, bad_utf8, 2) == T4_EINVAL);
    CHECK(t4_push_text(WS_PATH, big, BIG_SIZE) == T4_ETOOBIG);
    mark("t4_push_binary");
    CHECK(t4_push_binary(NULL, "x", 1) == T4_EINVAL);
    CHECK(t4_push_binary(WS_PATH, NULL, 3) == T4_EINVAL);
    CHECK(t4_push_binary(WS_PATH, big, BIG_SIZE) == T4_ETOOBIG);
    mark("t4_push_json");
    CHECK(t4_push_json(NULL, json_true()) == T4_EINVAL);
    CHECK(t4_push_json(WS_PATH, NULL) == T4_EINVAL);
    mark("t4_pushf");
    CHECK(t4_pushf(NULL, "%d", 1) == T4_EINVAL);
    CHECK(t4_pushf(WS_PATH, NULL) == T4_EINVAL);

    open_ws = ws;
    CHECK(t4_ws_send(ws, "opened") == 0); /* the first frame the client sees */
}

static void ws_message_checks(t4_ws *ws, t4_msg msg)
{
    if (strcmp(msg.data, "close-me") != 0) {
        failed("unexpected message", __LINE__);
        return;
    }
    mark("t4_ws_close");
    char reason[125];
    memset(reason, 'r', 124);
    reason[124] = '\0';
    CHECK(t4_ws_close(ws, 999, NULL) == T4_EINVAL);
    CHECK(t4_ws_close(ws, 1005, NULL) == T4_EINVAL); /* reserved: never sent */
    CHECK(t4_ws_close(ws, 5000, NULL) == T4_EINVAL);
    CHECK(t4_ws_close(ws, 1000, reason) == T4_EINVAL); /* over 123 bytes */
    CHECK(t4_ws_close(ws, 1000, bad_utf8) == T4_EINVAL);
    CHECK(t4_ws_close(ws, 4000, "bye") == 0);
    CHECK(t4_ws_close(ws, 4000, "bye") == T4_ECLOSED);
    CHECK(t4_ws_send(ws, "after close") == T4_ECLOSED);
}

static void ws_close_checks(t4_ws *ws, t4_msg msg)
{
    close_events++;
    CHECK(msg.code == 4000);
    CHECK(t4_ws_send(ws, "in close") == T4_ECLOSED);
    CHECK(t4_ws_close(ws, 1000, NULL) == T4_ECLOSED);
    CHECK(t4_ws_lookup(open_handle) == NULL);         /* it is going */
    CHECK(t4_ws_data(ws) != NULL && data_frees == 1); /* freed after this event */
    open_ws = NULL;
}

static void ws_route(t4_ws *ws, t4_ws_event ev, t4_msg msg)
{
    if (ev == T4_WS_OPEN)
        ws_open_checks(ws);
    else if (ev == T4_WS_MESSAGE)
        ws_message_checks(ws, msg);
    else
        ws_close_checks(ws, msg);
}

/* ---------------------------------------------------------------- */
/* The client thread                                                  */
/* ---------------------------------------------------------------- */

static int port;

static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t n = sizeof a;
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0 ||
        getsockname(fd, (struct sockaddr *)&a, &n))
        return -1;
    close(fd);
    return ntohs(a.sin_port);
}

static int dial(void)
{
    for (int tries = 0; tries < 500; tries++) { /* the server may still be starting */
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in a = {.sin_family = AF_INET,
                                .sin_port = htons((uint16_t)port),
                                .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        struct timeval tv = {10, 0}; /* a hang fails the test instead of stalling it */
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        if (connect(fd, (struct sockaddr *)&a, sizeof a) == 0)
            return fd;
        close(fd);
        usleep(10000);
    }
    return -1;
}

static bool send_all(int fd, const void *p, size_t n)
{
    return write(fd, p, n) == (ssize_t)n;
}

/* Reads until EOF: the whole HTTP response (Connection: close). */
static size_t read_all(int fd, char *out, size_t cap)
{
    size_t n = 0;
    ssize_t r;
    while (n + 1 < cap && (r = read(fd, out + n, cap - 1 - n)) > 0)
        n += (size_t)r;
    out[n] = '\0';
    return n;
}

static bool read_exact(int fd, void *p, size_t n)
{
    for (size_t got = 0; got < n;) {
        ssize_t r = read(fd, (char *)p + got, n - got);
        if (r <= 0)
            return false;
        got += (size_t)r;
    }
    return true;
}

/* One unfragmented server frame (payloads here are small). */
static int read_frame(int fd, char *payload, size_t cap, size_t *len)
{
    uint8_t h[2];
    if (!read_exact(fd, h, 2) || (h[1] & 0x7f) > 125 || (h[1] & 0x7f) >= cap)
        return -1;
    *len = h[1] & 0x7f;
    if (!read_exact(fd, payload, *len))
        return -1;
    payload[*len] = '\0';
    return h[0] & 0x0f;
}

/* A client frame: masked (with a zero mask, which RFC 6455 allows). */
static bool write_frame(int fd, int opcode, const void *data, size_t len)
{
    uint8_t f[6 + 125] = {(uint8_t)(0x80 | opcode), (uint8_t)(0x80 | len), 0, 0, 0, 0};
    memcpy(f + 6, data, len);
    return send_all(fd, f, 6 + len);
}

static void client_http(void)
{
    char buf[4096];
    int fd = dial();
    const char *rq = "GET /contract/http/7?q=1 HTTP/1.1\r\nHost: t\r\nX-Contract: yes\r\nCookie: c=v\r\n"
                     "Connection: close\r\n\r\n";
    CHECK(fd >= 0 && send_all(fd, rq, strlen(rq)));
    read_all(fd, buf, sizeof buf);
    close(fd);
    CHECK(strncmp(buf, "HTTP/1.1 200", 12) == 0);
    CHECK(strstr(buf, "X-Contract: ok\r\n") != NULL);
    CHECK(strstr(buf, "X-Injected") == NULL && strstr(buf, "X-Late") == NULL);
    CHECK(strstr(buf, "\r\n\r\nok") != NULL);

    fd = dial();
    rq = "GET /contract/template HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";
    CHECK(fd >= 0 && send_all(fd, rq, strlen(rq)));
    read_all(fd, buf, sizeof buf);
    close(fd);
    CHECK(strncmp(buf, "HTTP/1.1 500", 12) == 0);
}

static void client_ws(void)
{
    char buf[4096];
    size_t len;
    int fd = dial();
    const char *rq = "GET " WS_PATH " HTTP/1.1\r\nHost: t\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                     "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
                     "X-Contract: yes\r\nCookie: c=w\r\n\r\n";
    CHECK(fd >= 0 && send_all(fd, rq, strlen(rq)));
    size_t n = 0;
    while (n + 1 < sizeof buf && (n < 4 || memcmp(buf + n - 4, "\r\n\r\n", 4) != 0) &&
           read_exact(fd, buf + n, 1))
        n++;
    buf[n] = '\0';
    CHECK(strncmp(buf, "HTTP/1.1 101", 12) == 0);
    CHECK(read_frame(fd, buf, sizeof buf, &len) == 1 && strcmp(buf, "opened") == 0);

    /* Off the loop thread: connection calls are refused, pushes queue. */
    mark("t4_ws_send");
    CHECK(t4_ws_send(open_ws, "x") == T4_ETHREAD);
    CHECK(t4_ws_close(open_ws, 1000, NULL) == T4_ETHREAD);
    CHECK(t4_ws_broadcast(open_ws, "x", false) == T4_ETHREAD);
    CHECK(t4_ws_lookup(open_handle) == NULL);
    CHECK(t4_path_connection_count(WS_PATH) == 0);
    CHECK(t4_path_presence(WS_PATH) == NULL);
    CHECK(t4_ws_set_presence(open_ws, json_string("x")) == T4_ETHREAD);
    CHECK(t4_push("no-slash", "x") == T4_EINVAL);
    CHECK(t4_push_text(WS_PATH, big, BIG_SIZE) == T4_ETOOBIG);
    CHECK(t4_push_json(WS_PATH, json_string("from a thread")) == 0); /* queued */
    CHECK(read_frame(fd, buf, sizeof buf, &len) == 1 && strcmp(buf, "\"from a thread\"") == 0);

    CHECK(write_frame(fd, 1, "close-me", 8));
    int op = read_frame(fd, buf, sizeof buf, &len);
    CHECK(op == 8 && len == 5 && (((uint8_t)buf[0] << 8) | (uint8_t)buf[1]) == 4000 &&
          memcmp(buf + 2, "bye", 3) == 0);
    CHECK(write_frame(fd, 8, buf, 2));
    CHECK(read(fd, buf, 1) == 0); /* the server closes the TCP connection */
    close(fd);
}

static void *client(void *arg)
{
    (void)arg;
    client_http();
    client_ws();
    mark("t4_stop");
    t4_stop(); /* from another thread, as the header allows */
    return NULL;
}

/* ---------------------------------------------------------------- */
/* The tests                                                          */
/* ---------------------------------------------------------------- */

static void test_every_function_keeps_its_contract(void **state)
{
    (void)state;
    memset(big, 'b', sizeof big);
    no_server_checks();

    assert_int_equal(t4_route("GET", "/contract/http/{id:int}", http_checks), 0);
    assert_int_equal(t4_route("GET", "/contract/template", template_missing), 0);
    assert_int_equal(t4_websocket("/contract/ws/{id}", ws_route), 0);
    port = free_port();
    assert_true(port > 0);
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, client, NULL), 0);
    int rc = t4_run(&(t4_config){.host = "127.0.0.1",
                                 .port = port,
                                 .quiet_banner = true,
                                 .workers = 1, /* handlers and checks in this process */
                                 .ws_max_message = MAX_MSG,
                                 .templates_dir = "no-such-dir",
                                 .public_dir = ""});
    pthread_join(th, NULL);
    assert_int_equal(rc, 0);

    /* The template route answered 500 and said why. */
    assert_int_equal(template_rc, T4_ENOTFOUND);
    assert_int_equal(close_events, 1);
    assert_int_equal(data_frees, 2); /* the second after CLOSE */

    /* After the run: nothing to deliver to, no port. */
    mark("t4_bound_port");
    assert_int_equal(t4_bound_port(), 0);
    assert_int_equal(t4_push(WS_PATH, "x"), T4_ESTATE);
    assert_null(t4_ws_lookup(open_handle));
    assert_int_equal(failures, 0);
}

/* Every function tina4.h declares has a case above, every case names a
 * function it declares, and every case ran. */
static void test_cases_cover_the_header(void **state)
{
    (void)state;
    FILE *f = fopen(HEADER, "r");
    assert_non_null(f);
    static char text[256 * 1024];
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = '\0';
    int missing = 0, declared = 0;
    bool in_header[NCASES] = {0};
    for (const char *p = strstr(text, "T4_API "); p; p = strstr(p + 1, "T4_API ")) {
        const char *paren = strchr(p, '(');
        const char *end = paren;
        while (end > p && end[-1] == ' ')
            end--;
        const char *start = end;
        while (start > p && (start[-1] == '_' || (start[-1] >= 'a' && start[-1] <= 'z') ||
                             (start[-1] >= '0' && start[-1] <= '9')))
            start--;
        if (!paren || end - start < 4 || strncmp(start, "t4_", 3) != 0)
            continue; /* the #define of T4_API itself */
        declared++;
        size_t i = 0;
        while (i < NCASES && !(strlen(cases[i].name) == (size_t)(end - start) &&
                               strncmp(cases[i].name, start, (size_t)(end - start)) == 0))
            i++;
        if (i == NCASES) {
            fprintf(stderr, "tina4.h declares %.*s, which has no case in %s\n", (int)(end - start), start,
                    __FILE__);
            missing++;
        } else {
            in_header[i] = true;
        }
    }
    for (size_t i = 0; i < NCASES; i++) {
        if (!in_header[i]) {
            fprintf(stderr, "case %s: tina4.h does not declare it\n", cases[i].name);
            missing++;
        } else if (!cases[i].ran) {
            fprintf(stderr, "case %s never ran\n", cases[i].name);
            missing++;
        }
    }
    assert_true(declared > 50);
    assert_int_equal(missing, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_function_keeps_its_contract),
        cmocka_unit_test(test_cases_cover_the_header),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
