/* ZMQ_SHARED and copies, the same program on our library and on the real libzmq (run by
 * tests/c_api.rs; every expectation here is what libzmq 4.3 does, so the reference run
 * keeps them honest):
 * - payloads of up to 33 bytes that the application makes live inside libzmq's
 *   message: a copy copies the bytes, and neither message is ever shared;
 * - larger ones are shared by a copy, which marks both; the mark stays after the other
 *   copy is closed;
 * - a received message is not shared until it is copied; over tcp and ipc, frames of
 *   33 bytes and more are shared by a copy (libzmq's decoder keeps only smaller ones
 *   inline), over inproc the sender's message arrives as it was made;
 * - over inproc the mark travels with the message.
 * Usage: test_msg_shared EXPECTED_LIBRARY_PATH */

#include "check.h"

static const size_t sizes[] = {0, 1, 32, 33, 34, 64, 1024, 1025, 70000};
#define NSIZES (sizeof sizes / sizeof sizes[0])

/* Copy `a`, check both messages' ZMQ_SHARED (and whether the bytes are shared), close
 * the copy, check `a` again. */
static void check_copy(zmq_msg_t *a, const char *what, size_t size, size_t inline_max) {
    int expect = size > inline_max;
    zmq_msg_t b;
    CHECK(zmq_msg_get(a, ZMQ_SHARED) == 0);
    CHECK(zmq_msg_init(&b) == 0);
    CHECK(zmq_msg_copy(&b, a) == 0);
    CHECK(zmq_msg_size(&b) == size);
    if (zmq_msg_get(a, ZMQ_SHARED) != expect || zmq_msg_get(&b, ZMQ_SHARED) != expect)
        fprintf(stderr, "%s, %zu bytes: shared %d/%d after a copy, expected %d\n", what, size,
                zmq_msg_get(a, ZMQ_SHARED), zmq_msg_get(&b, ZMQ_SHARED), expect);
    CHECK(zmq_msg_get(a, ZMQ_SHARED) == expect && zmq_msg_get(&b, ZMQ_SHARED) == expect);
    if (size > 0) {
        /* Shared bytes are the same bytes; copied ones are not. */
        CHECK((zmq_msg_data(a) == zmq_msg_data(&b)) == expect);
        CHECK(memcmp(zmq_msg_data(a), zmq_msg_data(&b), size) == 0);
    }
    CHECK(zmq_msg_close(&b) == 0);
    if (zmq_msg_get(a, ZMQ_SHARED) != expect)
        fprintf(stderr, "%s, %zu bytes: shared %d once the copy is closed, expected %d\n", what,
                size, zmq_msg_get(a, ZMQ_SHARED), expect);
    CHECK(zmq_msg_get(a, ZMQ_SHARED) == expect);
}

static void test_made_here(void) {
    size_t i;
    for (i = 0; i < NSIZES; i++) {
        zmq_msg_t a;
        CHECK(zmq_msg_init_size(&a, sizes[i]) == 0);
        memset(zmq_msg_data(&a), 'a', sizes[i]);
        check_copy(&a, "zmq_msg_init_size", sizes[i], 33);
        CHECK(zmq_msg_close(&a) == 0);
    }
}

static void no_free(void *data, void *hint) {
    (void)data;
    (void)hint;
}

/* The caller's buffer is shared by a copy at any size (it is never copied). */
static void test_callers_buffer(void) {
    static char buf[100];
    size_t lens[] = {5, 100};
    size_t i;
    for (i = 0; i < 2; i++) {
        zmq_msg_t a, b;
        CHECK(zmq_msg_init_data(&a, buf, lens[i], no_free, NULL) == 0);
        CHECK(zmq_msg_get(&a, ZMQ_SHARED) == 0);
        CHECK(zmq_msg_init(&b) == 0);
        CHECK(zmq_msg_copy(&b, &a) == 0);
        CHECK(zmq_msg_get(&a, ZMQ_SHARED) == 1 && zmq_msg_get(&b, ZMQ_SHARED) == 1);
        CHECK(zmq_msg_data(&b) == buf);
        CHECK(zmq_msg_close(&b) == 0);
        CHECK(zmq_msg_get(&a, ZMQ_SHARED) == 1);
        CHECK(zmq_msg_close(&a) == 0);
    }
}

/* Messages received over `ep` (a PAIR pair) as zmq_msg_recv hands them out. */
static void test_received(void *ctx, const char *ep) {
    void *rx = zmq_socket(ctx, ZMQ_PAIR), *tx = zmq_socket(ctx, ZMQ_PAIR);
    char endpoint[256];
    size_t len = sizeof endpoint, i;
    char *payload = (char *)malloc(70000);
    int timeout = 5000;
    memset(payload, 'r', 70000);
    CHECK(zmq_setsockopt(rx, ZMQ_RCVTIMEO, &timeout, sizeof timeout) == 0);
    CHECK(zmq_bind(rx, ep) == 0);
    CHECK(zmq_getsockopt(rx, ZMQ_LAST_ENDPOINT, endpoint, &len) == 0);
    CHECK(zmq_connect(tx, endpoint) == 0);
    for (i = 0; i < NSIZES; i++) {
        zmq_msg_t a;
        CHECK(zmq_send(tx, payload, sizes[i], 0) == (int)sizes[i]);
        CHECK(zmq_msg_init(&a) == 0);
        CHECK(zmq_msg_recv(&a, rx, 0) == (int)sizes[i]);
        check_copy(&a, ep, sizes[i], strncmp(ep, "inproc", 6) == 0 ? 33 : 32);
        CHECK(zmq_msg_close(&a) == 0);
    }
    /* A message sent after it was copied: over inproc the mark arrives with it. */
    {
        zmq_msg_t a, b, got;
        int inproc = strncmp(ep, "inproc", 6) == 0;
        CHECK(zmq_msg_init_size(&a, 100) == 0);
        memset(zmq_msg_data(&a), 'c', 100);
        CHECK(zmq_msg_init(&b) == 0);
        CHECK(zmq_msg_copy(&b, &a) == 0);
        CHECK(zmq_msg_send(&a, tx, 0) == 100);
        CHECK(zmq_msg_init(&got) == 0);
        CHECK(zmq_msg_recv(&got, rx, 0) == 100);
        CHECK(zmq_msg_get(&got, ZMQ_SHARED) == inproc);
        CHECK(zmq_msg_close(&got) == 0);
        CHECK(zmq_msg_close(&b) == 0);
        CHECK(zmq_msg_close(&a) == 0);
    }
    free(payload);
    CHECK(zmq_close(tx) == 0);
    CHECK(zmq_close(rx) == 0);
}

int main(int argc, char **argv) {
    void *ctx;
    if (argc != 2) {
        fprintf(stderr, "usage: %s EXPECTED_LIBRARY_PATH\n", argv[0]);
        return 2;
    }
    test_library_is_ours(argv[1]);
    /* A context is alive, as in a program that sends: messages come from where a
     * sending program's would (ours: the thread's slab for small ones). */
    ctx = zmq_ctx_new();
    test_made_here();
    test_callers_buffer();
    test_received(ctx, "inproc://shared");
    test_received(ctx, "tcp://127.0.0.1:*");
    test_received(ctx, "ipc://*");
    CHECK(zmq_ctx_term(ctx) == 0);
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
