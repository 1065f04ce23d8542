//! Engine tests: two engines talking in memory, and scripted legacy peers (here);
//! broken and hostile input (`failures.rs`); PLAIN, NULL with ZAP and CURVE (`security.rs`).

use crate::constants::*;
use std::time::{Duration, Instant};

use super::codec::{self, Framing};
use super::commands;
use super::failure::{FailureKind, MonitorEvent};
use super::*;
use crate::msg::Msg;

/// A tiny deterministic PRNG (xorshift), so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn cfg(socket_type: i32, id: &[u8]) -> Config {
    Config { socket_type, routing_id: id.to_vec(), ..Config::default() }
}

/// Moves the bytes `from` queued into `to`, in pieces of at most `max_piece` bytes.
fn transfer(from: &mut Engine, to: &mut Engine, max_piece: usize, rng: &mut Rng) -> bool {
    let mut moved = false;
    while from.wants_write() && to.failure().is_none() {
        let chunk = from.out_bytes();
        let n = chunk.len().min(1 + rng.below(max_piece));
        let piece = chunk[..n].to_vec();
        from.consume_out(n);
        let _ = to.on_read(&piece);
        moved = true;
    }
    moved
}

/// Runs both engines until neither has anything to send.
fn pump(a: &mut Engine, b: &mut Engine, max_piece: usize, rng: &mut Rng) {
    while transfer(a, b, max_piece, rng) | transfer(b, a, max_piece, rng) {}
}

fn events(e: &mut Engine) -> Vec<Event> {
    std::iter::from_fn(|| e.poll_event()).collect()
}

fn handshake_of(events: &[Event]) -> &Handshake {
    match events.first() {
        Some(Event::HandshakeDone(h)) => h,
        other => panic!("expected HandshakeDone first, got {other:?}"),
    }
}

fn messages(events: &[Event]) -> Vec<(Vec<u8>, bool)> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Message(m) => Some((m.data().to_vec(), m.more())),
            _ => None,
        })
        .collect()
}

fn frame(body: &[u8], more: bool) -> Msg {
    let mut m = Msg::from_slice(body);
    m.set_more(more);
    m
}

fn sample_frames() -> Vec<(Vec<u8>, bool)> {
    vec![
        (b"hello".to_vec(), true),
        (Vec::new(), true),
        (vec![1; 255], true),
        (vec![2; 256], false),
        (Vec::new(), false),
        ((0..100_000u32).map(|i| i as u8).collect(), false),
        (b"end".to_vec(), false),
    ]
}

#[test]
fn v3_dealer_router_every_split() {
    for max_piece in [1, 2, 3, 5, 13, 64, 100_000] {
        let mut rng = Rng(max_piece as u64 + 1);
        let mut dealer = Engine::new(Config {
            app_metadata: vec![("X-Hello".into(), b"world".to_vec())],
            ..cfg(ZMQ_DEALER, b"dealer-1")
        });
        let mut router = Engine::new(Config {
            connection_properties: vec![("Peer-Address".into(), b"127.0.0.1".to_vec())],
            ..cfg(ZMQ_ROUTER, b"")
        });
        pump(&mut dealer, &mut router, max_piece, &mut rng);
        assert!(dealer.handshake_done() && router.handshake_done());
        assert_eq!(router.protocol(), Some(Protocol::V3_1));

        let ev = events(&mut router);
        let h = handshake_of(&ev);
        assert_eq!((h.peer_socket_type, h.peer_routing_id.as_slice()), (Some(ZMQ_DEALER), &b"dealer-1"[..]));
        let md = &h.metadata;
        assert_eq!(md.get("Peer-Address").unwrap().to_bytes(), b"127.0.0.1");
        assert_eq!(md.get("Socket-Type").unwrap().to_bytes(), b"DEALER");
        assert_eq!(md.get("Identity").unwrap().to_bytes(), b"dealer-1");
        assert_eq!(md.get("X-Hello").unwrap().to_bytes(), b"world");
        let ev = events(&mut dealer);
        let h = handshake_of(&ev);
        assert_eq!((h.peer_socket_type, h.peer_routing_id.as_slice()), (Some(ZMQ_ROUTER), &b""[..]));

        for (body, more) in sample_frames() {
            dealer.send(&frame(&body, more)).unwrap();
            router.send(&frame(&body, more)).unwrap();
        }
        pump(&mut dealer, &mut router, max_piece, &mut rng);
        let got = events(&mut router);
        assert_eq!(messages(&got), sample_frames(), "piece {max_piece}");
        if let Event::Message(m) = &got[0] {
            let md = m.metadata().expect("metadata attached");
            assert_eq!(md.get("Socket-Type").unwrap().to_bytes(), b"DEALER");
        }
        assert_eq!(messages(&events(&mut dealer)), sample_frames());
    }
}

