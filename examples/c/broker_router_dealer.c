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
#include <zmq.h>

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CLIENTS 3
#define REQUESTS 5 /* per client */
#define WORKERS 2
#define TIMEOUT_MS 5000
#define DEADLINE_S 20

static const char *prog = "broker_router_dealer";

static void fail(const char *fmt, ...)
{
    va_list ap;
    fflush(stdout);
    fprintf(stderr, "%s: FAIL: ", prog);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    _exit(1);
}

#define CHECK(call)                                                            \
    do {                                                                       \
        if ((call) == -1)                                                      \
            fail("line %d: %s: %s", __LINE__, #call, zmq_strerror(zmq_errno())); \
    } while (0)

static void on_alarm(int sig)
{
    static const char msg[] = "broker_router_dealer: FAIL: overall timeout\n";
    ssize_t n = write(2, msg, sizeof msg - 1);
    (void) sig, (void) n;
    _exit(2);
}

static void *make_socket(void *ctx, int type)
{
    void *s = zmq_socket(ctx, type);
    int timeout = TIMEOUT_MS, linger = 0;
    if (!s)
        fail("zmq_socket: %s", zmq_strerror(zmq_errno()));
    CHECK(zmq_setsockopt(s, ZMQ_RCVTIMEO, &timeout, sizeof timeout));
    CHECK(zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger));
    return s;
}

/* Receive a string; returns 0, or -1 when the context was shut down. */
static int recv_str(void *s, char *buf, size_t size)
{
    int n = zmq_recv(s, buf, size - 1, 0);
    if (n == -1 && zmq_errno() == ETERM)
        return -1;
    if (n == -1 && zmq_errno() == EAGAIN)
        fail("no message within %d ms", TIMEOUT_MS);
    CHECK(n);
    if ((size_t) n >= size)
        fail("message of %d bytes is too long", n);
    buf[n] = '\0';
    return 0;
}

static void send_str(void *s, const char *str)
{
    CHECK(zmq_send(s, str, strlen(str), 0));
}

/* Main waits here until every worker has its socket connected: a worker
   thread that only started after the final zmq_ctx_shutdown() could not
   even create its socket. */
static pthread_barrier_t workers_up;

struct peer {
    int id;
    pthread_t thread;
    void *ctx;
    const char *endpoint;
    int count; /* replies received (client) or requests served (worker) */
};

static void *client_main(void *arg)
{
    struct peer *c = arg;
    void *req = make_socket(c->ctx, ZMQ_REQ);
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
    void *rep = zmq_socket(w->ctx, ZMQ_REP); /* waits until shutdown */
    int linger = 0;
    char request[64], reply[128];

    if (!rep)
        fail("zmq_socket: %s", zmq_strerror(zmq_errno()));
    CHECK(zmq_setsockopt(rep, ZMQ_LINGER, &linger, sizeof linger));
    CHECK(zmq_connect(rep, w->endpoint));
    pthread_barrier_wait(&workers_up);
    while (recv_str(rep, request, sizeof request) == 0) {
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
    char front_endpoint[256], back_endpoint[128];
    size_t len = sizeof front_endpoint;
    int requests = 0, replies = 0, served = 0;

    setvbuf(stdout, NULL, _IOLBF, 0);
    signal(SIGALRM, on_alarm);
    alarm(DEADLINE_S);

    void *ctx = zmq_ctx_new();
    void *frontend = make_socket(ctx, ZMQ_ROUTER);
    void *backend = make_socket(ctx, ZMQ_DEALER);
    CHECK(zmq_bind(frontend, "tcp://127.0.0.1:*"));
    CHECK(zmq_getsockopt(frontend, ZMQ_LAST_ENDPOINT, front_endpoint, &len));
    snprintf(back_endpoint, sizeof back_endpoint,
             "ipc:///tmp/zmq-demo-broker-%d.ipc", (int) getpid());
    CHECK(zmq_bind(backend, back_endpoint));
    printf("broker: frontend %s, backend %s\n", front_endpoint, back_endpoint);

    pthread_barrier_init(&workers_up, NULL, WORKERS + 1);
    for (int i = 0; i < WORKERS; i++) {
        workers[i] = (struct peer){.id = i, .ctx = ctx, .endpoint = back_endpoint};
        if (pthread_create(&workers[i].thread, NULL, worker_main, &workers[i]))
            fail("pthread_create");
    }
    pthread_barrier_wait(&workers_up);
    for (int i = 0; i < CLIENTS; i++) {
        clients[i] = (struct peer){.id = i, .ctx = ctx, .endpoint = front_endpoint};
        if (pthread_create(&clients[i].thread, NULL, client_main, &clients[i]))
            fail("pthread_create");
    }

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
    CHECK(zmq_ctx_shutdown(ctx));
    for (int i = 0; i < WORKERS; i++) {
        pthread_join(workers[i].thread, NULL);
        printf("worker %d: served %d requests\n", i, workers[i].count);
        served += workers[i].count;
    }
    CHECK(zmq_ctx_term(ctx));
    unlink(back_endpoint + strlen("ipc://"));

    if (served != CLIENTS * REQUESTS)
        fail("workers served %d requests, expected %d", served, CLIENTS * REQUESTS);
    printf("OK: %d clients x %d requests, each got its own replies\n", CLIENTS,
           REQUESTS);
    return 0;
}
