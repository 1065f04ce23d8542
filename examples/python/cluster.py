"""cluster.py - brokers that share their workers: a cluster with peering.

Three broker processes, each with its own clients and workers (threads):

  clients (REQ) --inproc--> localfe ROUTER  broker i  ROUTER localbe <--inproc-- workers (REQ)
                                    cloudfe ROUTER  <==ipc==  ROUTER cloudbe of every peer
                                    cloudbe ROUTER  ==ipc==>  ROUTER cloudfe of every peer
                                    statebe PUB     --ipc-->  SUB statefe of every peer

Workers announce themselves with "READY" and every reply frees them again
(the load-balancing broker of lbbroker.py).  Each broker publishes how many
of its workers are idle on statebe, whenever that changes and every
STATE_MS; its peers keep those numbers as their view of its capacity.  A
broker takes a local client's request only when it has an idle worker or a
peer has capacity; with no idle worker of its own it sends the request over
cloudbe to the peer that has the most, and that peer's cloudfe hands it to
one of its workers.  Replies retrace the path: a worker's reply whose first
address frame names a broker goes back over cloudfe, any other to a local
client.  cloudfe and cloudbe are ROUTER-to-ROUTER, named by the broker's name
(ZMQ_ROUTING_ID) and ZMQ_ROUTER_MANDATORY, so a request to a peer that is not
connected fails instead of vanishing; before starting its clients a broker
sends "HELLO" to every peer until that succeeds.

The loads differ (broker-0 has 4 clients but 1 worker), so some requests must
be served by peers.  Each client checks every reply; each broker reports
"done ANSWERED BY_PEERS" when its clients are finished and keeps serving its
peers until main writes "stop" to its stdin.  Main checks that every request
of the cluster was answered and that some were served by a peer.

Exit status: 0 on success, 1 on a failed check, 2 on the overall timeout.
"""
import collections
import os
import sys
import time

import zmq

import example
from example import check

WORKERS = [1, 3, 2]  # per broker
CLIENTS = [4, 1, 2]  # per broker
REQUESTS = 5  # per client
WORK_S = 0.01  # a worker's time per request
STATE_MS = 50
BROKERS = len(WORKERS)


def broker_name(b):
    return b"broker-%d" % b


def endpoint(tag, b, kind):
    return "ipc:///tmp/zmq-demo-py-cluster-%s-%d-%s.ipc" % (tag, b, kind)


def client(ctx, me, cid, results):
    name = "b%d-client-%d" % (me, cid)
    req = example.socket(ctx, zmq.REQ)
    req.setsockopt_string(zmq.ROUTING_ID, name)
    req.connect("inproc://localfe")
    answered = by_peers = 0
    for k in range(REQUESTS):
        request = "request %d of %s" % (k, name)
        req.send_string(request)
        reply = req.recv_string()
        prefix = request + ": done by broker-"
        check(reply.startswith(prefix), "%s sent %r but got %r" % (name, request, reply))
        answered += 1
        by_peers += not reply[len(prefix):].startswith("%d " % me)
        print("%s" % reply)
    results.append((answered, by_peers))
    req.close()


def worker(ctx, me, wid):
    req = example.socket(ctx, zmq.REQ, timeout=-1)  # waits until ctx.term()
    req.setsockopt_string(zmq.ROUTING_ID, "worker-%d" % wid)
    req.connect("inproc://localbe")
    req.send(b"READY")

    def serve_one():
        # [address frames...][""][request]: from a local client one address
        # (the client), from a peer two (the peer, its client).
        *envelope, request = req.recv_multipart()
        time.sleep(WORK_S)
        req.send_multipart(envelope + [request + b": done by broker-%d worker-%d" %
                                       (me, wid)])

    example.serve_until_term(req, serve_one)