#[test]
fn v3_0_peer_is_answered_in_3_0() {
    // A libzmq 4.1-style greeting: minor version 0.
    let mut e = Engine::new(cfg(ZMQ_SUB, b""));
    let mut g = vec![0xFF, 0, 0, 0, 0, 0, 0, 0, 1, 0x7F, 3, 0];
    g.extend_from_slice(b"NULL");
    g.resize(64, 0);
    e.on_read(&g).unwrap();
    assert_eq!(e.protocol(), Some(Protocol::V3_0));
    let mut ready = Vec::new();
    commands::write_property(&mut ready, b"Socket-Type", b"PUB");
    let ready = commands::build(b"READY", &ready);
    let mut wire = Vec::new();
    codec::write_header(Framing::V2, &mut wire, ready.len(), false, true);
    wire.extend_from_slice(&ready);
    e.on_read(&wire).unwrap();
    assert!(e.handshake_done());
    let before = e.out_len();
    e.send_subscription(true, b"A").unwrap();
    // A 3.0 peer gets the subscription as a message: flags 0, size 2, 1 'A'.
    let mut all = Vec::new();
    while e.wants_write() {
        all.extend_from_slice(e.out_bytes());
        let n = e.out_bytes().len();
        e.consume_out(n);
    }
    assert_eq!(&all[before..], &[0, 2, 1, b'A']);
}

#[test]
fn subscriptions_3_1() {
    let mut rng = Rng(7);
    let mut sub = Engine::new(cfg(ZMQ_SUB, b""));
    let mut publ = Engine::new(cfg(ZMQ_XPUB, b""));
    pump(&mut sub, &mut publ, 1000, &mut rng);
    events(&mut publ);
    sub.send_subscription(true, b"topic").unwrap();
    sub.send_subscription(false, b"topic").unwrap();
    sub.send(&commands::subscription_message(true, b"raw")).unwrap();
    pump(&mut sub, &mut publ, 1000, &mut rng);
    let ev = events(&mut publ);
    assert!(matches!(&ev[0], Event::Subscribe(t) if t == b"topic"));
    assert!(matches!(&ev[1], Event::Cancel(t) if t == b"topic"));
    assert!(matches!(&ev[2], Event::Message(m) if m.data() == b"\x01raw"));
    let as_msg = Event::Cancel(b"t".to_vec()).subscription_as_message();
    assert!(matches!(as_msg, Event::Message(m) if m.data() == b"\x00t"));

    // With commands off, subscriptions travel as 3.0 messages even to a 3.1 peer.
    let mut sub = Engine::new(Config { subscribe_commands: false, ..cfg(ZMQ_SUB, b"") });
    let mut publ = Engine::new(cfg(ZMQ_PUB, b""));
    pump(&mut sub, &mut publ, 1000, &mut rng);
    events(&mut publ);
    sub.send_subscription(true, b"t").unwrap();
    pump(&mut sub, &mut publ, 1000, &mut rng);
    assert!(matches!(&events(&mut publ)[0], Event::Message(m) if m.data() == b"\x01t"));
}

/// A sink with room for `room` more messages (`Engine::on_read_into`).
struct Sink {
    got: Vec<Vec<u8>>,
    room: usize,
}

impl MessageSink for Sink {
    fn ready(&mut self) -> bool {
        self.room > 0
    }
    fn message(&mut self, msg: Msg) {
        self.room -= 1;
        self.got.push(msg.data().to_vec());
    }
}

/// Frames `sub` sends with these bodies, as bytes on the wire.
fn sent(sub: &mut Engine, bodies: &[&[u8]]) -> Vec<u8> {
    for body in bodies {
        sub.send(&frame(body, false)).unwrap();
    }
    take_out(sub)
}

