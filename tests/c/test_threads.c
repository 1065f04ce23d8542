/* Several threads on one socket at once: libzmq's sockets are not thread-safe (misuse
 * corrupts its heap), ours take the socket per call and release it while a call blocks,
 * so concurrent calls never race and a blocked recv never stalls a send in another
 * thread. Run by tests/c_api.rs on ours (also under valgrind when installed).
 * Usage: test_threads EXPECTED_LIBRARY_PATH [MESSAGES] */

#include "check.h"

#include <errno.h>
#include <pthread.h>
#include <unistd.h>

static int messages = 20000;

typedef struct {
    void *socket;
    int id;
    int count;
    volatile int *stop;
    int result;
} job_t;

static void *sender(void *arg) {
    job_t *j = (job_t *)arg;
    char buf[64] = {0};
    for (int i = 0; i < j->count; i++) {
        memcpy(buf, &j->id, sizeof j->id);
        memcpy(buf + 4, &i, sizeof i);
        if (zmq_send(j->socket, buf, sizeof buf, 0) != sizeof buf) {
            j->result = -1;
            return NULL;
        }
    }
    return NULL;
}

static void *receiver(void *arg) {
    job_t *j = (job_t *)arg;
    char buf[64];
    for (int i = 0; i < j->count; i++) {
        if (zmq_recv(j->socket, buf, sizeof buf, 0) != sizeof buf) {
            j->result = -1;
            return NULL;
        }
    }
    return NULL;
}

static void *echo(void *arg) {
    job_t *j = (job_t *)arg;
    char buf[64];
    for (int i = 0; i < j->count; i++)
        if (zmq_recv(j->socket, buf, sizeof buf, 0) != sizeof buf || zmq_send(j->socket, buf, sizeof buf, 0) != sizeof buf)
            j->result = -1;
    return NULL;
}

static void bind_connect(void *a, void *b) {
    char ep[64];
    size_t len = sizeof ep;
    CHECK(zmq_bind(a, "tcp://127.0.0.1:*") == 0);
    CHECK(zmq_getsockopt(a, ZMQ_LAST_ENDPOINT, ep, &len) == 0);
    CHECK(zmq_connect(b, ep) == 0);
}

/* `n` threads send on one tcp PUSH; each thread's messages arrive once, in order. */
static void test_send_send(void *ctx, int n) {
    void *push = zmq_socket(ctx, ZMQ_PUSH), *pull = zmq_socket(ctx, ZMQ_PULL);
    bind_connect(push, pull);
    pthread_t t[4];
    job_t jobs[4];
    for (int i = 0; i < n; i++) {
        jobs[i] = (job_t){push, i, messages, NULL, 0};
        pthread_create(&t[i], NULL, sender, &jobs[i]);
    }
    int next[4] = {0, 0, 0, 0}, bad = 0;
    char buf[64];
    for (int k = 0; k < n * messages; k++) {
        int id, seq;
        if (zmq_recv(pull, buf, sizeof buf, 0) != sizeof buf) {
            bad++;
            break;
        }
        memcpy(&id, buf, 4);
        memcpy(&seq, buf + 4, 4);
        if (id < 0 || id >= n || seq != next[id])
            bad++;
        else
            next[id]++;
    }
    for (int i = 0; i < n; i++) {
        pthread_join(t[i], NULL);
        CHECK(jobs[i].result == 0);
        CHECK(next[i] == messages);
    }
    CHECK(bad == 0);
    zmq_close(push);
    zmq_close(pull);
}

/* Half the threads send on one PAIR, half receive on it (an echo thread answers on the
 * other end): receivers block in recv while senders send. */
static void test_send_recv(void *ctx, int n) {
    void *a = zmq_socket(ctx, ZMQ_PAIR), *b = zmq_socket(ctx, ZMQ_PAIR);
    bind_connect(a, b);
    int per = messages / (n / 2);
    job_t e = {b, 0, per * (n / 2), NULL, 0};
    pthread_t te, t[4];
    job_t jobs[4];
    pthread_create(&te, NULL, echo, &e);
    for (int i = 0; i < n; i++) {
        jobs[i] = (job_t){a, i, per, NULL, 0};
        pthread_create(&t[i], NULL, i % 2 ? receiver : sender, &jobs[i]);
    }
    for (int i = 0; i < n; i++) {
        pthread_join(t[i], NULL);
        CHECK(jobs[i].result == 0);
    }
    pthread_join(te, NULL);
    CHECK(e.result == 0);
    zmq_close(a);
    zmq_close(b);
}

static void *option_setter(void *arg) {
    job_t *j = (job_t *)arg;
    while (!*j->stop) {
        /* SNDHWM from 0 (none) to 8, on the pipe the other thread is sending on. */
        int v = 1000 + (j->count % 1000), hwm = j->count++ % 9, events;
        size_t len = sizeof events;
        if (zmq_setsockopt(j->socket, ZMQ_RCVTIMEO, &v, sizeof v) || zmq_setsockopt(j->socket, ZMQ_LINGER, &v, sizeof v) ||
            zmq_setsockopt(j->socket, ZMQ_SNDHWM, &hwm, sizeof hwm) || zmq_getsockopt(j->socket, ZMQ_EVENTS, &events, &len))
            j->result = -1;
    }
    return NULL;
}

