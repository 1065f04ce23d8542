/* ci/perf: PUB/SUB fan-out, total deliveries per second.
 *
 *   pubsub_fanout SUBSCRIBERS SIZE COUNT
 *
 * One PUB socket bound on loopback tcp, SUBSCRIBERS threads with a SUB socket
 * each (subscribed to everything).  High-water marks are off on both sides so
 * that no message is dropped (PUB drops at the HWM): every subscriber must get
 * all COUNT messages, or the run fails.  The publisher first sends 'W'
 * messages until every subscriber has seen one (so none joins late), then
 * COUNT 'D' messages of SIZE bytes and one 'E'.  Timed from the first 'D' until
 * the last subscriber has its 'E'; rate = SUBSCRIBERS x COUNT / time. */
#include "bench.h"
#include <pthread.h>
#include <stdatomic.h>

static void *ctx;
static char endpoint[256];
static long count;
static atomic_long ready;

static void *sub_main (void *arg)
{
    (void) arg;
    void *sub = zmq_socket (ctx, ZMQ_SUB);
    CHECK_PTR (sub);
    int hwm = 0;
    CHECK (zmq_setsockopt (sub, ZMQ_RCVHWM, &hwm, sizeof hwm));
    CHECK (zmq_setsockopt (sub, ZMQ_SUBSCRIBE, "", 0));
    CHECK (zmq_connect (sub, endpoint));
    zmq_msg_t msg;
    CHECK (zmq_msg_init (&msg));
    long got = 0;
    int joined = 0;
    for (;;) {
        CHECK (zmq_msg_recv (&msg, sub, 0));
        char kind = zmq_msg_size (&msg) ? *(char *) zmq_msg_data (&msg) : '?';
        if (kind == 'W' && !joined) {
            joined = 1;
            atomic_fetch_add (&ready, 1);
        } else if (kind == 'D')
            got++;
        else if (kind == 'E')
            break;
    }
    if (got != count) {
        fprintf (stderr, "a subscriber got %ld of %ld messages\n", got, count);
        _exit (1);
    }
    return NULL;
}

static void publish (void *pub, char kind, long bytes)
{
    zmq_msg_t msg;
    CHECK (zmq_msg_init_size (&msg, bytes));
    memset (zmq_msg_data (&msg), kind, bytes);
    CHECK (zmq_msg_send (&msg, pub, 0));
}

int main (int argc, char **argv)
{
    const char *usage = "SUBSCRIBERS SIZE COUNT";
    long subs = bench_arg (argc, argv, 1, usage);
    long size = bench_arg (argc, argv, 2, usage);
    count = bench_arg (argc, argv, 3, usage);

    ctx = zmq_ctx_new ();
    CHECK_PTR (ctx);
    void *pub = zmq_socket (ctx, ZMQ_PUB);
    CHECK_PTR (pub);
    int hwm = 0;
    CHECK (zmq_setsockopt (pub, ZMQ_SNDHWM, &hwm, sizeof hwm));
    bench_bind_any (pub, endpoint, sizeof endpoint);

    pthread_t *th = calloc ((size_t) subs, sizeof *th);
    for (long i = 0; i < subs; i++)
        pthread_create (&th[i], NULL, sub_main, NULL);
    while (atomic_load (&ready) < subs) {
        publish (pub, 'W', 1);
        usleep (1000);
    }
    double t0 = bench_now ();
    for (long i = 0; i < count; i++)
        publish (pub, 'D', size);
    publish (pub, 'E', 1);
    for (long i = 0; i < subs; i++)
        pthread_join (th[i], NULL);
    bench_report ((double) subs * count, bench_now () - t0, "deliveries/s");
}
