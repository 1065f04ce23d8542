/*
 * hello_reqrep.c - the simplest ZeroMQ pattern: a REQ client and a REP server.
 *
 * The server runs in a forked child process with a context of its own.  It
 * binds a REP socket to an ephemeral TCP port (tcp://127.0.0.1:*), reads back
 * the port it got (ZMQ_LAST_ENDPOINT) and hands the endpoint to the parent
 * through a pipe.  The parent connects a REQ socket and makes ROUNDS
 * request/reply round trips, checking every message on both sides.
 *
 * Exit status: 0 when every round trip was right and the server exited
 * cleanly, 1 on a failed check, 2 on the overall timeout.
 */
#define EXAMPLE_NAME "hello_reqrep"
#include "example.h"

#define ROUNDS 10

/* The child: answer "Hello N" with "World N", ROUNDS times. */
static int run_server(int report_fd)
{
    void *ctx = zmq_ctx_new();
    void *rep = new_socket(ctx, ZMQ_REP, TIMEOUT_MS);
    int linger = 1000; /* let the last reply go out before closing */
    char endpoint[256], expect[64], reply[64], buf[64];

    CHECK(zmq_setsockopt(rep, ZMQ_LINGER, &linger, sizeof linger));
    bind_any_port(rep, endpoint, sizeof endpoint);
    printf("server: bound to %s\n", endpoint);
    send_string_fd(report_fd, endpoint);
    close(report_fd);

    for (int i = 0; i < ROUNDS; i++) {
        recv_str(rep, buf, sizeof buf);
        snprintf(expect, sizeof expect, "Hello %d", i);
        if (strcmp(buf, expect) != 0)
            fail("server expected \"%s\", got \"%s\"", expect, buf);
        snprintf(reply, sizeof reply, "World %d", i);
        printf("server: got \"%s\", reply \"%s\"\n", buf, reply);
        send_str(rep, reply);
    }
    CHECK(zmq_close(rep));
    CHECK(zmq_ctx_term(ctx));
    return 0;
}

int main(void)
{
    int fds[2];
    char endpoint[256], request[64], expect[64], buf[64];
    pid_t pid;

    example_start();

    /* Fork before any zmq call: a context must never cross a fork. */
    if (pipe(fds) != 0)
        fail("pipe: %s", strerror(errno));
    pid = fork();
    if (pid < 0)
        fail("fork: %s", strerror(errno));
    if (pid == 0) {
        prog = "hello_reqrep[server]";
        alarm(DEADLINE_S); /* alarms are not inherited */
        close(fds[0]);
        int rc = run_server(fds[1]);
        fflush(stdout);
        _exit(rc);
    }
    close(fds[1]);

    read_string_fd(fds[0], endpoint, sizeof endpoint, "server");
    close(fds[0]);

    void *ctx = zmq_ctx_new();
    void *req = new_socket(ctx, ZMQ_REQ, TIMEOUT_MS);
    CHECK(zmq_connect(req, endpoint));
    printf("client: connected to %s\n", endpoint);

    for (int i = 0; i < ROUNDS; i++) {
        snprintf(request, sizeof request, "Hello %d", i);
        send_str(req, request);
        recv_str(req, buf, sizeof buf);
        snprintf(expect, sizeof expect, "World %d", i);
        if (strcmp(buf, expect) != 0)
            fail("client expected \"%s\", got \"%s\"", expect, buf);
        printf("client: sent \"%s\", got \"%s\"\n", request, buf);
    }
    CHECK(zmq_close(req));
    CHECK(zmq_ctx_term(ctx));

    wait_child(pid, "server");
    printf("OK: %d round trips, server exited cleanly\n", ROUNDS);
    return 0;
}
