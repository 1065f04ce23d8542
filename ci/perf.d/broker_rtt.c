/* ci/perf: round trips per second through a ROUTER/DEALER broker.
 *
 *   broker_rtt CLIENTS WORKERS SIZE ROUNDTRIPS_PER_CLIENT
 *
 * One process, the shape of the classic request-reply broker: a zmq_proxy
 * thread between a ROUTER (clients' side) and a DEALER (workers' side), both
 * bound on loopback tcp; CLIENTS threads with a REQ socket each send SIZE-byte
 * requests and wait for the reply; WORKERS threads with a REP socket each echo
 * them.  Timed from the moment every client has done one warm-up round trip
 * until the last client is done. */
#include "bench.h"
#include <pthread.h>

static void *ctx;
static char front[256], back[256];
static long size, rounds;
static pthread_barrier_t start;

static void *proxy_main (void *arg)
{
    void **socks = arg;
    zmq_proxy (socks[0], socks[1], NULL);
    return NULL;
}

static void *worker_main (void *arg)
{
    (void) arg;
    void *rep = zmq_socket (ctx, ZMQ_REP);
    CHECK_PTR (rep);
    CHECK (zmq_connect (rep, back));
    zmq_msg_t msg;
    CHECK (zmq_msg_init (&msg));
    for (;;) {
        CHECK (zmq_msg_recv (&msg, rep, 0));
        CHECK (zmq_msg_send (&msg, rep, 0));
    }
    return NULL;
}

static void round_trip (void *req, zmq_msg_t *msg)
{
    CHECK (zmq_msg_init_size (msg, size));
    memset (zmq_msg_data (msg), 'r', size);
    CHECK (zmq_msg_send (msg, req, 0));
    CHECK (zmq_msg_recv (msg, req, 0));
    if ((long) zmq_msg_size (msg) != size) {
        fprintf (stderr, "reply of %zu bytes, expected %ld\n", zmq_msg_size (msg), size);
        _exit (1);
    }
    zmq_msg_close (msg);
}

static void *client_main (void *arg)
{
    (void) arg;
    void *req = zmq_socket (ctx, ZMQ_REQ);
    CHECK_PTR (req);
    CHECK (zmq_connect (req, front));
    zmq_msg_t msg;
    round_trip (req, &msg); /* warm-up: connected through to a worker */
    pthread_barrier_wait (&start);
    for (long i = 0; i < rounds; i++)
        round_trip (req, &msg);
    return NULL;
}

int main (int argc, char **argv)
{
    const char *usage = "CLIENTS WORKERS SIZE ROUNDTRIPS_PER_CLIENT";
    long clients = bench_arg (argc, argv, 1, usage);
    long workers = bench_arg (argc, argv, 2, usage);
    size = bench_arg (argc, argv, 3, usage);
    rounds = bench_arg (argc, argv, 4, usage);

    ctx = zmq_ctx_new ();
    CHECK_PTR (ctx);
    void *socks[2] = {zmq_socket (ctx, ZMQ_ROUTER), zmq_socket (ctx, ZMQ_DEALER)};
    CHECK_PTR (socks[0]);
    CHECK_PTR (socks[1]);
    bench_bind_any (socks[0], front, sizeof front);
    bench_bind_any (socks[1], back, sizeof back);
    pthread_t t;
    pthread_create (&t, NULL, proxy_main, socks);
    for (long i = 0; i < workers; i++)
        pthread_create (&t, NULL, worker_main, NULL);

    pthread_barrier_init (&start, NULL, (unsigned) clients + 1);
    pthread_t *cl = calloc ((size_t) clients, sizeof *cl);
    for (long i = 0; i < clients; i++)
        pthread_create (&cl[i], NULL, client_main, NULL);
    pthread_barrier_wait (&start);
    double t0 = bench_now ();
    for (long i = 0; i < clients; i++)
        pthread_join (cl[i], NULL);
    bench_report ((double) clients * rounds, bench_now () - t0, "roundtrips/s");
}
