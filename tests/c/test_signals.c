/* A signal handler (installed without SA_RESTART) that runs while a call blocks makes the
 * call return -1/EINTR, as libzmq does; the interrupted call loses or duplicates nothing.
 * Background threads (I/O threads) block every signal, so a process-directed signal
 * always reaches the application thread. Runs on ours and on the real libzmq.
 * Usage: test_signals EXPECTED_LIBRARY_PATH */

#include "check.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <sys/time.h>
#include <unistd.h>

static volatile sig_atomic_t alarms;

static void on_alarm(int sig) {
    (void)sig;
    alarms++;
}

/* SIGALRM to the process in 100 ms. */
static void arm(void) {
    struct itimerval t = {{0, 0}, {0, 100 * 1000}};
    setitimer(ITIMER_REAL, &t, NULL);
}

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Checks that `call` (a blocking zmq call) returns -1/EINTR because of the alarm. */
#define INTERRUPTED(call)                                                    \
    do {                                                                     \
        int before_ = alarms;                                                \
        double t0_ = now();                                                  \
        arm();                                                               \
        errno = 0;                                                           \
        int rc_ = (call);                                                    \
        CHECK(rc_ == -1 && errno == EINTR);                                  \
        CHECK(alarms == before_ + 1);                                        \
        CHECK(now() - t0_ < 3.0);                                            \
    } while (0)

static void set_int(void *s, int option, int value) {
    CHECK(zmq_setsockopt(s, option, &value, sizeof value) == 0);
}

static void test_recv(void *ctx, const char *endpoint) {
    void *pull = zmq_socket(ctx, ZMQ_PULL);
    void *push = zmq_socket(ctx, ZMQ_PUSH);
    char ep[64];
    size_t len = sizeof ep;
    CHECK(zmq_bind(pull, endpoint) == 0);
    CHECK(zmq_getsockopt(pull, ZMQ_LAST_ENDPOINT, ep, &len) == 0);
    CHECK(zmq_connect(push, ep) == 0);
    char buf[16];
    /* Several times: a signal landing on a background thread would not interrupt us. */
    for (int i = 0; i < 5; i++)
        INTERRUPTED(zmq_recv(pull, buf, sizeof buf, 0));
    zmq_msg_t m;
    zmq_msg_init(&m);
    INTERRUPTED(zmq_msg_recv(&m, pull, 0));
    /* With a timeout too. */
    set_int(pull, ZMQ_RCVTIMEO, 5000);
    INTERRUPTED(zmq_recv(pull, buf, sizeof buf, 0));
    /* Nothing was taken: the next message arrives whole, once. */
    CHECK(zmq_send(push, "hello", 5, 0) == 5);
    CHECK(zmq_msg_recv(&m, pull, 0) == 5 && memcmp(zmq_msg_data(&m), "hello", 5) == 0);
    CHECK(zmq_recv(pull, buf, sizeof buf, ZMQ_DONTWAIT) == -1 && errno == EAGAIN);
    zmq_msg_close(&m);
    zmq_close(push);
    zmq_close(pull);
}

static void test_send_full(void *ctx, const char *endpoint) {
    void *pull = zmq_socket(ctx, ZMQ_PULL);
    void *push = zmq_socket(ctx, ZMQ_PUSH);
    set_int(push, ZMQ_SNDHWM, 2);
    set_int(pull, ZMQ_RCVHWM, 2);
    char ep[64];
    size_t len = sizeof ep;
    CHECK(zmq_bind(pull, endpoint) == 0);
    CHECK(zmq_getsockopt(pull, ZMQ_LAST_ENDPOINT, ep, &len) == 0);
    CHECK(zmq_connect(push, ep) == 0);
    /* Fill the pipe up to its HWM. */
    int sent = 0;
    while (zmq_send(push, &sent, sizeof sent, ZMQ_DONTWAIT) == sizeof sent)
        sent++;
    CHECK(sent > 0 && errno == EAGAIN);
    int x = -1;
    INTERRUPTED(zmq_send(push, &x, sizeof x, 0));
    zmq_msg_t m;
    zmq_msg_init_size(&m, sizeof x);
    memcpy(zmq_msg_data(&m), &x, sizeof x);
    INTERRUPTED(zmq_msg_send(&m, push, 0));
    /* The message stays with the caller, intact. */
    CHECK(zmq_msg_size(&m) == sizeof x && memcmp(zmq_msg_data(&m), &x, sizeof x) == 0);
    zmq_msg_close(&m);
    /* Each message sent arrives once, in order; the interrupted ones never. */
    int got = 0, v;
    while (zmq_recv(pull, &v, sizeof v, got == sent ? ZMQ_DONTWAIT : 0) == sizeof v) {
        CHECK(v == got);
        got++;
        if (got > sent)
            break;
    }
    CHECK(got == sent);
    zmq_close(push);
    zmq_close(pull);
}

static void test_poll(void *ctx) {
    void *pull = zmq_socket(ctx, ZMQ_PULL);
    CHECK(zmq_bind(pull, "inproc://signals-poll") == 0);
    zmq_pollitem_t items[] = {{pull, 0, ZMQ_POLLIN, 0}};
    INTERRUPTED(zmq_poll(items, 1, -1));
    INTERRUPTED(zmq_poll(items, 1, 5000));
    zmq_close(pull);
}

static void test_proxy(void *ctx) {
    void *front = zmq_socket(ctx, ZMQ_PULL);
    void *back = zmq_socket(ctx, ZMQ_PUSH);
    CHECK(zmq_bind(front, "tcp://127.0.0.1:*") == 0);
    CHECK(zmq_bind(back, "inproc://signals-proxy-back") == 0);
    INTERRUPTED(zmq_proxy(front, back, NULL));
    zmq_close(front);
    zmq_close(back);
}

/* Every thread but this one blocks SIGALRM, SIGINT and SIGTERM (SigBlk in its status). */
static void test_background_threads_block_signals(void) {
    DIR *d = opendir("/proc/self/task");
    CHECK(d != NULL);
    if (!d)
        return;
    int others = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.' || atoi(e->d_name) == getpid())
            continue;
        char path[300], line[256];
        snprintf(path, sizeof path, "/proc/self/task/%s/status", e->d_name);
        FILE *f = fopen(path, "r");
        if (!f)
            continue;
        unsigned long long blocked = 0;
        while (fgets(line, sizeof line, f))
            if (sscanf(line, "SigBlk: %llx", &blocked) == 1)
                break;
        fclose(f);
        others++;
        unsigned long long want = (1ULL << (SIGALRM - 1)) | (1ULL << (SIGINT - 1)) | (1ULL << (SIGTERM - 1));
        CHECK((blocked & want) == want);
    }
    closedir(d);
    CHECK(others > 0);
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s EXPECTED_LIBRARY_PATH\n", argv[0]);
        return 2;
    }
    test_library_is_ours(argv[1]);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm; /* no SA_RESTART */
    sigemptyset(&sa.sa_mask);
    CHECK(sigaction(SIGALRM, &sa, NULL) == 0);
    void *ctx = zmq_ctx_new();
    test_recv(ctx, "inproc://signals-recv");
    test_recv(ctx, "tcp://127.0.0.1:*");
    test_send_full(ctx, "inproc://signals-send");
    test_poll(ctx);
    test_proxy(ctx);
    test_background_threads_block_signals();
    CHECK(zmq_ctx_term(ctx) == 0);
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
