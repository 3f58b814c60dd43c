/* SPDX-License-Identifier: MIT */
#ifndef T4_UTIL_RANDOM_ID_H
#define T4_UTIL_RANDOM_ID_H
#include <stddef.h>
#define T4__ID_LEN 32 /* hex characters; 128 bits from the kernel CSPRNG */
/* Fills out with T4__ID_LEN hex characters and a NUL. Returns 0 or -1. */
int t4__random_id(char out[T4__ID_LEN + 1]);
/* Random bytes from the kernel CSPRNG (getrandom). Returns 0 or -1. */
int t4__random_bytes(void *buf, size_t n);
#endif
