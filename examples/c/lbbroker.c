/*
 * lbbroker.c - a load-balancing ("least recently used") broker.
 *
 *   CLIENTS x REQ --tcp--> ROUTER (frontend)  broker  ROUTER (backend) <--ipc-- WORKERS x REQ
 *
 * Workers are REQ sockets too: each starts by sending "READY", and then every
 * reply it sends doubles as "ready for the next one".  The broker keeps a FIFO
 * of idle workers and only reads the frontend while that queue is non-empty,
 * so a request always goes to a worker that asked for work - the one that has
 * been idle longest.
 *
 * Envelopes (ROUTER prepends the sender's routing id, REQ adds/strips an
 * empty delimiter frame):
 *   frontend in:  [client id][""][request]
 *   backend out:  [worker id][""][client id][""][request]
 *   backend in:   [worker id][""]["READY"]  or  [worker id][""][client id][""][reply]
 *   frontend out: [client id][""][reply]
 *
 * The broker starts taking requests only once every worker said READY; with
 * the FIFO that makes every worker serve at least one request, which is
 * checked along with the workers' own counts and every client's replies.
 *
 * Exit status: 0 on success, 1 on a failed check, 2 on the overall timeout.
 */
#define EXAMPLE_NAME "lbbroker"
#include "example.h"

#define CLIENTS 4
#define REQUESTS 5 /* per client */
#define WORKERS 3

/* An empty delimiter frame, followed by more. */
static void recv_delimiter(void *s)
{
    char buf[8];
    recv_frame(s, buf, sizeof buf, 1);
    if (buf[0] != '\0')
        fail("expected an empty delimiter frame, got \"%s\"", buf);
}

static void set_routing_id(void *s, const char *kind, int id)
{
    char name[32];
    snprintf(name, sizeof name, "%s-%d", kind, id);
    CHECK(zmq_setsockopt(s, ZMQ_ROUTING_ID, name, strlen(name)));
}

static void *client_main(void *arg)
{
    struct peer *c = arg;
    void *req = make_socket(c->ctx, ZMQ_REQ, TIMEOUT_MS);
    char request[64], reply[128];

    set_routing_id(req, "client", c->id);
    CHECK(zmq_connect(req, c->endpoint));
    for (int k = 0; k < REQUESTS; k++) {
        snprintf(request, sizeof request, "job %d of client-%d", k, c->id);
        send_frame(req, request, 0);
        recv_frame(req, reply, sizeof reply, 0);
        size_t len = strlen(request);
        if (strncmp(reply, request, len) != 0 || strncmp(reply + len, " done by ", 9) != 0)
            fail("client-%d sent \"%s\" but got \"%s\"", c->id, request, reply);
        c->count++;
    }
    CHECK(zmq_close(req));
    return NULL;
}

static void *worker_main(void *arg)
{
    struct peer *w = arg;
    void *req = make_socket(w->ctx, ZMQ_REQ, TIMEOUT_MS);
    char client[64], request[64], reply[128];

    set_routing_id(req, "worker", w->id);
    CHECK(zmq_connect(req, w->endpoint));
    send_frame(req, "READY", 0);
    /* REQ strips the broker's leading delimiter: [client id][""][request]. */
    while (recv_frame(req, client, sizeof client, 1) >= 0) {
        recv_delimiter(req);
        recv_frame(req, request, sizeof request, 0);
        snprintf(reply, sizeof reply, "%s done by worker-%d", request, w->id);
        send_frame(req, client, 1);
        send_frame(req, "", 1);
        send_frame(req, reply, 0);
        w->count++;
    }
    CHECK(zmq_close(req));
    return NULL;
}

