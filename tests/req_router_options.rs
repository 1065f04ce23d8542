//! REQ/ROUTER/DEALER options through the core API: ZMQ_REQ_CORRELATE, ZMQ_REQ_RELAXED,
//! ZMQ_PROBE_ROUTER, ZMQ_CONNECT_ROUTING_ID (inproc and tcp).

use zmq::constants::*;
use zmq::ctx::Ctx;
use zmq::error::Error;
use zmq::msg::Msg;

use zmq::socket::Socket;

fn send(s: &mut Socket, data: &[u8], flags: i32) {
    s.send(&mut Msg::from_slice(data), flags).unwrap();
}

fn recv(s: &mut Socket) -> Vec<u8> {
    match s.recv(0) {
        Ok(m) => m.data().to_vec(),
        Err(e) => panic!("recv on socket type {}: {e:?}", s.kind()),
    }
}

/// A whole message: every frame.
fn recv_all(s: &mut Socket) -> Vec<Vec<u8>> {
    let mut frames = vec![recv(s)];
    while s.rcvmore() {
        frames.push(recv(s));
    }
    frames
}

/// Send a whole message.
fn send_all(s: &mut Socket, frames: &[&[u8]]) {
    for (i, f) in frames.iter().enumerate() {
        send(s, f, if i + 1 < frames.len() { ZMQ_SNDMORE } else { 0 });
    }
}

fn set_int(s: &mut Socket, option: i32, v: i32) {
    s.set_option(option, Some(&v.to_ne_bytes())).unwrap();
}

fn last_endpoint(s: &mut Socket) -> String {
    let mut buf = [0u8; 256];
    let n = s.get_option(32, &mut buf).unwrap();
    String::from_utf8(buf[..n - 1].to_vec()).unwrap()
}

#[test]
fn req_correlate_prefixes_request_id_and_drops_mismatched_replies() {
    let ctx = Ctx::new();
    let mut router = ctx.socket(ZMQ_ROUTER).unwrap();
    set_int(&mut router, ZMQ_RCVTIMEO, 5000);
    router.bind("inproc://corr").unwrap();
    let mut req = ctx.socket(ZMQ_REQ).unwrap();
    set_int(&mut req, ZMQ_REQ_CORRELATE, 1);
    set_int(&mut req, ZMQ_RCVTIMEO, 5000);
    req.connect("inproc://corr").unwrap();

    send_all(&mut req, &[b"ABC", b"DEF"]);
    let m = recv_all(&mut router);
    assert_eq!(m.len(), 5, "{m:?}");
    let (rid, id) = (m[0].clone(), m[1].clone());
    assert_eq!(id.len(), 4);
    assert_eq!(&m[2..], &[b"".to_vec(), b"ABC".to_vec(), b"DEF".to_vec()]);

    // Wrong id, no id, then the right one.
    let mut bad = id.clone();
    bad[0] = bad[0].wrapping_add(1);
    send_all(&mut router, &[&rid, &bad, b"", b"WRONG"]);
    send_all(&mut router, &[&rid, b"", b"NO-ID"]);
    send_all(&mut router, &[&rid, &id, b"", b"GHI", b"JKL"]);
    assert_eq!(recv_all(&mut req), vec![b"GHI".to_vec(), b"JKL".to_vec()]);

    // The next request has a new id; a late copy of the old reply is dropped.
    send(&mut req, b"again", 0);
    let m = recv_all(&mut router);
    assert_ne!(m[1], id);
    send_all(&mut router, &[&rid, &id, b"", b"STALE"]);
    send_all(&mut router, &[&rid, &m[1], b"", b"FRESH"]);
    assert_eq!(recv_all(&mut req), vec![b"FRESH".to_vec()]);
}

