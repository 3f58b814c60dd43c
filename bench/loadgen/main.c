/* SPDX-License-Identifier: MIT */
/*
 * main.c -- tina4-loadgen command line.
 *
 *   tina4-loadgen echo      --port P [-c 100] [-p 16] [-s 64] [-d 10] [--mode mixed]
 *   tina4-loadgen broadcast --port P [-n 1000] [-s 64] [-w 16 | -r RATE] [-d 10] [--path /broadcast/bench]
 *   tina4-loadgen idle      --port P [-n 10000] [-d 10] [--ping 5] [--pid SERVER_PID]
 *   tina4-loadgen handshake --port P --tls [-c 32] [-d 10] [--resume]
 *   tina4-loadgen get       --port P [-c 32] [-d 10] [--path /f] [-s BODY_BYTES]
 * --tls (with --ca FILE to verify) runs any of them over TLS.
 *
 * Every run prints one human line and one `RESULT {json}` line, and exits
 * non-zero on protocol errors, failed connections, lost or wrong messages.
 */
#include "lg.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

static void usage(void)
{
    fprintf(stderr,
            "usage: tina4-loadgen echo|broadcast|idle|handshake|get --port PORT [options]\n"
            "  --path P         path (echo, idle, handshake: /echo; broadcast: /broadcast/bench; get: /)\n"
            "  -c, --connections N  echo connections (100); handshake, get: connections at once (32)\n"
            "  -p, --pipeline N     echo messages in flight per connection (16)\n"
            "  -n, --subscribers N  broadcast subscribers (1000) / idle connections (10000)\n"
            "  -s, --size BYTES     message size (64)\n"
            "  -d, --duration S     seconds of measurement (10)\n"
            "  -r, --rate R         broadcast: messages/s (0 = as fast as the window allows)\n"
            "  -w, --window W       broadcast: max unacknowledged messages (16)\n"
            "  --ping S             idle: ping every connection every S seconds (0 = never)\n"
            "  --pid PID            server pid: RSS and CPU are read from /proc\n"
            "  --batch N            connects in progress at once (200)\n"
            "  --mode text|binary|mixed  echo message type (mixed alternates)\n"
            "  --timeout S          seconds allowed to connect everyone (60)\n"
            "  --label NAME         server name put in the RESULT line\n"
            "  --tls                speak TLS (the certificate is not checked unless --ca)\n"
            "  --ca FILE            with --tls: verify the chain against FILE and the name localhost\n"
            "  --resume             handshake: resume sessions with the latest ticket\n"
            "  handshake: each connection does TCP + TLS + WebSocket upgrade, then resets; per second\n"
            "  get: keep-alive GET PATH, one at a time per connection; every body is the file of\n"
            "       bytes 'a'+i%%26 (checked), of -s bytes if given; bytes/s and requests/s\n");
}