int main(void)
{
    struct peer clients[CLIENTS], workers[WORKERS];
    char front_endpoint[256], back_endpoint[128];
    int idle[WORKERS], nidle = 0, ready = 0, replies = 0, served[WORKERS] = {0};
    char worker[64], client[64], body[128];

    example_start();

    void *ctx = zmq_ctx_new();
    void *frontend = make_socket(ctx, ZMQ_ROUTER, TIMEOUT_MS);
    void *backend = make_socket(ctx, ZMQ_ROUTER, TIMEOUT_MS);
    bind_any_port(frontend, front_endpoint, sizeof front_endpoint);
    ipc_endpoint(back_endpoint, sizeof back_endpoint, "lbbroker", -1);
    CHECK(zmq_bind(backend, back_endpoint));
    printf("broker: frontend %s, backend %s\n", front_endpoint, back_endpoint);

    start_peers(workers, WORKERS, ctx, back_endpoint, worker_main, NULL);
    start_peers(clients, CLIENTS, ctx, front_endpoint, client_main, NULL);

    while (replies < CLIENTS * REQUESTS) {
        zmq_pollitem_t items[] = {
            {backend, 0, ZMQ_POLLIN, 0},
            {frontend, 0, ZMQ_POLLIN, 0},
        };
        /* Only listen to clients when a worker is idle (and all have joined). */
        int nitems = (nidle > 0 && ready == WORKERS) ? 2 : 1;
        int rc = zmq_poll(items, nitems, TIMEOUT_MS);
        CHECK(rc);
        if (rc == 0)
            fail("broker: no traffic for %d ms", TIMEOUT_MS);

        if (items[0].revents & ZMQ_POLLIN) {
            int w;
            recv_frame(backend, worker, sizeof worker, 1);
            if (sscanf(worker, "worker-%d", &w) != 1 || w < 0 || w >= WORKERS)
                fail("unknown worker \"%s\"", worker);
            recv_delimiter(backend);
            recv_frame(backend, client, sizeof client, -1);
            if (!rcvmore(backend)) {
                if (strcmp(client, "READY") != 0)
                    fail("%s sent \"%s\", expected READY", worker, client);
                ready++;
                printf("broker: %s is READY\n", worker);
            } else {
                recv_delimiter(backend);
                recv_frame(backend, body, sizeof body, 0);
                send_frame(frontend, client, 1);
                send_frame(frontend, "", 1);
                send_frame(frontend, body, 0);
                served[w]++;
                replies++;
                printf("broker: %s -> %s: \"%s\"\n", worker, client, body);
            }
            idle[nidle++] = w; /* back of the queue */
        }
        if (nitems == 2 && (items[1].revents & ZMQ_POLLIN)) {
            recv_frame(frontend, client, sizeof client, 1);
            recv_delimiter(frontend);
            recv_frame(frontend, body, sizeof body, 0);
            /* Take the worker idle the longest: the front of the queue. */
            int w = idle[0];
            memmove(idle, idle + 1, (size_t) --nidle * sizeof idle[0]);
            snprintf(worker, sizeof worker, "worker-%d", w);
            send_frame(backend, worker, 1);
            send_frame(backend, "", 1);
            send_frame(backend, client, 1);
            send_frame(backend, "", 1);
            send_frame(backend, body, 0);
        }
    }

    for (int i = 0; i < CLIENTS; i++) {
        pthread_join(clients[i].thread, NULL);
        if (clients[i].count != REQUESTS)
            fail("client-%d got %d replies, expected %d", i, clients[i].count,
                 REQUESTS);
    }

    /* Shut down: the workers' pending zmq_recv returns ETERM. */
    CHECK(zmq_close(frontend));
    CHECK(zmq_close(backend));
    CHECK(zmq_ctx_shutdown(ctx));
    for (int i = 0; i < WORKERS; i++)
        pthread_join(workers[i].thread, NULL);
    CHECK(zmq_ctx_term(ctx));
    unlink_ipc(back_endpoint);

    for (int i = 0; i < WORKERS; i++) {
        printf("worker-%d: served %d requests\n", i, workers[i].count);
        if (workers[i].count != served[i])
            fail("worker-%d says it served %d, broker routed %d", i, workers[i].count,
                 served[i]);
        if (served[i] == 0)
            fail("worker-%d never got a request: not least-recently-used", i);
    }
    printf("OK: %d requests served by %d workers, all replies right\n",
           CLIENTS * REQUESTS, WORKERS);
    return 0;
}
