/* wss:// interop peer for ci/interop-draft (draft API: the ZMQ_WSS_* options).
 *
 *   wss server DIR CERT KEY         binds wss://127.0.0.1:*, writes its endpoint to DIR/ep,
 *                                   answers three requests (5, 300 and 70000 bytes)
 *   wss client DIR TRUST HOSTNAME   connects to what DIR/ep names, trusting TRUST and
 *                                   expecting HOSTNAME, and checks the three replies
 *
 * Exit 0 on success; otherwise one line saying what went wrong. */
#define ZMQ_BUILD_DRAFT_API
#include <zmq.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const size_t sizes[] = {5, 300, 70000};

static char *slurp(const char *path, size_t *n) {
    FILE *f = fopen(path, "rb");
    if (!f) { printf("cannot read %s\n", path); exit(1); }
    char *d = malloc(1 << 16);
    *n = fread(d, 1, 1 << 16, f);
    fclose(f);
    return d;
}

static void check(int rc, const char *what) {
    if (rc != 0) { printf("%s: %s\n", what, zmq_strerror(errno)); exit(1); }
}

int main(int argc, char **argv) {
    if (argc != 5) { printf("usage: wss server|client DIR PEM PEM|HOSTNAME\n"); return 2; }
    int server = strcmp(argv[1], "server") == 0, timeout = 10000;
    char path[4096], ep[256] = "";
    snprintf(path, sizeof path, "%s/ep", argv[2]);
    void *ctx = zmq_ctx_new();
    void *s = zmq_socket(ctx, server ? ZMQ_REP : ZMQ_REQ);
    check(zmq_setsockopt(s, ZMQ_RCVTIMEO, &timeout, sizeof timeout), "RCVTIMEO");
    size_t n1, n2;
    char *pem = slurp(argv[3], &n1), *buf = malloc(70000), *in = malloc(70000);
    if (server) {
        char *key = slurp(argv[4], &n2);
        check(zmq_setsockopt(s, ZMQ_WSS_CERT_PEM, pem, n1), "WSS_CERT_PEM");
        check(zmq_setsockopt(s, ZMQ_WSS_KEY_PEM, key, n2), "WSS_KEY_PEM");
        check(zmq_bind(s, "wss://127.0.0.1:*/interop"), "bind");
        size_t len = sizeof ep;
        check(zmq_getsockopt(s, ZMQ_LAST_ENDPOINT, ep, &len), "LAST_ENDPOINT");
        char tmp[4200];
        snprintf(tmp, sizeof tmp, "%s.tmp", path);
        FILE *f = fopen(tmp, "w");
        fputs(ep, f);
        fclose(f);
        rename(tmp, path);
        for (int i = 0; i < 3; i++) {
            int n = zmq_recv(s, buf, 70000, 0);
            if (n != (int) sizes[i]) { printf("server: request %d: got %d (%s)\n", i, n, zmq_strerror(errno)); return 1; }
            check(zmq_send(s, buf, n, 0) == n ? 0 : -1, "send");
        }
    } else {
        check(zmq_setsockopt(s, ZMQ_WSS_TRUST_PEM, pem, n1), "WSS_TRUST_PEM");
        check(zmq_setsockopt(s, ZMQ_WSS_HOSTNAME, argv[4], strlen(argv[4])), "WSS_HOSTNAME");
        for (int i = 0; i < 100 && !ep[0]; i++) {
            FILE *f = fopen(path, "r");
            if (f) { if (!fgets(ep, sizeof ep, f)) ep[0] = 0; fclose(f); }
            else usleep(50000);
        }
        if (!ep[0]) { printf("client: the server wrote no endpoint\n"); return 1; }
        check(zmq_connect(s, ep), "connect");
        for (int i = 0; i < 3; i++) {
            memset(buf, 'a' + i, sizes[i]);
            check(zmq_send(s, buf, sizes[i], 0) == (int) sizes[i] ? 0 : -1, "send");
            int n = zmq_recv(s, in, 70000, 0);
            if (n != (int) sizes[i] || memcmp(buf, in, n)) { printf("client: reply %d: got %d (%s)\n", i, n, zmq_strerror(errno)); return 1; }
        }
    }
    int linger = 1000;
    zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger);
    zmq_close(s);
    zmq_ctx_term(ctx);
    return 0;
}
