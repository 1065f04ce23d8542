/* Which error wins when a call has several things wrong: libzmq's order of checks on
 * send/recv/poll/proxy, so bindings that branch on errno see the same thing. Runs against
 * our library and against the real libzmq (-DREFERENCE_LIBZMQ); the cases where libzmq
 * aborts (an assertion on a NULL buffer) are checked on ours only: we refuse them with EFAULT.
 * Usage: test_errno_order EXPECTED_LIBRARY_PATH */

#include "check.h"

#include <errno.h>
#include <sys/uio.h>

#define FAILS_WITH(expr, err) CHECK((errno = 0, (expr) == -1 && errno == (err)))

static void test_send_recv(void *ctx) {
    void *pull = zmq_socket(ctx, ZMQ_PULL);
    void *push = zmq_socket(ctx, ZMQ_PUSH);
    char buf[8];
    zmq_msg_t m;
    /* Receiving comes before the buffer check: an empty socket says EAGAIN. */
    FAILS_WITH(zmq_recv(pull, NULL, 5, ZMQ_DONTWAIT), EAGAIN);
    FAILS_WITH(zmq_recv(pull, NULL, 0, ZMQ_DONTWAIT), EAGAIN);
    /* ...and a socket that cannot receive says ENOTSUP. */
    FAILS_WITH(zmq_recv(push, NULL, 5, ZMQ_DONTWAIT), ENOTSUP);
    FAILS_WITH(zmq_recv(push, buf, 5, ZMQ_DONTWAIT), ENOTSUP);
    FAILS_WITH(zmq_send(pull, "a", 1, ZMQ_DONTWAIT), ENOTSUP);
    /* The socket handle is checked first of all. */
    FAILS_WITH(zmq_recv(NULL, NULL, 5, ZMQ_DONTWAIT), ENOTSOCK);
    FAILS_WITH(zmq_send(NULL, NULL, 5, ZMQ_DONTWAIT), ENOTSOCK);
    FAILS_WITH(zmq_msg_recv(NULL, NULL, 0), ENOTSOCK);
    FAILS_WITH(zmq_msg_send(NULL, NULL, 0), ENOTSOCK);
    /* An empty NULL buffer is fine: the socket decides. */
    FAILS_WITH(zmq_send(push, NULL, 0, ZMQ_DONTWAIT), EAGAIN);
    zmq_msg_init(&m);
    FAILS_WITH(zmq_msg_recv(&m, pull, ZMQ_DONTWAIT), EAGAIN);
    FAILS_WITH(zmq_msg_send(&m, push, ZMQ_DONTWAIT), EAGAIN);
    zmq_msg_close(&m);
    /* The iov forms check their arguments before the socket state. */
    FAILS_WITH(zmq_sendiov(push, NULL, 0, ZMQ_DONTWAIT), EINVAL);
    size_t count = 0;
    FAILS_WITH(zmq_recviov(pull, NULL, &count, ZMQ_DONTWAIT), EINVAL);
    struct iovec iov[2];
    count = 2;
    FAILS_WITH(zmq_recviov(pull, iov, &count, ZMQ_DONTWAIT), EAGAIN);
    struct iovec one = {(void *)"ab", 2};
    FAILS_WITH(zmq_sendiov(push, &one, 1, ZMQ_DONTWAIT), EAGAIN);

    /* A NULL buffer with a length, when there is something to copy: libzmq asserts. */
    CHECK(zmq_bind(pull, "inproc://errno-order") == 0 && zmq_connect(push, "inproc://errno-order") == 0);
    CHECK(zmq_send(push, "abc", 3, 0) == 3);
    CHECK(zmq_send(push, "", 0, 0) == 0);
#ifndef REFERENCE_LIBZMQ
    FAILS_WITH(zmq_recv(pull, NULL, 5, 0), EFAULT);
    FAILS_WITH(zmq_send(push, NULL, 5, ZMQ_DONTWAIT), EFAULT);
    FAILS_WITH(zmq_send_const(push, NULL, 5, ZMQ_DONTWAIT), EFAULT);
    FAILS_WITH(zmq_send(pull, NULL, 5, ZMQ_DONTWAIT), EFAULT);
#else
    CHECK(zmq_recv(pull, buf, 5, 0) == 3);
#endif
    /* An empty message needs no buffer. */
    CHECK(zmq_recv(pull, NULL, 5, 0) == 0);
    zmq_close(pull);
    zmq_close(push);
}

static void test_poll_proxy(void *ctx) {
    void *s = zmq_socket(ctx, ZMQ_PAIR);
    FAILS_WITH(zmq_proxy(NULL, NULL, NULL), EFAULT);
    FAILS_WITH(zmq_proxy(s, NULL, NULL), EFAULT);
    FAILS_WITH(zmq_proxy(NULL, s, NULL), EFAULT);
    FAILS_WITH(zmq_proxy_steerable(NULL, NULL, NULL, NULL), EFAULT);
    FAILS_WITH(zmq_proxy_steerable(s, NULL, NULL, s), EFAULT);
    FAILS_WITH(zmq_poll(NULL, 1, 0), EFAULT);
    errno = 0;
    CHECK(zmq_poll(NULL, 0, 0) == 0);
#ifndef REFERENCE_LIBZMQ /* libzmq takes any pointer for a socket here and crashes */
    FAILS_WITH(zmq_proxy(ctx, s, NULL), ENOTSOCK);
    FAILS_WITH(zmq_device(ZMQ_QUEUE, NULL, NULL), EFAULT);
#endif
    zmq_close(s);
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s EXPECTED_LIBRARY_PATH\n", argv[0]);
        return 2;
    }
    test_library_is_ours(argv[1]);
    void *ctx = zmq_ctx_new();
    test_send_recv(ctx);
    test_poll_proxy(ctx);
    CHECK(zmq_ctx_term(ctx) == 0);
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
