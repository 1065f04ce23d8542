/* C-side test of the message API and the utility functions, through the generated zmq.h and
 * the built libzmq.so.5 (run by tests/c_api.rs, as C and as C++). The same program also runs
 * against the real libzmq (built with -DREFERENCE_LIBZMQ), which shows the expectations are
 * libzmq's; checks of cases where libzmq aborts or leaves errno alone are ours only.
 * Usage: test_msg EXPECTED_LIBRARY_PATH */

#include "check.h"

static void test_version(void) {
    int major = 0, minor = 0, patch = 0;
    zmq_version(&major, &minor, &patch);
    CHECK(major == ZMQ_VERSION_MAJOR && minor == ZMQ_VERSION_MINOR && patch == ZMQ_VERSION_PATCH);
    CHECK(ZMQ_MAKE_VERSION(major, minor, patch) == ZMQ_VERSION);
    CHECK(ZMQ_VERSION == 40304);
    CHECK(strcmp(zmq_strerror(EFSM), "Operation cannot be accomplished in current state") == 0);
    CHECK(strcmp(zmq_strerror(EINVAL), strerror(EINVAL)) == 0);
    CHECK(zmq_has("ipc") == 1);
    CHECK(zmq_has("no-such-capability") == 0);
}

static void test_init_size_data_close(void) {
    zmq_msg_t msg;
    size_t sizes[] = {0, 1, 32, 33, 1000, 1 << 20};
    size_t i;
    CHECK(sizeof(zmq_msg_t) == 64);
    for (i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        CHECK(zmq_msg_init_size(&msg, sizes[i]) == 0);
        CHECK(zmq_msg_size(&msg) == sizes[i]);
        CHECK(zmq_msg_data(&msg) != NULL);
        memset(zmq_msg_data(&msg), 'x', sizes[i]);
        CHECK(zmq_msg_more(&msg) == 0);
        CHECK(zmq_msg_close(&msg) == 0);
    }
    /* Closing twice is an error, not a double free. */
    errno = 0;
    CHECK(zmq_msg_close(&msg) == -1 && errno == EFAULT);
    CHECK(zmq_msg_more(&msg) == 0);

    CHECK(zmq_msg_init(&msg) == 0);
    CHECK(zmq_msg_size(&msg) == 0);
    CHECK(zmq_msg_close(&msg) == 0);

    /* A never-initialised (zeroed) message is rejected. */
    memset(&msg, 0, sizeof msg);
    errno = 0;
    CHECK(zmq_msg_close(&msg) == -1 && errno == EFAULT);
#ifndef REFERENCE_LIBZMQ /* libzmq asserts or crashes */
    errno = 0;
    CHECK(zmq_msg_data(&msg) == NULL && errno == EFAULT);
    CHECK(zmq_msg_init(NULL) == -1 && errno == EFAULT);
#endif
}

static int frees;
static void *last_hint;
static void free_fn(void *data, void *hint) {
    free(data);
    last_hint = hint;
    frees++;
}

static void test_zero_copy(void) {
    zmq_msg_t a, b;
    char *buf = (char *)malloc(100);
    int hint;
    memcpy(buf, "zero-copy", 10);
    CHECK(zmq_msg_init_data(&a, buf, 100, free_fn, &hint) == 0);
    CHECK(zmq_msg_data(&a) == buf);
    CHECK(zmq_msg_size(&a) == 100);
    CHECK(zmq_msg_get(&a, ZMQ_SHARED) == 0);

    /* A copy shares the buffer; it is freed once, after the last close. */
    CHECK(zmq_msg_init(&b) == 0);
    CHECK(zmq_msg_copy(&b, &a) == 0);
    CHECK(zmq_msg_data(&b) == buf);
    CHECK(zmq_msg_get(&a, ZMQ_SHARED) == 1 && zmq_msg_get(&b, ZMQ_SHARED) == 1);
    CHECK(zmq_msg_close(&a) == 0);
    CHECK(frees == 0);
    CHECK(strcmp((char *)zmq_msg_data(&b), "zero-copy") == 0);
    CHECK(zmq_msg_close(&b) == 0);
    CHECK(frees == 1 && last_hint == &hint);

    /* Without a free function nothing is freed; NULL is allowed for empty data. */
    CHECK(zmq_msg_init_data(&a, (void *)"static", 7, NULL, NULL) == 0);
    CHECK(strcmp((char *)zmq_msg_data(&a), "static") == 0);
    CHECK(zmq_msg_close(&a) == 0);
    CHECK(zmq_msg_init_data(&a, NULL, 0, NULL, NULL) == 0);
    CHECK(zmq_msg_size(&a) == 0);
    CHECK(zmq_msg_close(&a) == 0);
    CHECK(frees == 1);
}

