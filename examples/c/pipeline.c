/*
 * pipeline.c - a PUSH/PULL pipeline behind a router process.
 *
 *   client process                      router process (forked)
 *   CLIENTS x REQ --tcp--> ROUTER  router  PUSH --ipc--> WORKERS x PULL
 *                                          PULL <--ipc-- WORKERS x PUSH
 *
 * Clients send jobs ("job TAG n1 n2 ..."); the router process splits each
 * job into one task per number, pushes the tasks down the pipeline (round
 * robin over the workers), collects the squares the workers send back to its
 * PULL sink, and when a job is complete replies to its client with the sum
 * of the squares.  Each client checks every sum; the router checks that
 * every task's result came back exactly once and right, and that the round
 * robin spread the tasks over all workers.
 *
 * Each worker binds a PULL socket of its own and the router's PUSH connects
 * to all of them, after they reported "ready" through the sink: a connecting
 * PUSH has its pipe to every peer at zmq_connect() time, so no worker misses
 * the first tasks.  The router process hands its frontend endpoint to the
 * parent through a pipe and exits after CLIENTS * JOBS jobs; workers stop
 * when its context is shut down (their zmq_recv fails with ETERM).
 *
 * Exit status: 0 on success, 1 on a failed check, 2 on the overall timeout.
 */
#define EXAMPLE_NAME "pipeline"
#include "example.h"

#define CLIENTS 2
#define JOBS 5   /* per client */
#define TASKS 10 /* per job */
#define WORKERS 4
#define ALL_JOBS (CLIENTS * JOBS)

struct worker {
    int id;
    pthread_t thread;
    void *ctx;
    const char *sink;   /* endpoint of the router's sink */
    char endpoint[128]; /* ipc endpoint this worker binds */
    int done;           /* tasks processed */
};

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    void *in = make_socket(w->ctx, ZMQ_PULL, -1); /* waits until shutdown */
    void *out = make_socket(w->ctx, ZMQ_PUSH, TIMEOUT_MS);
    char buf[64];
    int job;
    long n;

    CHECK(zmq_bind(in, w->endpoint));
    CHECK(zmq_connect(out, w->sink));
    snprintf(buf, sizeof buf, "ready %d", w->id);
    send_str(out, buf);

    while (recv_str_or_term(in, buf, sizeof buf) >= 0) {
        if (sscanf(buf, "%d %ld", &job, &n) != 2)
            fail("worker %d: malformed task \"%s\"", w->id, buf);
        snprintf(buf, sizeof buf, "result %d %d %ld %ld", w->id, job, n, n * n);
        send_str(out, buf);
        w->done++;
    }
    CHECK(zmq_close(in));
    CHECK(zmq_close(out));
    return NULL;
}

/* A job in the router: whose it is, what is still missing. */
struct job {
    char client[64]; /* routing id (text: the clients set theirs) */
    int outstanding;
    long sum;
    unsigned char seen[TASKS];
};

