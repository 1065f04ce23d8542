//! The draft socket types that need no new transport (SERVER, CLIENT, SCATTER, GATHER,
//! CHANNEL, PEER) over inproc and tcp, through the core API. They exist in the default
//! build, as in Debian's libzmq5.

use std::sync::Arc;
use std::thread;
use zmq::constants::*;
use zmq::ctx::Ctx;
use zmq::error::Error;
use zmq::msg::Msg;
use zmq::socket::shared::SharedSocket;
use zmq::socket::Socket;

const TRANSPORTS: [&str; 2] = ["inproc", "tcp"];

fn send(s: &mut Socket, data: &[u8]) {
    s.send(&mut Msg::from_slice(data), 0).unwrap();
}

fn send_to(s: &mut Socket, rid: u32, data: &[u8]) {
    let mut m = Msg::from_slice(data);
    m.set_routing_id(rid);
    s.send(&mut m, 0).unwrap();
}

fn recv(s: &mut Socket) -> Vec<u8> {
    s.recv(0).unwrap().data().to_vec()
}

fn get_int(s: &mut Socket, option: i32) -> Result<i32, Error> {
    let mut buf = [0u8; 4];
    s.get_option(option, &mut buf).map(|_| i32::from_ne_bytes(buf))
}

fn set_int(s: &mut Socket, option: i32, v: i32) {
    s.set_option(option, Some(&v.to_ne_bytes())).unwrap();
}

/// A socket with 5 s send/receive timeouts, so a broken test fails rather than hangs.
fn socket(ctx: &Arc<Ctx>, kind: i32) -> Socket {
    let mut s = ctx.socket(kind).unwrap();
    set_int(&mut s, ZMQ_RCVTIMEO, 5000);
    set_int(&mut s, ZMQ_SNDTIMEO, 5000);
    s
}

/// Binds `s` on a fresh endpoint of `transport`; returns what to connect to.
fn bind(s: &mut Socket, transport: &str, name: &str) -> String {
    if transport == "inproc" {
        let ep = format!("inproc://draft-{name}");
        s.bind(&ep).unwrap();
        return ep;
    }
    s.bind("tcp://127.0.0.1:*").unwrap();
    let mut buf = [0u8; 256];
    let n = s.get_option(ZMQ_LAST_ENDPOINT, &mut buf).unwrap();
    String::from_utf8(buf[..n - 1].to_vec()).unwrap()
}

#[test]
fn every_type_is_created_thread_safe_and_without_zmq_fd() {
    let ctx = Ctx::new();
    for kind in [ZMQ_SERVER, ZMQ_CLIENT, ZMQ_SCATTER, ZMQ_GATHER, ZMQ_CHANNEL, ZMQ_PEER] {
        let mut s = ctx.socket(kind).unwrap();
        assert_eq!(get_int(&mut s, ZMQ_TYPE), Ok(kind));
        assert_eq!(get_int(&mut s, ZMQ_THREAD_SAFE), Ok(1), "type {kind}");
        assert_eq!(get_int(&mut s, ZMQ_FD), Err(Error::INVAL), "type {kind}");
        // ZMQ_EVENTS still answers.
        assert!(get_int(&mut s, ZMQ_EVENTS).is_ok());
    }
    let mut dealer = ctx.socket(ZMQ_DEALER).unwrap();
    assert_eq!(get_int(&mut dealer, ZMQ_THREAD_SAFE), Ok(0));
    assert!(get_int(&mut dealer, ZMQ_FD).is_ok());
    assert_eq!(ctx.socket(21).err(), Some(Error::INVAL));
}