def broker(me, tag):
    example.start("broker-%d" % me)
    name = broker_name(me)
    peers = [broker_name(b) for b in range(BROKERS) if b != me]
    ctx = zmq.Context()
    localfe, localbe = example.socket(ctx, zmq.ROUTER), example.socket(ctx, zmq.ROUTER)
    cloudfe, cloudbe = example.socket(ctx, zmq.ROUTER), example.socket(ctx, zmq.ROUTER)
    statebe, statefe = example.socket(ctx, zmq.PUB), example.socket(ctx, zmq.SUB)
    for s in (localfe, cloudfe, cloudbe):
        s.router_mandatory = 1
    for s in (cloudfe, cloudbe):
        s.setsockopt(zmq.ROUTING_ID, name)
    localfe.bind("inproc://localfe")
    localbe.bind("inproc://localbe")
    cloudfe.bind(endpoint(tag, me, "cloud"))
    statebe.bind(endpoint(tag, me, "state"))
    statefe.setsockopt(zmq.SUBSCRIBE, b"")
    for b in range(BROKERS):
        if b != me:
            cloudbe.connect(endpoint(tag, b, "cloud"))
            statefe.connect(endpoint(tag, b, "state"))

    # Peering handshake: a HELLO to every peer; EHOSTUNREACH until connected.
    for peer in peers:
        deadline = time.monotonic() + example.TIMEOUT_MS / 1000
        while True:
            try:
                cloudbe.send_multipart([peer, b"HELLO"])
                break
            except zmq.ZMQError as e:
                check(e.errno == zmq.EHOSTUNREACH, "HELLO to %s: %s" % (peer, e))
                check(time.monotonic() < deadline, "%s never connected" % peer.decode())
                time.sleep(0.01)
    print("broker-%d: peered with %s" % (me, b", ".join(peers).decode()))

    workers = [example.start_thread(worker, ctx, me, w) for w in range(WORKERS[me])]
    results = []
    clients = [example.start_thread(client, ctx, me, c, results) for c in range(CLIENTS[me])]

    idle = collections.deque()  # local workers, longest idle first
    capacity = dict.fromkeys(peers, 0)  # idle workers of each peer, as last heard
    published, next_state = None, 0.0
    stdin = sys.stdin.fileno()
    sent_to_peers = served_for_peers = 0
    done = stop = False
    while not stop:
        poller = zmq.Poller()
        for s in (localbe, cloudbe, statefe):
            poller.register(s, zmq.POLLIN)
        if idle:
            poller.register(cloudfe, zmq.POLLIN)
        if idle or any(capacity.values()):
            poller.register(localfe, zmq.POLLIN)
        if done:
            poller.register(stdin, zmq.POLLIN)
        events = dict(poller.poll(STATE_MS))

        if localbe in events:
            worker_id, empty, *rest = localbe.recv_multipart()
            idle.append(worker_id)
            if rest != [b"READY"]:
                if rest[0] in capacity:  # a peer's request: [peer][client][""][reply]
                    cloudfe.send_multipart(rest)
                    served_for_peers += 1
                else:
                    localfe.send_multipart(rest)
        if cloudbe in events:  # a peer's reply: [peer][client][""][reply]
            localfe.send_multipart(cloudbe.recv_multipart()[1:])
        if statefe in events:
            peer, count = statefe.recv_multipart()
            capacity[peer] = int(count)
        if cloudfe in events and idle:
            frames = cloudfe.recv_multipart()
            if frames[1:] != [b"HELLO"]:
                localbe.send_multipart([idle.popleft(), b""] + frames)
        # The worker or capacity that made us poll localfe may be taken by now.
        if localfe in events and (idle or any(capacity.values())):
            frames = localfe.recv_multipart()
            if idle:
                localbe.send_multipart([idle.popleft(), b""] + frames)
            else:
                peer = max(capacity, key=capacity.get)
                capacity[peer] -= 1  # until its next state message
                cloudbe.send_multipart([peer] + frames)
                sent_to_peers += 1
        if done and stdin in events:
            command = os.read(stdin, 64).decode().strip()
            check(command in ("stop", ""), "unknown command %r" % command)
            stop = True

        now = time.monotonic()
        if len(idle) != published or now >= next_state:
            statebe.send_multipart([name, b"%d" % len(idle)])
            published, next_state = len(idle), now + STATE_MS / 1000
        if not done and len(results) == CLIENTS[me]:
            done = True
            answered = sum(a for a, _ in results)
            by_peers = sum(p for _, p in results)
            check(answered == CLIENTS[me] * REQUESTS, "%d answered" % answered)
            check(by_peers == sent_to_peers, "clients saw %d replies from peers, %d sent" %
                  (by_peers, sent_to_peers))
            example.report("done %d %d" % (answered, by_peers))

    print("broker-%d: sent %d requests to peers, served %d for peers" %
          (me, sent_to_peers, served_for_peers))
    for t in clients:
        t.join()
    for s in (localfe, localbe, cloudfe, cloudbe, statebe, statefe):
        s.close()
    ctx.term()  # the workers' pending recv raises ContextTerminated
    for t in workers:
        t.join()
    for kind in ("cloud", "state"):
        example.unlink_ipc(endpoint(tag, me, kind))


def main():
    example.start()
    tag = str(os.getpid())
    brokers = [example.spawn("broker", str(b), tag) for b in range(BROKERS)]
    answered = by_peers = 0
    for b, child in enumerate(brokers):
        word, a, p = example.next_report(child, "broker-%d" % b).split()
        check(word == "done", "broker-%d reported %r" % (b, word))
        answered += int(a)
        by_peers += int(p)
    for child in brokers:
        child.stdin.write("stop\n")
        child.stdin.flush()
    for b, child in enumerate(brokers):
        example.wait_child(child, "broker-%d" % b)
    total = sum(CLIENTS) * REQUESTS
    print("main: %d of %d requests answered, %d of them by a peer broker" %
          (answered, total, by_peers))
    check(answered == total, "only %d of %d requests answered" % (answered, total))
    check(by_peers > 0, "no request was served by a peer broker")
    print("OK: %d brokers shared their workers; every request answered" % BROKERS)


if __name__ == "__main__":
    broker(int(sys.argv[2]), sys.argv[3]) if sys.argv[1:2] == ["broker"] else main()
