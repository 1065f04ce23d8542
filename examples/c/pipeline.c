/*
 * pipeline.c - PUSH/PULL divide and conquer: ventilator -> workers -> sink.
 *
 *   ventilator (main, PUSH) --ipc--> WORKERS x (PULL ... PUSH) --tcp--> sink (main, PULL)
 *
 * Each worker thread binds a PULL socket to an ipc:// endpoint of its own and
 * connects a PUSH socket to the sink, which is bound to an ephemeral TCP port.
 * The ventilator connects to every worker.  A connecting PUSH socket gets its
 * outgoing queue (pipe) to a peer at zmq_connect() time, so once all WORKERS
 * connects are done, the round robin really spreads the tasks over all of
 * them - no "slow joiner" worker misses the first batch.
 *
 * A task is a number n; the result is n*n, tagged with the worker's id.  The
 * sink checks that every task's result arrives exactly once, is right, and
 * that every worker did a fair part of the work.  Workers stop when the
 * context is shut down (their blocking zmq_recv fails with ETERM).
 *
 * Exit status: 0 on success, 1 on a failed check, 2 on the overall timeout.
 */
#define EXAMPLE_NAME "pipeline"
#include "example.h"

#define WORKERS 4
#define TASKS 100

struct worker {
    int id;
    pthread_t thread;
    void *ctx;
    const char *sink;   /* tcp endpoint of the sink */
    char endpoint[128]; /* ipc endpoint this worker binds */
    int done;           /* tasks processed */
};

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    void *in = make_socket(w->ctx, ZMQ_PULL, TIMEOUT_MS);
    void *out = make_socket(w->ctx, ZMQ_PUSH, TIMEOUT_MS);
    char buf[64];

    CHECK(zmq_bind(in, w->endpoint));
    CHECK(zmq_connect(out, w->sink));
    /* Tell the sink this worker is bound and connected. */
    snprintf(buf, sizeof buf, "ready %d", w->id);
    send_str(out, buf);

    while (recv_str_or_term(in, buf, sizeof buf) >= 0) {
        long n = atol(buf);
        snprintf(buf, sizeof buf, "result %d %ld %ld", w->id, n, n * n);
        send_str(out, buf);
        w->done++;
    }
    CHECK(zmq_close(in));
    CHECK(zmq_close(out));
    return NULL;
}

int main(void)
{
    struct worker workers[WORKERS];
    int seen[TASKS] = {0}, per_worker[WORKERS] = {0};
    char sink_endpoint[256], buf[128];

    example_start();

    void *ctx = zmq_ctx_new();
    void *sink = make_socket(ctx, ZMQ_PULL, TIMEOUT_MS);
    bind_any_port(sink, sink_endpoint, sizeof sink_endpoint);
    printf("sink: bound to %s\n", sink_endpoint);

    for (int i = 0; i < WORKERS; i++) {
        workers[i] = (struct worker){.id = i, .ctx = ctx, .sink = sink_endpoint};
        ipc_endpoint(workers[i].endpoint, sizeof workers[i].endpoint, "pipeline", i);
        start_thread(&workers[i].thread, worker_main, &workers[i]);
    }

    /* Wait until every worker is bound, so the ventilator connects at once. */
    for (int i = 0; i < WORKERS; i++) {
        recv_str(sink, buf, sizeof buf);
        printf("sink: %s\n", buf);
        if (strncmp(buf, "ready ", 6) != 0)
            fail("expected a ready message, got \"%s\"", buf);
    }

    void *vent = make_socket(ctx, ZMQ_PUSH, TIMEOUT_MS);
    for (int i = 0; i < WORKERS; i++)
        CHECK(zmq_connect(vent, workers[i].endpoint));
    for (int n = 0; n < TASKS; n++) {
        snprintf(buf, sizeof buf, "%d", n);
        send_str(vent, buf);
    }
    printf("ventilator: sent %d tasks to %d workers over ipc\n", TASKS, WORKERS);

    /* Collect the results: each task exactly once, with the right value. */
    for (int i = 0; i < TASKS; i++) {
        int id;
        long n, square;
        recv_str(sink, buf, sizeof buf);
        if (sscanf(buf, "result %d %ld %ld", &id, &n, &square) != 3
            || id < 0 || id >= WORKERS || n < 0 || n >= TASKS)
            fail("malformed result \"%s\"", buf);
        if (square != n * n)
            fail("wrong result \"%s\"", buf);
        if (seen[n]++)
            fail("result for task %ld arrived twice", n);
        per_worker[id]++;
    }

    /* Nothing more may come: a duplicate would show up here. */
    zmq_pollitem_t item = {sink, 0, ZMQ_POLLIN, 0};
    int extra = zmq_poll(&item, 1, 100);
    CHECK(extra);
    if (extra > 0) {
        recv_str(sink, buf, sizeof buf);
        fail("unexpected extra message \"%s\"", buf);
    }
    printf("sink: all %d results arrived exactly once and are correct\n", TASKS);

    /* Shut down: workers' pending zmq_recv returns ETERM and they exit. */
    CHECK(zmq_close(vent));
    CHECK(zmq_close(sink));
    CHECK(zmq_ctx_shutdown(ctx));
    for (int i = 0; i < WORKERS; i++)
        pthread_join(workers[i].thread, NULL);
    CHECK(zmq_ctx_term(ctx));

    for (int i = 0; i < WORKERS; i++) {
        unlink_ipc(workers[i].endpoint);
        printf("worker %d: %d tasks\n", i, workers[i].done);
        if (workers[i].done != per_worker[i])
            fail("worker %d says %d tasks, sink saw %d", i, workers[i].done,
                 per_worker[i]);
        /* Round robin over WORKERS queues: every worker gets its share. */
        if (per_worker[i] < TASKS / WORKERS / 2)
            fail("load not spread: worker %d did only %d of %d tasks", i,
                 per_worker[i], TASKS);
    }
    printf("OK: %d tasks, load spread over %d workers\n", TASKS, WORKERS);
    return 0;
}
