"""pipeline.py - a PUSH/PULL pipeline behind a router process.

  client process                      router process
  CLIENTS x REQ --tcp--> ROUTER  router  PUSH --ipc--> WORKERS x PULL
                                         PULL <--ipc-- WORKERS x PUSH

Clients send jobs ("job TAG n1 n2 ..."); the router process splits each job
into one task per number, pushes the tasks down the pipeline (round robin
over the workers), collects the squares the workers send back to its PULL
sink, and when a job is complete replies to its client with the sum of the
squares.  Each client checks every sum; the router checks that every task's
result came back exactly once and right, and that the round robin spread the
tasks over all workers.

Each worker binds its own PULL socket and the router's PUSH connects to all
of them, after they reported "ready" through the sink: a connecting PUSH has
its pipe to every peer at once, so no worker misses the first tasks.  The
router process is this script run with the argument "router"; it reports its
frontend endpoint (example.report()) and exits after CLIENTS * JOBS jobs.

Exit status: 0 on success, 1 on a failed check, 2 on the overall timeout.
"""
import sys

import zmq

import example
from example import check

CLIENTS = 2
JOBS = 5  # per client
TASKS = 10  # per job
WORKERS = 4


def worker(ctx, wid, endpoint, sink):
    tasks = example.socket(ctx, zmq.PULL, timeout=-1)  # waits until ctx.term()
    results = example.socket(ctx, zmq.PUSH)
    tasks.bind(endpoint)
    results.connect(sink)
    results.send_string("ready %d" % wid)

    def serve_one():
        tag, n = tasks.recv_string().split()
        results.send_string("result %d %s %s %d" % (wid, tag, n, int(n) ** 2))

    example.serve_until_term(tasks, serve_one)
    results.close()


def router():
    example.start("router")
    ctx = zmq.Context()
    frontend = example.socket(ctx, zmq.ROUTER)
    sink = example.socket(ctx, zmq.PULL)
    example.report(example.bind_any_port(frontend))
    sink_endpoint = example.ipc_endpoint("pipeline-sink")
    sink.bind(sink_endpoint)
    worker_endpoints = [example.ipc_endpoint("pipeline", w) for w in range(WORKERS)]
    threads = [example.start_thread(worker, ctx, w, worker_endpoints[w], sink_endpoint)
               for w in range(WORKERS)]
    for _ in range(WORKERS):
        ready = sink.recv_string()
        check(ready.startswith("ready "), "expected a ready message, got %r" % ready)
    vent = example.socket(ctx, zmq.PUSH)
    for endpoint in worker_endpoints:
        vent.connect(endpoint)

    jobs = {}  # tag -> [client id, tasks outstanding, sum so far]
    seen = set()
    per_worker = [0] * WORKERS
    done = 0
    poller = zmq.Poller()
    poller.register(frontend, zmq.POLLIN)
    poller.register(sink, zmq.POLLIN)
    while done < CLIENTS * JOBS:
        events = dict(poller.poll(example.TIMEOUT_MS))
        check(events, "router: no traffic for %d ms" % example.TIMEOUT_MS)
        if frontend in events:
            client, empty, job = frontend.recv_multipart()
            check(empty == b"", "request without a delimiter frame")
            word, tag, *numbers = job.decode().split()
            check(word == "job" and tag not in jobs, "bad job %r" % job)
            jobs[tag] = [client, len(numbers), 0]
            for n in numbers:
                vent.send_string("%s %s" % (tag, n))
        if sink in events:
            word, wid, tag, n, square = sink.recv_string().split()
            check(int(square) == int(n) ** 2, "wrong square %s for %s" % (square, n))
            check((tag, n) not in seen, "result for task %s %s came twice" % (tag, n))
            seen.add((tag, n))
            per_worker[int(wid)] += 1
            job = jobs[tag]
            job[1] -= 1
            job[2] += int(square)
            if job[1] == 0:
                frontend.send_multipart([job[0], b"", b"%s %d" % (tag.encode(), job[2])])
                done += 1
    example.nothing_more(sink, "sink")
    print("router: %d jobs, %d tasks, per worker %s" % (done, len(seen), per_worker))
    for w, count in enumerate(per_worker):
        check(count >= CLIENTS * JOBS * TASKS // WORKERS // 2,
              "load not spread: worker %d did %d tasks" % (w, count))

    for s in (frontend, sink, vent):
        s.close()
    ctx.term()  # the workers' pending recv raises ContextTerminated
    for t in threads:
        t.join()
    for endpoint in worker_endpoints + [sink_endpoint]:
        example.unlink_ipc(endpoint)


def client(ctx, cid, endpoint, results):
    req = example.socket(ctx, zmq.REQ)
    req.connect(endpoint)
    for k in range(JOBS):
        tag = "c%d-j%d" % (cid, k)
        numbers = range(100 * cid + 10 * k, 100 * cid + 10 * k + TASKS)
        req.send_string("job %s %s" % (tag, " ".join(map(str, numbers))))
        reply = req.recv_string()
        want = "%s %d" % (tag, sum(n * n for n in numbers))
        check(reply == want, "client %d expected %r, got %r" % (cid, want, reply))
        print("client %d: %s" % (cid, reply))
        results.append(tag)
    req.close()


def main():
    example.start()
    child = example.spawn("router")
    endpoint = example.next_report(child, "router")
    check(endpoint.startswith("tcp://"), "router did not report its endpoint")
    print("main: router process %d, frontend %s" % (child.pid, endpoint))

    ctx = zmq.Context()
    answered = []
    threads = [example.start_thread(client, ctx, c, endpoint, answered) for c in range(CLIENTS)]
    for t in threads:
        t.join()
    ctx.term()
    check(len(answered) == CLIENTS * JOBS, "%d jobs answered" % len(answered))
    example.wait_child(child, "router")
    print("OK: %d jobs of %d tasks through the pipeline, all sums right" %
          (CLIENTS * JOBS, TASKS))


if __name__ == "__main__":
    router() if sys.argv[1:] == ["router"] else main()