static void test_copy_move(void) {
    zmq_msg_t a, b, c;
    CHECK(zmq_msg_init_size(&a, 5) == 0);
    memcpy(zmq_msg_data(&a), "hello", 5);

    /* The destination must be initialised; its old content is released. */
    memset(&b, 0, sizeof b);
    errno = 0;
    CHECK(zmq_msg_move(&b, &a) == -1 && errno == EFAULT);
    CHECK(zmq_msg_copy(&b, &a) == -1 && errno == EFAULT);
    CHECK(zmq_msg_init_size(&b, 2000) == 0);
    CHECK(zmq_msg_move(&b, &a) == 0);
    CHECK(zmq_msg_size(&b) == 5 && memcmp(zmq_msg_data(&b), "hello", 5) == 0);
    /* The source of a move is an empty, initialised message. */
    CHECK(zmq_msg_size(&a) == 0);
    CHECK(zmq_msg_more(&a) == 0);

    /* Small messages are copied: changing one does not change the other. */
    CHECK(zmq_msg_init(&c) == 0);
    CHECK(zmq_msg_copy(&c, &b) == 0);
    ((char *)zmq_msg_data(&c))[0] = 'j';
    CHECK(memcmp(zmq_msg_data(&b), "hello", 5) == 0);
    CHECK(memcmp(zmq_msg_data(&c), "jello", 5) == 0);

    /* zmq_msg_t may be moved around with memcpy, as bindings do. */
    memcpy(&a, &c, sizeof c);
    CHECK(memcmp(zmq_msg_data(&a), "jello", 5) == 0);

    CHECK(zmq_msg_close(&a) == 0);
    CHECK(zmq_msg_close(&b) == 0);
}

static void test_properties(void) {
    zmq_msg_t msg;
    CHECK(zmq_msg_init(&msg) == 0);
    CHECK(zmq_msg_get(&msg, ZMQ_MORE) == 0);
    CHECK(zmq_msg_more(&msg) == 0);
    errno = 0;
    CHECK(zmq_msg_get(&msg, ZMQ_SRCFD) == -1);
    CHECK(zmq_msg_get(&msg, 999) == -1 && errno == EINVAL);
    errno = 0;
    CHECK(zmq_msg_set(&msg, ZMQ_MORE, 1) == -1 && errno == EINVAL);
    errno = 0;
    CHECK(zmq_msg_gets(&msg, "Socket-Type") == NULL && errno == EINVAL);
    CHECK(zmq_msg_close(&msg) == 0);
}

static void test_z85(void) {
    const uint8_t bin[8] = {0x86, 0x4F, 0xD2, 0x6F, 0xB5, 0x59, 0xF7, 0x5B};
    char text[11];
    uint8_t back[8];
    CHECK(zmq_z85_encode(text, bin, 8) == text);
    CHECK(strcmp(text, "HelloWorld") == 0);
    CHECK(zmq_z85_decode(back, text) == back);
    CHECK(memcmp(back, bin, 8) == 0);
    errno = 0;
    CHECK(zmq_z85_encode(NULL, NULL, 3) == NULL && errno == EINVAL);
    errno = 0;
    CHECK(zmq_z85_decode(back, "Hello") != NULL);
    CHECK(zmq_z85_decode(back, "Hell") == NULL && errno == EINVAL);
}

static void counter_thread(void *arg) {
    int i;
    for (i = 0; i < 1000; i++)
        zmq_atomic_counter_inc(arg);
}

static void test_atomic_and_threads(void) {
    void *counter = zmq_atomic_counter_new();
    void *t1 = zmq_threadstart(counter_thread, counter);
    void *t2 = zmq_threadstart(&counter_thread, counter);
    CHECK(t1 != NULL && t2 != NULL);
    zmq_threadclose(t1);
    zmq_threadclose(t2);
    CHECK(zmq_atomic_counter_value(counter) == 2000);
    zmq_atomic_counter_set(counter, 1);
    CHECK(zmq_atomic_counter_dec(counter) == 0);
    zmq_atomic_counter_destroy(&counter);
    CHECK(counter == NULL);
}

static void on_timer(int timer_id, void *arg) {
    (void)timer_id;
    ++*(int *)arg;
}

static void sleep_ms(long ms) {
    struct timespec ts;
    ts.tv_sec = ms / 1000;
    ts.tv_nsec = (ms % 1000) * 1000000L;
    nanosleep(&ts, NULL);
}

