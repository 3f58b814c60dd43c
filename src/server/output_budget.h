/* SPDX-License-Identifier: MIT */
/*
 * The server-wide budget for queued OUTPUT: HTTP responses, parts of static
 * files being sent, WebSocket frames waiting for slow readers. Each is
 * bounded per connection (the pipelining limit, one file part at a time,
 * TINA4_WS_MAX_BACKPRESSURE), but many clients that stop reading could still
 * pin all memory; TINA4_MAX_OUTPUT_MEMORY bounds the sum. Counted is the
 * memory of the shared output buffers (util/sbuf.h), so a broadcast frame
 * queued to 10 000 connections counts once. Past the budget:
 * - an HTTP connection with output pending gets no further request
 *   processed until its output drains (its input waits, within the input
 *   budget);
 * - a WebSocket send to a connection that is already behind (a write still
 *   in flight: its socket is full) closes it with 1013.
 * Loop thread only.
 */
#ifndef T4_SERVER_OUTPUT_BUDGET_H
#define T4_SERVER_OUTPUT_BUDGET_H
#include <stdbool.h>
#include <stddef.h>

/* Sets the budget (t4_run); 0 means no limit. */
void t4__output_set_limit(size_t limit);
/* True while queued output is over the budget (logged at most once a second). */
bool t4__output_over(void);
#endif
