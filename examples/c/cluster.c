/*
 * cluster.c - brokers that share their workers: a cluster with peering.
 *
 * Three broker processes (forked), each with its own clients and workers
 * (threads):
 *
 *   clients (REQ) --inproc--> localfe ROUTER  broker i  ROUTER localbe <--inproc-- workers (REQ)
 *                             cloudfe ROUTER  <==ipc==  ROUTER cloudbe of every peer
 *                             cloudbe ROUTER  ==ipc==>  ROUTER cloudfe of every peer
 *                             statebe PUB     --ipc-->  SUB statefe of every peer
 *
 * Workers announce themselves with "READY" and every reply frees them again
 * (the load-balancing broker of lbbroker.c).  Each broker publishes how many
 * of its workers are idle on statebe, whenever that changes and every
 * STATE_MS; its peers keep those numbers as their view of its capacity.  A
 * broker takes a local client's request only when it has an idle worker or a
 * peer has capacity; with no idle worker of its own it sends the request over
 * cloudbe to the peer that has the most, and that peer's cloudfe hands it to
 * one of its workers.  Replies retrace the path: a worker's reply whose first
 * address frame names a broker goes back over cloudfe, any other to a local
 * client.  cloudfe and cloudbe are ROUTER-to-ROUTER, named by the broker's
 * name (ZMQ_ROUTING_ID) and ZMQ_ROUTER_MANDATORY, so a request to a peer that
 * is not connected fails instead of vanishing; before starting its clients a
 * broker sends "HELLO" to every peer until that succeeds.
 *
 * The loads differ (broker-0 has 4 clients but 1 worker), so some requests
 * must be served by peers.  Each client checks every reply; each broker
 * sends "done ANSWERED BY_PEERS" through its report pipe when its clients are
 * finished and keeps serving its peers until main writes "stop" to its
 * command pipe (which it polls along with its sockets).  Main checks that
 * every request of the cluster was answered and that some were served by a
 * peer.
 *
 * Exit status: 0 on success, 1 on a failed check, 2 on the overall timeout.
 */
#define EXAMPLE_NAME "cluster"
#include "example.h"

#include <time.h>

#define BROKERS 3
static const int nworkers[BROKERS] = {1, 3, 2};
static const int nclients[BROKERS] = {4, 1, 2};
#define MAX_PEERS 4 /* clients or workers of one broker */
#define REQUESTS 5  /* per client */
#define WORK_MS 10  /* a worker's time per request */
#define STATE_MS 50
#define MAX_FRAMES 6
#define FRAME_SIZE 128

static int me; /* this process's broker */
static int by_peers[MAX_PEERS]; /* per client: replies from another broker */

/* A multipart message of text frames (all frames here are text, and the
   empty delimiter is ""). */
struct frames {
    int n;
    char f[MAX_FRAMES][FRAME_SIZE];
};

/* Receive a whole message; -1 once the context was shut down. */
static int recv_frames(void *s, struct frames *m)
{
    m->n = 0;
    do {
        if (m->n == MAX_FRAMES)
            fail("message of more than %d frames", MAX_FRAMES);
        if (recv_frame(s, m->f[m->n], FRAME_SIZE, -1) == -1)
            return -1;
        m->n++;
    } while (rcvmore(s));
    return 0;
}

/* Send frames from..n-1 of m, after the frames of head (NULL-terminated). */
static void send_frames(void *s, const char *const *head, const struct frames *m,
                        int from)
{
    for (; head && *head; head++)
        send_frame(s, *head, 1);
    for (int i = from; i < m->n; i++)
        send_frame(s, m->f[i], i < m->n - 1);
}

static long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000L + ts.tv_nsec / 1000000;
}

static void endpoint(char *buf, size_t size, int tag, int broker, const char *kind)
{
    snprintf(buf, size, "ipc:///tmp/zmq-demo-cluster-%d-%d-%s.ipc", tag, broker, kind);
}

