/*
 * A real-libzmq peer for the ZMTP engine's interoperability tests. It runs in its own
 * process (the crate under test will itself be a libzmq), does one scenario and exits 0
 * on success. Diagnostics go to stderr; the first stdout line is "READY <port>" once the
 * socket is bound or connected.
 *
 *   zmtp_peer router-echo HB_IVL_MS   bind a ROUTER; echo each message back with the
 *                                     sender's id as an extra first frame; on "END" reply
 *                                     "BYE <n>", n counting DISCONNECTED events, and exit
 *   zmtp_peer dealer PORT COUNT       connect a DEALER (routing id "libzmq-dealer") to
 *                                     PORT, send a scenario, expect it echoed back
 *   zmtp_peer xpub                    bind an XPUB; wait for a subscription, then publish
 *                                     "B-skip", "A-1", "A-END"
 *   zmtp_peer sub PORT                connect a SUB to PORT, subscribe "A", expect "A-1"
 *                                     then "A-END"
 *   zmtp_peer plain-server            bind a ROUTER as PLAIN server; wait for a message
 *                                     (none comes: a NULL peer must fail the handshake)
 *
 * With ZMTP_PEER_CURVE set, the scenario's socket speaks CURVE:
 *   "server SECRET"                   as CURVE server with that Z85 secret key
 *   "client PUBLIC SECRET SERVER"     as CURVE client with its key pair and the server's
 */

#include <zmq.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FAIL(...)                                                              \
    do {                                                                       \
        fprintf (stderr, "zmtp_peer: " __VA_ARGS__);                           \
        fprintf (stderr, " (errno: %s)\n", zmq_strerror (zmq_errno ()));       \
        exit (1);                                                              \
    } while (0)

static void set_int (void *s, int opt, int value)
{
    if (zmq_setsockopt (s, opt, &value, sizeof value) != 0)
        FAIL ("setsockopt %d", opt);
}

static void set_curve_key (void *s, int opt, const char *z85)
{
    if (zmq_setsockopt (s, opt, z85, 40) != 0)
        FAIL ("curve key option %d", opt);
}

/* Applies ZMTP_PEER_CURVE (see the top of the file), before bind or connect. */
static void secure (void *s)
{
    const char *spec = getenv ("ZMTP_PEER_CURVE");
    char pub[41], sec[41], server[41];
    if (!spec)
        return;
    if (sscanf (spec, "server %40s", sec) == 1) {
        set_int (s, ZMQ_CURVE_SERVER, 1);
        set_curve_key (s, ZMQ_CURVE_SECRETKEY, sec);
    } else if (sscanf (spec, "client %40s %40s %40s", pub, sec, server) == 3) {
        set_curve_key (s, ZMQ_CURVE_PUBLICKEY, pub);
        set_curve_key (s, ZMQ_CURVE_SECRETKEY, sec);
        set_curve_key (s, ZMQ_CURVE_SERVERKEY, server);
    } else
        FAIL ("bad ZMTP_PEER_CURVE %s", spec);
}

static void bind_and_announce (void *s)
{
    secure (s);
    char endpoint[256];
    size_t len = sizeof endpoint;
    if (zmq_bind (s, "tcp://127.0.0.1:*") != 0)
        FAIL ("bind");
    if (zmq_getsockopt (s, ZMQ_LAST_ENDPOINT, endpoint, &len) != 0)
        FAIL ("last endpoint");
    printf ("READY %s\n", strrchr (endpoint, ':') + 1);
    fflush (stdout);
}

static void connect_and_announce (void *s, const char *port)
{
    char endpoint[64];
    snprintf (endpoint, sizeof endpoint, "tcp://127.0.0.1:%s", port);
    secure (s);
    if (zmq_connect (s, endpoint) != 0)
        FAIL ("connect %s", endpoint);
    printf ("READY %s\n", port);
    fflush (stdout);
}

/* Receives one frame; returns its size, fills *more. Fails after the RCVTIMEO. */
static int recv_frame (void *s, zmq_msg_t *msg, int *more)
{
    if (zmq_msg_recv (msg, s, 0) < 0)
        FAIL ("recv");
    *more = zmq_msg_more (msg);
    return (int) zmq_msg_size (msg);
}