/// Messages go to the sink in wire order with the events between them (a message
/// behind a waiting event is queued with it); decoding stops before a frame the sink has
/// no room for, and says how far it got.
#[test]
fn sink_takes_messages_in_wire_order_and_stops_when_full() {
    let mut rng = Rng(5);
    let mut sub = Engine::new(cfg(ZMQ_SUB, b""));
    let mut publ = Engine::new(cfg(ZMQ_XPUB, b""));
    pump(&mut sub, &mut publ, 1000, &mut rng);
    assert!(matches!(events(&mut publ)[..], [Event::HandshakeDone(_)]));
    // Room for two: m1 and m2, then it stops before m3.
    let wire = sent(&mut sub, &[b"m1", b"m2", b"m3", b"m4"]);
    let mut sink = Sink { got: Vec::new(), room: 2 };
    let used = publ.on_read_into(&wire, None, Some(&mut sink)).unwrap();
    assert_eq!(sink.got, [b"m1", b"m2"]);
    assert!(used > 0 && used < wire.len() && !publ.has_events());
    sink.room = 5;
    let rest = publ.on_read_into(&wire[used..], None, Some(&mut sink)).unwrap();
    assert_eq!(used + rest, wire.len());
    assert_eq!(sink.got, [b"m1", b"m2", b"m3", b"m4"]);
    // A SUBSCRIBE is an event: what follows it is queued behind it, and decoded.
    sub.send(&frame(b"m5", false)).unwrap();
    sub.send_subscription(true, b"t").unwrap();
    let wire = sent(&mut sub, &[b"m6"]);
    sink.got.clear();
    assert_eq!(publ.on_read_into(&wire, None, Some(&mut sink)).unwrap(), wire.len());
    assert_eq!(sink.got, [b"m5"]);
    let ev = events(&mut publ);
    assert!(matches!(&ev[0], Event::Subscribe(t) if t == b"t"));
    assert_eq!(messages(&ev), [(b"m6".to_vec(), false)]);
    // Without a sink everything is decoded into events, room or not.
    let wire = sent(&mut sub, &[b"m7"]);
    assert_eq!(publ.on_read_into(&wire, None, None).unwrap(), wire.len());
    assert_eq!(messages(&events(&mut publ)), [(b"m7".to_vec(), false)]);
}

/// RFC 48: a DISH's joins and leaves are ZMTP command frames ("\x04JOIN" + group,
/// "\x05LEAVE" + group); a RADIO gets them as COMMAND-flagged messages, other socket
/// types ignore them as unknown commands.
#[test]
fn join_and_leave_commands() {
    let mut rng = Rng(11);
    let mut dish = Engine::new(cfg(ZMQ_DISH, b""));
    let mut radio = Engine::new(cfg(ZMQ_RADIO, b""));
    pump(&mut dish, &mut radio, 1000, &mut rng);
    events(&mut radio);
    dish.send(&commands::group_message(true, b"TV")).unwrap();
    dish.send(&commands::group_message(false, b"TV")).unwrap();
    let wire = take_out(&mut dish);
    assert_eq!(wire, b"\x04\x07\x04JOINTV\x04\x08\x05LEAVETV");
    radio.on_read(&wire).unwrap();
    let ev = events(&mut radio);
    assert!(matches!(&ev[0], Event::Message(m) if m.is_command() && m.data() == b"\x04JOINTV"));
    assert!(matches!(&ev[1], Event::Message(m) if m.is_command() && m.data() == b"\x05LEAVETV"));

    let mut xpub = Engine::new(cfg(ZMQ_XPUB, b""));
    let mut sub = Engine::new(cfg(ZMQ_SUB, b""));
    pump(&mut sub, &mut xpub, 1000, &mut rng);
    events(&mut xpub);
    xpub.on_read(&wire).unwrap();
    assert!(events(&mut xpub).is_empty());
}

#[test]
fn v2_between_engines() {
    for (a_v2, b_v2) in [(true, false), (false, true), (true, true)] {
        let mut rng = Rng(3);
        let mut a = Engine::new(Config { emulate_zmtp2: a_v2, ..cfg(ZMQ_DEALER, b"A") });
        let mut b = Engine::new(Config { emulate_zmtp2: b_v2, ..cfg(ZMQ_ROUTER, b"") });
        pump(&mut a, &mut b, 3, &mut rng);
        assert_eq!((a.protocol(), b.protocol()), (Some(Protocol::V2), Some(Protocol::V2)));
        let ev = events(&mut b);
        let h = handshake_of(&ev);
        assert_eq!((h.peer_socket_type, h.peer_routing_id.as_slice()), (Some(ZMQ_DEALER), &b"A"[..]));
        assert_eq!(handshake_of(&events(&mut a)).peer_socket_type, Some(ZMQ_ROUTER));
        for (body, more) in sample_frames() {
            a.send(&frame(&body, more)).unwrap();
        }
        // Subscriptions to a 2.0 peer are messages.
        a.send_subscription(true, b"x").unwrap();
        pump(&mut a, &mut b, 7, &mut rng);
        let mut expect = sample_frames();
        expect.push((b"\x01x".to_vec(), false));
        assert_eq!(messages(&events(&mut b)), expect);
    }
}

