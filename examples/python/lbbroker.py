"""lbbroker.py - a load-balancing ("least recently used") broker.

  CLIENTS x REQ --tcp--> ROUTER (frontend)  broker  ROUTER (backend) <--ipc-- WORKERS x REQ

Workers are REQ sockets too: each starts by sending "READY", and every reply
doubles as "ready for the next one".  The broker keeps a FIFO of idle
workers and reads the frontend only while that queue is non-empty (and every
worker has joined), so each request goes to the worker idle the longest.

  frontend in:  [client id][""][request]
  backend out:  [worker id][""][client id][""][request]
  backend in:   [worker id][""]["READY"]  or  [worker id][""][client id][""][reply]
  frontend out: [client id][""][reply]

Checked: every client's replies, the workers' own counts against what the
broker routed, and that every worker served (least recently used).

Exit status: 0 on success, 1 on a failed check, 2 on the overall timeout.
"""
import collections

import zmq

import example
from example import check

CLIENTS = 4
REQUESTS = 5  # per client
WORKERS = 3


def client(ctx, cid, endpoint, answered):
    req = example.socket(ctx, zmq.REQ)
    req.setsockopt_string(zmq.ROUTING_ID, "client-%d" % cid)
    req.connect(endpoint)
    for k in range(REQUESTS):
        request = "job %d of client-%d" % (k, cid)
        req.send_string(request)
        reply = req.recv_string()
        check(reply.startswith(request + " done by "),
              "client-%d sent %r but got %r" % (cid, request, reply))
        answered.append(request)
    req.close()


def worker(ctx, wid, endpoint, served):
    req = example.socket(ctx, zmq.REQ, timeout=-1)  # waits until ctx.term()
    req.setsockopt_string(zmq.ROUTING_ID, "worker-%d" % wid)
    req.connect(endpoint)
    req.send(b"READY")

    def serve_one():
        # REQ strips the broker's delimiter: [client id][""][request]
        client_id, empty, request = req.recv_multipart()
        check(empty == b"", "worker-%d: no delimiter" % wid)
        req.send_multipart([client_id, b"", request + b" done by worker-%d" % wid])
        served[wid] += 1

    example.serve_until_term(req, serve_one)


def main():
    example.start()
    ctx = zmq.Context()
    frontend = example.socket(ctx, zmq.ROUTER)
    backend = example.socket(ctx, zmq.ROUTER)
    front_endpoint = example.bind_any_port(frontend)
    back_endpoint = example.ipc_endpoint("lbbroker")
    backend.bind(back_endpoint)
    print("broker: frontend %s, backend %s" % (front_endpoint, back_endpoint))

    served, answered = [0] * WORKERS, []
    workers = [example.start_thread(worker, ctx, w, back_endpoint, served)
               for w in range(WORKERS)]
    clients = [example.start_thread(client, ctx, c, front_endpoint, answered)
               for c in range(CLIENTS)]

    idle = collections.deque()
    routed = collections.Counter()
    ready = replies = 0
    while replies < CLIENTS * REQUESTS:
        poller = zmq.Poller()
        poller.register(backend, zmq.POLLIN)
        if idle and ready == WORKERS:  # clients only when a worker is free
            poller.register(frontend, zmq.POLLIN)
        events = dict(poller.poll(example.TIMEOUT_MS))
        check(events, "broker: no traffic for %d ms" % example.TIMEOUT_MS)
        if backend in events:
            worker_id, empty, *rest = backend.recv_multipart()
            check(empty == b"", "no delimiter from %r" % worker_id)
            if rest == [b"READY"]:
                ready += 1
                print("broker: %s is READY" % worker_id.decode())
            else:
                client_id, empty, reply = rest
                frontend.send_multipart([client_id, b"", reply])
                routed[worker_id.decode()] += 1
                replies += 1
                print("broker: %s -> %s: %r" % (worker_id.decode(), client_id.decode(),
                                               reply.decode()))
            idle.append(worker_id)  # back of the queue
        if frontend in events:
            client_id, empty, request = frontend.recv_multipart()
            check(empty == b"", "no delimiter from %r" % client_id)
            # The worker idle the longest: the front of the queue.
            backend.send_multipart([idle.popleft(), b"", client_id, b"", request])

    for t in clients:
        t.join()
    check(len(answered) == CLIENTS * REQUESTS, "%d requests answered" % len(answered))
    frontend.close()
    backend.close()
    ctx.term()  # the workers' pending recv raises ContextTerminated
    for t in workers:
        t.join()
    example.unlink_ipc(back_endpoint)
    for w in range(WORKERS):
        name = "worker-%d" % w
        print("%s: served %d requests" % (name, served[w]))
        check(served[w] == routed[name], "%s served %d, broker routed %d" %
              (name, served[w], routed[name]))
        check(served[w] > 0, "%s never got a request: not least recently used" % name)
    print("OK: %d requests served by %d workers, all replies right" %
          (CLIENTS * REQUESTS, WORKERS))


if __name__ == "__main__":
    main()
