/*
 * which_libzmq.c - built by ci/install-check with nothing but
 * `pkg-config --cflags --libs libzmq`.  It makes one inproc REQ/REP round
 * trip, then prints the file its libzmq.so.5 was loaded from, as
 * /proc/self/maps shows it: "libzmq: /path/to/libzmq.so.5.2.4".
 * Exit status 0 when all of that worked, 1 otherwise.
 */
#include <zmq.h>

#include <stdio.h>
#include <string.h>

static int fail(const char *what)
{
    fprintf(stderr, "which_libzmq: %s: %s\n", what, zmq_strerror(zmq_errno()));
    return 1;
}

int main(void)
{
    int major, minor, patch, timeout = 5000;
    char buf[16], line[4096], loaded[4096] = "";

    zmq_version(&major, &minor, &patch);
    printf("zmq_version: %d.%d.%d (zmq.h: %d.%d.%d)\n", major, minor, patch,
           ZMQ_VERSION_MAJOR, ZMQ_VERSION_MINOR, ZMQ_VERSION_PATCH);
    if (ZMQ_VERSION != ZMQ_MAKE_VERSION(major, minor, patch)) {
        fprintf(stderr, "which_libzmq: header and library versions differ\n");
        return 1;
    }

    void *ctx = zmq_ctx_new();
    void *rep = zmq_socket(ctx, ZMQ_REP), *req = zmq_socket(ctx, ZMQ_REQ);
    if (!ctx || !rep || !req)
        return fail("zmq_socket");
    if (zmq_setsockopt(req, ZMQ_RCVTIMEO, &timeout, sizeof timeout)
        || zmq_setsockopt(rep, ZMQ_RCVTIMEO, &timeout, sizeof timeout)
        || zmq_bind(rep, "inproc://check") || zmq_connect(req, "inproc://check"))
        return fail("setup");
    if (zmq_send(req, "ping", 4, 0) != 4 || zmq_recv(rep, buf, sizeof buf, 0) != 4
        || zmq_send(rep, "pong", 4, 0) != 4 || zmq_recv(req, buf, sizeof buf, 0) != 4
        || memcmp(buf, "pong", 4) != 0)
        return fail("round trip");
    zmq_close(req);
    zmq_close(rep);
    zmq_ctx_term(ctx);
    printf("round trip: ok\n");

    FILE *maps = fopen("/proc/self/maps", "r");
    if (!maps)
        return fail("/proc/self/maps");
    while (fgets(line, sizeof line, maps)) {
        char *path = strchr(line, '/');
        if (path && strstr(path, "/libzmq.so")) {
            path[strcspn(path, "\n")] = '\0';
            snprintf(loaded, sizeof loaded, "%s", path);
            break;
        }
    }
    fclose(maps);
    if (!loaded[0]) {
        fprintf(stderr, "which_libzmq: no libzmq.so mapped\n");
        return 1;
    }
    printf("libzmq: %s\n", loaded);
    return 0;
}
