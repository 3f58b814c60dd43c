/* SPDX-License-Identifier: MIT */
/* The peer's address of a connection, as text, for t4_req_remote_addr and
 * t4_ws_remote_addr. */
#include "server/server.h"
#include <string.h>

int t4__conn_peer_addr(t4__conn *c, char *out, size_t outsz)
{
    struct sockaddr_storage sa;
    int len = sizeof sa;
    if (uv_tcp_getpeername(&c->tcp, (struct sockaddr *)&sa, &len) != 0)
        return -1;
    int r = sa.ss_family == AF_INET6 ? uv_ip6_name((struct sockaddr_in6 *)&sa, out, outsz)
                                     : uv_ip4_name((struct sockaddr_in *)&sa, out, outsz);
    if (r != 0)
        return -1;
    /* An IPv4 peer on a dual-stack socket reads "::ffff:1.2.3.4": show 1.2.3.4. */
    if (strncmp(out, "::ffff:", 7) == 0 && strchr(out + 7, '.'))
        memmove(out, out + 7, strlen(out + 7) + 1);
    return 0;
}
