//! PUB/SUB with many subscriptions, through the I/O threads: every subscription takes
//! effect, unsubscriptions and vanished peers take theirs away, and a peer flooding a
//! publisher with subscriptions does not stop delivery to the others.

use zmq::constants::*;
use std::io::{Read, Write};
use std::net::TcpStream;
use zmq::ctx::Ctx;
use zmq::msg::Msg;
use zmq::socket::Socket;

const SUBSCRIBE: i32 = 6;
const UNSUBSCRIBE: i32 = 7;
const RCVTIMEO: i32 = 27;
const SNDHWM: i32 = 23;
const RCVHWM: i32 = 24;
const LAST_ENDPOINT: i32 = 32;
const XPUB_VERBOSE: i32 = 40;

fn set_int(s: &mut Socket, opt: i32, v: i32) {
    s.set_option(opt, Some(&v.to_ne_bytes())).unwrap();
}

fn last_endpoint(s: &mut Socket) -> String {
    let mut buf = [0u8; 256];
    let n = s.get_option(LAST_ENDPOINT, &mut buf).unwrap();
    String::from_utf8(buf[..n - 1].to_vec()).unwrap()
}

fn topic(i: u32) -> Vec<u8> {
    format!("topic/{i:07}").into_bytes()
}

/// Publish `data` until `sub` receives it (the subscription to it is in force), then
/// receive until a last copy marked "<data>-end": nothing sent before is left in flight.
fn sync(publisher: &mut Socket, sub: &mut Socket, data: &[u8]) {
    let received = (0..5000).any(|_| {
        publisher.send(&mut Msg::from_slice(data), 0).unwrap();
        std::thread::sleep(std::time::Duration::from_millis(1));
        sub.recv(ZMQ_DONTWAIT).is_ok()
    });
    assert!(received, "nothing received for {:?}", String::from_utf8_lossy(data));
    receive_until(publisher, sub, &[data, b"-end"].concat());
}

/// Send `marker` and receive until it arrives.
fn receive_until(publisher: &mut Socket, sub: &mut Socket, marker: &[u8]) {
    publisher.send(&mut Msg::from_slice(marker), 0).unwrap();
    while sub.recv(0).expect("the marker arrives").data() != marker {}
}

#[test]
fn many_subscriptions_filter_exactly_and_unsubscribe() {
    let ctx = Ctx::new();
    let mut publisher = ctx.socket(ZMQ_PUB).unwrap();
    set_int(&mut publisher, RCVHWM, 0);
    publisher.bind("tcp://127.0.0.1:*").unwrap();
    let ep = last_endpoint(&mut publisher);
    let mut sub = ctx.socket(ZMQ_SUB).unwrap();
    set_int(&mut sub, SNDHWM, 0);
    set_int(&mut sub, RCVTIMEO, 5000);
    sub.connect(&ep).unwrap();
    const N: u32 = 20_000;
    for i in 0..N {
        sub.set_option(SUBSCRIBE, Some(&topic(i))).unwrap();
    }
    // Subscriptions travel in order: once the last one matches, all are in force.
    sync(&mut publisher, &mut sub, &topic(N - 1));
    // Matching topics (and longer messages they prefix) arrive; others do not.
    for i in (0..N).step_by(997) {
        let mut m = topic(i);
        m.extend_from_slice(b"/payload");
        publisher.send(&mut Msg::from_slice(b"topic/"), 0).unwrap();
        publisher.send(&mut Msg::from_slice(&m), 0).unwrap();
        assert_eq!(sub.recv(0).unwrap().data(), &m[..]);
    }
    // Unsubscribe all but one; the rest stop matching.
    for i in 1..N {
        sub.set_option(UNSUBSCRIBE, Some(&topic(i))).unwrap();
    }
    sub.set_option(SUBSCRIBE, Some(b"sync")).unwrap();
    sync(&mut publisher, &mut sub, b"sync");
    publisher.send(&mut Msg::from_slice(&topic(5)), 0).unwrap();
    publisher.send(&mut Msg::from_slice(&topic(0)), 0).unwrap();
    assert_eq!(sub.recv(0).unwrap().data(), &topic(0)[..]);
    drop(sub);
    drop(publisher);
    ctx.terminate();
}

