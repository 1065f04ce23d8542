/* A monitored socket for the hostile-peer tests (tests/hostile_peers.rs): it binds (or
 * connects to a test's listener) and prints every monitor event, so the test can send it
 * raw ZMTP and see what the library made of it. Built against our library and against the
 * real libzmq, to compare the two.
 *
 *   monitor_target TYPE MECHANISM bind          prints "PORT <n>" once bound to 127.0.0.1
 *   monitor_target TYPE MECHANISM connect PORT  connects to 127.0.0.1:PORT
 *
 * TYPE is a socket type number; MECHANISM is null, plain or curve (the bound side is the
 * PLAIN/CURVE server, the connecting side the client). Then one line per monitor event,
 * "EVENT <event> <value>", until stdin closes. Messages received are printed as
 * "MSG <size>". The first line, "LIB <path>", names the libzmq it runs on. */

#define _GNU_SOURCE /* dladdr */
#include <zmq.h>

#include <dlfcn.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DIE(what)                                                                  \
    do {                                                                           \
        fprintf(stderr, "monitor_target: %s: %s\n", what, zmq_strerror(zmq_errno())); \
        exit(1);                                                                   \
    } while (0)

static void secure(void *s, const char *mechanism, int server) {
    int one = 1;
    if (strcmp(mechanism, "plain") == 0) {
        if (server) {
            if (zmq_setsockopt(s, ZMQ_PLAIN_SERVER, &one, sizeof one))
                DIE("plain server");
        } else if (zmq_setsockopt(s, ZMQ_PLAIN_USERNAME, "user", 4) || zmq_setsockopt(s, ZMQ_PLAIN_PASSWORD, "pass", 4)) {
            DIE("plain client");
        }
    } else if (strcmp(mechanism, "curve") == 0) {
        char pub[41], sec[41], server_pub[41], server_sec[41];
        if (zmq_curve_keypair(pub, sec) || zmq_curve_keypair(server_pub, server_sec))
            DIE("keypair");
        if (server) {
            if (zmq_setsockopt(s, ZMQ_CURVE_SERVER, &one, sizeof one) || zmq_setsockopt(s, ZMQ_CURVE_SECRETKEY, server_sec, 40))
                DIE("curve server");
        } else if (zmq_setsockopt(s, ZMQ_CURVE_SERVERKEY, server_pub, 40) || zmq_setsockopt(s, ZMQ_CURVE_PUBLICKEY, pub, 40) ||
                   zmq_setsockopt(s, ZMQ_CURVE_SECRETKEY, sec, 40)) {
            DIE("curve client");
        }
    } else if (strcmp(mechanism, "null") != 0) {
        fprintf(stderr, "monitor_target: unknown mechanism %s\n", mechanism);
        exit(2);
    }
}

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: monitor_target TYPE MECHANISM bind|connect [PORT]\n");
        return 2;
    }
    int bind = strcmp(argv[3], "bind") == 0;
    Dl_info info;
    char lib[PATH_MAX];
    if (!dladdr((void *)&zmq_socket, &info) || !realpath(info.dli_fname, lib))
        DIE("dladdr");
    printf("LIB %s\n", lib);
    void *ctx = zmq_ctx_new();
    void *s = zmq_socket(ctx, atoi(argv[1]));
    if (!s)
        DIE("socket");
    int linger = 0;
    zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger);
    secure(s, argv[2], bind);
    if (zmq_socket_monitor(s, "inproc://monitor", ZMQ_EVENT_ALL))
        DIE("monitor");
    void *mon = zmq_socket(ctx, ZMQ_PAIR);
    if (zmq_connect(mon, "inproc://monitor"))
        DIE("monitor connect");
    char endpoint[64];
    if (bind) {
        size_t len = sizeof endpoint;
        if (zmq_bind(s, "tcp://127.0.0.1:*") || zmq_getsockopt(s, ZMQ_LAST_ENDPOINT, endpoint, &len))
            DIE("bind");
        printf("PORT %s\n", strrchr(endpoint, ':') + 1);
    } else {
        if (argc < 5)
            return 2;
        snprintf(endpoint, sizeof endpoint, "tcp://127.0.0.1:%s", argv[4]);
        if (zmq_connect(s, endpoint))
            DIE("connect");
    }
    fflush(stdout);
    zmq_pollitem_t items[] = {{mon, 0, ZMQ_POLLIN, 0}, {s, 0, ZMQ_POLLIN, 0}, {NULL, 0, ZMQ_POLLIN, 0}};
    for (;;) {
        if (zmq_poll(items, 3, -1) < 0)
            DIE("poll");
        if (items[0].revents) {
            zmq_msg_t head, addr;
            zmq_msg_init(&head);
            zmq_msg_init(&addr);
            if (zmq_msg_recv(&head, mon, 0) != 6 || zmq_msg_recv(&addr, mon, 0) < 0)
                DIE("monitor event");
            const uint8_t *d = (const uint8_t *)zmq_msg_data(&head);
            uint16_t event;
            uint32_t value;
            memcpy(&event, d, 2);
            memcpy(&value, d + 2, 4);
            printf("EVENT %u %u\n", event, value);
            fflush(stdout);
            zmq_msg_close(&head);
            zmq_msg_close(&addr);
        }
        if (items[1].revents) {
            zmq_msg_t m;
            zmq_msg_init(&m);
            if (zmq_msg_recv(&m, s, 0) >= 0)
                printf("MSG %zu\n", zmq_msg_size(&m));
            fflush(stdout);
            zmq_msg_close(&m);
        }
        if (items[2].revents) {
            char buf[64];
            if (read(0, buf, sizeof buf) <= 0)
                break;
        }
    }
    zmq_close(mon);
    zmq_close(s);
    zmq_ctx_term(ctx);
    return 0;
}
