/* PUB/SUB scaling benchmark for ci/pubsub-scale. One program, several modes; it runs on
 * whichever libzmq.so.5 the loader gives it (LD_LIBRARY_PATH), so the driver runs the
 * same binary on ours and on Debian's libzmq, alternating. Each mode prints one line of
 * "key=value" results. Timestamps are CLOCK_MONOTONIC, which all processes share.
 *
 *   rate N M SIZE        SUB holds N subscriptions; PUB sends M messages, each matching
 *                        one of them; msg/s as seen by the SUB (ipc, no HWM, no loss)
 *   fanout-pub EP K M    XPUB on EP waits for K subscribers, sends M messages + K ends
 *   fanout-sub EP K M    K SUB sockets on EP; total deliveries/s until each got M
 *   flood-pub EP SECS    PUB on EP sends "h"+stamp in a tight loop for SECS seconds
 *   flood-sub EP SECS    SUB on EP (topic "h"): prints per-10ms receive counts
 *   conflate MODE N      PULL+CONFLATE (MODE before|after: set before/after bind) fed
 *                        by a PUSH flooding from another thread: time for N receives,
 *                        age of the messages received
 *   sublat R             R times: a tcp SUB connects to a PUB that publishes every
 *                        50 us; time from setsockopt(SUBSCRIBE) to the first message
 */
#define _GNU_SOURCE
#include <zmq.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

#define CHECK(x) do { if ((x) < 0) { fprintf(stderr, "%s:%d: %s: %s\n", __FILE__, __LINE__, #x, zmq_strerror(errno)); exit(1); } } while (0)

static void set_int(void *s, int opt, int v) { CHECK(zmq_setsockopt(s, opt, &v, sizeof v)); }

static long rss_kb(void) {
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kb = -1;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "VmRSS: %ld", &kb) == 1) break;
    if (f) fclose(f);
    return kb;
}

/* ------------------------------------------------------------------ rate */
struct rate_args { void *pub; long n, m; int size; };

static void topic_of(char *buf, long i) { sprintf(buf, "T%09ld", i); }

static void *rate_sender(void *p) {
    struct rate_args *a = p;
    char buf[4096];
    memset(buf, 'x', sizeof buf);
    for (long i = 0; i < a->m; i++) {
        char t[16];
        topic_of(t, (i * 7919) % a->n);
        memcpy(buf, t, 10);
        CHECK(zmq_send(a->pub, buf, a->size, 0));
    }
    return NULL;
}

static int rate(long n, long m, int size) {
    if (size < 10 || size > 4096) size = 16;
    void *ctx = zmq_ctx_new();
    void *pub = zmq_socket(ctx, ZMQ_PUB), *sub = zmq_socket(ctx, ZMQ_SUB);
    char ep[64];
    sprintf(ep, "ipc:///tmp/zo-pubsub-rate-%d", getpid());
    set_int(pub, ZMQ_SNDHWM, 0); set_int(pub, ZMQ_RCVHWM, 0);
    set_int(sub, ZMQ_SNDHWM, 0); set_int(sub, ZMQ_RCVHWM, 0);
    CHECK(zmq_bind(pub, ep));
    CHECK(zmq_connect(sub, ep));
    double t0 = now();
    char t[16];
    for (long i = 0; i < n; i++) {
        topic_of(t, i);
        CHECK(zmq_setsockopt(sub, ZMQ_SUBSCRIBE, t, 10));
    }
    CHECK(zmq_setsockopt(sub, ZMQ_SUBSCRIBE, "SYNC", 4));
    /* Subscriptions travel in order: once SYNC matches, all N are in force. */
    char buf[4096];
    for (;;) {
        CHECK(zmq_send(pub, "SYNC", 4, 0));
        zmq_pollitem_t it = { sub, 0, ZMQ_POLLIN, 0 };
        if (zmq_poll(&it, 1, 1) > 0) {
            CHECK(zmq_recv(sub, buf, sizeof buf, 0));
            if (memcmp(buf, "SYNC", 4) == 0) break;
        }
    }
    double t_sub = now() - t0;
    /* Drain SYNC copies still in flight. */
    while (zmq_recv(sub, buf, sizeof buf, ZMQ_DONTWAIT) >= 0) {}
    struct rate_args a = { pub, n, m, size };
    pthread_t th;
    double t1 = now();
    pthread_create(&th, NULL, rate_sender, &a);
    long got = 0;
    while (got < m) {
        int r = zmq_recv(sub, buf, sizeof buf, 0);
        CHECK(r);
        if (memcmp(buf, "SYNC", 4) != 0) got++;
    }
    double el = now() - t1;
    pthread_join(th, NULL);
    printf("subs=%ld msgs=%ld rate=%.0f subscribe_s=%.3f rss_kb=%ld\n", n, m, m / el, t_sub, rss_kb());
    zmq_close(pub); zmq_close(sub);
    zmq_ctx_term(ctx);
    unlink(ep + 6);
    return 0;
}

