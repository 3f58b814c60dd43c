/* SPDX-License-Identifier: MIT */
/* The listening socket and the accept loop (see listener.h). */
#include "server/listener.h"
#include "tina4.h"
#include "util/log.h"
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define BACKLOG         4096
#define ACCEPTS_PER_RUN 64  /* then other sockets get their turn */
#define RETRY_MS        100 /* pause after EMFILE/ENFILE */

void t4__listener_flush_log(t4__listener *l, uint64_t now, bool force)
{
    if (l->refused == 0 || (!force && now - l->logged_at < 1000))
        return;
    t4_log(T4_LOG_WARN,
           "accept failed: %s (%s): %llu time(s) in the last second; clients wait in the backlog, serving on",
           strerror(l->last_error),
           l->last_error == EMFILE   ? "EMFILE"
           : l->last_error == ENFILE ? "ENFILE"
                                     : "accept",
           (unsigned long long)l->refused);
    l->refused = 0;
    l->logged_at = now;
}

static void note_refusal(t4__listener *l, int err)
{
    l->refused++;
    l->last_error = err;
    t4__listener_flush_log(l, uv_now(l->poll.loop), false);
}

static void on_readable(uv_poll_t *p, int status, int events);

static void on_retry(uv_timer_t *t)
{
    t4__listener *l = t->data;
    uv_poll_start(&l->poll, UV_READABLE, on_readable);
}

static int accept_one(int fd)
{
#ifdef __linux__
    return accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
#else
    int c = accept(fd, NULL, NULL);
    if (c >= 0) {
        fcntl(c, F_SETFD, FD_CLOEXEC);
        fcntl(c, F_SETFL, fcntl(c, F_GETFL) | O_NONBLOCK);
    }
    return c;
#endif
}

static void on_readable(uv_poll_t *p, int status, int events)
{
    (void)events;
    t4__listener *l = p->data;
    if (status < 0)
        return;
    for (int i = 0; i < ACCEPTS_PER_RUN; i++) {
        int c = accept_one(l->fd);
        if (c >= 0) {
            l->on_accept(c);
            continue;
        }
        int err = errno;
        if (err == EAGAIN || err == EWOULDBLOCK)
            return;
        if (err == EINTR || err == ECONNABORTED || err == EPROTO)
            continue; /* that client gave up; the next may not have */
        note_refusal(l, err);
        /* Out of descriptors (or memory): accepting again at once would spin
         * on the same error. Pause; the clients wait in the backlog. */
        uv_poll_stop(&l->poll);
        uv_timer_start(&l->retry, on_retry, RETRY_MS, 0);
        return;
    }
}

static int bind_listen(t4__listener *l, const struct sockaddr *addr, socklen_t alen)
{
    int fd = socket(addr->sa_family, SOCK_STREAM, 0);
    if (fd < 0)
        return -errno;
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    fcntl(fd, F_SETFD, FD_CLOEXEC);
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    if (bind(fd, addr, alen) != 0 || listen(fd, BACKLOG) != 0) {
        int e = errno;
        close(fd);
        return -e;
    }
    l->fd = fd;
    return 0;
}

int t4__listener_bind(const char *host, int port, int *fd, int *bound_port)
{
    if (port < 0)
        port = 0; /* any free port */
    t4__listener l = {.fd = -1};
    struct sockaddr_storage addr;
    socklen_t alen = sizeof(struct sockaddr_in);
    if (uv_ip4_addr(host, port, (struct sockaddr_in *)&addr) != 0) {
        alen = sizeof(struct sockaddr_in6);
        if (uv_ip6_addr(host, port, (struct sockaddr_in6 *)&addr) != 0) {
            t4_log(T4_LOG_ERROR, "TINA4_HOST '%s' is not an IP address", host);
            return T4_EINVAL;
        }
    }
    int r = bind_listen(&l, (struct sockaddr *)&addr, alen);
    if (r != 0) {
        t4_log(T4_LOG_ERROR, "cannot listen on %s:%d: %s", host, port, strerror(-r));
        return T4_EIO;
    }
    struct sockaddr_storage bound;
    socklen_t blen = sizeof bound;
    getsockname(l.fd, (struct sockaddr *)&bound, &blen);
    *bound_port = ntohs(bound.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&bound)->sin6_port
                                                    : ((struct sockaddr_in *)&bound)->sin_port);
    *fd = l.fd;
    return 0;
}

void t4__listener_adopt(t4__listener *l, uv_loop_t *loop, int fd, int port, void (*on_accept)(uv_os_sock_t))
{
    memset(l, 0, sizeof *l);
    l->fd = fd;
    l->port = port;
    l->on_accept = on_accept;
    uv_poll_init_socket(loop, &l->poll, l->fd);
    uv_timer_init(loop, &l->retry);
    l->poll.data = l->retry.data = l;
    uv_poll_start(&l->poll, UV_READABLE, on_readable);
    l->started = true;
}

int t4__listener_start(t4__listener *l, uv_loop_t *loop, const char *host, int port,
                       void (*on_accept)(uv_os_sock_t))
{
    int fd, bound;
    int r = t4__listener_bind(host, port, &fd, &bound);
    if (r != 0)
        return r;
    t4__listener_adopt(l, loop, fd, bound, on_accept);
    return 0;
}

void t4__listener_stop(t4__listener *l)
{
    if (!l->started)
        return;
    l->started = false;
    uv_poll_stop(&l->poll);
    uv_timer_stop(&l->retry);
    close(l->fd); /* not polled any more: safe to close */
    l->fd = -1;
    uv_close((uv_handle_t *)&l->poll, NULL);
    uv_close((uv_handle_t *)&l->retry, NULL);
}