static int run_router(int report_fd)
{
    struct worker workers[WORKERS];
    struct job jobs[ALL_JOBS];
    int per_worker[WORKERS] = {0}, njobs = 0, done = 0, tasks = 0;
    char front_endpoint[256], sink_endpoint[128], buf[256], empty[8];

    void *ctx = zmq_ctx_new();
    void *frontend = make_socket(ctx, ZMQ_ROUTER, TIMEOUT_MS);
    void *sink = make_socket(ctx, ZMQ_PULL, TIMEOUT_MS);
    bind_any_port(frontend, front_endpoint, sizeof front_endpoint);
    ipc_endpoint(sink_endpoint, sizeof sink_endpoint, "pipeline-sink", -1);
    CHECK(zmq_bind(sink, sink_endpoint));
    printf("router: frontend %s, sink %s\n", front_endpoint, sink_endpoint);
    send_string_fd(report_fd, front_endpoint);
    close(report_fd);

    for (int i = 0; i < WORKERS; i++) {
        workers[i] = (struct worker){.id = i, .ctx = ctx, .sink = sink_endpoint};
        ipc_endpoint(workers[i].endpoint, sizeof workers[i].endpoint, "pipeline", i);
        start_thread(&workers[i].thread, worker_main, &workers[i]);
    }
    /* Every worker bound, so the ventilator connects to all at once. */
    for (int i = 0; i < WORKERS; i++) {
        recv_str(sink, buf, sizeof buf);
        if (strncmp(buf, "ready ", 6) != 0)
            fail("expected a ready message, got \"%s\"", buf);
    }
    void *vent = make_socket(ctx, ZMQ_PUSH, TIMEOUT_MS);
    for (int i = 0; i < WORKERS; i++)
        CHECK(zmq_connect(vent, workers[i].endpoint));

    while (done < ALL_JOBS) {
        zmq_pollitem_t items[] = {
            {frontend, 0, ZMQ_POLLIN, 0},
            {sink, 0, ZMQ_POLLIN, 0},
        };
        int rc = zmq_poll(items, 2, TIMEOUT_MS);
        CHECK(rc);
        if (rc == 0)
            fail("router: no traffic for %d ms", TIMEOUT_MS);

        if (items[0].revents & ZMQ_POLLIN) { /* [client][""]["job TAG n..."] */
            if (njobs == ALL_JOBS)
                fail("more than %d jobs", ALL_JOBS);
            struct job *job = &jobs[njobs];
            *job = (struct job){.outstanding = TASKS};
            recv_frame(frontend, job->client, sizeof job->client, 1);
            recv_frame(frontend, empty, sizeof empty, 1);
            recv_frame(frontend, buf, sizeof buf, 0);
            /* The tag is our job number; the numbers are the client's. */
            char *numbers = strchr(buf + 4, ' ');
            if (strncmp(buf, "job ", 4) != 0 || empty[0] || !numbers)
                fail("bad job \"%s\"", buf);
            for (int t = 0; t < TASKS; t++) {
                char *end;
                long n = strtol(numbers, &end, 10);
                if (end == numbers)
                    fail("job \"%s\" has fewer than %d numbers", buf, TASKS);
                numbers = end;
                char task[64];
                snprintf(task, sizeof task, "%d %ld", njobs * TASKS + t, n);
                send_str(vent, task);
            }
            njobs++;
        }
        if (items[1].revents & ZMQ_POLLIN) { /* "result W TASK n n*n" */
            int w, task;
            long n, square;
            recv_str(sink, buf, sizeof buf);
            if (sscanf(buf, "result %d %d %ld %ld", &w, &task, &n, &square) != 4
                || w < 0 || w >= WORKERS || task < 0 || task >= njobs * TASKS)
                fail("malformed result \"%s\"", buf);
            if (square != n * n)
                fail("wrong result \"%s\"", buf);
            struct job *job = &jobs[task / TASKS];
            if (job->seen[task % TASKS]++)
                fail("result for task %d arrived twice", task);
            per_worker[w]++;
            tasks++;
            job->sum += square;
            if (--job->outstanding == 0) {
                snprintf(buf, sizeof buf, "%ld", job->sum);
                send_frame(frontend, job->client, 1);
                send_frame(frontend, "", 1);
                send_str(frontend, buf);
                done++;
            }
        }
    }

    /* Nothing more may come: a duplicate would show up here. */
    zmq_pollitem_t item = {sink, 0, ZMQ_POLLIN, 0};
    int extra = zmq_poll(&item, 1, 100);
    CHECK(extra);
    if (extra > 0)
        fail("unexpected extra result");
    printf("router: %d jobs, %d tasks, each result exactly once and right\n", done, tasks);

    CHECK(zmq_close(vent));
    CHECK(zmq_close(sink));
    CHECK(zmq_close(frontend));
    CHECK(zmq_ctx_shutdown(ctx));
    for (int i = 0; i < WORKERS; i++)
        pthread_join(workers[i].thread, NULL);
    CHECK(zmq_ctx_term(ctx));
    unlink_ipc(sink_endpoint);
    for (int i = 0; i < WORKERS; i++) {
        unlink_ipc(workers[i].endpoint);
        printf("worker %d: %d tasks\n", i, workers[i].done);
        if (workers[i].done != per_worker[i])
            fail("worker %d says %d tasks, sink saw %d", i, workers[i].done,
                 per_worker[i]);
        /* Round robin over WORKERS queues: every worker gets its share. */
        if (per_worker[i] < ALL_JOBS * TASKS / WORKERS / 2)
            fail("load not spread: worker %d did only %d of %d tasks", i,
                 per_worker[i], ALL_JOBS * TASKS);
    }
    return 0;
}

static void *client_main(void *arg)
{
    struct peer *c = arg;
    void *req = make_socket(c->ctx, ZMQ_REQ, TIMEOUT_MS);
    char name[32], job[256], reply[64];

    snprintf(name, sizeof name, "client-%d", c->id);
    CHECK(zmq_setsockopt(req, ZMQ_ROUTING_ID, name, strlen(name)));
    CHECK(zmq_connect(req, c->endpoint));
    for (int k = 0; k < JOBS; k++) {
        long sum = 0;
        int len = snprintf(job, sizeof job, "job %s-%d", name, k);
        for (int t = 0; t < TASKS; t++) {
            long n = 100 * c->id + 10 * k + t;
            len += snprintf(job + len, sizeof job - (size_t) len, " %ld", n);
            sum += n * n;
        }
        send_str(req, job);
        recv_str(req, reply, sizeof reply);
        if (atol(reply) != sum)
            fail("%s: job %d: expected %ld, got \"%s\"", name, k, sum, reply);
        printf("%s: job %d: sum of squares %s\n", name, k, reply);
        c->count++;
    }
    CHECK(zmq_close(req));
    return NULL;
}

int main(void)
{
    struct peer clients[CLIENTS];
    int fds[2];
    char endpoint[256];

    example_start();

    /* Fork before any zmq call: a context must never cross a fork. */
    if (pipe(fds) != 0)
        fail("pipe: %s", strerror(errno));
    pid_t pid = fork();
    if (pid < 0)
        fail("fork: %s", strerror(errno));
    if (pid == 0) {
        prog = "pipeline[router]";
        alarm(DEADLINE_S); /* alarms are not inherited */
        close(fds[0]);
        int rc = run_router(fds[1]);
        fflush(stdout);
        _exit(rc);
    }
    close(fds[1]);

    read_string_fd(fds[0], endpoint, sizeof endpoint, "router");
    close(fds[0]);

    void *ctx = zmq_ctx_new();
    start_peers(clients, CLIENTS, ctx, endpoint, client_main, NULL);
    for (int i = 0; i < CLIENTS; i++) {
        pthread_join(clients[i].thread, NULL);
        if (clients[i].count != JOBS)
            fail("client-%d got %d replies", i, clients[i].count);
    }
    CHECK(zmq_ctx_term(ctx));

    wait_child(pid, "router");
    printf("OK: %d jobs of %d tasks through the pipeline, all sums right\n", ALL_JOBS,
           TASKS);
    return 0;
}