/* ---------------------------------------------------------------- fanout */
static int fanout_pub(const char *ep, int k, long m) {
    void *ctx = zmq_ctx_new();
    void *pub = zmq_socket(ctx, ZMQ_XPUB);
    set_int(pub, ZMQ_SNDHWM, 0);
    set_int(pub, ZMQ_XPUB_VERBOSE, 1);
    CHECK(zmq_bind(pub, ep));
    char buf[64];
    for (int got = 0; got < k;) {
        int r = zmq_recv(pub, buf, sizeof buf, 0);
        CHECK(r);
        if (r >= 1 && buf[0] == 1) got++;
    }
    memset(buf, 'x', sizeof buf);
    for (long i = 0; i < m; i++) CHECK(zmq_send(pub, buf, 16, 0));
    CHECK(zmq_send(pub, "END", 3, 0));
    /* Stay until the subscribers are done: they all subscribed to "", whose one
       unsubscription comes when the last of them closes (XPUB_VERBOSE passes
       duplicate subscriptions, not unsubscriptions: those only with VERBOSER). */
    set_int(pub, ZMQ_RCVTIMEO, 60000);
    for (;;) {
        int r = zmq_recv(pub, buf, sizeof buf, 0);
        if (r < 0 || (r >= 1 && buf[0] == 0)) break;
    }
    zmq_close(pub);
    zmq_ctx_term(ctx);
    return 0;
}

static int fanout_sub(const char *ep, int k, long m) {
    void *ctx = zmq_ctx_new();
    void **subs = calloc(k, sizeof *subs);
    long *got = calloc(k, sizeof *got);
    zmq_pollitem_t *items = calloc(k, sizeof *items);
    for (int i = 0; i < k; i++) {
        subs[i] = zmq_socket(ctx, ZMQ_SUB);
        set_int(subs[i], ZMQ_RCVHWM, 0);
        CHECK(zmq_connect(subs[i], ep));
        CHECK(zmq_setsockopt(subs[i], ZMQ_SUBSCRIBE, "", 0));
        items[i].socket = subs[i];
        items[i].events = ZMQ_POLLIN;
    }
    int done = 0;
    double t0 = 0, t1 = 0;
    char buf[64];
    while (done < k) {
        int any = 0;
        for (int i = 0; i < k; i++) {
            if (got[i] > m) continue;
            while (got[i] <= m) {
                int r = zmq_recv(subs[i], buf, sizeof buf, ZMQ_DONTWAIT);
                if (r < 0) break;
                if (t0 == 0) t0 = now();
                any = 1;
                got[i]++;
                if (r == 3 && memcmp(buf, "END", 3) == 0) {
                    if (got[i] != m + 1) { fprintf(stderr, "subscriber %d: END after %ld\n", i, got[i] - 1); exit(1); }
                    done++;
                    t1 = now();
                }
            }
        }
        if (!any) zmq_poll(items, k, 10);
    }
    printf("subscribers=%d msgs=%ld rate=%.0f\n", k, m, (double)k * m / (t1 - t0));
    for (int i = 0; i < k; i++) zmq_close(subs[i]);
    zmq_ctx_term(ctx);
    return 0;
}