#[test]
fn req_strict_refuses_second_request_relaxed_allows_it() {
    let ctx = Ctx::new();
    let mut rep1 = ctx.socket(ZMQ_REP).unwrap();
    let mut rep2 = ctx.socket(ZMQ_REP).unwrap();
    for r in [&mut rep1, &mut rep2] {
        set_int(r, ZMQ_RCVTIMEO, 5000);
    }
    rep1.bind("inproc://relaxed1").unwrap();
    rep2.bind("inproc://relaxed2").unwrap();
    let mut req = ctx.socket(ZMQ_REQ).unwrap();
    set_int(&mut req, ZMQ_RCVTIMEO, 5000);
    req.connect("inproc://relaxed1").unwrap();
    req.connect("inproc://relaxed2").unwrap();
    send(&mut req, b"first", 0);
    assert_eq!(req.send(&mut Msg::from_slice(b"x"), ZMQ_DONTWAIT).unwrap_err(), Error::FSM);
    assert_eq!(req.events().unwrap() & ZMQ_POLLOUT as i32, 0);

    set_int(&mut req, ZMQ_REQ_RELAXED, 1);
    assert_eq!(req.events().unwrap() & ZMQ_POLLOUT as i32, ZMQ_POLLOUT as i32);
    // Requests alternate between the peers.
    send(&mut req, b"second", 0);
    assert_eq!(recv(&mut rep1), b"first");
    assert_eq!(recv(&mut rep2), b"second");
    // The reply to the abandoned request is dropped; the current one comes through.
    send(&mut rep1, b"old", 0);
    std::thread::sleep(std::time::Duration::from_millis(20));
    send(&mut rep2, b"new", 0);
    assert_eq!(recv(&mut req), b"new");
    assert_eq!(req.events().unwrap() & ZMQ_POLLIN as i32, 0);
    // Abandoning a request keeps the pipe: the next request goes to rep1 again.
    send(&mut req, b"third", 0);
    assert_eq!(recv(&mut rep1), b"third");
    send(&mut rep1, b"3", 0);
    assert_eq!(recv(&mut req), b"3");
}

#[test]
fn req_relaxed_correlate_same_peer_queued_before_bind() {
    // Both requests go down the same pipe before the peer exists: only the request id
    // tells the replies apart.
    let ctx = Ctx::new();
    let mut req = ctx.socket(ZMQ_REQ).unwrap();
    set_int(&mut req, ZMQ_REQ_RELAXED, 1);
    set_int(&mut req, ZMQ_REQ_CORRELATE, 1);
    set_int(&mut req, ZMQ_RCVTIMEO, 5000);
    req.connect("inproc://later").unwrap();
    send(&mut req, b"TO_BE_DISCARDED", 0);
    send(&mut req, b"TO_BE_ANSWERED", 0);
    let mut router = ctx.socket(ZMQ_ROUTER).unwrap();
    set_int(&mut router, ZMQ_RCVTIMEO, 5000);
    router.bind("inproc://later").unwrap();
    for _ in 0..2 {
        let m = recv_all(&mut router);
        let frames: Vec<&[u8]> = m.iter().map(|f| f.as_slice()).collect();
        send_all(&mut router, &frames);
    }
    assert_eq!(recv(&mut req), b"TO_BE_ANSWERED");
    assert!(!req.rcvmore());
}

#[test]
fn probe_router_inproc_dealer_and_router() {
    let ctx = Ctx::new();
    let mut server = ctx.socket(ZMQ_ROUTER).unwrap();
    set_int(&mut server, ZMQ_RCVTIMEO, 5000);
    server.bind("inproc://probe").unwrap();
    // A distinct id each time: the previous client's pipe may not be gone yet.
    for (k, name) in [(ZMQ_DEALER, b"X"), (ZMQ_ROUTER, b"Y"), (ZMQ_REQ, b"Z")] {
        let mut client = ctx.socket(k).unwrap();
        client.set_option(ZMQ_ROUTING_ID, Some(name)).unwrap();
        set_int(&mut client, ZMQ_PROBE_ROUTER, 1);
        set_int(&mut client, ZMQ_RCVTIMEO, 5000);
        client.connect("inproc://probe").unwrap();
        assert_eq!(recv_all(&mut server), vec![name.to_vec(), Vec::new()], "socket type {k}");
        if k == ZMQ_REQ {
            // The probe doesn't disturb the REQ state machine.
            send(&mut client, b"request", 0);
            assert_eq!(recv_all(&mut server), vec![name.to_vec(), Vec::new(), b"request".to_vec()]);
        }
        send_all(&mut server, &[name, b"", b"Hello"]);
        let got = recv_all(&mut client);
        assert_eq!(got.last().unwrap(), b"Hello", "socket type {k}");
        drop(client);
    }
}

