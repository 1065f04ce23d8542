/* One side of a draft-socket-type conversation, for ci/interop-draft.
 *
 * Usage: peer ROLE ENDPOINT DIR
 *   ROLE      server client scatter gather channel-bind channel-connect
 *             peer-bind peer-connect radio-bind radio-connect dish-bind dish-connect
 *             dgram-bind dgram-connect
 *   ENDPOINT  what a binding role binds to (tcp://127.0.0.1:* or ipc://..., or
 *             udp://127.0.0.1:PORT for dish-bind and dgram-bind); it writes the bound
 *             endpoint to DIR/endpoint, which the connecting role waits for (ENDPOINT
 *             is ignored there; dgram-connect binds udp://127.0.0.1:PORT+1 itself).
 * Prints "<role> ok" and exits 0 when its half of the exchange checked out.
 * Uses the public zmq.h API with ZMQ_BUILD_DRAFT_API only. */
#define _GNU_SOURCE
#define ZMQ_BUILD_DRAFT_API
#include <zmq.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *role;

#define CHECK(x)                                                                      \
    do {                                                                              \
        if (!(x)) {                                                                   \
            fprintf(stderr, "%s: check failed: %s (errno %d: %s)\n", role, #x,      \
                    zmq_errno(), zmq_strerror(zmq_errno()));                          \
            exit(1);                                                                  \
        }                                                                             \
    } while (0)

/* Receives one message into buf (NUL-terminated); its routing id into *rid. */
static int recv_text(void *s, char *buf, size_t size, uint32_t *rid)
{
    zmq_msg_t m;
    zmq_msg_init(&m);
    int n = zmq_msg_recv(&m, s, 0);
    if (n < 0 || (size_t) n >= size) {
        zmq_msg_close(&m);
        return -1;
    }
    memcpy(buf, zmq_msg_data(&m), (size_t) n);
    buf[n] = 0;
    if (rid)
        *rid = zmq_msg_routing_id(&m);
    zmq_msg_close(&m);
    return n;
}

/* Sends text, addressed to rid unless it is 0. */
static int send_text(void *s, const char *text, uint32_t rid)
{
    zmq_msg_t m;
    size_t len = strlen(text);
    zmq_msg_init_size(&m, len);
    memcpy(zmq_msg_data(&m), text, len);
    if (rid && zmq_msg_set_routing_id(&m, rid) != 0)
        return -1;
    int rc = zmq_msg_send(&m, s, 0);
    if (rc < 0)
        zmq_msg_close(&m);
    return rc;
}

static void put_endpoint(const char *dir, const char *ep)
{
    char tmp[600], path[600];
    snprintf(tmp, sizeof tmp, "%s/endpoint.tmp", dir);
    snprintf(path, sizeof path, "%s/endpoint", dir);
    FILE *f = fopen(tmp, "w");
    CHECK(f && fputs(ep, f) >= 0 && fclose(f) == 0);
    CHECK(rename(tmp, path) == 0);
}

static void get_endpoint(const char *dir, char *ep, size_t size)
{
    char path[600];
    snprintf(path, sizeof path, "%s/endpoint", dir);
    for (int i = 0; i < 500; i++) {  /* 5 s */
        FILE *f = fopen(path, "r");
        if (f) {
            size_t n = fread(ep, 1, size - 1, f);
            fclose(f);
            ep[n] = 0;
            return;
        }
        usleep(10000);
    }
    CHECK(!"the binding side wrote its endpoint");
}

/* Routing-id roles (SERVER, PEER): answer three requests, each to its sender, then
 * check an unknown id is EHOSTUNREACH, then wait for "bye". */
static void answer(void *s)
{
    char buf[256], out[300];
    uint32_t rid = 0;
    for (int i = 0; i < 3; i++) {
        CHECK(recv_text(s, buf, sizeof buf, &rid) > 0);
        CHECK(rid != 0);
        snprintf(out, sizeof out, "re:%s", buf);
        CHECK(send_text(s, out, rid) >= 0);
    }
    CHECK(send_text(s, "nobody", rid + 7) < 0 && zmq_errno() == EHOSTUNREACH);
    CHECK(recv_text(s, buf, sizeof buf, NULL) > 0 && !strcmp(buf, "bye"));
}

/* CLIENT and connecting PEER: three requests (to rid if non-zero), each answered. */
static void ask(void *s, uint32_t rid)
{
    char buf[256], out[64], want[80];
    for (int i = 0; i < 3; i++) {
        snprintf(out, sizeof out, "m%d", i);
        CHECK(send_text(s, out, rid) >= 0);
        CHECK(recv_text(s, buf, sizeof buf, NULL) > 0);
        snprintf(want, sizeof want, "re:m%d", i);
        CHECK(!strcmp(buf, want));
    }
    CHECK(send_text(s, "bye", rid) >= 0);
}

/* RADIO: publish to "TV", a long group and "Movies" (which the DISH never joins),
 * numbered, every 10 ms until the DISH says it is done (DIR/done), at most 15 s. */
