/* SPDX-License-Identifier: MIT */
/*
 * Clients that send too slowly. A request body or a WebSocket frame that is
 * partly received holds input memory; a client that then trickles a byte
 * every few seconds never trips a "no byte for N seconds" timeout, so a few
 * such clients could hold the whole input budget forever. Two defences:
 *
 * - A minimum data rate (in the spirit of Apache's mod_reqtimeout MinRate):
 *   while a body or frame is in progress, each window of
 *   TINA4_MIN_DATA_RATE_GRACE must bring at least TINA4_MIN_DATA_RATE bytes
 *   per second, else the client gets 408 (HTTP) or close 1008 (WebSocket).
 * - Reclaim under contention: when a buffer cannot grow because the input
 *   budget is spent, the slowest holder (no byte for a second, or below the
 *   rate in its current window) is cut off and its memory given to the
 *   newcomer, instead of refusing the newcomer.
 *
 * Loop thread only.
 */
#ifndef T4_SERVER_SLOW_CLIENTS_H
#define T4_SERVER_SLOW_CLIENTS_H
#include "server/server.h"

/* The per-tick check of one connection against the minimum data rate. */
void t4__slow_check(t4__conn *c, uint64_t now);
/* Frees input memory by cutting off slow holders until `need` bytes are
 * free or none is left to cut; true if anything was freed (input_budget.c
 * calls it before refusing). */
bool t4__slow_reclaim(size_t need);
#endif