/// Reads everything the engine queued.
fn take_out(e: &mut Engine) -> Vec<u8> {
    let mut all = Vec::new();
    while e.wants_write() {
        let chunk = e.out_bytes().to_vec();
        e.consume_out(chunk.len());
        all.extend(chunk);
    }
    all
}

#[test]
fn v2_scripted_peer() {
    // What libzmq 3.2 / JeroMQ 0.3 send: signature, revision 1, socket type, identity frame.
    let mut e = Engine::new(cfg(ZMQ_DEALER, b"me"));
    assert_eq!(take_out(&mut e), [0xFF, 0, 0, 0, 0, 0, 0, 0, 3, 0x7F]);
    e.on_read(&[0xFF, 0, 0, 0, 0, 0, 0, 0, 1, 0x7F]).unwrap();
    assert_eq!(take_out(&mut e), [3]);
    e.on_read(&[1, ZMQ_ROUTER as u8, 0x00, 0x02, b'i', b'd', 0x01, 1, b'x', 0x00, 0]).unwrap();
    // Our socket type ends the 2.0 greeting, then our identity frame.
    assert_eq!(take_out(&mut e), [ZMQ_DEALER as u8, 0x00, 2, b'm', b'e']);
    let ev = events(&mut e);
    let h = handshake_of(&ev);
    assert_eq!((h.protocol, h.peer_socket_type, h.peer_routing_id.as_slice()), (Protocol::V2, Some(ZMQ_ROUTER), &b"id"[..]));
    assert_eq!(messages(&ev), vec![(b"x".to_vec(), true), (vec![], false)]);
    e.send(&frame(&[5; 300], false)).unwrap();
    let out = take_out(&mut e);
    assert_eq!(&out[..9], &[0x02, 0, 0, 0, 0, 0, 0, 1, 44]);
}

#[test]
fn v1_unversioned_scripted_peer() {
    // A libzmq 2.x peer: identity message (size 3 = flags + "id"), then messages.
    let mut e = Engine::new(cfg(ZMQ_PUB, b"me"));
    take_out(&mut e);
    e.on_read(&[3, 0, b'i']).unwrap();
    // Our signature was the header of our identity; only its body follows. No version byte.
    assert_eq!(take_out(&mut e), b"me");
    e.on_read(&[b'd', 2, 1, b'a', 1, 0]).unwrap();
    let ev = events(&mut e);
    let h = handshake_of(&ev);
    assert_eq!((h.protocol, h.peer_socket_type, h.peer_routing_id.as_slice()), (Protocol::V1Unversioned, None, &b"id"[..]));
    assert!(matches!(&ev[1], Event::Subscribe(t) if t.is_empty()), "phantom subscription: {ev:?}");
    assert_eq!(messages(&ev), vec![(b"a".to_vec(), true), (vec![], false)]);
    e.send(&frame(b"hi", true)).unwrap();
    e.send(&frame(&[9; 300], false)).unwrap();
    let out = take_out(&mut e);
    assert_eq!(&out[..5], &[3, 1, b'h', b'i', 0xFF]);
    assert_eq!(&out[5..14], &[0, 0, 0, 0, 0, 0, 1, 45, 0]);

    // The long-form identity header (bit 0 of byte 9 clear) is 1.0 too.
    let mut e = Engine::new(cfg(ZMQ_DEALER, b""));
    e.on_read(&[0xFF, 0, 0, 0, 0, 0, 0, 0, 2, 0x00, b'z', 2, 0, b'q']).unwrap();
    let ev = events(&mut e);
    assert_eq!(handshake_of(&ev).peer_routing_id, b"z");
    assert_eq!(messages(&ev), vec![(b"q".to_vec(), false)]);
}

#[test]
fn v1_versioned_scripted_peer() {
    let mut e = Engine::new(cfg(ZMQ_PULL, b""));
    take_out(&mut e);
    e.on_read(&[0xFF, 0, 0, 0, 0, 0, 0, 0, 1, 0x7F, 0, ZMQ_PUSH as u8, 1, 0, 3, 0, b'h', b'i']).unwrap();
    assert_eq!(take_out(&mut e), [3, ZMQ_PULL as u8, 1, 0]);
    let ev = events(&mut e);
    assert_eq!(handshake_of(&ev).protocol, Protocol::V1);
    assert_eq!(messages(&ev), vec![(b"hi".to_vec(), false)]);
}

fn failure_of(e: &mut Engine) -> Failure {
    match events(e).pop() {
        Some(Event::Error(f)) => f,
        other => panic!("expected Error last, got {other:?}"),
    }
}

mod failures;
mod security;
