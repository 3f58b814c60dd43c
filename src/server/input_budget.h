/* SPDX-License-Identifier: MIT */
/*
 * The server-wide budget for buffered INPUT: partial requests and frames
 * (a connection's c->in), streamed request bodies, fragmented messages being
 * reassembled. Each is bounded per connection (TINA4_HTTP_MAX_BODY,
 * TINA4_WS_MAX_MESSAGE), but 10 000 clients each trickling a 1 MiB frame
 * would still hold 10 GiB; TINA4_MAX_INPUT_MEMORY bounds the sum. A buffer
 * that would grow past it is refused: the caller answers 503 (HTTP) or
 * closes with 1013 (WebSocket), and the server goes on. Capacity is what is
 * counted (buffers grow by doubling, so the sum may exceed the budget by at
 * most the last growth). Loop thread only.
 */
#ifndef T4_SERVER_INPUT_BUDGET_H
#define T4_SERVER_INPUT_BUDGET_H
#include "util/buf.h"
#include <stddef.h>

/* 0, T4_ENOMEM, or T4_EBACKPRESSURE when the budget is spent. */
int t4__input_append(t4__buf *b, const void *p, size_t n);
int t4__input_reserve(t4__buf *b, size_t extra);
void t4__input_consume(t4__buf *b, size_t n);
void t4__input_free(t4__buf *b);
size_t t4__input_in_use(void);
/* Sets the budget (t4_run) and logs refusals at most once a second. */
void t4__input_set_limit(size_t limit);
#endif
