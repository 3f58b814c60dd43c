/* SPDX-License-Identifier: MIT */
/*
 * The listening socket and the accept loop.
 *
 * We accept ourselves rather than through uv_listen: on EMFILE/ENFILE
 * libuv's loop quietly accepts and closes the waiting clients with a reserve
 * descriptor and never tells the server. Here, as nginx does, descriptor
 * exhaustion pauses accepting for a moment (the clients wait in the
 * kernel's backlog instead of being dropped), is logged at most once a
 * second with a count, and accepting resumes by itself.
 *
 * Lifecycle: t4__listener_start binds and listens (errors logged, returns
 * T4_EINVAL / T4_EIO) -> accepted sockets go to on_accept -> stop closes it.
 */
#ifndef T4_SERVER_LISTENER_H
#define T4_SERVER_LISTENER_H
#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

typedef struct t4__listener {
    uv_poll_t poll;
    uv_timer_t retry; /* resumes accepting after descriptor exhaustion */
    uv_os_sock_t fd;
    int port; /* the port bound */
    bool started;
    void (*on_accept)(uv_os_sock_t fd); /* takes ownership of fd */
    uint64_t refused;                   /* EMFILE/ENFILE (or other errors) since the last log line */
    uint64_t logged_at;
    int last_error; /* errno of the last refusal */
} t4__listener;

int t4__listener_start(t4__listener *l, uv_loop_t *loop, const char *host, int port,
                       void (*on_accept)(uv_os_sock_t));
/* The two halves of start, apart for workers: the supervisor binds (fd and
 * port out; errors logged, T4_EINVAL / T4_EIO) and each forked worker adopts
 * the inherited socket (stop then closes the worker's copy only). */
int t4__listener_bind(const char *host, int port, int *fd, int *bound_port);
void t4__listener_adopt(t4__listener *l, uv_loop_t *loop, int fd, int port, void (*on_accept)(uv_os_sock_t));
/* Logs refusals not yet reported (force: even within the second). */
void t4__listener_flush_log(t4__listener *l, uint64_t now, bool force);
void t4__listener_stop(t4__listener *l);
#endif
