/* LD_PRELOAD helper for ci/perf (zmq-oxide's own code).
 *
 * remote_thr closes its socket and exits as soon as its last message is
 * queued.  Reference libzmq 4.3.4 drops the data still in flight on an ipc
 * connection when the peer closes it (libzmq issue #4660), so local_thr, the
 * side that measures, waits forever for the missing messages.  This wrapper
 * delays zmq_close() in the sending process by ZMQ_OXIDE_PERF_HOLD_MS
 * milliseconds, giving the receiver time to drain the connection.  It does not
 * touch the measured path: local_thr's stopwatch stops at the last message
 * received, and the wrapper only runs after the sender's send loop. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdlib.h>
#include <time.h>

int zmq_close (void *socket)
{
    static int (*real_close) (void *);
    if (!real_close)
        real_close = (int (*) (void *)) dlsym (RTLD_NEXT, "zmq_close");
    const char *env = getenv ("ZMQ_OXIDE_PERF_HOLD_MS");
    long ms = env ? atol (env) : 0;
    if (ms > 0) {
        struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
        while (nanosleep (&ts, &ts) != 0) {
        }
    }
    return real_close (socket);
}
