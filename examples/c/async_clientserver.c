/*
 * async_clientserver.c - asynchronous clients and a multi-threaded server.
 *
 *   CLIENTS x DEALER --tcp--> ROUTER (frontend) [zmq_proxy_steerable] DEALER (backend) --inproc--> WORKERS x DEALER
 *
 * DEALER sockets have no lock-step: each client fires all of its requests at
 * once and then collects the replies as they come.  Each worker answers every
 * request with REPLIES separate messages.  The ROUTER frontend prepends the
 * client's routing id; the worker echoes it in front of every reply so the
 * ROUTER can route each one back:
 *   client -> [request]        worker <- [client id][request]
 *   worker -> [client id][reply k/REPLIES]  (REPLIES times)  -> client [reply]
 *
 * Each client checks that every one of its requests got exactly REPLIES
 * replies, numbered in order, and nothing else.  The proxy runs in its own
 * thread and is stopped by sending "TERMINATE" to its control socket.
 *
 * Exit status: 0 on success, 1 on a failed check, 2 on the overall timeout.
 */
#define EXAMPLE_NAME "async_clientserver"
#include "example.h"

#define CLIENTS 3
#define REQUESTS 4 /* per client */
#define REPLIES 3  /* per request */
#define WORKERS 2

static void *client_main(void *arg)
{
    struct peer *c = arg;
    void *dealer = make_socket(c->ctx, ZMQ_DEALER, TIMEOUT_MS);
    int got[REQUESTS] = {0};
    char name[32], buf[128];

    snprintf(name, sizeof name, "client-%d", c->id);
    CHECK(zmq_setsockopt(dealer, ZMQ_ROUTING_ID, name, strlen(name)));
    CHECK(zmq_connect(dealer, c->endpoint));

    /* Send everything first: no waiting for replies in between. */
    for (int k = 0; k < REQUESTS; k++) {
        snprintf(buf, sizeof buf, "%s req %d", name, k);
        send_str(dealer, buf);
    }
    printf("%s: sent %d requests\n", name, REQUESTS);

    /* Replies to different requests may interleave, but each request's
       replies come from one worker, in order. */
    for (int i = 0; i < REQUESTS * REPLIES; i++) {
        char who[32];
        int k, r, w;
        recv_frame(dealer, buf, sizeof buf, 0);
        if (sscanf(buf, "%31s req %d: reply %d/%*d from worker %d", who, &k, &r, &w) != 4
            || strcmp(who, name) != 0 || k < 0 || k >= REQUESTS)
            fail("%s got a reply not meant for it: \"%s\"", name, buf);
        if (r != got[k] + 1)
            fail("%s: request %d: expected reply %d, got \"%s\"", name, k, got[k] + 1, buf);
        got[k]++;
        c->count++;
    }

    /* And nothing more. */
    zmq_pollitem_t item = {dealer, 0, ZMQ_POLLIN, 0};
    int extra = zmq_poll(&item, 1, 100);
    CHECK(extra);
    if (extra > 0)
        fail("%s got more replies than expected", name);
    printf("%s: got %d replies to each of its %d requests\n", name, REPLIES, REQUESTS);
    CHECK(zmq_close(dealer));
    return NULL;
}

static void *worker_main(void *arg)
{
    struct peer *w = arg;
    void *dealer = make_socket(w->ctx, ZMQ_DEALER, -1); /* waits until shutdown */
    char client[256], request[64], reply[128];

    CHECK(zmq_connect(dealer, w->endpoint));
    peer_up(w);
    for (;;) {
        int idlen = recv_frame(dealer, client, sizeof client, 1);
        if (idlen == -1)
            break; /* ETERM */
        recv_frame(dealer, request, sizeof request, 0);
        for (int r = 1; r <= REPLIES; r++) {
            snprintf(reply, sizeof reply, "%s: reply %d/%d from worker %d", request, r,
                     REPLIES, w->id);
            CHECK(zmq_send(dealer, client, (size_t) idlen, ZMQ_SNDMORE));
            send_str(dealer, reply);
        }
        w->count++;
    }
    CHECK(zmq_close(dealer));
    return NULL;
}

struct proxy {
    pthread_t thread;
    void *frontend, *backend, *control;
    int rc;
};

static void *proxy_main(void *arg)
{
    struct proxy *p = arg;
    p->rc = zmq_proxy_steerable(p->frontend, p->backend, NULL, p->control);
    CHECK(zmq_close(p->frontend));
    CHECK(zmq_close(p->backend));
    CHECK(zmq_close(p->control));
    return NULL;
}

int main(void)
{
    struct peer clients[CLIENTS], workers[WORKERS];
    struct proxy proxy = {0};
    pthread_barrier_t workers_up;
    char endpoint[256];

    example_start();
    void *ctx = zmq_ctx_new();

    /* The server: ROUTER frontend, DEALER backend, a PAIR to steer the proxy. */
    proxy.frontend = make_socket(ctx, ZMQ_ROUTER, -1);
    proxy.backend = make_socket(ctx, ZMQ_DEALER, -1);
    proxy.control = make_socket(ctx, ZMQ_PAIR, -1);
    bind_any_port(proxy.frontend, endpoint, sizeof endpoint);
    CHECK(zmq_bind(proxy.backend, "inproc://backend"));
    CHECK(zmq_bind(proxy.control, "inproc://control"));
    void *control = make_socket(ctx, ZMQ_PAIR, TIMEOUT_MS);
    CHECK(zmq_connect(control, "inproc://control"));
    printf("server: frontend %s, backend inproc://backend\n", endpoint);
    start_thread(&proxy.thread, proxy_main, &proxy);

    /* Returns once every worker is connected, see start_peers(). */
    start_peers(workers, WORKERS, ctx, "inproc://backend", worker_main, &workers_up);
    start_peers(clients, CLIENTS, ctx, endpoint, client_main, NULL);
    for (int i = 0; i < CLIENTS; i++) {
        pthread_join(clients[i].thread, NULL);
        if (clients[i].count != REQUESTS * REPLIES)
            fail("client-%d got %d replies", i, clients[i].count);
    }

    /* Stop the proxy through its control socket; it returns 0. */
    CHECK(zmq_send(control, "TERMINATE", 9, 0));
    pthread_join(proxy.thread, NULL);
    if (proxy.rc != 0)
        fail("zmq_proxy_steerable returned %d after TERMINATE", proxy.rc);
    printf("server: proxy terminated\n");
    CHECK(zmq_close(control));

    /* Then the workers: their pending zmq_recv returns ETERM. */
    int served = shutdown_workers(ctx, workers, WORKERS);
    CHECK(zmq_ctx_term(ctx));
    if (served != CLIENTS * REQUESTS)
        fail("workers served %d requests, expected %d", served, CLIENTS * REQUESTS);
    printf("OK: %d clients x %d requests x %d replies, all routed right\n", CLIENTS,
           REQUESTS, REPLIES);
    return 0;
}