#define LONG_GROUP "0123456789ABCDEFGH"
static int send_group(void *s, const char *group, const char *text)
{
    zmq_msg_t m;
    size_t len = strlen(text);
    zmq_msg_init_size(&m, len);
    memcpy(zmq_msg_data(&m), text, len);
    CHECK(zmq_msg_set_group(&m, group) == 0);
    int rc = zmq_msg_send(&m, s, 0);
    if (rc < 0)
        zmq_msg_close(&m);
    return rc;
}

static void broadcast(void *s, const char *dir)
{
    char path[600], text[64];
    snprintf(path, sizeof path, "%s/done", dir);
    CHECK(zmq_send(s, "x", 1, ZMQ_SNDMORE) < 0 && zmq_errno() == EINVAL);
    CHECK(zmq_recv(s, text, sizeof text, ZMQ_DONTWAIT) < 0 && zmq_errno() == ENOTSUP);
    for (int i = 0; i < 1500 && access(path, F_OK) != 0; i++) {
        snprintf(text, sizeof text, "tv-%d", i);
        CHECK(send_group(s, "TV", text) >= 0);
        snprintf(text, sizeof text, "long-%d", i);
        CHECK(send_group(s, LONG_GROUP, text) >= 0);
        snprintf(text, sizeof text, "movies-%d", i);
        CHECK(send_group(s, "Movies", text) >= 0);
        usleep(10000);
    }
    CHECK(access(path, F_OK) == 0);
}

/* Receives one message: its group into group[], 0 for TV, 1 for the long group. */
static int recv_group(void *s, char *buf, size_t size)
{
    zmq_msg_t m;
    zmq_msg_init(&m);
    int n = zmq_msg_recv(&m, s, 0);
    CHECK(n >= 0 && (size_t) n < size);
    memcpy(buf, zmq_msg_data(&m), (size_t) n);
    buf[n] = 0;
    const char *g = zmq_msg_group(&m);
    int which = !strcmp(g, "TV") ? 0 : !strcmp(g, LONG_GROUP) ? 1 : -1;
    CHECK(which >= 0);
    CHECK(!strncmp(buf, which ? "long-" : "tv-", which ? 5 : 3));
    zmq_msg_close(&m);
    return which;
}

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* DISH: joined to TV and the long group; both arrive, "Movies" never; after leaving
 * TV (a LEAVE on the wire, except over udp where the DISH filters), only the long group
 * arrives once what was in flight is through (300 ms). */
static void listen_groups(void *s, const char *dir)
{
    char buf[256], path[600];
    int seen[2] = {0, 0};
    while (!seen[0] || !seen[1])
        seen[recv_group(s, buf, sizeof buf)]++;
    CHECK(zmq_send(s, "x", 1, 0) < 0 && zmq_errno() == ENOTSUP);
    CHECK(zmq_join(s, "TV") < 0 && zmq_errno() == EINVAL);
    CHECK(zmq_leave(s, "TV") == 0);
    CHECK(zmq_leave(s, "TV") < 0 && zmq_errno() == EINVAL);
    long long left = now_ms();
    int late_long = 0;
    while (now_ms() - left < 800) {
        int which = recv_group(s, buf, sizeof buf);
        if (now_ms() - left > 300) {
            CHECK(which == 1);
            late_long++;
        }
    }
    CHECK(late_long > 0);
    snprintf(path, sizeof path, "%s/done", dir);
    FILE *f = fopen(path, "w");
    CHECK(f && fclose(f) == 0);
}

/* DGRAM, bound at 127.0.0.1:port: the next datagram's sender ("ip:port") and body. */
static void recv_dgram(void *s, char *from, char *body, size_t size)
{
    int more = 0;
    size_t len = sizeof more;
    CHECK(recv_text(s, from, size, NULL) > 0);
    CHECK(zmq_getsockopt(s, ZMQ_RCVMORE, &more, &len) == 0 && more);
    CHECK(recv_text(s, body, size, NULL) >= 0);
}

static void send_dgram(void *s, const char *to, const char *body)
{
    CHECK(zmq_send(s, to, strlen(to), ZMQ_SNDMORE) >= 0);
    CHECK(zmq_send(s, body, strlen(body), 0) >= 0);
}

/* dgram-bind answers one "ping" with "pong"; dgram-connect (bound one port higher)
 * pings until answered. Each checks the other's address as its frame shows it. */