/* One thread sends while another sets and reads options on the same socket. A send
 * stranded by a changed SNDHWM fails after SNDTIMEO instead of hanging the test. */
static void test_setsockopt_send(void *ctx) {
    void *push = zmq_socket(ctx, ZMQ_PUSH), *pull = zmq_socket(ctx, ZMQ_PULL);
    int timeout = 60000; /* generous: valgrind runs one thread at a time */
    CHECK(zmq_setsockopt(push, ZMQ_SNDTIMEO, &timeout, sizeof timeout) == 0);
    CHECK(zmq_setsockopt(pull, ZMQ_RCVTIMEO, &timeout, sizeof timeout) == 0);
    bind_connect(push, pull);
    volatile int stop = 0;
    job_t s = {push, 0, messages, NULL, 0}, o = {push, 0, 0, &stop, 0}, r = {pull, 0, messages, NULL, 0};
    pthread_t ts, to, tr;
    pthread_create(&tr, NULL, receiver, &r);
    pthread_create(&to, NULL, option_setter, &o);
    pthread_create(&ts, NULL, sender, &s);
    pthread_join(ts, NULL);
    pthread_join(tr, NULL);
    stop = 1;
    pthread_join(to, NULL);
    CHECK(s.result == 0);
    CHECK(r.result == 0);
    CHECK(o.result == 0 && o.count > 0);
    zmq_close(push);
    zmq_close(pull);
}

static void *poller(void *arg) {
    job_t *j = (job_t *)arg;
    zmq_pollitem_t item = {j->socket, 0, ZMQ_POLLIN, 0};
    while (!*j->stop)
        if (zmq_poll(&item, 1, 10) < 0)
            j->result = -1;
    return NULL;
}

/* One thread polls a socket while another receives from it. */
static void test_poll_recv(void *ctx) {
    void *push = zmq_socket(ctx, ZMQ_PUSH), *pull = zmq_socket(ctx, ZMQ_PULL);
    bind_connect(push, pull);
    volatile int stop = 0;
    job_t p = {pull, 0, 0, &stop, 0}, r = {pull, 0, messages, NULL, 0}, s = {push, 0, messages, NULL, 0};
    pthread_t tp, tr, ts;
    pthread_create(&tp, NULL, poller, &p);
    pthread_create(&tr, NULL, receiver, &r);
    pthread_create(&ts, NULL, sender, &s);
    pthread_join(ts, NULL);
    pthread_join(tr, NULL);
    stop = 1;
    pthread_join(tp, NULL);
    CHECK(p.result == 0 && r.result == 0 && s.result == 0);
    zmq_close(push);
    zmq_close(pull);
}

static void *send_until_error(void *arg) {
    job_t *j = (job_t *)arg;
    char buf[64] = {0};
    while (zmq_send(j->socket, buf, sizeof buf, ZMQ_DONTWAIT) == sizeof buf || errno == EAGAIN)
        j->count++;
    j->result = errno;
    return NULL;
}

static void *recv_until_error(void *arg) {
    job_t *j = (job_t *)arg;
    char buf[64];
    while (zmq_recv(j->socket, buf, sizeof buf, 0) == sizeof buf)
        j->count++;
    j->result = errno;
    return NULL;
}

/* zmq_close while another thread sends on (or is blocked receiving from) the socket: the
 * other thread's calls fail with ENOTSOCK, nothing touches freed memory. */
static void test_close_racing(void *ctx) {
    for (int round = 0; round < 5; round++) {
        void *push = zmq_socket(ctx, ZMQ_PUSH), *pull = zmq_socket(ctx, ZMQ_PULL);
        bind_connect(push, pull);
        job_t s = {push, 0, 0, NULL, 0}, r = {pull, 0, 0, NULL, 0};
        pthread_t ts, tr;
        pthread_create(&ts, NULL, send_until_error, &s);
        pthread_create(&tr, NULL, recv_until_error, &r);
        usleep(20000 + round * 5000);
        CHECK(zmq_close(push) == 0);
        pthread_join(ts, NULL);
        CHECK(s.result == ENOTSOCK);
        usleep(10000);
        CHECK(zmq_close(pull) == 0);
        pthread_join(tr, NULL);
        CHECK(r.result == ENOTSOCK);
        /* A second close of either is refused. */
        CHECK(zmq_close(push) == -1 && errno == ENOTSOCK);
    }
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s EXPECTED_LIBRARY_PATH [MESSAGES]\n", argv[0]);
        return 2;
    }
    if (argc > 2)
        messages = atoi(argv[2]);
    test_library_is_ours(argv[1]);
    void *ctx = zmq_ctx_new();
    test_send_send(ctx, 2);
    test_send_send(ctx, 4);
    test_send_recv(ctx, 2);
    test_send_recv(ctx, 4);
    test_setsockopt_send(ctx);
    test_poll_recv(ctx);
    test_close_racing(ctx);
    CHECK(zmq_ctx_term(ctx) == 0);
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
