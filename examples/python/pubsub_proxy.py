"""pubsub_proxy.py - publish-subscribe through an XSUB/XPUB proxy.

  publishers (PUB) --tcp--> XSUB [zmq.proxy thread] XPUB --ipc--> subscribers (SUB)

Subscriptions travel upstream (SUB -> XPUB -> proxy -> XSUB -> PUB), data
downstream.  A PUB socket drops what nobody has subscribed to yet, so the
start is a REQ/REP handshake: publishers send "<topic> sync" beacons every
10 ms; a subscriber that has seen a beacon on each of its topics knows its
whole path is in place and says so with a REQ to main's "ready" REP.  Each
publisher has asked main's "go" REP for permission at start; main answers
those only once every subscriber is ready.  Then each publisher sends
MESSAGES numbered messages per topic, and each subscriber checks that it got
exactly its topics, every message once and in order.  Terminating the
context stops the proxy (zmq.proxy raises ContextTerminated).

Exit status: 0 on success, 1 on a failed check, 2 on the overall timeout.
"""
import zmq

import example
from example import check

MESSAGES = 20  # per topic
# No topic is a prefix of another, so prefix matching cannot mix them up.
PUBLISHERS = [["news"], ["sport", "weather"]]
SUBSCRIBERS = [["news"], ["sport"], ["news", "weather"]]


def publisher(ctx, pid, topics, endpoint):
    pub = example.socket(ctx, zmq.PUB, linger=2000)  # let the last messages out
    go = example.socket(ctx, zmq.REQ)
    pub.connect(endpoint)
    go.connect("inproc://go")
    go.send_string("publisher %d waiting" % pid)
    while not go.poll(10, zmq.POLLIN):  # beacons until main says go
        for topic in topics:
            pub.send_string("%s sync" % topic)
    check(go.recv_string() == "go", "publisher %d: bad go" % pid)
    for seq in range(MESSAGES):
        for topic in topics:
            pub.send_string("%s %d" % (topic, seq))
    print("publisher %d: published %d messages on each of %s" % (pid, MESSAGES, topics))
    go.close()
    pub.close()


def subscriber(ctx, sid, topics, endpoint):
    sub = example.socket(ctx, zmq.SUB)
    ready = example.socket(ctx, zmq.REQ)
    for topic in topics:
        sub.setsockopt_string(zmq.SUBSCRIBE, topic)
    sub.connect(endpoint)
    ready.connect("inproc://ready")
    synced, following = set(), {topic: 0 for topic in topics}
    while sum(following.values()) < MESSAGES * len(topics):
        topic, body = sub.recv_string().split()
        check(topic in following, "subscriber %d got topic %r" % (sid, topic))
        if body == "sync":
            synced.add(topic)
            if len(synced) == len(topics) and ready is not None:
                print("subscriber %d: beacons seen on all topics, ready" % sid)
                ready.send_string("subscriber %d ready" % sid)
                check(ready.recv_string() == "ok", "subscriber %d: bad ack" % sid)
                ready.close()
                ready = None
            continue
        check(int(body) == following[topic], "subscriber %d: %s: expected #%d, got #%s" %
              (sid, topic, following[topic], body))
        following[topic] += 1
    # Anything but a stray beacon arriving now would be a duplicate.
    while sub.poll(100, zmq.POLLIN):
        extra = sub.recv_string()
        check(extra.endswith(" sync"), "subscriber %d: extra message %r" % (sid, extra))
    print("subscriber %d: all %d messages of %s, in order" %
          (sid, MESSAGES * len(topics), topics))
    sub.close()


def main():
    example.start()
    ctx = zmq.Context()
    xsub = example.socket(ctx, zmq.XSUB, timeout=-1)
    xpub = example.socket(ctx, zmq.XPUB, timeout=-1)
    xsub_endpoint = example.bind_any_port(xsub)
    xpub_endpoint = example.ipc_endpoint("pubsub")
    xpub.bind(xpub_endpoint)
    print("proxy: XSUB on %s, XPUB on %s" % (xsub_endpoint, xpub_endpoint))
    proxy = example.start_thread(example.run_proxy, xsub, xpub, "proxy")

    ready = example.socket(ctx, zmq.REP)
    go = example.socket(ctx, zmq.REP)
    ready.bind("inproc://ready")
    go.bind("inproc://go")
    threads = [example.start_thread(subscriber, ctx, i, topics, xpub_endpoint)
               for i, topics in enumerate(SUBSCRIBERS)]
    publishers = [example.start_thread(publisher, ctx, i, topics, xsub_endpoint)
                  for i, topics in enumerate(PUBLISHERS)]

    for _ in SUBSCRIBERS:
        print("main: %s" % ready.recv_string())
        ready.send_string("ok")
    for _ in PUBLISHERS:
        print("main: %s, go" % go.recv_string())
        go.send_string("go")
    for t in threads + publishers:
        t.join()

    ready.close()
    go.close()
    ctx.term()
    proxy.join()
    example.unlink_ipc(xpub_endpoint)
    print("OK: %d subscribers each got exactly their topics, in order" % len(SUBSCRIBERS))


if __name__ == "__main__":
    main()
