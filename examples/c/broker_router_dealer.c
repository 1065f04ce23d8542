/*
 * broker_router_dealer.c - a request-reply broker written with zmq_poll.
 *
 *   CLIENTS x REQ --tcp--> ROUTER (frontend)  broker  DEALER (backend) --ipc--> WORKERS x REP
 *
 * The broker (main thread) polls both of its sockets and moves whole multipart
 * messages from one to the other, frame by frame, keeping ZMQ_SNDMORE in step
 * with ZMQ_RCVMORE.  The ROUTER frontend prepends the client's routing id to
 * each request, so the reply finds its way back to the right client when it
 * comes back through the DEALER.  Every client checks that each reply it gets
 * answers the request it sent.
 *
 * Exit status: 0 on success, 1 on a failed check, 2 on the overall timeout.
 */
#define EXAMPLE_NAME "broker_router_dealer"
#include "example.h"

#define CLIENTS 3
#define REQUESTS 5 /* per client */
#define WORKERS 2

static void *client_main(void *arg)
{
    struct peer *c = arg;
    void *req = make_socket(c->ctx, ZMQ_REQ, TIMEOUT_MS);
    char request[64], reply[128];

    CHECK(zmq_connect(req, c->endpoint));
    for (int k = 0; k < REQUESTS; k++) {
        snprintf(request, sizeof request, "client %d request %d", c->id, k);
        send_str(req, request);
        recv_str(req, reply, sizeof reply);
        /* The reply must start with our own request text. */
        size_t len = strlen(request);
        if (strncmp(reply, request, len) != 0 || strncmp(reply + len, " -> ", 4) != 0)
            fail("client %d sent \"%s\" but got \"%s\"", c->id, request, reply);
        printf("client %d: %s\n", c->id, reply);
        c->count++;
    }
    CHECK(zmq_close(req));
    return NULL;
}

static void *worker_main(void *arg)
{
    struct peer *w = arg;
    void *rep = make_socket(w->ctx, ZMQ_REP, -1); /* waits until shutdown */
    char request[64], reply[128];

    CHECK(zmq_connect(rep, w->endpoint));
    peer_up(w);
    while (recv_str_or_term(rep, request, sizeof request) >= 0) {
        snprintf(reply, sizeof reply, "%s -> served by worker %d", request, w->id);
        send_str(rep, reply);
        w->count++;
    }
    CHECK(zmq_close(rep));
    return NULL;
}

/* Move one whole multipart message from one socket to another.
   Returns the number of frames moved. */
static int forward(void *from, void *to)
{
    int frames = 0, more;
    do {
        zmq_msg_t msg;
        CHECK(zmq_msg_init(&msg));
        CHECK(zmq_msg_recv(&msg, from, 0));
        more = zmq_msg_more(&msg);
        CHECK(zmq_msg_send(&msg, to, more ? ZMQ_SNDMORE : 0));
        frames++;
    } while (more);
    return frames;
}

int main(void)
{
    struct peer clients[CLIENTS], workers[WORKERS];
    pthread_barrier_t workers_up;
    char front_endpoint[256], back_endpoint[128];
    int requests = 0, replies = 0;

    example_start();

    void *ctx = zmq_ctx_new();
    void *frontend = make_socket(ctx, ZMQ_ROUTER, TIMEOUT_MS);
    void *backend = make_socket(ctx, ZMQ_DEALER, TIMEOUT_MS);
    bind_any_port(frontend, front_endpoint, sizeof front_endpoint);
    ipc_endpoint(back_endpoint, sizeof back_endpoint, "broker", -1);
    CHECK(zmq_bind(backend, back_endpoint));
    printf("broker: frontend %s, backend %s\n", front_endpoint, back_endpoint);

    /* Returns once every worker is connected, see start_peers(). */
    start_peers(workers, WORKERS, ctx, back_endpoint, worker_main, &workers_up);
    start_peers(clients, CLIENTS, ctx, front_endpoint, client_main, NULL);

    /* The broker loop: shuttle messages until every request got its reply. */
    zmq_pollitem_t items[] = {
        {frontend, 0, ZMQ_POLLIN, 0},
        {backend, 0, ZMQ_POLLIN, 0},
    };
    while (replies < CLIENTS * REQUESTS) {
        int rc = zmq_poll(items, 2, TIMEOUT_MS);
        CHECK(rc);
        if (rc == 0)
            fail("broker: no traffic for %d ms", TIMEOUT_MS);
        if (items[0].revents & ZMQ_POLLIN) {
            int frames = forward(frontend, backend);
            /* ROUTER adds the routing id; REQ adds an empty delimiter. */
            if (frames != 3)
                fail("request had %d frames, expected 3", frames);
            requests++;
        }
        if (items[1].revents & ZMQ_POLLIN) {
            int frames = forward(backend, frontend);
            if (frames != 3)
                fail("reply had %d frames, expected 3", frames);
            replies++;
        }
    }
    printf("broker: moved %d requests and %d replies (3 frames each)\n", requests,
           replies);

    for (int i = 0; i < CLIENTS; i++) {
        pthread_join(clients[i].thread, NULL);
        if (clients[i].count != REQUESTS)
            fail("client %d got %d replies, expected %d", i, clients[i].count,
                 REQUESTS);
    }

    /* Shut down: the workers' pending zmq_recv returns ETERM. */
    CHECK(zmq_close(frontend));
    CHECK(zmq_close(backend));
    int served = shutdown_workers(ctx, workers, WORKERS);
    CHECK(zmq_ctx_term(ctx));
    unlink_ipc(back_endpoint);

    if (served != CLIENTS * REQUESTS)
        fail("workers served %d requests, expected %d", served, CLIENTS * REQUESTS);
    printf("OK: %d clients x %d requests, each got its own replies\n", CLIENTS,
           REQUESTS);
    return 0;
}