static void test_timers(void) {
    void *timers = zmq_timers_new();
    void *watch = zmq_stopwatch_start();
    int fired = 0, rounds = 0, bad_timeouts = 0;
    int id = zmq_timers_add(timers, 20, on_timer, &fired);
    CHECK(id > 0);
    CHECK(zmq_timers_execute(timers) == 0);
    CHECK(fired == 0);
    /* Sleeping for the advertised timeout is always enough. */
    while (!fired && rounds++ < 100) {
        long timeout = zmq_timers_timeout(timers);
        if (timeout < 0 || timeout > 20)
            bad_timeouts++;
        sleep_ms(timeout);
        CHECK(zmq_timers_execute(timers) == 0);
    }
    CHECK(bad_timeouts == 0);
    CHECK(fired == 1);
    CHECK(zmq_stopwatch_stop(watch) >= 20000);
    CHECK(zmq_timers_cancel(timers, id) == 0);
    errno = 0;
    CHECK(zmq_timers_timeout(timers) == -1);
#ifndef REFERENCE_LIBZMQ /* libzmq leaves errno alone here */
    CHECK(errno == EINVAL);
#endif
    CHECK(zmq_timers_destroy(&timers) == 0 && timers == NULL);
    errno = 0;
    CHECK(zmq_timers_destroy(&timers) == -1 && errno == EFAULT);
}

/* zmq_msg_recv of a 3-byte message whose connection's peer is a socket of `type`. */
static void recv_3_bytes_from(void *s, const char *type) {
    zmq_msg_t msg;
    CHECK(zmq_msg_init(&msg) == 0);
    CHECK(zmq_msg_recv(&msg, s, 0) == 3);
    const char *got = zmq_msg_gets(&msg, "Socket-Type");
    CHECK(got != NULL && strcmp(got, type) == 0);
    CHECK(zmq_msg_close(&msg) == 0);
}

/* zmq_recv into a buffer may skip the connection's metadata (nobody can ask for it), but a
 * zmq_msg_recv on the same pipe, before or after such calls, still gets it. */
static void test_metadata_between_buffer_receives(void) {
    void *ctx = zmq_ctx_new();
    void *pull = zmq_socket(ctx, ZMQ_PULL);
    void *push = zmq_socket(ctx, ZMQ_PUSH);
    int timeout = 5000;
    CHECK(zmq_setsockopt(pull, ZMQ_RCVTIMEO, &timeout, sizeof timeout) == 0);
    CHECK(zmq_bind(pull, "tcp://127.0.0.1:*") == 0);
    char ep[256];
    size_t len = sizeof ep;
    CHECK(zmq_getsockopt(pull, ZMQ_LAST_ENDPOINT, ep, &len) == 0);
    CHECK(zmq_connect(push, ep) == 0);
    for (int i = 0; i < 6; i++)
        CHECK(zmq_send(push, "abc", 3, 0) == 3);
    char buf[8];
    for (int i = 0; i < 6; i++) {
        if (i % 3 == 1) {
            recv_3_bytes_from(pull, "PUSH");
        } else {
            CHECK(zmq_recv(pull, buf, sizeof buf, 0) == 3 && memcmp(buf, "abc", 3) == 0);
        }
    }
    CHECK(zmq_close(push) == 0);
    CHECK(zmq_close(pull) == 0);

    /* A ROUTER reads the first frame of a message ahead, to give the routing id first: a
     * zmq_recv of that id must not cost the frame read ahead its metadata. */
    void *router = zmq_socket(ctx, ZMQ_ROUTER);
    void *dealer = zmq_socket(ctx, ZMQ_DEALER);
    CHECK(zmq_setsockopt(router, ZMQ_RCVTIMEO, &timeout, sizeof timeout) == 0);
    CHECK(zmq_bind(router, "tcp://127.0.0.1:*") == 0);
    len = sizeof ep;
    CHECK(zmq_getsockopt(router, ZMQ_LAST_ENDPOINT, ep, &len) == 0);
    CHECK(zmq_connect(dealer, ep) == 0);
    for (int i = 0; i < 2; i++)
        CHECK(zmq_send(dealer, "abc", 3, 0) == 3);
    for (int i = 0; i < 2; i++) {
        CHECK(zmq_recv(router, buf, sizeof buf, 0) > 0); /* the routing id */
        recv_3_bytes_from(router, "DEALER");
    }
    CHECK(zmq_close(dealer) == 0);
    CHECK(zmq_close(router) == 0);
    CHECK(zmq_ctx_term(ctx) == 0);
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s EXPECTED_LIBRARY_PATH\n", argv[0]);
        return 2;
    }
    test_library_is_ours(argv[1]);
    test_version();
    test_init_size_data_close();
    test_zero_copy();
    test_copy_move();
    test_properties();
    test_z85();
    test_atomic_and_threads();
    test_timers();
    test_metadata_between_buffer_receives();
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
