/*
 * example.h - helpers shared by the demo programs in examples/c/.
 *
 * Each demo is a single .c file that ci/demo compiles on its own (with
 * gcc -Wall -Werror), so everything here is a macro or a static inline
 * function: nothing to link, and no "defined but not used" warning for the
 * helpers a given program does not need.
 *
 * A program defines EXAMPLE_NAME (its name, as a string literal) and then
 * includes this header.  The demos follow one convention, which these helpers
 * implement:
 *   exit status 0  every check passed
 *   exit status 1  a check failed      (fail(), CHECK(), the recv helpers)
 *   exit status 2  the overall timeout (DEADLINE_S, see example_start())
 * and no receive waits longer than TIMEOUT_MS, so a lost message shows up
 * as a clear failure rather than a hang.
 */
#ifndef EXAMPLE_H
#define EXAMPLE_H

#ifndef EXAMPLE_NAME
#error "define EXAMPLE_NAME (the program's name) before including example.h"
#endif

#include <zmq.h>

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef TIMEOUT_MS
#define TIMEOUT_MS 5000 /* longest wait for any one message */
#endif
#ifndef DEADLINE_S
#define DEADLINE_S 20 /* the whole program */
#endif

/* Prefix of every failure message; a forked child may change it. */
static const char *prog = EXAMPLE_NAME;

/* Report a failed check and end the process.  _exit, not exit: other
   threads may still be inside zmq calls, and atexit handlers or a context
   teardown must not run under them (nor hang the failing program). */
__attribute__((noreturn, format(printf, 1, 2))) static inline void
fail(const char *fmt, ...)
{
    va_list ap;
    fflush(stdout);
    fprintf(stderr, "%s: FAIL: ", prog);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    _exit(1);
}

/* For zmq calls that return -1 on error. */
#define CHECK(call)                                                            \
    do {                                                                       \
        if ((call) == -1)                                                      \
            fail("line %d: %s: %s", __LINE__, #call, zmq_strerror(zmq_errno())); \
    } while (0)

/* SIGALRM handler for the overall deadline.  Only async-signal-safe calls
   here, hence write() of a fixed string rather than fail(). */
static inline void on_alarm(int sig)
{
    static const char msg[] = EXAMPLE_NAME ": FAIL: overall timeout\n";
    ssize_t n = write(2, msg, sizeof msg - 1);
    (void) sig, (void) n;
    _exit(2);
}

/* First thing in main(): line-buffered stdout, so the trace of threads and
   processes interleaves readably and survives _exit(); and the overall
   deadline, so a deadlock ends with status 2 well before ci/demo's own
   timeout kills the program. */
static inline void example_start(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    signal(SIGALRM, on_alarm);
    alarm(DEADLINE_S);
}

/* A socket with a receive timeout of timeout ms (-1: none, for sockets that
   wait until the context is shut down), default linger. */
static inline void *new_socket(void *ctx, int type, int timeout)
{
    void *s = zmq_socket(ctx, type);
    if (!s)
        fail("zmq_socket: %s", zmq_strerror(zmq_errno()));
    CHECK(zmq_setsockopt(s, ZMQ_RCVTIMEO, &timeout, sizeof timeout));
    return s;
}

/* The same, but not lingering when closed, so that zmq_ctx_term() never
   waits on messages for a peer that is already gone. */
static inline void *make_socket(void *ctx, int type, int timeout)
{
    void *s = new_socket(ctx, type, timeout);
    int linger = 0;
    CHECK(zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger));
    return s;
}

/* Receive one message (or frame: what names it in the error) as a
   NUL-terminated string into buf; returns its length.  Fails when nothing
   came within the socket's timeout, on an error, and when it does not fit.
   A shut-down context (ETERM) fails too, unless term_ok: then it returns -1,
   which is how threads blocked in a receive learn that it is time to stop. */
static inline int recv_text(void *s, char *buf, size_t size, const char *what,
                            int term_ok)
{
    int n = zmq_recv(s, buf, size - 1, 0);
    if (n == -1 && term_ok && zmq_errno() == ETERM)
        return -1;
    if (n == -1 && zmq_errno() == EAGAIN)
        fail("no message within %d ms", TIMEOUT_MS);
    CHECK(n);
    if ((size_t) n >= size)
        fail("%s of %d bytes is too long", what, n);
    buf[n] = '\0';
    return n;
}

/* A whole message as a string; ETERM is a failure. */
static inline int recv_str(void *s, char *buf, size_t size)
{
    return recv_text(s, buf, size, "message", 0);
}

/* A whole message as a string, or -1 once the context was shut down. */
static inline int recv_str_or_term(void *s, char *buf, size_t size)
{
    return recv_text(s, buf, size, "message", 1);
}

/* The value of ZMQ_RCVMORE: does another frame of this message follow? */
static inline int rcvmore(void *s)
{
    int more;
    size_t len = sizeof more;
    CHECK(zmq_getsockopt(s, ZMQ_RCVMORE, &more, &len));
    return more;
}

/* One frame of a multipart message as a string; returns its length, or -1
   once the context was shut down.  want_more: 1 if another frame must
   follow, 0 if this must be the last one, -1 if either is fine (the caller
   then asks rcvmore()).  Checking every frame's position catches envelopes
   that gained or lost a frame on the way. */