/* ----------------------------------------------------------------- flood */
static int flood_pub(const char *ep, double secs) {
    void *ctx = zmq_ctx_new();
    void *pub = zmq_socket(ctx, ZMQ_PUB);
    CHECK(zmq_bind(pub, ep));
    printf("ready pid=%d\n", getpid());
    fflush(stdout);
    double end = now() + secs;
    char buf[16] = "h";
    long sent = 0;
    while (now() < end) {
        for (int i = 0; i < 256; i++) {
            double t = now();
            memcpy(buf + 1, &t, sizeof t);
            CHECK(zmq_send(pub, buf, 9, 0));
            sent++;
        }
    }
    printf("sent=%ld rss_kb=%ld\n", sent, rss_kb());
    int z = 0;
    zmq_setsockopt(pub, ZMQ_LINGER, &z, sizeof z);
    zmq_close(pub);
    zmq_ctx_term(ctx);
    return 0;
}

static int flood_sub(const char *ep, double secs) {
    void *ctx = zmq_ctx_new();
    void *sub = zmq_socket(ctx, ZMQ_SUB);
    CHECK(zmq_connect(sub, ep));
    CHECK(zmq_setsockopt(sub, ZMQ_SUBSCRIBE, "h", 1));
    set_int(sub, ZMQ_RCVTIMEO, 100);
    double start = now(), end = start + secs;
    /* 10 ms buckets, printed as "bucket_start_time count". */
    int nb = (int)(secs * 100) + 2;
    long *count = calloc(nb, sizeof *count);
    char buf[64];
    double t;
    while ((t = now()) < end) {
        if (zmq_recv(sub, buf, sizeof buf, 0) >= 0) {
            int b = (int)((now() - start) * 100);
            if (b >= 0 && b < nb) count[b]++;
        }
    }
    for (int b = 0; b < nb; b++) printf("%.3f %ld\n", start + b / 100.0, count[b]);
    zmq_close(sub);
    zmq_ctx_term(ctx);
    return 0;
}

/* -------------------------------------------------------------- conflate */
static volatile int stop_flag;
static void *conflate_sender(void *p) {
    void *push = p;
    char buf[16];
    while (!stop_flag) {
        double t = now();
        memcpy(buf, &t, sizeof t);
        if (zmq_send(push, buf, sizeof t, 0) < 0) break;
    }
    return NULL;
}

static int conflate(const char *mode, int n) {
    void *ctx = zmq_ctx_new();
    void *pull = zmq_socket(ctx, ZMQ_PULL), *push = zmq_socket(ctx, ZMQ_PUSH);
    int before = strcmp(mode, "before") == 0;
    if (before) set_int(pull, ZMQ_CONFLATE, 1);
    CHECK(zmq_bind(pull, "tcp://127.0.0.1:*"));
    char ep[128];
    size_t len = sizeof ep;
    CHECK(zmq_getsockopt(pull, ZMQ_LAST_ENDPOINT, ep, &len));
    CHECK(zmq_connect(push, ep));
    pthread_t th;
    pthread_create(&th, NULL, conflate_sender, push);
    if (!before) set_int(pull, ZMQ_CONFLATE, 1);
    set_int(pull, ZMQ_RCVTIMEO, 5000);
    double t0 = now(), max_age = 0, max_gap = 0, last = t0;
    int got = 0;
    char buf[16];
    for (; got < n; got++) {
        if (zmq_recv(pull, buf, sizeof buf, 0) < 0) break;
        double t = now(), sent;
        memcpy(&sent, buf, sizeof sent);
        if (t - sent > max_age) max_age = t - sent;
        if (t - last > max_gap) max_gap = t - last;
        last = t;
    }
    double el = now() - t0;
    stop_flag = 1;
    pthread_join(th, NULL);
    printf("mode=%s received=%d of=%d seconds=%.4f max_age_ms=%.2f max_gap_ms=%.2f\n", mode, got, n, el, max_age * 1e3, max_gap * 1e3);
    int z = 0;
    zmq_setsockopt(push, ZMQ_LINGER, &z, sizeof z);
    zmq_close(push); zmq_close(pull);
    zmq_ctx_term(ctx);
    return got == n ? 0 : 1;
}