#[test]
fn client_server_route_replies_by_routing_id() {
    for t in TRANSPORTS {
        let ctx = Ctx::new();
        let mut server = socket(&ctx, ZMQ_SERVER);
        let ep = bind(&mut server, t, "cs");
        let mut c1 = socket(&ctx, ZMQ_CLIENT);
        let mut c2 = socket(&ctx, ZMQ_CLIENT);
        c1.connect(&ep).unwrap();
        c2.connect(&ep).unwrap();
        send(&mut c1, b"from 1");
        let m1 = server.recv(0).unwrap();
        assert_eq!(m1.data(), b"from 1");
        send(&mut c2, b"from 2");
        let m2 = server.recv(0).unwrap();
        assert_eq!(m2.data(), b"from 2");
        let (r1, r2) = (m1.routing_id(), m2.routing_id());
        assert!(r1 != 0 && r2 != 0 && r1 != r2, "{t}: {r1} {r2}");
        // Replies reach the right client, in any order, large ones too.
        send_to(&mut server, r2, &[2u8; 100_000]);
        send_to(&mut server, r1, b"to 1");
        assert_eq!(recv(&mut c1), b"to 1");
        let back = c2.recv(0).unwrap();
        assert_eq!(back.data(), &[2u8; 100_000][..]);
        assert_eq!(back.routing_id(), 0, "{t}: a client's messages carry no routing id");
        // The same client keeps its id.
        send(&mut c1, b"again");
        assert_eq!(server.recv(0).unwrap().routing_id(), r1);
        // Unknown or missing routing id.
        let mut m = Msg::from_slice(b"nobody");
        m.set_routing_id(r1 ^ r2 ^ 0x5a5a);
        assert_eq!(server.send(&mut m, 0), Err(Error::HOSTUNREACH));
        assert_eq!(server.send(&mut Msg::from_slice(b"none"), 0), Err(Error::HOSTUNREACH));
    }
}

#[test]
fn server_refuses_a_gone_client_with_ehostunreach() {
    let ctx = Ctx::new();
    let mut server = socket(&ctx, ZMQ_SERVER);
    let ep = bind(&mut server, "tcp", "gone");
    let mut client = socket(&ctx, ZMQ_CLIENT);
    client.connect(&ep).unwrap();
    send(&mut client, b"hi");
    let rid = server.recv(0).unwrap().routing_id();
    drop(client);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let mut m = Msg::from_slice(b"still there?");
        m.set_routing_id(rid);
        match server.send(&mut m, 0) {
            Ok(()) => assert!(std::time::Instant::now() < deadline, "the server never noticed"),
            Err(e) => {
                assert_eq!(e, Error::HOSTUNREACH);
                break;
            }
        }
        thread::sleep(std::time::Duration::from_millis(10));
    }
}

#[test]
fn multipart_sends_are_refused_with_einval() {
    let ctx = Ctx::new();
    for kind in [ZMQ_SERVER, ZMQ_CLIENT, ZMQ_SCATTER, ZMQ_CHANNEL, ZMQ_PEER] {
        let mut s = ctx.socket(kind).unwrap();
        let mut m = Msg::from_slice(b"part");
        m.set_routing_id(1);
        assert_eq!(s.send(&mut m, ZMQ_SNDMORE | ZMQ_DONTWAIT), Err(Error::INVAL), "type {kind}");
        assert_eq!(m.data(), b"part", "the message stays the caller's");
    }
    // One-way types keep their ENOTSUP.
    let mut scatter = ctx.socket(ZMQ_SCATTER).unwrap();
    assert_eq!(scatter.recv(ZMQ_DONTWAIT).err(), Some(Error::NOTSUP));
    let mut gather = ctx.socket(ZMQ_GATHER).unwrap();
    assert_eq!(gather.send(&mut Msg::from_slice(b"x"), ZMQ_DONTWAIT), Err(Error::NOTSUP));
    assert_eq!(gather.send(&mut Msg::from_slice(b"x"), ZMQ_DONTWAIT | ZMQ_SNDMORE), Err(Error::NOTSUP));
}