#[test]
fn xpub_hears_every_topic_of_a_vanished_subscriber_once() {
    let ctx = Ctx::new();
    let mut xpub = ctx.socket(ZMQ_XPUB).unwrap();
    set_int(&mut xpub, RCVHWM, 0);
    set_int(&mut xpub, RCVTIMEO, 5000);
    // Verbose: b's duplicate subscriptions are passed up too, so we know when all arrived.
    set_int(&mut xpub, XPUB_VERBOSE, 1);
    xpub.bind("tcp://127.0.0.1:*").unwrap();
    let ep = last_endpoint(&mut xpub);
    let mut a = ctx.socket(ZMQ_SUB).unwrap();
    let mut b = ctx.socket(ZMQ_SUB).unwrap();
    for s in [&mut a, &mut b] {
        set_int(s, SNDHWM, 0);
        s.connect(&ep).unwrap();
    }
    const N: u32 = 3000;
    for i in 0..N {
        a.set_option(SUBSCRIBE, Some(&topic(i))).unwrap();
    }
    // b shares the even topics: those stay subscribed when a goes.
    for i in (0..N).step_by(2) {
        b.set_option(SUBSCRIBE, Some(&topic(i))).unwrap();
    }
    for _ in 0..N + N / 2 {
        let m = xpub.recv(0).unwrap();
        assert_eq!(m.data()[0], 1, "only subscriptions so far");
    }
    drop(a);
    let mut gone = std::collections::BTreeSet::new();
    while gone.len() < (N / 2) as usize {
        let m = xpub.recv(0).unwrap();
        assert_eq!(m.data()[0], 0, "an unsubscription");
        assert!(gone.insert(m.data()[1..].to_vec()), "each topic once");
    }
    let odd: std::collections::BTreeSet<Vec<u8>> = (1..N).step_by(2).map(topic).collect();
    assert!(gone == odd, "exactly the topics no one else has: {} of {} match", gone.intersection(&odd).count(), odd.len());
    assert!(xpub.recv(ZMQ_DONTWAIT).is_err(), "nothing more");
    drop(b);
    drop(xpub);
    ctx.terminate();
}

/// A raw ZMTP 3.0 peer that says it is a SUB and sends `n` distinct subscriptions.
fn flood(port: u16, n: u32) -> TcpStream {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let mut greeting = vec![0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0x7f, 3, 0];
    greeting.extend_from_slice(b"NULL");
    greeting.resize(64, 0);
    s.write_all(&greeting).unwrap();
    let mut ready = b"\x05READY\x0bSocket-Type\0\0\0\x03SUB".to_vec();
    ready.splice(0..0, [0x04, ready.len() as u8]);
    s.write_all(&ready).unwrap();
    let mut reader = s.try_clone().unwrap();
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while matches!(reader.read(&mut buf), Ok(n) if n > 0) {}
    });
    let mut frames = Vec::new();
    for i in 0..n {
        let t = format!("\x01flood/{i:08}");
        frames.extend_from_slice(&[0, t.len() as u8]);
        frames.extend_from_slice(t.as_bytes());
    }
    s.write_all(&frames).unwrap();
    s
}

#[test]
fn subscription_flood_does_not_stop_delivery_to_others() {
    let ctx = Ctx::new();
    let mut xpub = ctx.socket(ZMQ_XPUB).unwrap();
    set_int(&mut xpub, XPUB_VERBOSE, 1);
    xpub.bind("tcp://127.0.0.1:*").unwrap();
    let ep = last_endpoint(&mut xpub);
    let port: u16 = ep.rsplit(':').next().unwrap().parse().unwrap();
    let mut honest = ctx.socket(ZMQ_SUB).unwrap();
    set_int(&mut honest, RCVTIMEO, 5000);
    honest.connect(&ep).unwrap();
    honest.set_option(SUBSCRIBE, Some(b"h")).unwrap();
    sync(&mut xpub, &mut honest, b"h");
    const N: u32 = 100_000;
    let _attacker = flood(port, N);
    // While the flood is absorbed, messages keep flowing to the honest subscriber.
    for round in 0..20 {
        for i in 0..100 {
            xpub.send(&mut Msg::from_slice(format!("h{round}/{i}").as_bytes()), 0).unwrap();
        }
        receive_until(&mut xpub, &mut honest, format!("h-mark{round}").as_bytes());
    }
    // And the flood is taken in completely: the XPUB (verbose) hears every subscription.
    set_int(&mut xpub, RCVTIMEO, 5000);
    let mut heard = 0;
    while heard < N {
        let m = xpub.recv(0).expect("every flooded subscription reaches the XPUB");
        if m.data().starts_with(b"\x01flood/") {
            heard += 1;
        }
    }
    drop(honest);
    drop(xpub);
    ctx.terminate();
}