static void *client_main(void *arg)
{
    struct peer *c = arg;
    void *req = make_socket(c->ctx, ZMQ_REQ, TIMEOUT_MS);
    char name[32], request[64], prefix[96], reply[FRAME_SIZE];

    snprintf(name, sizeof name, "b%d-client-%d", me, c->id);
    CHECK(zmq_setsockopt(req, ZMQ_ROUTING_ID, name, strlen(name)));
    CHECK(zmq_connect(req, "inproc://localfe"));
    for (int k = 0; k < REQUESTS; k++) {
        snprintf(request, sizeof request, "request %d of %s", k, name);
        send_str(req, request);
        recv_str(req, reply, sizeof reply);
        int len = snprintf(prefix, sizeof prefix, "%s: done by broker-", request);
        int broker;
        if (strncmp(reply, prefix, (size_t) len) != 0
            || sscanf(reply + len, "%d", &broker) != 1)
            fail("%s sent \"%s\" but got \"%s\"", name, request, reply);
        printf("%s\n", reply);
        by_peers[c->id] += broker != me;
        __atomic_add_fetch(&c->count, 1, __ATOMIC_RELEASE); /* the broker reads it */
    }
    CHECK(zmq_close(req));
    return NULL;
}

static void *worker_main(void *arg)
{
    struct peer *w = arg;
    void *req = make_socket(w->ctx, ZMQ_REQ, -1); /* waits until shutdown */
    struct frames m;
    char name[32];

    snprintf(name, sizeof name, "worker-%d", w->id);
    CHECK(zmq_setsockopt(req, ZMQ_ROUTING_ID, name, strlen(name)));
    CHECK(zmq_connect(req, "inproc://localbe"));
    peer_up(w);
    send_str(req, "READY");
    /* [address frames...][""][request]: from a local client one address
       (the client), from a peer two (the peer, its client). */
    while (recv_frames(req, &m) == 0) {
        char *request = m.f[m.n - 1];
        usleep(WORK_MS * 1000);
        size_t len = strlen(request);
        snprintf(request + len, FRAME_SIZE - len, ": done by broker-%d worker-%d", me,
                 w->id);
        send_frames(req, NULL, &m, 0);
        w->count++;
    }
    CHECK(zmq_close(req));
    return NULL;
}

/* Peering handshake: a HELLO to the peer until its cloudfe is connected
   (until then ZMQ_ROUTER_MANDATORY makes the send fail with EHOSTUNREACH). */
static void say_hello(void *cloudbe, const char *peer)
{
    long deadline = now_ms() + TIMEOUT_MS;
    while (zmq_send(cloudbe, peer, strlen(peer), ZMQ_SNDMORE) == -1) {
        if (zmq_errno() != EHOSTUNREACH)
            fail("HELLO to %s: %s", peer, zmq_strerror(zmq_errno()));
        if (now_ms() > deadline)
            fail("%s never connected", peer);
        usleep(10000);
    }
    send_str(cloudbe, "HELLO");
}

static int is_peer(const char *name)
{
    int b;
    return sscanf(name, "broker-%d", &b) == 1 && b >= 0 && b < BROKERS && b != me;
}

