/*
 * pubsub_proxy.c - publish-subscribe through an XSUB/XPUB forwarder.
 *
 *   publishers (PUB) --tcp--> XSUB [zmq_proxy thread] XPUB --ipc--> subscribers (SUB)
 *                                        |
 *                                   capture (PUSH) --inproc--> main (PULL)
 *
 * Subscriptions travel upstream (SUB -> XPUB -> proxy -> XSUB -> PUB) and
 * data travels downstream; the capture socket sees both.
 *
 * The slow-joiner problem: a PUB socket drops whatever nobody has subscribed
 * to yet, and subscriptions need time to travel.  So the start is a REQ/REP
 * handshake: before publishing, each publisher sends a "<topic> sync" beacon
 * on each of its topics every 10 ms.  A subscriber that has seen a beacon on
 * every one of its topics knows that its whole path is in place and says so
 * with a REQ to main's "ready" REP.  Each publisher has asked main's "go" REP
 * for permission at start; main answers those only once every subscriber is
 * ready.  Then the publishers publish MESSAGES numbered messages per topic.
 * Each subscriber checks that it gets exactly its topics, each message once
 * and in order.
 *
 * The proxy is stopped with zmq_ctx_shutdown(): zmq_proxy() returns -1 with
 * ETERM.
 *
 * Exit status: 0 on success, 1 on a failed check, 2 on the overall timeout.
 */
#define EXAMPLE_NAME "pubsub_proxy"
#include "example.h"

#define MESSAGES 20 /* per topic */
#define MAX_TOPICS 3

/* No topic is a prefix of another, so prefix matching cannot mix them up. */
struct party {
    int id;
    pthread_t thread;
    void *ctx;
    const char *endpoint;
    const char *topics[MAX_TOPICS];
    int ntopics;
};

static struct party publishers[] = {
    {.id = 0, .topics = {"news"}, .ntopics = 1},
    {.id = 1, .topics = {"sport", "weather"}, .ntopics = 2},
};
static struct party subscribers[] = {
    {.id = 0, .topics = {"news"}, .ntopics = 1},
    {.id = 1, .topics = {"sport"}, .ntopics = 1},
    {.id = 2, .topics = {"news", "weather"}, .ntopics = 2},
};
#define NPUB (int) (sizeof publishers / sizeof publishers[0])
#define NSUB (int) (sizeof subscribers / sizeof subscribers[0])
#define ALL_TOPICS 3 /* news, sport, weather */

static void *publisher_main(void *arg)
{
    struct party *p = arg;
    void *pub = make_socket(p->ctx, ZMQ_PUB, TIMEOUT_MS);
    void *go = make_socket(p->ctx, ZMQ_REQ, TIMEOUT_MS);
    int linger = 2000; /* let the last messages out before closing */
    char buf[64];

    CHECK(zmq_setsockopt(pub, ZMQ_LINGER, &linger, sizeof linger));
    CHECK(zmq_connect(pub, p->endpoint));
    CHECK(zmq_connect(go, "inproc://go"));
    snprintf(buf, sizeof buf, "publisher %d waiting", p->id);
    send_str(go, buf);

    /* Beacons until main says go. */
    zmq_pollitem_t item = {go, 0, ZMQ_POLLIN, 0};
    do {
        for (int t = 0; t < p->ntopics; t++) {
            snprintf(buf, sizeof buf, "%s sync", p->topics[t]);
            send_str(pub, buf);
        }
        CHECK(zmq_poll(&item, 1, 10));
    } while (!(item.revents & ZMQ_POLLIN));
    recv_str(go, buf, sizeof buf);
    if (strcmp(buf, "go") != 0)
        fail("publisher %d: expected go, got \"%s\"", p->id, buf);

    for (int seq = 0; seq < MESSAGES; seq++)
        for (int t = 0; t < p->ntopics; t++) {
            snprintf(buf, sizeof buf, "%s %d", p->topics[t], seq);
            send_str(pub, buf);
        }
    printf("publisher %d: published %d messages on each of its %d topic(s)\n", p->id,
           MESSAGES, p->ntopics);
    CHECK(zmq_close(go));
    CHECK(zmq_close(pub));
    return NULL;
}

