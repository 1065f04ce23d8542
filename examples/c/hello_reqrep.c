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

#include <sys/wait.h>

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
    if (write(report_fd, endpoint, strlen(endpoint) + 1) < 0)
        fail("write to pipe: %s", strerror(errno));
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
    int fds[2], status;
    char endpoint[256], request[64], expect[64], buf[64];
    size_t got = 0;
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

    /* Read the server's endpoint, up to its terminating NUL. */
    while (got == 0 || endpoint[got - 1] != '\0') {
        ssize_t n = read(fds[0], endpoint + got, sizeof endpoint - got);
        if (n <= 0)
            fail("server did not report its endpoint");
        got += (size_t) n;
        if (got == sizeof endpoint && endpoint[got - 1] != '\0')
            fail("endpoint too long");
    }
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

    if (waitpid(pid, &status, 0) != pid)
        fail("waitpid: %s", strerror(errno));
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        fail("server process ended badly (status 0x%x)", status);
    printf("OK: %d round trips, server exited cleanly\n", ROUNDS);
    return 0;
}