static int run_broker(int tag, int report_fd, int command_fd)
{
    struct peer workers[MAX_PEERS], clients[MAX_PEERS];
    pthread_barrier_t workers_up;
    char name[32], buf[256], peer[32];
    int idle[MAX_PEERS], nidle = 0, capacity[BROKERS] = {0};
    int published = -1, sent_to_peers = 0, served_for_peers = 0, done = 0;
    long next_state = 0;
    struct frames m;

    snprintf(name, sizeof name, "broker-%d", me);
    void *ctx = zmq_ctx_new();
    void *localfe = make_socket(ctx, ZMQ_ROUTER, TIMEOUT_MS);
    void *localbe = make_socket(ctx, ZMQ_ROUTER, TIMEOUT_MS);
    void *cloudfe = make_socket(ctx, ZMQ_ROUTER, TIMEOUT_MS);
    void *cloudbe = make_socket(ctx, ZMQ_ROUTER, TIMEOUT_MS);
    void *statebe = make_socket(ctx, ZMQ_PUB, TIMEOUT_MS);
    void *statefe = make_socket(ctx, ZMQ_SUB, TIMEOUT_MS);
    int on = 1;
    CHECK(zmq_setsockopt(localfe, ZMQ_ROUTER_MANDATORY, &on, sizeof on));
    CHECK(zmq_setsockopt(cloudfe, ZMQ_ROUTER_MANDATORY, &on, sizeof on));
    CHECK(zmq_setsockopt(cloudbe, ZMQ_ROUTER_MANDATORY, &on, sizeof on));
    CHECK(zmq_setsockopt(cloudfe, ZMQ_ROUTING_ID, name, strlen(name)));
    CHECK(zmq_setsockopt(cloudbe, ZMQ_ROUTING_ID, name, strlen(name)));
    CHECK(zmq_setsockopt(statefe, ZMQ_SUBSCRIBE, "", 0));
    CHECK(zmq_bind(localfe, "inproc://localfe"));
    CHECK(zmq_bind(localbe, "inproc://localbe"));
    endpoint(buf, sizeof buf, tag, me, "cloud");
    CHECK(zmq_bind(cloudfe, buf));
    endpoint(buf, sizeof buf, tag, me, "state");
    CHECK(zmq_bind(statebe, buf));
    for (int b = 0; b < BROKERS; b++)
        if (b != me) {
            endpoint(buf, sizeof buf, tag, b, "cloud");
            CHECK(zmq_connect(cloudbe, buf));
            endpoint(buf, sizeof buf, tag, b, "state");
            CHECK(zmq_connect(statefe, buf));
        }
    for (int b = 0; b < BROKERS; b++)
        if (b != me) {
            snprintf(peer, sizeof peer, "broker-%d", b);
            say_hello(cloudbe, peer);
        }
    printf("%s: peered with the other %d brokers\n", name, BROKERS - 1);

    start_peers(workers, nworkers[me], ctx, NULL, worker_main, &workers_up);
    start_peers(clients, nclients[me], ctx, NULL, client_main, NULL);

    for (;;) {
        int any_capacity = 0, best = -1;
        for (int b = 0; b < BROKERS; b++)
            if (b != me && capacity[b] > 0) {
                any_capacity = 1;
                if (best < 0 || capacity[b] > capacity[best])
                    best = b;
            }
        /* Fixed slots; a socket not wanted this round polls for nothing. */
        zmq_pollitem_t items[] = {
            {localbe, 0, ZMQ_POLLIN, 0},
            {cloudbe, 0, ZMQ_POLLIN, 0},
            {statefe, 0, ZMQ_POLLIN, 0},
            {cloudfe, 0, nidle > 0 ? ZMQ_POLLIN : 0, 0},
            {localfe, 0, nidle > 0 || any_capacity ? ZMQ_POLLIN : 0, 0},
            {NULL, command_fd, done ? ZMQ_POLLIN : 0, 0},
        };
        CHECK(zmq_poll(items, 6, STATE_MS));

        if (items[0].revents & ZMQ_POLLIN) { /* [worker][""][READY or reply] */
            recv_frames(localbe, &m);
            int w;
            if (m.n < 3 || sscanf(m.f[0], "worker-%d", &w) != 1 || m.f[1][0])
                fail("%s: bad message from a worker", name);
            idle[nidle++] = w;
            if (m.n == 3 && strcmp(m.f[2], "READY") == 0)
                ;
            else if (is_peer(m.f[2])) { /* [peer][client][""][reply] */
                send_frames(cloudfe, NULL, &m, 2);
                served_for_peers++;
            } else {
                send_frames(localfe, NULL, &m, 2);
            }
        }
        if (items[1].revents & ZMQ_POLLIN) { /* [peer][client][""][reply] */
            recv_frames(cloudbe, &m);
            send_frames(localfe, NULL, &m, 1);
        }
        if (items[2].revents & ZMQ_POLLIN) { /* [peer][idle workers] */
            int b;
            recv_frames(statefe, &m);
            if (m.n != 2 || sscanf(m.f[0], "broker-%d", &b) != 1 || !is_peer(m.f[0]))
                fail("%s: bad state message", name);
            capacity[b] = atoi(m.f[1]);
        }
        if ((items[3].revents & ZMQ_POLLIN) && nidle > 0) { /* [peer][client][""][request] */
            recv_frames(cloudfe, &m);
            if (!(m.n == 2 && strcmp(m.f[1], "HELLO") == 0)) {
                snprintf(buf, sizeof buf, "worker-%d", idle[0]);
                memmove(idle, idle + 1, (size_t) --nidle * sizeof idle[0]);
                const char *head[] = {buf, "", NULL};
                send_frames(localbe, head, &m, 0);
            }
        }
        /* The worker or capacity that made us poll localfe may be taken by now. */
        if ((items[4].revents & ZMQ_POLLIN) && (nidle > 0 || best >= 0)) {
            recv_frames(localfe, &m); /* [client][""][request] */
            if (nidle > 0) {
                snprintf(buf, sizeof buf, "worker-%d", idle[0]);
                memmove(idle, idle + 1, (size_t) --nidle * sizeof idle[0]);
                const char *head[] = {buf, "", NULL};
                send_frames(localbe, head, &m, 0);
            } else {
                snprintf(peer, sizeof peer, "broker-%d", best);
                capacity[best]--; /* until its next state message */
                const char *head[] = {peer, NULL};
                send_frames(cloudbe, head, &m, 0);
                sent_to_peers++;
            }
        }
        if (items[5].revents & ZMQ_POLLIN) {
            ssize_t n = read(command_fd, buf, sizeof buf - 1);
            if (n < 0)
                fail("%s: read: %s", name, strerror(errno));
            buf[n] = '\0';
            if (n > 0 && strcmp(buf, "stop\n") != 0)
                fail("%s: unknown command \"%s\"", name, buf);
            break; /* stop, or main is gone */
        }

        long now = now_ms();
        if (nidle != published || now >= next_state) {
            snprintf(buf, sizeof buf, "%d", nidle);
            send_frame(statebe, name, 1);
            send_str(statebe, buf);
            published = nidle;
            next_state = now + STATE_MS;
        }
        if (!done) {
            int answered = 0, from_peers = 0;
            for (int c = 0; c < nclients[me]; c++) {
                answered += __atomic_load_n(&clients[c].count, __ATOMIC_ACQUIRE);
                from_peers += by_peers[c];
            }
            if (answered == nclients[me] * REQUESTS) {
                done = 1;
                if (from_peers != sent_to_peers)
                    fail("%s: clients saw %d replies from peers, %d sent", name,
                         from_peers, sent_to_peers);
                snprintf(buf, sizeof buf, "done %d %d", answered, from_peers);
                send_string_fd(report_fd, buf);
            }
        }
    }

    printf("%s: sent %d requests to peers, served %d for peers\n", name, sent_to_peers,
           served_for_peers);
    for (int c = 0; c < nclients[me]; c++)
        pthread_join(clients[c].thread, NULL);
    CHECK(zmq_close(localfe));
    CHECK(zmq_close(localbe));
    CHECK(zmq_close(cloudfe));
    CHECK(zmq_close(cloudbe));
    CHECK(zmq_close(statebe));
    CHECK(zmq_close(statefe));
    shutdown_workers(ctx, workers, nworkers[me]);
    CHECK(zmq_ctx_term(ctx));
    endpoint(buf, sizeof buf, tag, me, "cloud");
    unlink_ipc(buf);
    endpoint(buf, sizeof buf, tag, me, "state");
    unlink_ipc(buf);
    return 0;
}

