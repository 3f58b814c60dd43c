/* SPDX-License-Identifier: MIT */
/*
 * util.c -- latency histogram, /proc readings and report output.
 */
#include "lg.h"

#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

/* Buckets: values below 128 ns are exact; above, each power of two is split
 * into 64 sub-buckets (7 significant bits), so a bucket is < 1.6% wide. */
static unsigned hist_index(uint64_t v)
{
    if (v < 128)
        return (unsigned)v;
    unsigned msb = 63u - (unsigned)__builtin_clzll(v);
    unsigned shift = msb - 6;
    return 128 + (shift - 1) * 64 + (unsigned)((v >> shift) - 64);
}

static uint64_t hist_value(unsigned idx)
{
    if (idx < 128)
        return idx;
    unsigned shift = (idx - 128) / 64 + 1;
    uint64_t sub = (idx - 128) % 64 + 64;
    uint64_t lo = sub << shift;
    return lo + ((1ull << shift) >> 1); /* the middle of the bucket */
}

void lg_hist_reset(lg_hist *h)
{
    memset(h, 0, sizeof *h);
    h->min = UINT64_MAX;
}

void lg_hist_add(lg_hist *h, uint64_t ns)
{
    unsigned i = hist_index(ns);
    if (i >= LG_HIST_BUCKETS)
        i = LG_HIST_BUCKETS - 1;
    h->counts[i]++;
    h->n++;
    h->sum += (long double)ns;
    if (ns > h->max)
        h->max = ns;
    if (ns < h->min)
        h->min = ns;
}

uint64_t lg_hist_quantile(const lg_hist *h, double q)
{
    if (h->n == 0)
        return 0;
    uint64_t rank = (uint64_t)(q * (double)h->n);
    if (rank >= h->n)
        rank = h->n - 1;
    uint64_t seen = 0;
    for (unsigned i = 0; i < LG_HIST_BUCKETS; i++) {
        seen += h->counts[i];
        if (seen > rank) {
            uint64_t v = hist_value(i);
            if (v > h->max)
                v = h->max;
            if (v < h->min)
                v = h->min;
            return v;
        }
    }
    return h->max;
}

static long one_rss_kb(int pid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/status", pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    char line[256];
    long kb = -1;
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "VmRSS:", 6) == 0) {
            kb = strtol(line + 6, NULL, 10);
            break;
        }
    }
    fclose(f);
    return kb;
}

/* Fields of /proc/PID/stat after the ")" of the command name: ppid is field
 * 4, utime 14, stime 15. Returns false if the process is gone. */
static bool one_stat(int pid, int *ppid, double *cpu_s)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return false;
    char buf[1024];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    char *p = strrchr(buf, ')');
    if (!p)
        return false;
    p++;
    unsigned long long ut = 0, st = 0;
    int field = 2;
    char *save = NULL;
    for (char *tok = strtok_r(p, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
        field++;
        if (field == 4)
            *ppid = (int)strtol(tok, NULL, 10);
        if (field == 14)
            ut = strtoull(tok, NULL, 10);
        if (field == 15) {
            st = strtoull(tok, NULL, 10);
            break;
        }
    }
    long hz = sysconf(_SC_CLK_TCK);
    *cpu_s = (double)(ut + st) / (double)(hz > 0 ? hz : 100);
    return true;
}

/* The server may be a supervisor with worker processes (TINA4_WORKERS > 1):
 * its readings are those of the process plus its direct children. */
typedef struct {
    double cpu_s;
    long rss_kb;
} tree_usage;

static bool tree_read(int pid, tree_usage *u)
{
    int ppid = 0;
    if (pid <= 0 || !one_stat(pid, &ppid, &u->cpu_s))
        return false;
    u->rss_kb = one_rss_kb(pid);
    DIR *d = opendir("/proc");
    if (!d)
        return true;
    struct dirent *e;
    while ((e = readdir(d))) {
        char *end;
        long child = strtol(e->d_name, &end, 10);
        if (*end || child <= 0 || child == pid)
            continue;
        double cpu = 0;
        if (one_stat((int)child, &ppid, &cpu) && ppid == pid) {
            u->cpu_s += cpu;
            long kb = one_rss_kb((int)child);
            if (kb > 0)
                u->rss_kb += kb;
        }
    }
    closedir(d);
    return true;
}

long lg_proc_rss_kb(int pid)
{
    tree_usage u;
    return tree_read(pid, &u) ? u.rss_kb : -1;
}

double lg_proc_cpu_s(int pid)
{
    tree_usage u;
    return tree_read(pid, &u) ? u.cpu_s : -1;
}

double lg_self_cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
           (double)ru.ru_stime.tv_usec / 1e6;
}

double lg_machine_busy_s(void)
{
    FILE *f = fopen("/proc/stat", "r");
    if (!f)
        return -1;
    unsigned long long v[8] = {0};
    int n = fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5],
                   &v[6], &v[7]);
    fclose(f);
    if (n < 7)
        return -1;
    /* user nice system [idle iowait] irq softirq steal */
    unsigned long long busy = v[0] + v[1] + v[2] + v[5] + v[6] + v[7];
    long hz = sysconf(_SC_CLK_TCK);
    return (double)busy / (double)(hz > 0 ? hz : 100);
}

double lg_other_cpu(double busy0, double busy1, double self_s, double server_s, double secs)
{
    if (busy0 < 0 || busy1 < 0 || server_s < 0 || secs <= 0)
        return -1;
    double other = (busy1 - busy0 - self_s - server_s) / secs;
    return other < 0 ? 0 : other;
}

void lg_print_result(const char *human, const char *json)
{
    printf("%s\n", human);
    printf("RESULT %s\n", json);
    fflush(stdout);
}

const char *lg_json_str(const char *s)
{
    static char buf[512];
    size_t o = 0;
    buf[o++] = '"';
    for (; s && *s && o < sizeof buf - 8; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\') {
            buf[o++] = '\\';
            buf[o++] = (char)ch;
        } else if (ch < 0x20) {
            o += (size_t)snprintf(buf + o, sizeof buf - o, "\\u%04x", ch);
        } else {
            buf[o++] = (char)ch;
        }
    }
    buf[o++] = '"';
    buf[o] = 0;
    return buf;
}

long lg_server_rss_kb(const lg_opts *o)
{
    long sum = 0;
    for (int i = 0; i < o->npids; i++) {
        long kb = lg_proc_rss_kb(o->pids[i]);
        if (kb < 0)
            return -1;
        sum += kb;
    }
    return o->npids ? sum : -1;
}

double lg_server_cpu_s(const lg_opts *o)
{
    double sum = 0;
    for (int i = 0; i < o->npids; i++) {
        double s = lg_proc_cpu_s(o->pids[i]);
        if (s < 0)
            return -1;
        sum += s;
    }
    return o->npids ? sum : -1;
}