static void dgram_exchange(void *s, int binds, const char *ep)
{
    char from[256], body[256], peer[64], want[64];
    int port = atoi(strrchr(ep, ':') + 1);
    snprintf(want, sizeof want, "127.0.0.1:%d", binds ? port + 1 : port);
    if (binds) {
        recv_dgram(s, from, body, sizeof from);
        CHECK(!strcmp(from, want) && !strcmp(body, "ping"));
        send_dgram(s, from, "pong");
        return;
    }
    snprintf(peer, sizeof peer, "udp://127.0.0.1:%d", port + 1);
    CHECK(zmq_bind(s, peer) == 0);
    send_dgram(s, want, "ping");
    recv_dgram(s, from, body, sizeof from);
    CHECK(!strcmp(from, want) && !strcmp(body, "pong"));
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: peer ROLE ENDPOINT DIR\n");
        return 2;
    }
    role = argv[1];
    static const struct {
        const char *role;
        int type, binds;
    } roles[] = {
        {"server", ZMQ_SERVER, 1},       {"client", ZMQ_CLIENT, 0},
        {"scatter", ZMQ_SCATTER, 1},     {"gather", ZMQ_GATHER, 0},
        {"channel-bind", ZMQ_CHANNEL, 1}, {"channel-connect", ZMQ_CHANNEL, 0},
        {"peer-bind", ZMQ_PEER, 1},      {"peer-connect", ZMQ_PEER, 0},
        {"radio-bind", ZMQ_RADIO, 1},    {"radio-connect", ZMQ_RADIO, 0},
        {"dish-bind", ZMQ_DISH, 1},      {"dish-connect", ZMQ_DISH, 0},
        {"dgram-bind", ZMQ_DGRAM, 1},    {"dgram-connect", ZMQ_DGRAM, 0},
    };
    int type = -1, binds = 0;
    for (size_t i = 0; i < sizeof roles / sizeof roles[0]; i++)
        if (!strcmp(role, roles[i].role))
            type = roles[i].type, binds = roles[i].binds;
    CHECK(type >= 0);

    void *ctx = zmq_ctx_new();
    void *s = zmq_socket(ctx, type);
    CHECK(s);
    int timeout = 5000;
    CHECK(zmq_setsockopt(s, ZMQ_RCVTIMEO, &timeout, sizeof timeout) == 0);
    CHECK(zmq_setsockopt(s, ZMQ_SNDTIMEO, &timeout, sizeof timeout) == 0);
    char ep[512];
    uint32_t rid = 0;
    if (type == ZMQ_DISH) {
        CHECK(zmq_join(s, "TV") == 0);
        CHECK(zmq_join(s, LONG_GROUP) == 0);
    }
    if (binds) {
        CHECK(zmq_bind(s, argv[2]) == 0);
        size_t len = sizeof ep;
        CHECK(zmq_getsockopt(s, ZMQ_LAST_ENDPOINT, ep, &len) == 0);
        /* udp's ZMQ_LAST_ENDPOINT is the bare address (libzmq 4.3): pass the URI on. */
        put_endpoint(argv[3], strncmp(argv[2], "udp://", 6) ? ep : argv[2]);
    } else {
        get_endpoint(argv[3], ep, sizeof ep);
        if (type == ZMQ_DGRAM) {
            /* no connect: it binds its own port in dgram_exchange */
        } else if (type == ZMQ_PEER) {
            rid = zmq_connect_peer(s, ep);
            CHECK(rid != 0);
        } else {
            CHECK(zmq_connect(s, ep) == 0);
        }
    }

    char buf[256], want[64];
    switch (type) {
    case ZMQ_SERVER:
        answer(s);
        break;
    case ZMQ_CLIENT:
        ask(s, 0);
        break;
    case ZMQ_PEER:
        if (binds)
            answer(s);
        else
            ask(s, rid);
        break;
    case ZMQ_RADIO:
        broadcast(s, argv[3]);
        break;
    case ZMQ_DISH:
        listen_groups(s, argv[3]);
        break;
    case ZMQ_DGRAM:
        dgram_exchange(s, binds, ep);
        break;
    case ZMQ_SCATTER:
        for (int i = 0; i < 3; i++) {
            snprintf(want, sizeof want, "s%d", i);
            CHECK(send_text(s, want, 0) >= 0);
        }
        CHECK(zmq_send(s, "x", 1, ZMQ_SNDMORE) < 0 && zmq_errno() == EINVAL);
        break;
    case ZMQ_GATHER:
        for (int i = 0; i < 3; i++) {
            snprintf(want, sizeof want, "s%d", i);
            CHECK(recv_text(s, buf, sizeof buf, NULL) > 0 && !strcmp(buf, want));
        }
        break;
    default: /* CHANNEL: the connecting side speaks first */
        if (binds) {
            CHECK(recv_text(s, buf, sizeof buf, NULL) > 0 && !strcmp(buf, "hello"));
            CHECK(send_text(s, "world", 0) >= 0);
            CHECK(recv_text(s, buf, sizeof buf, NULL) > 0 && !strcmp(buf, "bye"));
        } else {
            CHECK(send_text(s, "hello", 0) >= 0);
            CHECK(recv_text(s, buf, sizeof buf, NULL) > 0 && !strcmp(buf, "world"));
            CHECK(send_text(s, "bye", 0) >= 0);
        }
    }
    int linger = 2000; /* let the last message out before closing */
    CHECK(zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger) == 0);
    CHECK(zmq_close(s) == 0);
    CHECK(zmq_ctx_term(ctx) == 0);
    printf("%s ok\n", role);
    return 0;
}
