"""broker_router_dealer.py - a request-reply broker written with zmq.Poller.

  CLIENTS x REQ --tcp--> ROUTER (frontend)  broker  DEALER (backend) --ipc--> WORKERS x REP

The broker (main thread) polls both sockets and moves whole multipart
messages from one to the other.  The ROUTER prepends the client's routing id
to each request and the REQ an empty delimiter, so requests and replies
cross the broker as 3 frames, and each reply finds its way back to its
client.  Every client checks that each reply answers the request it sent.

Exit status: 0 on success, 1 on a failed check, 2 on the overall timeout.
"""
import threading

import zmq

import example
from example import check

CLIENTS = 3
REQUESTS = 5  # per client
WORKERS = 2


def client(ctx, cid, endpoint, answered):
    req = example.socket(ctx, zmq.REQ)
    req.connect(endpoint)
    for k in range(REQUESTS):
        request = "client %d request %d" % (cid, k)
        req.send_string(request)
        reply = req.recv_string()
        check(reply.startswith(request + " -> "),
              "client %d sent %r but got %r" % (cid, request, reply))
        print("client %d: %s" % (cid, reply))
        answered.append(request)
    req.close()


def worker(ctx, up, wid, endpoint, served):
    rep = example.socket(ctx, zmq.REP, timeout=-1)  # waits until ctx.term()
    rep.connect(endpoint)
    up.wait()

    def serve_one():
        request = rep.recv_string()
        rep.send_string("%s -> served by worker %d" % (request, wid))
        served[wid] += 1

    example.serve_until_term(rep, serve_one)


def main():
    example.start()
    ctx = zmq.Context()
    frontend = example.socket(ctx, zmq.ROUTER)
    backend = example.socket(ctx, zmq.DEALER)
    front_endpoint = example.bind_any_port(frontend)
    back_endpoint = example.ipc_endpoint("broker")
    backend.bind(back_endpoint)
    print("broker: frontend %s, backend %s" % (front_endpoint, back_endpoint))

    served, answered = [0] * WORKERS, []
    # Wait until every worker is connected: one that only started after
    # ctx.term() could not even create its socket.
    up = threading.Barrier(WORKERS + 1)
    workers = [example.start_thread(worker, ctx, up, w, back_endpoint, served)
               for w in range(WORKERS)]
    up.wait()
    clients = [example.start_thread(client, ctx, c, front_endpoint, answered)
               for c in range(CLIENTS)]

    poller = zmq.Poller()
    poller.register(frontend, zmq.POLLIN)
    poller.register(backend, zmq.POLLIN)
    moved = {frontend: 0, backend: 0}
    while moved[backend] < CLIENTS * REQUESTS:
        events = dict(poller.poll(example.TIMEOUT_MS))
        check(events, "broker: no traffic for %d ms" % example.TIMEOUT_MS)
        for source, destination in ((frontend, backend), (backend, frontend)):
            if source in events:
                frames = source.recv_multipart()
                check(len(frames) == 3, "%d frames, expected 3" % len(frames))
                destination.send_multipart(frames)
                moved[source] += 1
    print("broker: moved %d requests and %d replies" % (moved[frontend], moved[backend]))

    for t in clients:
        t.join()
    check(len(answered) == CLIENTS * REQUESTS, "%d requests answered" % len(answered))
    frontend.close()
    backend.close()
    ctx.term()  # the workers' pending recv raises ContextTerminated
    for t in workers:
        t.join()
    example.unlink_ipc(back_endpoint)
    print("workers served %s" % served)
    check(sum(served) == CLIENTS * REQUESTS, "workers served %d requests" % sum(served))
    print("OK: %d clients x %d requests, each got its own replies" % (CLIENTS, REQUESTS))


if __name__ == "__main__":
    main()