int main(void)
{
    int report[BROKERS][2], command[BROKERS][2];
    int answered = 0, from_peers = 0, total = 0;
    pid_t pids[BROKERS];
    int tag = (int) getpid();

    example_start();

    /* Fork before any zmq call: a context must never cross a fork. */
    for (int b = 0; b < BROKERS; b++) {
        if (pipe(report[b]) || pipe(command[b]))
            fail("pipe: %s", strerror(errno));
        pids[b] = fork();
        if (pids[b] < 0)
            fail("fork: %s", strerror(errno));
        if (pids[b] == 0) {
            static char role[32];
            me = b;
            snprintf(role, sizeof role, "cluster[broker-%d]", b);
            prog = role;
            alarm(DEADLINE_S); /* alarms are not inherited */
            close(report[b][0]);
            close(command[b][1]);
            int rc = run_broker(tag, report[b][1], command[b][0]);
            fflush(stdout);
            _exit(rc);
        }
        close(report[b][1]);
        close(command[b][0]);
        total += nclients[b] * REQUESTS;
    }

    for (int b = 0; b < BROKERS; b++) {
        char who[32], line[64];
        int a, p;
        snprintf(who, sizeof who, "broker-%d", b);
        read_string_fd(report[b][0], line, sizeof line, who);
        if (sscanf(line, "done %d %d", &a, &p) != 2)
            fail("%s reported \"%s\"", who, line);
        answered += a;
        from_peers += p;
    }
    for (int b = 0; b < BROKERS; b++)
        if (write(command[b][1], "stop\n", 5) != 5)
            fail("write to broker-%d: %s", b, strerror(errno));
    for (int b = 0; b < BROKERS; b++) {
        char who[32];
        snprintf(who, sizeof who, "broker-%d", b);
        wait_child(pids[b], who);
    }
    printf("main: %d of %d requests answered, %d of them by a peer broker\n", answered,
           total, from_peers);
    if (answered != total)
        fail("only %d of %d requests answered", answered, total);
    if (from_peers == 0)
        fail("no request was served by a peer broker");
    printf("OK: %d brokers shared their workers; every request answered\n", BROKERS);
    return 0;
}
