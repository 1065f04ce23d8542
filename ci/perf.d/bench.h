/* Shared bits of ci/perf's own benchmark programs (zmq-oxide's code, not libzmq's).
 *
 * Every program prints two lines the harness parses:
 *   count: N          the units of work done (messages, round trips, deliveries)
 *   rate: X UNIT      N per second over the measured interval
 * and leaves with _exit(0) right after: the benchmarks measure the traffic,
 * not the teardown (a proxy thread, for one, never returns). */
#ifndef ZMQ_OXIDE_PERF_BENCH_H
#define ZMQ_OXIDE_PERF_BENCH_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

static double bench_now (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Any failing zmq call ends the program with a message: the harness shows "fail". */
#define CHECK(expr)                                                            \
    do {                                                                       \
        if ((expr) < 0) {                                                      \
            fprintf (stderr, "%s:%d: %s: %s\n", __FILE__, __LINE__, #expr,     \
                     zmq_strerror (zmq_errno ()));                             \
            _exit (1);                                                         \
        }                                                                      \
    } while (0)

#define CHECK_PTR(expr)                                                        \
    do {                                                                       \
        if ((expr) == NULL) {                                                  \
            fprintf (stderr, "%s:%d: %s: %s\n", __FILE__, __LINE__, #expr,     \
                     zmq_strerror (zmq_errno ()));                             \
            _exit (1);                                                         \
        }                                                                      \
    } while (0)

static long bench_arg (int argc, char **argv, int i, const char *usage)
{
    if (argc <= i || atol (argv[i]) <= 0) {
        fprintf (stderr, "usage: %s %s\n", argv[0], usage);
        _exit (2);
    }
    return atol (argv[i]);
}

/* Bind SOCK to an ephemeral loopback port and return the endpoint it got. */
static void bench_bind_any (void *sock, char *endpoint, size_t len)
{
    CHECK (zmq_bind (sock, "tcp://127.0.0.1:*"));
    CHECK (zmq_getsockopt (sock, ZMQ_LAST_ENDPOINT, endpoint, &len));
}

static void bench_report (double count, double seconds, const char *unit)
{
    printf ("count: %.0f\nrate: %.1f %s\n", count, count / seconds, unit);
    fflush (stdout);
    _exit (0);
}

#endif
