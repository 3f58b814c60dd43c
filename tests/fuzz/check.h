/* SPDX-License-Identifier: MIT */
/* The fuzz targets' assertion: unlike assert(), never compiled out, and it
 * names the failed condition before libFuzzer saves the input. */
#ifndef T4_FUZZ_CHECK_H
#define T4_FUZZ_CHECK_H
#include <stdio.h>
#include <stdlib.h>

#define CHECK(c)                                                                                             \
    do {                                                                                                     \
        if (!(c)) {                                                                                          \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #c);                            \
            abort();                                                                                         \
        }                                                                                                    \
    } while (0)
#endif