#[test]
fn scatter_load_balances_and_gather_fair_queues() {
    for t in TRANSPORTS {
        let ctx = Ctx::new();
        // One SCATTER to two GATHERs: messages alternate. The SCATTER connects, so
        // both its pipes exist from the connect calls on (no waiting for handshakes).
        let mut g1 = socket(&ctx, ZMQ_GATHER);
        let mut g2 = socket(&ctx, ZMQ_GATHER);
        let ep1 = bind(&mut g1, t, "sg1");
        let ep2 = bind(&mut g2, t, "sg2");
        let mut scatter = socket(&ctx, ZMQ_SCATTER);
        scatter.connect(&ep1).unwrap();
        scatter.connect(&ep2).unwrap();
        for i in 0..10u8 {
            send(&mut scatter, &[i]);
        }
        let got1: Vec<u8> = (0..5).map(|_| recv(&mut g1)[0]).collect();
        let got2: Vec<u8> = (0..5).map(|_| recv(&mut g2)[0]).collect();
        assert_eq!(got1, [0, 2, 4, 6, 8], "{t}");
        assert_eq!(got2, [1, 3, 5, 7, 9], "{t}");

        // Two SCATTERs into one GATHER.
        let mut gather = socket(&ctx, ZMQ_GATHER);
        let ep = bind(&mut gather, t, "gs");
        let mut s1 = socket(&ctx, ZMQ_SCATTER);
        let mut s2 = socket(&ctx, ZMQ_SCATTER);
        s1.connect(&ep).unwrap();
        s2.connect(&ep).unwrap();
        send(&mut s1, b"one");
        send(&mut s2, b"two");
        let mut got = vec![recv(&mut gather), recv(&mut gather)];
        got.sort();
        assert_eq!(got, [b"one".to_vec(), b"two".to_vec()], "{t}");
    }
}

#[test]
fn channel_is_a_pair_of_single_part_messages() {
    for t in TRANSPORTS {
        let ctx = Ctx::new();
        let mut a = socket(&ctx, ZMQ_CHANNEL);
        let ep = bind(&mut a, t, "ch");
        let mut b = socket(&ctx, ZMQ_CHANNEL);
        b.connect(&ep).unwrap();
        send(&mut b, b"ping");
        assert_eq!(recv(&mut a), b"ping", "{t}");
        send(&mut a, &[7u8; 5000]);
        assert_eq!(recv(&mut b), vec![7u8; 5000], "{t}");
    }
}

#[test]
fn mismatched_peer_types_never_talk_over_tcp() {
    // SCATTER's only peer type is GATHER: a PULL never gets its messages.
    let ctx = Ctx::new();
    let mut pull = ctx.socket(ZMQ_PULL).unwrap();
    set_int(&mut pull, ZMQ_RCVTIMEO, 300);
    let ep = bind(&mut pull, "tcp", "mismatch");
    let mut scatter = socket(&ctx, ZMQ_SCATTER);
    scatter.connect(&ep).unwrap();
    let _ = scatter.send(&mut Msg::from_slice(b"lost"), ZMQ_DONTWAIT);
    assert_eq!(pull.recv(0).err(), Some(Error::AGAIN));
    // Nor does a DEALER reach a SERVER.
    let mut server = ctx.socket(ZMQ_SERVER).unwrap();
    set_int(&mut server, ZMQ_RCVTIMEO, 300);
    let ep = bind(&mut server, "tcp", "mismatch2");
    let mut dealer = socket(&ctx, ZMQ_DEALER);
    dealer.connect(&ep).unwrap();
    // Not a blocking send: the type mismatch ends the session and its pipe (as libzmq's
    // session ends on a protocol error), and if that happens first the DEALER has no
    // pipe left to send on. What is checked is that nothing reaches the SERVER.
    let _ = dealer.send(&mut Msg::from_slice(b"lost"), ZMQ_DONTWAIT);
    assert_eq!(server.recv(0).err(), Some(Error::AGAIN));
}

