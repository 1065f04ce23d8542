//! The socket patterns over inproc, through the core API.

use zmq::constants::*;
use std::thread;
use zmq::ctx::Ctx;
use zmq::msg::Msg;
use zmq::socket::Socket;

fn send(s: &mut Socket, data: &[u8], flags: i32) {
    let mut m = Msg::from_slice(data);
    s.send(&mut m, flags).unwrap();
}

fn recv(s: &mut Socket) -> Vec<u8> {
    s.recv(0).unwrap().data().to_vec()
}

#[test]
fn pair_both_orders_and_multipart() {
    let ctx = Ctx::new();
    let mut a = ctx.socket(ZMQ_PAIR).unwrap();
    let mut b = ctx.socket(ZMQ_PAIR).unwrap();
    b.connect("inproc://pair").unwrap(); // connect before bind
    a.bind("inproc://pair").unwrap();
    send(&mut b, b"one", ZMQ_SNDMORE);
    send(&mut b, b"two", 0);
    assert_eq!(recv(&mut a), b"one");
    assert!(a.rcvmore());
    assert_eq!(recv(&mut a), b"two");
    assert!(!a.rcvmore());
    send(&mut a, &[5u8; 1000], 0);
    assert_eq!(recv(&mut b), vec![5u8; 1000]);
}

#[test]
fn push_pull_across_threads_with_hwm() {
    let ctx = Ctx::new();
    let mut pull = ctx.socket(ZMQ_PULL).unwrap();
    pull.bind("inproc://pipeline").unwrap();
    let ctx2 = ctx.clone();
    let t = thread::spawn(move || {
        let mut push = ctx2.socket(ZMQ_PUSH).unwrap();
        push.connect("inproc://pipeline").unwrap();
        for i in 0..100_000u32 {
            send(&mut push, &i.to_le_bytes(), 0);
        }
    });
    for i in 0..100_000u32 {
        assert_eq!(recv(&mut pull), i.to_le_bytes());
    }
    t.join().unwrap();
}

#[test]
fn req_rep_and_efsm() {
    let ctx = Ctx::new();
    let mut rep = ctx.socket(ZMQ_REP).unwrap();
    rep.bind("inproc://rr").unwrap();
    let mut req = ctx.socket(ZMQ_REQ).unwrap();
    req.connect("inproc://rr").unwrap();
    assert_eq!(req.recv(0).unwrap_err(), zmq::error::Error::FSM);
    send(&mut req, b"hello", 0);
    assert_eq!(req.send(&mut Msg::from_slice(b"x"), 0).unwrap_err(), zmq::error::Error::FSM);
    assert_eq!(recv(&mut rep), b"hello");
    send(&mut rep, b"world", 0);
    assert_eq!(recv(&mut req), b"world");
}

#[test]
fn dealer_router_identities() {
    let ctx = Ctx::new();
    let mut router = ctx.socket(ZMQ_ROUTER).unwrap();
    router.bind("inproc://dr").unwrap();
    let mut dealer = ctx.socket(ZMQ_DEALER).unwrap();
    dealer.set_option(5, Some(b"D1")).unwrap();
    dealer.connect("inproc://dr").unwrap();
    send(&mut dealer, b"hi", 0);
    assert_eq!(recv(&mut router), b"D1");
    assert_eq!(recv(&mut router), b"hi");
    send(&mut router, b"D1", ZMQ_SNDMORE);
    send(&mut router, b"back", 0);
    assert_eq!(recv(&mut dealer), b"back");
    // Unknown peer: dropped silently, or EHOSTUNREACH when mandatory.
    send(&mut router, b"nobody", ZMQ_SNDMORE);
    send(&mut router, b"lost", 0);
    router.set_option(33, Some(&1i32.to_ne_bytes())).unwrap();
    let err = router.send(&mut Msg::from_slice(b"nobody"), ZMQ_SNDMORE).unwrap_err();
    assert_eq!(err, zmq::error::Error::HOSTUNREACH);
    assert_eq!(dealer.recv(ZMQ_DONTWAIT).unwrap_err(), zmq::error::Error::AGAIN);
}

#[test]
fn pub_sub_prefix_filter() {
    let ctx = Ctx::new();
    let mut publ = ctx.socket(ZMQ_PUB).unwrap();
    publ.bind("inproc://ps").unwrap();
    let mut sub = ctx.socket(ZMQ_SUB).unwrap();
    sub.connect("inproc://ps").unwrap();
    sub.set_option(6, Some(b"A")).unwrap();
    for m in [&b"A1"[..], b"B1", b"AB", b"x"] {
        send(&mut publ, m, 0);
    }
    assert_eq!(recv(&mut sub), b"A1");
    assert_eq!(recv(&mut sub), b"AB");
    assert_eq!(sub.recv(ZMQ_DONTWAIT).unwrap_err(), zmq::error::Error::AGAIN);
}

#[test]
fn xpub_sees_subscriptions() {
    let ctx = Ctx::new();
    let mut xpub = ctx.socket(ZMQ_XPUB).unwrap();
    xpub.bind("inproc://xps").unwrap();
    let mut xsub = ctx.socket(ZMQ_XSUB).unwrap();
    xsub.connect("inproc://xps").unwrap();
    send(&mut xsub, b"\x01topic", 0);
    assert_eq!(recv(&mut xpub), b"\x01topic");
    send(&mut xpub, b"topic!", 0);
    send(&mut xpub, b"other", 0);
    assert_eq!(recv(&mut xsub), b"topic!");
    drop(xsub);
    assert_eq!(recv(&mut xpub), b"\x00topic");
}

#[test]
fn term_unblocks_recv_with_eterm() {
    let ctx = Ctx::new();
    let mut pull = ctx.socket(ZMQ_PULL).unwrap();
    pull.bind("inproc://term").unwrap();
    let t = thread::spawn(move || {
        let r = pull.recv(0);
        drop(pull);
        r.unwrap_err()
    });
    thread::sleep(std::time::Duration::from_millis(50));
    ctx.terminate();
    assert_eq!(t.join().unwrap(), zmq::error::Error::TERM);
}

#[test]
fn monitor_stopped_event_is_readable_after_disable() {
    let ctx = Ctx::new();
    let mut s = ctx.socket(ZMQ_PULL).unwrap();
    s.monitor(Some("inproc://mon.test"), 0xffff).unwrap();
    let mut m = ctx.socket(ZMQ_PAIR).unwrap();
    m.connect("inproc://mon.test").unwrap();
    s.monitor(None, 0).unwrap();
    assert_eq!(m.events().unwrap() & 1, 1);
    let head = m.recv(ZMQ_DONTWAIT).unwrap();
    assert_eq!(&head.data()[..2], &0x400u16.to_ne_bytes());
}
