/* ci/perf: CURVE-encrypted PUSH/PULL throughput over loopback tcp.
 *
 *   curve_thr SIZE COUNT
 *
 * Keys come from zmq_curve_keypair.  The PULL side (main thread) is the CURVE
 * server and binds; a sender thread's PUSH is the client and connects.  Like
 * libzmq's local_thr, timed from the first message received to the last:
 * rate = COUNT / time. */
#include "bench.h"
#include <pthread.h>

static void *ctx;
static char endpoint[256];
static char server_public[41], client_public[41], client_secret[41];
static long size, count;

static void *sender_main (void *arg)
{
    (void) arg;
    void *push = zmq_socket (ctx, ZMQ_PUSH);
    CHECK_PTR (push);
    CHECK (zmq_setsockopt (push, ZMQ_CURVE_SERVERKEY, server_public, 40));
    CHECK (zmq_setsockopt (push, ZMQ_CURVE_PUBLICKEY, client_public, 40));
    CHECK (zmq_setsockopt (push, ZMQ_CURVE_SECRETKEY, client_secret, 40));
    CHECK (zmq_connect (push, endpoint));
    for (long i = 0; i < count; i++) {
        zmq_msg_t msg;
        CHECK (zmq_msg_init_size (&msg, size));
        CHECK (zmq_msg_send (&msg, push, 0));
    }
    return NULL;
}

int main (int argc, char **argv)
{
    size = bench_arg (argc, argv, 1, "SIZE COUNT");
    count = bench_arg (argc, argv, 2, "SIZE COUNT");
    char server_secret[41];
    CHECK (zmq_curve_keypair (server_public, server_secret));
    CHECK (zmq_curve_keypair (client_public, client_secret));

    ctx = zmq_ctx_new ();
    CHECK_PTR (ctx);
    void *pull = zmq_socket (ctx, ZMQ_PULL);
    CHECK_PTR (pull);
    int one = 1;
    CHECK (zmq_setsockopt (pull, ZMQ_CURVE_SERVER, &one, sizeof one));
    CHECK (zmq_setsockopt (pull, ZMQ_CURVE_SECRETKEY, server_secret, 40));
    bench_bind_any (pull, endpoint, sizeof endpoint);
    pthread_t t;
    pthread_create (&t, NULL, sender_main, NULL);

    zmq_msg_t msg;
    CHECK (zmq_msg_init (&msg));
    CHECK (zmq_msg_recv (&msg, pull, 0));
    double t0 = bench_now ();
    for (long i = 1; i < count; i++)
        CHECK (zmq_msg_recv (&msg, pull, 0));
    bench_report ((double) count, bench_now () - t0, "msg/s");
}