static void *subscriber_main(void *arg)
{
    struct party *s = arg;
    void *sub = make_socket(s->ctx, ZMQ_SUB, TIMEOUT_MS);
    void *ready = make_socket(s->ctx, ZMQ_REQ, TIMEOUT_MS);
    int next[MAX_TOPICS] = {0}, synced[MAX_TOPICS] = {0};
    int nsynced = 0, remaining = s->ntopics * MESSAGES;
    char buf[64];

    for (int t = 0; t < s->ntopics; t++)
        CHECK(zmq_setsockopt(sub, ZMQ_SUBSCRIBE, s->topics[t], strlen(s->topics[t])));
    CHECK(zmq_connect(sub, s->endpoint));
    CHECK(zmq_connect(ready, "inproc://ready"));

    while (remaining > 0) {
        int t;
        recv_str(sub, buf, sizeof buf);
        char *space = strchr(buf, ' ');
        if (!space)
            fail("subscriber %d: malformed message \"%s\"", s->id, buf);
        *space = '\0';
        for (t = 0; t < s->ntopics; t++)
            if (strcmp(buf, s->topics[t]) == 0)
                break;
        if (t == s->ntopics)
            fail("subscriber %d: got topic \"%s\" it did not subscribe to", s->id, buf);
        if (strcmp(space + 1, "sync") == 0) {
            if (!synced[t]++ && ++nsynced == s->ntopics) {
                printf("subscriber %d: beacons seen on all topics, ready\n", s->id);
                snprintf(buf, sizeof buf, "subscriber %d ready", s->id);
                send_str(ready, buf);
                recv_str(ready, buf, sizeof buf);
                if (strcmp(buf, "ok") != 0)
                    fail("subscriber %d: expected ok, got \"%s\"", s->id, buf);
            }
            continue;
        }
        if (atoi(space + 1) != next[t])
            fail("subscriber %d: topic %s: expected #%d, got #%s", s->id, buf, next[t],
                 space + 1);
        next[t]++;
        remaining--;
    }

    /* Anything but a stray beacon arriving now would be a duplicate. */
    zmq_pollitem_t item = {sub, 0, ZMQ_POLLIN, 0};
    while (zmq_poll(&item, 1, 100) > 0) {
        recv_str(sub, buf, sizeof buf);
        if (!strstr(buf, " sync"))
            fail("subscriber %d: extra message \"%s\"", s->id, buf);
    }
    printf("subscriber %d: got all %d messages of its %d topic(s), in order\n", s->id,
           s->ntopics * MESSAGES, s->ntopics);
    CHECK(zmq_close(ready));
    CHECK(zmq_close(sub));
    return NULL;
}

struct proxy {
    pthread_t thread;
    void *frontend, *backend, *capture;
    int rc, err;
};

static void *proxy_main(void *arg)
{
    struct proxy *p = arg;
    p->rc = zmq_proxy(p->frontend, p->backend, p->capture);
    p->err = zmq_errno();
    CHECK(zmq_close(p->frontend));
    CHECK(zmq_close(p->backend));
    CHECK(zmq_close(p->capture));
    return NULL;
}

/* Read one captured frame: count data messages, show subscriptions. */
static void on_capture(void *capture, int *data)
{
    unsigned char buf[64];
    int n = zmq_recv(capture, buf, sizeof buf - 1, 0);
    CHECK(n);
    if (n > 0 && (buf[0] == 0 || buf[0] == 1)) {
        buf[n < (int) sizeof buf - 1 ? n : (int) sizeof buf - 1] = '\0';
        printf("capture: %s %s\n", buf[0] ? "subscribe" : "unsubscribe",
               (char *) buf + 1);
    } else if (n < 5 || memcmp(buf + n - 5, " sync", 5) != 0) {
        (*data)++;
    }
}

