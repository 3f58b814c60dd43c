/* SPDX-License-Identifier: MIT */
/* "did you mean": the known word nearest to a mistyped one, by edit distance
 * (insertions, deletions, substitutions and swaps of two neighbours, each
 * counting 1, so --prot is one edit from --port). */
#include "cli.h"
#include <string.h>

enum { MAXW = 64 };

static size_t min3(size_t a, size_t b, size_t c)
{
    size_t m = a < b ? a : b;
    return m < c ? m : c;
}

/* Optimal string alignment distance; words longer than MAXW count as far. */
static size_t distance(const char *a, const char *b)
{
    size_t n = strlen(a), m = strlen(b);
    if (n >= MAXW || m >= MAXW)
        return (size_t)-1;
    size_t d[MAXW + 1][MAXW + 1];
    for (size_t i = 0; i <= n; i++)
        d[i][0] = i;
    for (size_t j = 0; j <= m; j++)
        d[0][j] = j;
    for (size_t i = 1; i <= n; i++) {
        for (size_t j = 1; j <= m; j++) {
            size_t cost = a[i - 1] != b[j - 1];
            d[i][j] = min3(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                d[i - 2][j - 2] + 1 < d[i][j])
                d[i][j] = d[i - 2][j - 2] + 1;
        }
    }
    return d[n][m];
}

const char *t4_cli_suggest(const char *word, const char *const *known)
{
    /* Near enough: about a third of the word may be wrong (at least 1 edit,
     * so "--hlep" finds --help but "--x" does not find --host). */
    size_t len = strlen(word);
    size_t best = len / 3 > 0 ? len / 3 : 1;
    const char *found = NULL;
    for (size_t i = 0; known[i]; i++) {
        size_t d = distance(word, known[i]);
        if (d <= best && (!found || d < best)) {
            best = d;
            found = known[i];
        }
    }
    return found;
}

int t4_cli_unknown(const char *cmd, const char *what, const char *word, const char *const *known)
{
    const char *near = t4_cli_suggest(word, known);
    fprintf(stderr, "%s: unknown %s '%s'", cmd, what, word);
    if (near)
        fprintf(stderr, "; did you mean '%s'?", near);
    fprintf(stderr, "\n(see `%s --help`)\n", cmd);
    return T4_CLI_USAGE;
}
