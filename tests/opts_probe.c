/* opts_probe: a tiny command interpreter over the libzmq C API, used by the
 * Rust tests to record what the real libzmq answers (rc, errno, sizes, bytes).
 *
 * Reads commands from stdin, one per line, and prints one line per command:
 * "<command> => <result>".
 *
 *   ctx                   new context (the old one is terminated)
 *   ctxset OPT VAL        zmq_ctx_set            => rc errno
 *   ctxget OPT            zmq_ctx_get            => rc errno
 *   sock TYPE             new socket (old one closed with linger 0) => ok | errno
 *   set OPT HEX           zmq_setsockopt; HEX is the value bytes, "-" = NULL/0,
 *                         "." = non-NULL zero-length   => rc errno
 *   get OPT LEN           zmq_getsockopt into a LEN-byte buffer pre-filled with
 *                         0xAA => rc errno outlen hex-of-whole-buffer
 *   bind|connect|unbind|disconnect URI   => rc errno
 *   unbindlast|disconnectlast   the same with the current ZMQ_LAST_ENDPOINT
 *   lastep                ZMQ_LAST_ENDPOINT as text
 *
 * Buffers print as hex; a trailing run of more than 4 equal bytes is shortened to
 * "+<count>x<byte>" (e.g. "0500+59x00").
 */
#include <zmq.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *ctx, *sock;

static int unhex (const char *s, unsigned char *out)
{
    int n = 0;
    while (s[0] && s[1]) {
        unsigned int b;
        sscanf (s, "%2x", &b);
        out[n++] = (unsigned char) b;
        s += 2;
    }
    return n;
}

static void print_buf (const unsigned char *b, size_t n)
{
    size_t run = 0;
    while (run < n && b[n - 1 - run] == b[n - 1])
        run++;
    size_t head = run > 4 ? n - run : n;
    for (size_t i = 0; i < head; i++)
        printf ("%02x", b[i]);
    if (head < n)
        printf ("+%zux%02x", run, b[n - 1]);
}

static void close_sock (void)
{
    if (sock) {
        int zero = 0;
        zmq_setsockopt (sock, ZMQ_LINGER, &zero, sizeof zero);
        zmq_close (sock);
        sock = NULL;
    }
}

int main (void)
{
    static char line[70000];
    static unsigned char buf[70000];
    setvbuf (stdout, NULL, _IOFBF, 1 << 16);
    ctx = zmq_ctx_new ();
    while (fgets (line, sizeof line, stdin)) {
        line[strcspn (line, "\n")] = 0;
        if (!line[0])
            continue;
        printf ("%s => ", line);
        char cmd[32];
        int opt = 0, n = 0;
        sscanf (line, "%31s %n", cmd, &n);
        const char *rest = line + n;
        int rc;
        errno = 0;
        if (!strcmp (cmd, "ctx")) {
            close_sock ();
            zmq_ctx_term (ctx);
            ctx = zmq_ctx_new ();
            printf ("ok\n");
        } else if (!strcmp (cmd, "ctxset")) {
            int val = 0;
            sscanf (rest, "%d %d", &opt, &val);
            rc = zmq_ctx_set (ctx, opt, val);
            printf ("%d %d\n", rc, rc == -1 ? errno : 0);
        } else if (!strcmp (cmd, "ctxget")) {
            sscanf (rest, "%d", &opt);
            rc = zmq_ctx_get (ctx, opt);
            printf ("%d %d\n", rc, rc == -1 ? errno : 0);
        } else if (!strcmp (cmd, "sock")) {
            int type = 0;
            sscanf (rest, "%d", &type);
            close_sock ();
            sock = zmq_socket (ctx, type);
            if (sock)
                printf ("ok\n");
            else
                printf ("%d\n", errno);
        } else if (!strcmp (cmd, "set")) {
            char hex[65536 + 8];
            hex[0] = 0;
            sscanf (rest, "%d %65535s", &opt, hex);
            if (!strcmp (hex, "-"))
                rc = zmq_setsockopt (sock, opt, NULL, 0);
            else if (!strcmp (hex, "."))
                rc = zmq_setsockopt (sock, opt, buf, 0);
            else
                rc = zmq_setsockopt (sock, opt, buf, unhex (hex, buf));
            printf ("%d %d\n", rc, rc == -1 ? errno : 0);
        } else if (!strcmp (cmd, "get")) {
            size_t len = 0;
            sscanf (rest, "%d %zu", &opt, &len);
            size_t cap = len;
            memset (buf, 0xAA, cap + 1);
            rc = zmq_getsockopt (sock, opt, buf, &len);
            printf ("%d %d %zu ", rc, rc == -1 ? errno : 0, len);
            print_buf (buf, cap);
            printf ("\n");
        } else if (!strcmp (cmd, "bind") || !strcmp (cmd, "connect")
                   || !strcmp (cmd, "unbind") || !strcmp (cmd, "disconnect")) {
            if (!strcmp (cmd, "bind"))
                rc = zmq_bind (sock, rest);
            else if (!strcmp (cmd, "connect"))
                rc = zmq_connect (sock, rest);
            else if (!strcmp (cmd, "unbind"))
                rc = zmq_unbind (sock, rest);
            else
                rc = zmq_disconnect (sock, rest);
            printf ("%d %d\n", rc, rc == -1 ? errno : 0);
        } else if (!strcmp (cmd, "unbindlast")
                   || !strcmp (cmd, "disconnectlast")) {
            char ep[1024];
            size_t len = sizeof ep;
            zmq_getsockopt (sock, ZMQ_LAST_ENDPOINT, ep, &len);
            errno = 0;
            rc = !strcmp (cmd, "unbindlast") ? zmq_unbind (sock, ep)
                                              : zmq_disconnect (sock, ep);
            printf ("%d %d\n", rc, rc == -1 ? errno : 0);
        } else if (!strcmp (cmd, "lastep")) {
            char ep[1024];
            size_t len = sizeof ep;
            rc = zmq_getsockopt (sock, ZMQ_LAST_ENDPOINT, ep, &len);
            printf ("%s\n", rc == 0 ? ep : "?");
        } else {
            printf ("unknown command\n");
        }
    }
    close_sock ();
    zmq_ctx_term (ctx);
    return 0;
}
