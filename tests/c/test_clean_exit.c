/* A program that creates a context and sockets, uses them, closes them and terminates the
 * context must leave nothing allocated behind (valgrind: "in use at exit: 0 bytes", as with
 * libzmq): the last zmq_ctx_term frees the library's global state. Run under valgrind by
 * tests/c_api.rs; MODE "plain" only creates and closes a socket, "traffic" also sends
 * messages over tcp and inproc (buffer recycling, I/O threads).
 * Usage: test_clean_exit EXPECTED_LIBRARY_PATH plain|traffic */

#include "check.h"

static void traffic(void *ctx, const char *endpoint) {
    void *pull = zmq_socket(ctx, ZMQ_PULL), *push = zmq_socket(ctx, ZMQ_PUSH);
    char ep[64], buf[2000] = {0};
    size_t len = sizeof ep;
    CHECK(zmq_bind(pull, endpoint) == 0);
    CHECK(zmq_getsockopt(pull, ZMQ_LAST_ENDPOINT, ep, &len) == 0);
    CHECK(zmq_connect(push, ep) == 0);
    for (int i = 0; i < 200; i++) {
        size_t size = (size_t)(i * 97) % sizeof buf;
        CHECK(zmq_send(push, buf, size, 0) == (int)size);
        CHECK(zmq_recv(pull, buf, sizeof buf, 0) == (int)size);
    }
    zmq_close(push);
    zmq_close(pull);
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: %s EXPECTED_LIBRARY_PATH plain|traffic\n", argv[0]);
        return 2;
    }
    test_library_is_ours(argv[1]);
    void *ctx = zmq_ctx_new();
    void *s = zmq_socket(ctx, ZMQ_PUSH);
    CHECK(s != NULL);
    if (strcmp(argv[2], "traffic") == 0) {
        traffic(ctx, "tcp://127.0.0.1:*");
        traffic(ctx, "inproc://clean-exit");
    }
    CHECK(zmq_close(s) == 0);
    CHECK(zmq_ctx_term(ctx) == 0);
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