static inline int recv_frame(void *s, char *buf, size_t size, int want_more)
{
    int n = recv_text(s, buf, size, "frame", 1);
    if (n == -1)
        return -1;
    int more = rcvmore(s);
    if (want_more >= 0 && more != want_more)
        fail("frame \"%s\": %s", buf, more ? "unexpected more frames" : "frame missing");
    return n;
}

static inline void send_frame(void *s, const char *str, int more)
{
    CHECK(zmq_send(s, str, strlen(str), more ? ZMQ_SNDMORE : 0));
}

static inline void send_str(void *s, const char *str)
{
    send_frame(s, str, 0);
}

/* Bind to a port the system picks and put the endpoint it really bound
   (ZMQ_LAST_ENDPOINT) in buf: no fixed port that another run, or another
   program, could be holding. */
static inline void bind_any_port(void *s, char *buf, size_t size)
{
    size_t len = size;
    CHECK(zmq_bind(s, "tcp://127.0.0.1:*"));
    CHECK(zmq_getsockopt(s, ZMQ_LAST_ENDPOINT, buf, &len));
}

/* An ipc:// endpoint of this process's own, for the same reason:
   ipc:///tmp/zmq-demo-<tag>-<pid>.ipc, or ...-<pid>-<index>.ipc when
   index >= 0.  Remove the socket file with unlink_ipc() at the end. */
static inline void ipc_endpoint(char *buf, size_t size, const char *tag, int index)
{
    if (index >= 0)
        snprintf(buf, size, "ipc:///tmp/zmq-demo-%s-%d-%d.ipc", tag, (int) getpid(),
                 index);
    else
        snprintf(buf, size, "ipc:///tmp/zmq-demo-%s-%d.ipc", tag, (int) getpid());
}

static inline void unlink_ipc(const char *endpoint)
{
    unlink(endpoint + strlen("ipc://"));
}

static inline void start_thread(pthread_t *thread, void *(*run)(void *), void *arg)
{
    if (pthread_create(thread, NULL, run, arg))
        fail("pthread_create");
}

/* A client or worker thread, as most demos have them. */
struct peer {
    int id;
    pthread_t thread;
    void *ctx;
    const char *endpoint;
    int count; /* replies received (client) or requests served (worker) */
    pthread_barrier_t *up; /* see start_peers() */
};

/* Start n peer threads running run(&peers[i]), with ids 0..n-1.
   With a barrier, return only once every one of them has called
   peer_up() - after connecting its socket, say.  Workers that end when the
   context is shut down need this: a thread that only started after the
   final zmq_ctx_shutdown() could not even create its socket. */
static inline void start_peers(struct peer *peers, int n, void *ctx,
                               const char *endpoint, void *(*run)(void *),
                               pthread_barrier_t *up)
{
    if (up && pthread_barrier_init(up, NULL, (unsigned) n + 1))
        fail("pthread_barrier_init");
    for (int i = 0; i < n; i++) {
        peers[i] = (struct peer){.id = i, .ctx = ctx, .endpoint = endpoint, .up = up};
        start_thread(&peers[i].thread, run, &peers[i]);
    }
    if (up)
        pthread_barrier_wait(up);
}

static inline void peer_up(struct peer *p)
{
    if (p->up)
        pthread_barrier_wait(p->up);
}

/* Stop workers that block in a receive until the context goes away: shut
   it down (their zmq_recv fails with ETERM, see recv_str_or_term()), join
   them, report each one's count; returns the total. */
static inline int shutdown_workers(void *ctx, struct peer *workers, int n)
{
    int served = 0;
    CHECK(zmq_ctx_shutdown(ctx));
    for (int i = 0; i < n; i++) {
        pthread_join(workers[i].thread, NULL);
        printf("worker %d: served %d requests\n", i, workers[i].count);
        served += workers[i].count;
    }
    return served;
}

/* Forked helper processes (a server, a router, brokers) hand the parent a
   string, such as the endpoint they bound, through a pipe: send_string_fd()
   in the child, read_string_fd() in the parent (which fails if the child
   closed the pipe without a whole string). */
static inline void send_string_fd(int fd, const char *str)
{
    if (write(fd, str, strlen(str) + 1) < 0)
        fail("write to pipe: %s", strerror(errno));
}

static inline void read_string_fd(int fd, char *buf, size_t size, const char *who)
{
    size_t got = 0;
    while (got == 0 || buf[got - 1] != '\0') {
        ssize_t n = read(fd, buf + got, size - got);
        if (n <= 0)
            fail("%s did not report", who);
        got += (size_t) n;
        if (got == size && buf[got - 1] != '\0')
            fail("%s: report too long", who);
    }
}

/* Wait for a forked helper process: it must exit with status 0. */
static inline void wait_child(pid_t pid, const char *who)
{
    int status;
    if (waitpid(pid, &status, 0) != pid)
        fail("waitpid: %s", strerror(errno));
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        fail("%s process ended badly (status 0x%x)", who, status);
}

#endif /* EXAMPLE_H */