#[test]
fn peers_connect_and_learn_each_others_routing_ids() {
    for t in TRANSPORTS {
        let ctx = Ctx::new();
        let mut bound = socket(&ctx, ZMQ_PEER);
        let ep = bind(&mut bound, t, "peer");
        let mut peer = socket(&ctx, ZMQ_PEER);
        let rid = peer.connect_peer(&ep).unwrap();
        assert_ne!(rid, 0);
        // The connecting side can speak first: it knows its peer's id.
        send_to(&mut peer, rid, b"hello");
        let m = bound.recv(0).unwrap();
        assert_eq!(m.data(), b"hello", "{t}");
        send_to(&mut bound, m.routing_id(), b"world");
        let back = peer.recv(0).unwrap();
        assert_eq!(back.data(), b"world", "{t}");
        assert_eq!(back.routing_id(), rid, "{t}");
    }
    // inproc: connecting before the bind gives the id too.
    let ctx = Ctx::new();
    let mut early = socket(&ctx, ZMQ_PEER);
    let rid = early.connect_peer("inproc://draft-peer-late").unwrap();
    let mut late = socket(&ctx, ZMQ_PEER);
    late.bind("inproc://draft-peer-late").unwrap();
    send_to(&mut early, rid, b"early");
    let m = late.recv(0).unwrap();
    assert_eq!(m.data(), b"early");
    send_to(&mut late, m.routing_id(), b"late");
    assert_eq!(early.recv(0).unwrap().routing_id(), rid);

    let mut server = ctx.socket(ZMQ_SERVER).unwrap();
    assert_eq!(server.connect_peer("inproc://x").err(), Some(Error::NOTSUP));
    let mut peer = ctx.socket(ZMQ_PEER).unwrap();
    set_int(&mut peer, ZMQ_IMMEDIATE, 1);
    assert_eq!(peer.connect_peer("tcp://127.0.0.1:5555").err(), Some(Error::FAULT));
}

#[test]
fn a_server_serves_many_threads_at_once() {
    // Thread-safe: several threads share one SERVER, each receiving and replying.
    let ctx = Ctx::new();
    let mut server = socket(&ctx, ZMQ_SERVER);
    let ep = bind(&mut server, "inproc", "threads");
    let server = Arc::new(SharedSocket::new(server));
    const CLIENTS: usize = 4;
    const EACH: usize = 200;
    let workers: Vec<_> = (0..2)
        .map(|_| {
            let server = server.clone();
            thread::spawn(move || {
                for _ in 0..CLIENTS * EACH / 2 {
                    let mut m = server.recv(0).unwrap();
                    server.send(&mut m, 0).unwrap();
                }
            })
        })
        .collect();
    let clients: Vec<_> = (0..CLIENTS)
        .map(|i| {
            let ctx = ctx.clone();
            let ep = ep.clone();
            thread::spawn(move || {
                let mut c = socket(&ctx, ZMQ_CLIENT);
                c.connect(&ep).unwrap();
                for j in 0..EACH {
                    let body = format!("{i}:{j}");
                    send(&mut c, body.as_bytes());
                    assert_eq!(recv(&mut c), body.as_bytes());
                }
            })
        })
        .collect();
    for t in clients.into_iter().chain(workers) {
        t.join().unwrap();
    }
}

#[test]
fn zmq_poll_sees_thread_safe_sockets() {
    // ZMQ_FD is refused, but zmq_poll still works on them (as in libzmq's draft builds;
    // Debian's stable build answers EINVAL there).
    use zmq::poll::{poll, PollItem};
    let ctx = Ctx::new();
    let mut server = socket(&ctx, ZMQ_SERVER);
    let ep = bind(&mut server, "tcp", "poll");
    let server = SharedSocket::new(server);
    let mut client = socket(&ctx, ZMQ_CLIENT);
    client.connect(&ep).unwrap();
    let item = || PollItem { socket: Some(0), fd: -1, events: ZMQ_POLLIN, revents: 0 };
    let mut items = [item()];
    assert_eq!(poll(&[&server], &mut items, 50).unwrap(), 0);
    send(&mut client, b"wake");
    let mut items = [item()];
    assert_eq!(poll(&[&server], &mut items, 5000).unwrap(), 1);
    assert_eq!(items[0].revents, ZMQ_POLLIN);
    assert_eq!(server.recv(0).unwrap().data(), b"wake");
}