static void raise_nofile(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

static double num(const char *s, const char *name, double lo, double hi)
{
    char *end;
    double v = strtod(s, &end);
    if (end == s || *end || v < lo || v > hi) {
        fprintf(stderr, "loadgen: %s must be a number in [%g, %g]\n", name, lo, hi);
        exit(2);
    }
    return v;
}

int main(int argc, char **argv)
{
    if (argc < 2 || argv[1][0] == '-') {
        usage();
        return 2;
    }
    lg_opts o = {
        .scenario = argv[1],
        .label = "server",
        .path = NULL,
        .port = 0,
        .connections = -1,
        .pipeline = 16,
        .size = 64,
        .duration = 10,
        .rate = 0,
        .window = 16,
        .ping = 0,
        .pid = 0,
        .batch = 200,
        .mode = 2,
        .timeout = 60,
    };
    static const struct option longs[] = {
        {"port", required_argument, NULL, 'P'},
        {"path", required_argument, NULL, 'a'},
        {"connections", required_argument, NULL, 'c'},
        {"subscribers", required_argument, NULL, 'n'},
        {"pipeline", required_argument, NULL, 'p'},
        {"size", required_argument, NULL, 's'},
        {"duration", required_argument, NULL, 'd'},
        {"rate", required_argument, NULL, 'r'},
        {"window", required_argument, NULL, 'w'},
        {"ping", required_argument, NULL, 'i'},
        {"pid", required_argument, NULL, 'x'},
        {"batch", required_argument, NULL, 'b'},
        {"mode", required_argument, NULL, 'm'},
        {"label", required_argument, NULL, 'l'},
        {"timeout", required_argument, NULL, 't'},
        {"tls", no_argument, NULL, 'T'},
        {"ca", required_argument, NULL, 'C'},
        {"resume", no_argument, NULL, 'R'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    optind = 2;
    int ch;
    bool tls = false;
    const char *ca = NULL;
    while ((ch = getopt_long(argc, argv, "c:n:p:s:d:r:w:h", longs, NULL)) != -1) {
        switch (ch) {
        case 'P':
            o.port = (int)num(optarg, "--port", 1, 65535);
            break;
        case 'a':
            if (optarg[0] != '/' || strlen(optarg) > 200 || strpbrk(optarg, " \r\n")) {
                fprintf(stderr, "loadgen: --path must start with / and have no spaces\n");
                return 2;
            }
            o.path = optarg;
            break;
        case 'c':
        case 'n':
            o.connections = (int)num(optarg, "connections", 1, 60000);
            break;
        case 'p':
            o.pipeline = (int)num(optarg, "--pipeline", 1, 4096);
            break;
        case 's':
            o.size = (size_t)num(optarg, "--size", 0, 1024.0 * 1024 * 1024);
            o.size_set = true;
            break;
        case 'd':
            o.duration = num(optarg, "--duration", 0.1, 600);
            break;
        case 'r':
            o.rate = num(optarg, "--rate", 0, 10e6);
            break;
        case 'w':
            o.window = (int)num(optarg, "--window", 1, 1 << 20);
            break;
        case 'i':
            o.ping = num(optarg, "--ping", 0, 600);
            break;
        case 'x': /* one pid, or several separated by commas: their sum */
            for (char *save = NULL, *tok = strtok_r(optarg, ",", &save); tok;
                 tok = strtok_r(NULL, ",", &save)) {
                if (o.npids == LG_MAX_PIDS) {
                    fprintf(stderr, "loadgen: at most %d pids\n", LG_MAX_PIDS);
                    return 2;
                }
                o.pids[o.npids++] = (int)num(tok, "--pid", 1, 1 << 30);
            }
            o.pid = o.npids ? o.pids[0] : 0;
            break;
        case 'T':
            tls = true;
            break;
        case 'C':
            ca = optarg;
            break;
        case 'R':
            o.resume = true;
            break;
        case 'b':
            o.batch = (int)num(optarg, "--batch", 1, 10000);
            break;
        case 't':
            o.timeout = num(optarg, "--timeout", 1, 600);
            break;
        case 'm':
            if (strcmp(optarg, "text") == 0)
                o.mode = 0;
            else if (strcmp(optarg, "binary") == 0)
                o.mode = 1;
            else if (strcmp(optarg, "mixed") == 0)
                o.mode = 2;
            else {
                fprintf(stderr, "loadgen: --mode is text, binary or mixed\n");
                return 2;
            }
            break;
        case 'l':
            o.label = optarg;
            break;
        case 'h':
            usage();
            return 0;
        default:
            usage();
            return 2;
        }
    }
    if (o.port == 0) {
        fprintf(stderr, "loadgen: --port is required (the target is always 127.0.0.1)\n");
        return 2;
    }
    if ((ca || o.resume) && !tls) {
        fprintf(stderr, "loadgen: --ca and --resume need --tls\n");
        return 2;
    }
    if (tls && lg_tls_setup(ca, o.resume) != 0)
        return 2;
    signal(SIGPIPE, SIG_IGN);
    raise_nofile();
    if (strcmp(o.scenario, "echo") == 0) {
        if (o.connections < 0)
            o.connections = 100;
        if (!o.path)
            o.path = "/echo";
        return lg_run_echo(&o);
    }
    if (strcmp(o.scenario, "broadcast") == 0) {
        if (o.connections < 0)
            o.connections = 1000;
        if (!o.path)
            o.path = "/broadcast/bench";
        return lg_run_broadcast(&o);
    }
    if (strcmp(o.scenario, "idle") == 0) {
        if (o.connections < 0)
            o.connections = 10000;
        if (!o.path)
            o.path = "/echo";
        return lg_run_idle(&o);
    }
    if (strcmp(o.scenario, "handshake") == 0) {
        if (!tls) {
            fprintf(stderr, "loadgen: handshake needs --tls\n");
            return 2;
        }
        if (o.connections < 0)
            o.connections = 32;
        if (!o.path)
            o.path = "/echo";
        return lg_run_handshake(&o);
    }
    if (strcmp(o.scenario, "get") == 0) {
        if (o.connections < 0)
            o.connections = 32;
        if (!o.path)
            o.path = "/";
        return lg_run_get(&o);
    }
    usage();
    return 2;
}