/* ---------------------------------------------------------------- sublat */
static void *sublat_pub(void *p) {
    void *pub = p;
    struct timespec ts = { 0, 50000 };
    while (!stop_flag) {
        zmq_send(pub, "m", 1, 0);
        nanosleep(&ts, NULL);
    }
    return NULL;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static int sublat(int r) {
    void *ctx = zmq_ctx_new();
    void *pub = zmq_socket(ctx, ZMQ_PUB);
    CHECK(zmq_bind(pub, "tcp://127.0.0.1:*"));
    char ep[128];
    size_t len = sizeof ep;
    CHECK(zmq_getsockopt(pub, ZMQ_LAST_ENDPOINT, ep, &len));
    pthread_t th;
    pthread_create(&th, NULL, sublat_pub, pub);
    double *lat = calloc(r, sizeof *lat);
    for (int i = 0; i < r; i++) {
        void *sub = zmq_socket(ctx, ZMQ_SUB);
        /* Connected and handshaken first (as pyzmq's test does with a sleep). */
        char mon[64];
        sprintf(mon, "inproc://sublat-mon-%d", i);
        CHECK(zmq_socket_monitor(sub, mon, ZMQ_EVENT_HANDSHAKE_SUCCEEDED));
        void *m = zmq_socket(ctx, ZMQ_PAIR);
        CHECK(zmq_connect(m, mon));
        CHECK(zmq_connect(sub, ep));
        zmq_msg_t ev;
        zmq_msg_init(&ev);
        CHECK(zmq_msg_recv(&ev, m, 0));
        CHECK(zmq_msg_recv(&ev, m, 0));
        zmq_msg_close(&ev);
        double t0 = now();
        CHECK(zmq_setsockopt(sub, ZMQ_SUBSCRIBE, "", 0));
        char buf[8];
        CHECK(zmq_recv(sub, buf, sizeof buf, 0));
        lat[i] = now() - t0;
        zmq_socket_monitor(sub, NULL, 0);
        int z = 0;
        zmq_setsockopt(sub, ZMQ_LINGER, &z, sizeof z);
        zmq_setsockopt(m, ZMQ_LINGER, &z, sizeof z);
        zmq_close(m);
        zmq_close(sub);
    }
    stop_flag = 1;
    pthread_join(th, NULL);
    qsort(lat, r, sizeof *lat, cmp_double);
    printf("runs=%d median_us=%.0f min_us=%.0f max_us=%.0f\n", r, lat[r / 2] * 1e6, lat[0] * 1e6, lat[r - 1] * 1e6);
    int z = 0;
    zmq_setsockopt(pub, ZMQ_LINGER, &z, sizeof z);
    zmq_close(pub);
    zmq_ctx_term(ctx);
    return 0;
}

int main(int argc, char **argv) {
    /* Hundreds of connections: raise the descriptor limit to the hard one. */
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0) { rl.rlim_cur = rl.rlim_max; setrlimit(RLIMIT_NOFILE, &rl); }
    if (argc >= 5 && !strcmp(argv[1], "rate")) return rate(atol(argv[2]), atol(argv[3]), atoi(argv[4]));
    if (argc >= 5 && !strcmp(argv[1], "fanout-pub")) return fanout_pub(argv[2], atoi(argv[3]), atol(argv[4]));
    if (argc >= 5 && !strcmp(argv[1], "fanout-sub")) return fanout_sub(argv[2], atoi(argv[3]), atol(argv[4]));
    if (argc >= 4 && !strcmp(argv[1], "flood-pub")) return flood_pub(argv[2], atof(argv[3]));
    if (argc >= 4 && !strcmp(argv[1], "flood-sub")) return flood_sub(argv[2], atof(argv[3]));
    if (argc >= 4 && !strcmp(argv[1], "conflate")) return conflate(argv[2], atoi(argv[3]));
    if (argc >= 3 && !strcmp(argv[1], "sublat")) return sublat(atoi(argv[2]));
    fprintf(stderr, "usage: see the comment at the top of %s\n", __FILE__);
    return 2;
}
