/* A program that creates a context and sockets, uses them, closes them and terminates the
 * context must leave nothing allocated behind (valgrind: "in use at exit: 0 bytes", as with
 * libzmq): the last zmq_ctx_term frees the library's global state. Run under valgrind by
 * tests/c_api.rs. MODE "plain" only creates and closes a socket; "traffic" also sends
 * messages of many sizes (inline, recycled, above the recycling limit, zero-copy) over tcp,
 * ipc and inproc, with PUSH/PULL and PUB/SUB; "twice" does the traffic in one context,
 * terminates it, then again in a second one (the global state comes back after the last
 * zmq_ctx_term and goes again). Each mode also closes a message after zmq_ctx_term.
 * Usage: test_clean_exit EXPECTED_LIBRARY_PATH plain|traffic|twice */

#include "check.h"

#include <unistd.h>

/* Sizes: empty, inline (<= 32), small and large heap buffers, the recycling limit (64 KiB)
 * and beyond it. */
static const size_t sizes[] = {0, 1, 32, 33, 64, 1000, 2000, 65536, 65537, 200000};
#define NSIZES (sizeof sizes / sizeof sizes[0])
#define BIG 200000

static int zero_copy_freed;

static void free_zero_copy(void *data, void *hint) {
    (void)hint;
    free(data);
    zero_copy_freed++;
}

/* Sends every size with zmq_send, then as a zero-copy message, and receives each. */
static void exchange(void *sender, void *receiver, char *buf) {
    for (int round = 0; round < 3; round++) {
        for (size_t i = 0; i < NSIZES; i++) {
            size_t size = sizes[i];
            memset(buf, (int)(i + round), size);
            CHECK(zmq_send(sender, buf, size, 0) == (int)size);
            CHECK(zmq_recv(receiver, buf, BIG, 0) == (int)size);
            zmq_msg_t msg;
            void *data = malloc(size ? size : 1);
            memset(data, (int)(i + round), size);
            CHECK(zmq_msg_init_data(&msg, data, size, free_zero_copy, NULL) == 0);
            CHECK(zmq_msg_send(&msg, sender, 0) == (int)size);
            CHECK(zmq_msg_init(&msg) == 0);
            CHECK(zmq_msg_recv(&msg, receiver, 0) == (int)size);
            CHECK(zmq_msg_close(&msg) == 0);
        }
    }
}

/* Binds `a` to `endpoint`, connects `b` to where it landed. */
static void join(void *a, void *b, const char *endpoint) {
    char ep[256];
    size_t len = sizeof ep;
    CHECK(zmq_bind(a, endpoint) == 0);
    CHECK(zmq_getsockopt(a, ZMQ_LAST_ENDPOINT, ep, &len) == 0);
    CHECK(zmq_connect(b, ep) == 0);
}

static void push_pull(void *ctx, const char *endpoint, char *buf) {
    void *pull = zmq_socket(ctx, ZMQ_PULL), *push = zmq_socket(ctx, ZMQ_PUSH);
    join(pull, push, endpoint);
    exchange(push, pull, buf);
    CHECK(zmq_close(push) == 0);
    CHECK(zmq_close(pull) == 0);
}

static void pub_sub(void *ctx, const char *endpoint, char *buf) {
    void *pub = zmq_socket(ctx, ZMQ_PUB), *sub = zmq_socket(ctx, ZMQ_SUB);
    CHECK(zmq_setsockopt(sub, ZMQ_SUBSCRIBE, "", 0) == 0);
    join(pub, sub, endpoint);
    /* The subscription travels to the publisher asynchronously: send until one arrives. */
    int timeout = 10;
    CHECK(zmq_setsockopt(sub, ZMQ_RCVTIMEO, &timeout, sizeof timeout) == 0);
    int arrived = -1;
    for (int i = 0; i < 500 && arrived < 0; i++) {
        CHECK(zmq_send(pub, "hello", 5, 0) == 5);
        arrived = zmq_recv(sub, buf, BIG, 0);
    }
    CHECK(arrived == 5);
    /* Drop the other greetings still in flight, then exchange every size. */
    usleep(20000);
    timeout = 0;
    CHECK(zmq_setsockopt(sub, ZMQ_RCVTIMEO, &timeout, sizeof timeout) == 0);
    while (zmq_recv(sub, buf, BIG, 0) >= 0) {
    }
    timeout = -1;
    CHECK(zmq_setsockopt(sub, ZMQ_RCVTIMEO, &timeout, sizeof timeout) == 0);
    exchange(pub, sub, buf);
    CHECK(zmq_close(sub) == 0);
    CHECK(zmq_close(pub) == 0);
}

static void traffic(void *ctx, char *buf) {
    /* Each pattern on endpoints of its own: libzmq closes listeners asynchronously. */
    const char *patterns[] = {"push", "pub"};
    for (int p = 0; p < 2; p++) {
        char inproc[64], ipc[64];
        snprintf(inproc, sizeof inproc, "inproc://clean-exit-%s", patterns[p]);
        snprintf(ipc, sizeof ipc, "ipc://clean-exit-%s.sock", patterns[p]); /* in the cwd */
        const char *endpoints[] = {"tcp://127.0.0.1:*", inproc, ipc};
        for (int i = 0; i < 3; i++)
            (p == 0 ? push_pull : pub_sub)(ctx, endpoints[i], buf);
    }
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: %s EXPECTED_LIBRARY_PATH plain|traffic|twice\n", argv[0]);
        return 2;
    }
    test_library_is_ours(argv[1]);
    char *buf = malloc(BIG);
    int contexts = strcmp(argv[2], "twice") == 0 ? 2 : 1;
    for (int c = 0; c < contexts; c++) {
        void *ctx = zmq_ctx_new();
        void *s = zmq_socket(ctx, ZMQ_PUSH);
        CHECK(s != NULL);
        if (strcmp(argv[2], "plain") != 0)
            traffic(ctx, buf);
        /* A message the program still holds when the context ends, closed after it. */
        zmq_msg_t kept;
        CHECK(zmq_msg_init_size(&kept, 1000) == 0);
        memset(zmq_msg_data(&kept), 7, 1000);
        CHECK(zmq_close(s) == 0);
        CHECK(zmq_ctx_term(ctx) == 0);
        CHECK(zmq_msg_close(&kept) == 0);
    }
    if (strcmp(argv[2], "plain") != 0)
        CHECK(zero_copy_freed == contexts * 6 * 3 * (int)NSIZES);
    free(buf);
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