int main(void)
{
    struct proxy proxy = {0};
    char xsub_endpoint[256], xpub_endpoint[128], buf[64];
    int ready = 0, going = 0, captured = 0, expected = ALL_TOPICS * MESSAGES;

    example_start();
    void *ctx = zmq_ctx_new();

    /* The proxy's sockets; the proxy thread takes them over. */
    proxy.frontend = make_socket(ctx, ZMQ_XSUB, -1);
    proxy.backend = make_socket(ctx, ZMQ_XPUB, -1);
    proxy.capture = make_socket(ctx, ZMQ_PUSH, -1);
    bind_any_port(proxy.frontend, xsub_endpoint, sizeof xsub_endpoint);
    ipc_endpoint(xpub_endpoint, sizeof xpub_endpoint, "pubsub", -1);
    CHECK(zmq_bind(proxy.backend, xpub_endpoint));
    void *capture = make_socket(ctx, ZMQ_PULL, TIMEOUT_MS);
    CHECK(zmq_bind(capture, "inproc://capture"));
    CHECK(zmq_connect(proxy.capture, "inproc://capture"));
    printf("proxy: XSUB on %s, XPUB on %s\n", xsub_endpoint, xpub_endpoint);
    start_thread(&proxy.thread, proxy_main, &proxy);

    /* The start handshake: subscribers ask "ready", publishers wait for go. */
    void *ready_rep = make_socket(ctx, ZMQ_REP, TIMEOUT_MS);
    void *go_rep = make_socket(ctx, ZMQ_REP, TIMEOUT_MS);
    CHECK(zmq_bind(ready_rep, "inproc://ready"));
    CHECK(zmq_bind(go_rep, "inproc://go"));

    for (int i = 0; i < NSUB; i++) {
        subscribers[i].ctx = ctx;
        subscribers[i].endpoint = xpub_endpoint;
        start_thread(&subscribers[i].thread, subscriber_main, &subscribers[i]);
    }
    for (int i = 0; i < NPUB; i++) {
        publishers[i].ctx = ctx;
        publishers[i].endpoint = xsub_endpoint;
        start_thread(&publishers[i].thread, publisher_main, &publishers[i]);
    }

    /* Answer every subscriber, then every publisher: the go REP is only
       read once all are ready.  The capture is drained meanwhile. */
    while (going < NPUB) {
        zmq_pollitem_t items[] = {
            {ready < NSUB ? ready_rep : go_rep, 0, ZMQ_POLLIN, 0},
            {capture, 0, ZMQ_POLLIN, 0},
        };
        int rc = zmq_poll(items, 2, TIMEOUT_MS);
        CHECK(rc);
        if (rc == 0)
            fail("%d of %d subscribers ready, %d of %d publishers going after %d ms",
                 ready, NSUB, going, NPUB, TIMEOUT_MS);
        if ((items[0].revents & ZMQ_POLLIN) && items[0].socket == ready_rep) {
            recv_str(ready_rep, buf, sizeof buf);
            printf("main: %s\n", buf);
            send_str(ready_rep, "ok");
            if (++ready == NSUB)
                printf("main: all %d subscribers ready, telling publishers to go\n", NSUB);
        } else if (items[0].revents & ZMQ_POLLIN) {
            recv_str(go_rep, buf, sizeof buf);
            printf("main: %s, go\n", buf);
            send_str(go_rep, "go");
            going++;
        }
        if (items[1].revents & ZMQ_POLLIN)
            on_capture(capture, &captured);
    }

    /* The capture socket must see every published data message once. */
    while (captured < expected) {
        zmq_pollitem_t item = {capture, 0, ZMQ_POLLIN, 0};
        int rc = zmq_poll(&item, 1, TIMEOUT_MS);
        CHECK(rc);
        if (rc == 0)
            fail("capture saw %d of %d data messages", captured, expected);
        on_capture(capture, &captured);
    }
    printf("capture: saw all %d data messages\n", captured);

    for (int i = 0; i < NSUB; i++)
        pthread_join(subscribers[i].thread, NULL);
    for (int i = 0; i < NPUB; i++)
        pthread_join(publishers[i].thread, NULL);

    /* Stop the proxy: shutting the context down makes zmq_proxy return ETERM. */
    CHECK(zmq_close(go_rep));
    CHECK(zmq_close(ready_rep));
    CHECK(zmq_close(capture));
    CHECK(zmq_ctx_shutdown(ctx));
    pthread_join(proxy.thread, NULL);
    if (proxy.rc != -1 || proxy.err != ETERM)
        fail("zmq_proxy returned %d (%s), expected -1 (ETERM)", proxy.rc,
             zmq_strerror(proxy.err));
    printf("proxy: stopped with ETERM\n");
    CHECK(zmq_ctx_term(ctx));
    unlink_ipc(xpub_endpoint);
    printf("OK: %d subscribers each got exactly their topics, in order\n", NSUB);
    return 0;
}