#[test]
fn probe_router_tcp_router_client() {
    // The connecting ROUTER's pipe appears only after the handshake; the probe must go
    // out even though the client's thread never calls into its socket again.
    let ctx = Ctx::new();
    let mut server = ctx.socket(ZMQ_ROUTER).unwrap();
    set_int(&mut server, ZMQ_RCVTIMEO, 5000);
    server.bind("tcp://127.0.0.1:*").unwrap();
    let ep = last_endpoint(&mut server);
    for (k, name) in [(ZMQ_ROUTER, b"X"), (ZMQ_DEALER, b"Y")] {
        let mut client = ctx.socket(k).unwrap();
        client.set_option(ZMQ_ROUTING_ID, Some(name)).unwrap();
        set_int(&mut client, ZMQ_PROBE_ROUTER, 1);
        set_int(&mut client, ZMQ_RCVTIMEO, 5000);
        client.connect(&ep).unwrap();
        assert_eq!(recv_all(&mut server), vec![name.to_vec(), Vec::new()], "socket type {k}");
        send_all(&mut server, &[name, b"Hello"]);
        let got = recv_all(&mut client);
        assert_eq!(got.last().unwrap(), b"Hello");
        if k == ZMQ_ROUTER {
            assert_eq!(got.len(), 2);
            assert_eq!(got[0].len(), 5, "generated routing id");
        }
        // Exactly one probe per connection.
        assert_eq!(server.recv(ZMQ_DONTWAIT).unwrap_err(), Error::AGAIN);
        drop(client);
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    drop(server);
    ctx.terminate();
}

#[test]
fn connect_routing_id_names_the_peer_at_once() {
    let ctx = Ctx::new();
    for ep in ["inproc://crid", "tcp://127.0.0.1:*"] {
        let mut bound = ctx.socket(ZMQ_ROUTER).unwrap();
        set_int(&mut bound, ZMQ_RCVTIMEO, 5000);
        bound.set_option(ZMQ_ROUTING_ID, Some(b"B")).unwrap();
        bound.bind(ep).unwrap();
        let ep = last_endpoint(&mut bound);
        let mut conn = ctx.socket(ZMQ_ROUTER).unwrap();
        set_int(&mut conn, ZMQ_RCVTIMEO, 5000);
        conn.set_option(ZMQ_ROUTING_ID, Some(b"C")).unwrap();
        conn.set_option(ZMQ_CONNECT_ROUTING_ID, Some(b"peer")).unwrap();
        conn.connect(&ep).unwrap();
        // Routable right away, under the name given, not the one the peer announces.
        send_all(&mut conn, &[b"peer", b"hi"]);
        assert_eq!(recv_all(&mut bound), vec![b"C".to_vec(), b"hi".to_vec()]);
        send_all(&mut bound, &[b"C", b"ok"]);
        assert_eq!(recv_all(&mut conn), vec![b"peer".to_vec(), b"ok".to_vec()]);
    }
}

#[test]
fn connect_routing_id_second_connect_uses_announced_id() {
    let ctx = Ctx::new();
    let mut a = ctx.socket(ZMQ_ROUTER).unwrap();
    a.set_option(ZMQ_ROUTING_ID, Some(b"A")).unwrap();
    set_int(&mut a, ZMQ_RCVTIMEO, 5000);
    a.bind("inproc://a").unwrap();
    let mut b = ctx.socket(ZMQ_ROUTER).unwrap();
    b.set_option(ZMQ_ROUTING_ID, Some(b"B")).unwrap();
    set_int(&mut b, ZMQ_RCVTIMEO, 5000);
    b.bind("inproc://b").unwrap();
    let mut c = ctx.socket(ZMQ_ROUTER).unwrap();
    set_int(&mut c, ZMQ_RCVTIMEO, 5000);
    c.set_option(ZMQ_CONNECT_ROUTING_ID, Some(b"first")).unwrap();
    c.connect("inproc://a").unwrap();
    c.connect("inproc://b").unwrap();
    send_all(&mut c, &[b"first", b"to-a"]);
    send_all(&mut c, &[b"B", b"to-b"]);
    assert_eq!(recv_all(&mut a)[1], b"to-a");
    assert_eq!(recv_all(&mut b)[1], b"to-b");
}
