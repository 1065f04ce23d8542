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
#define REQUESTS 4 /* per client */
#define REPLIES 3  /* per request */
#define WORKERS 2
#define TIMEOUT_MS 5000
#define DEADLINE_S 20

static const char *prog = "async_clientserver";

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
    static const char msg[] = "async_clientserver: FAIL: overall timeout\n";
    ssize_t n = write(2, msg, sizeof msg - 1);
    (void) sig, (void) n;
    _exit(2);
}

/* A socket that does not linger when closed, with a receive timeout of
   timeout ms (-1: none, for the proxy's sockets). */
static void *make_socket(void *ctx, int type, int timeout)
{
    void *s = zmq_socket(ctx, type);
    int linger = 0;
    if (!s)
        fail("zmq_socket: %s", zmq_strerror(zmq_errno()));
    CHECK(zmq_setsockopt(s, ZMQ_RCVTIMEO, &timeout, sizeof timeout));
    CHECK(zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger));
    return s;
}

/* Receive one frame; returns its size, or -1 when the context was shut down.
   Fails unless ZMQ_RCVMORE equals want_more. */
static int recv_frame(void *s, char *buf, size_t size, int want_more)
{
    int more;
    size_t len = sizeof more;
    int n = zmq_recv(s, buf, size - 1, 0);
    if (n == -1 && zmq_errno() == ETERM)
        return -1;
    if (n == -1 && zmq_errno() == EAGAIN)
        fail("no message within %d ms", TIMEOUT_MS);
    CHECK(n);
    if ((size_t) n >= size)
        fail("frame of %d bytes is too long", n);
    buf[n] = '\0';
    CHECK(zmq_getsockopt(s, ZMQ_RCVMORE, &more, &len));
    if (more != want_more)
        fail("frame \"%s\": %s", buf, more ? "unexpected more frames" : "frame missing");
    return n;
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
    void *dealer = make_socket(c->ctx, ZMQ_DEALER, TIMEOUT_MS);
    int got[REQUESTS] = {0};
    char name[32], buf[128];

    snprintf(name, sizeof name, "client-%d", c->id);
    CHECK(zmq_setsockopt(dealer, ZMQ_ROUTING_ID, name, strlen(name)));
    CHECK(zmq_connect(dealer, c->endpoint));

    /* Send everything first: no waiting for replies in between. */
    for (int k = 0; k < REQUESTS; k++) {
        snprintf(buf, sizeof buf, "%s req %d", name, k);
        CHECK(zmq_send(dealer, buf, strlen(buf), 0));
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
    pthread_barrier_wait(&workers_up);
    for (;;) {
        int idlen = recv_frame(dealer, client, sizeof client, 1);
        if (idlen == -1)
            break; /* ETERM */
        recv_frame(dealer, request, sizeof request, 0);
        for (int r = 1; r <= REPLIES; r++) {
            snprintf(reply, sizeof reply, "%s: reply %d/%d from worker %d", request, r,
                     REPLIES, w->id);
            CHECK(zmq_send(dealer, client, (size_t) idlen, ZMQ_SNDMORE));
            CHECK(zmq_send(dealer, reply, strlen(reply), 0));
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
    char endpoint[256];
    size_t len = sizeof endpoint;
    int served = 0;

    setvbuf(stdout, NULL, _IOLBF, 0);
    signal(SIGALRM, on_alarm);
    alarm(DEADLINE_S);
    void *ctx = zmq_ctx_new();

    /* The server: ROUTER frontend, DEALER backend, a PAIR to steer the proxy. */
    proxy.frontend = make_socket(ctx, ZMQ_ROUTER, -1);
    proxy.backend = make_socket(ctx, ZMQ_DEALER, -1);
    proxy.control = make_socket(ctx, ZMQ_PAIR, -1);
    CHECK(zmq_bind(proxy.frontend, "tcp://127.0.0.1:*"));
    CHECK(zmq_getsockopt(proxy.frontend, ZMQ_LAST_ENDPOINT, endpoint, &len));
    CHECK(zmq_bind(proxy.backend, "inproc://backend"));
    CHECK(zmq_bind(proxy.control, "inproc://control"));
    void *control = make_socket(ctx, ZMQ_PAIR, TIMEOUT_MS);
    CHECK(zmq_connect(control, "inproc://control"));
    printf("server: frontend %s, backend inproc://backend\n", endpoint);
    if (pthread_create(&proxy.thread, NULL, proxy_main, &proxy))
        fail("pthread_create");

    pthread_barrier_init(&workers_up, NULL, WORKERS + 1);
    for (int i = 0; i < WORKERS; i++) {
        workers[i] = (struct peer){.id = i, .ctx = ctx, .endpoint = "inproc://backend"};
        if (pthread_create(&workers[i].thread, NULL, worker_main, &workers[i]))
            fail("pthread_create");
    }
    pthread_barrier_wait(&workers_up);
    for (int i = 0; i < CLIENTS; i++) {
        clients[i] = (struct peer){.id = i, .ctx = ctx, .endpoint = endpoint};
        if (pthread_create(&clients[i].thread, NULL, client_main, &clients[i]))
            fail("pthread_create");
    }
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
    CHECK(zmq_ctx_shutdown(ctx));
    for (int i = 0; i < WORKERS; i++) {
        pthread_join(workers[i].thread, NULL);
        printf("worker %d: served %d requests\n", i, workers[i].count);
        served += workers[i].count;
    }
    CHECK(zmq_ctx_term(ctx));
    if (served != CLIENTS * REQUESTS)
        fail("workers served %d requests, expected %d", served, CLIENTS * REQUESTS);
    printf("OK: %d clients x %d requests x %d replies, all routed right\n", CLIENTS,
           REQUESTS, REPLIES);
    return 0;
}