static void send_buf (void *s, const void *data, size_t len, int flags)
{
    if (zmq_send (s, data, len, flags) != (int) len)
        FAIL ("send %zu bytes", len);
}

/* Counts DISCONNECTED events waiting on the monitor socket. */
static int drain_monitor (void *mon)
{
    int n = 0;
    while (1) {
        zmq_msg_t ev, addr;
        zmq_msg_init (&ev);
        if (zmq_msg_recv (&ev, mon, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close (&ev);
            return n;
        }
        unsigned short event;
        memcpy (&event, zmq_msg_data (&ev), sizeof event);
        if (event == ZMQ_EVENT_DISCONNECTED)
            n++;
        zmq_msg_close (&ev);
        zmq_msg_init (&addr);
        zmq_msg_recv (&addr, mon, 0);
        zmq_msg_close (&addr);
    }
}

static int router_echo (void *ctx, int hb_ivl)
{
    void *s = zmq_socket (ctx, ZMQ_ROUTER);
    set_int (s, ZMQ_SNDHWM, 0);
    set_int (s, ZMQ_RCVHWM, 0);
    set_int (s, ZMQ_RCVTIMEO, 8000);
    if (hb_ivl > 0) {
        set_int (s, ZMQ_HEARTBEAT_IVL, hb_ivl);
        set_int (s, ZMQ_HEARTBEAT_TIMEOUT, hb_ivl * 3);
        set_int (s, ZMQ_HEARTBEAT_TTL, hb_ivl * 6);
    }
    if (zmq_socket_monitor (s, "inproc://monitor", ZMQ_EVENT_DISCONNECTED) != 0)
        FAIL ("monitor");
    void *mon = zmq_socket (ctx, ZMQ_PAIR);
    if (zmq_connect (mon, "inproc://monitor") != 0)
        FAIL ("monitor connect");
    bind_and_announce (s);

    int disconnects = 0;
    while (1) {
        zmq_msg_t id;
        int more;
        zmq_msg_init (&id);
        recv_frame (s, &id, &more);
        disconnects += drain_monitor (mon);
        zmq_msg_t first;
        zmq_msg_init (&first);
        int first_len = recv_frame (s, &first, &more);
        if (!more && first_len == 3 && memcmp (zmq_msg_data (&first), "END", 3) == 0) {
            char bye[32];
            int n = snprintf (bye, sizeof bye, "BYE %d", disconnects);
            send_buf (s, zmq_msg_data (&id), zmq_msg_size (&id), ZMQ_SNDMORE);
            send_buf (s, bye, (size_t) n, 0);
            zmq_msg_close (&id);
            zmq_msg_close (&first);
            break;
        }
        /* Echo: routing frame, the id again as data, then the frames. */
        zmq_msg_t id_copy;
        zmq_msg_init (&id_copy);
        zmq_msg_copy (&id_copy, &id);
        if (zmq_msg_send (&id, s, ZMQ_SNDMORE) < 0 || zmq_msg_send (&id_copy, s, ZMQ_SNDMORE) < 0)
            FAIL ("echo id");
        while (1) {
            if (zmq_msg_send (&first, s, more ? ZMQ_SNDMORE : 0) < 0)
                FAIL ("echo frame");
            if (!more)
                break;
            zmq_msg_init (&first);
            recv_frame (s, &first, &more);
        }
    }
    zmq_close (mon);
    zmq_close (s);
    return 0;
}

static void expect_frame (void *s, const void *data, size_t len, int more_expected)
{
    zmq_msg_t m;
    int more;
    zmq_msg_init (&m);
    int n = recv_frame (s, &m, &more);
    if ((size_t) n != len || memcmp (zmq_msg_data (&m), data, len) != 0 || more != more_expected)
        FAIL ("unexpected frame: %d bytes, more=%d (wanted %zu, more=%d)", n, more, len,
              more_expected);
    zmq_msg_close (&m);
}

static int dealer (void *ctx, const char *port, int count)
{
    void *s = zmq_socket (ctx, ZMQ_DEALER);
    set_int (s, ZMQ_SNDHWM, 0);
    set_int (s, ZMQ_RCVHWM, 0);
    set_int (s, ZMQ_RCVTIMEO, 8000);
    if (zmq_setsockopt (s, ZMQ_ROUTING_ID, "libzmq-dealer", 13) != 0)
        FAIL ("routing id");
    connect_and_announce (s, port);

    /* Multipart with an empty frame, a 1 MiB frame, then COUNT small messages. */
    size_t big_len = 1 << 20;
    unsigned char *big = malloc (big_len);
    for (size_t i = 0; i < big_len; i++)
        big[i] = (unsigned char) (i * 7);
    send_buf (s, "a", 1, ZMQ_SNDMORE);
    send_buf (s, "", 0, ZMQ_SNDMORE);
    send_buf (s, "c", 1, 0);
    send_buf (s, big, big_len, 0);
    for (int i = 0; i < count; i++) {
        char buf[32];
        int n = snprintf (buf, sizeof buf, "msg-%d", i);
        send_buf (s, buf, (size_t) n, 0);
    }
    send_buf (s, "END", 3, 0);

    /* The Rust side echoes every message unchanged. */
    expect_frame (s, "a", 1, 1);
    expect_frame (s, "", 0, 1);
    expect_frame (s, "c", 1, 0);
    expect_frame (s, big, big_len, 0);
    for (int i = 0; i < count; i++) {
        char buf[32];
        int n = snprintf (buf, sizeof buf, "msg-%d", i);
        expect_frame (s, buf, (size_t) n, 0);
    }
    expect_frame (s, "END", 3, 0);
    free (big);
    zmq_close (s);
    return 0;
}

static int xpub (void *ctx)
{
    void *s = zmq_socket (ctx, ZMQ_XPUB);
    set_int (s, ZMQ_RCVTIMEO, 8000);
    bind_and_announce (s);
    expect_frame (s, "\1A", 2, 0);
    send_buf (s, "B-skip", 6, 0);
    send_buf (s, "A-1", 3, 0);
    send_buf (s, "A-END", 5, 0);
    /* Wait for the subscriber to cancel, so everything was delivered before we close. */
    expect_frame (s, "\0A", 2, 0);
    zmq_close (s);
    return 0;
}

static int sub (void *ctx, const char *port)
{
    void *s = zmq_socket (ctx, ZMQ_SUB);
    set_int (s, ZMQ_RCVTIMEO, 8000);
    if (zmq_setsockopt (s, ZMQ_SUBSCRIBE, "A", 1) != 0)
        FAIL ("subscribe");
    connect_and_announce (s, port);
    expect_frame (s, "A-1", 3, 0);
    expect_frame (s, "A-END", 5, 0);
    zmq_close (s);
    return 0;
}

static int plain_server (void *ctx)
{
    void *s = zmq_socket (ctx, ZMQ_ROUTER);
    set_int (s, ZMQ_PLAIN_SERVER, 1);
    set_int (s, ZMQ_RCVTIMEO, 8000);
    bind_and_announce (s);
    zmq_msg_t m;
    zmq_msg_init (&m);
    zmq_msg_recv (&m, s, 0);
    zmq_close (s);
    return 0;
}

int main (int argc, char *argv[])
{
    int major, minor, patch;
    zmq_version (&major, &minor, &patch);
    fprintf (stderr, "zmtp_peer: libzmq %d.%d.%d, mode %s\n", major, minor, patch,
             argc > 1 ? argv[1] : "?");
    void *ctx = zmq_ctx_new ();
    int rc = 2;
    if (argc == 3 && strcmp (argv[1], "router-echo") == 0)
        rc = router_echo (ctx, atoi (argv[2]));
    else if (argc == 4 && strcmp (argv[1], "dealer") == 0)
        rc = dealer (ctx, argv[2], atoi (argv[3]));
    else if (argc == 2 && strcmp (argv[1], "xpub") == 0)
        rc = xpub (ctx);
    else if (argc == 3 && strcmp (argv[1], "sub") == 0)
        rc = sub (ctx, argv[2]);
    else if (argc == 2 && strcmp (argv[1], "plain-server") == 0)
        rc = plain_server (ctx);
    else
        fprintf (stderr, "zmtp_peer: bad arguments\n");
    zmq_ctx_term (ctx);
    return rc;
}
