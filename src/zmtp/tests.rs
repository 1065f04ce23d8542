//! Engine tests: two engines talking in memory, and scripted legacy peers.

use std::time::{Duration, Instant};

use super::codec::{self, Framing};
use super::commands;
use super::failure::{protocol_error, FailureKind, MonitorEvent};
use super::socket_type::*;
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
            ..cfg(DEALER, b"dealer-1")
        });
        let mut router = Engine::new(Config {
            connection_properties: vec![("Peer-Address".into(), b"127.0.0.1".to_vec())],
            ..cfg(ROUTER, b"")
        });
        pump(&mut dealer, &mut router, max_piece, &mut rng);
        assert!(dealer.handshake_done() && router.handshake_done());
        assert_eq!(router.protocol(), Some(Protocol::V3_1));

        let ev = events(&mut router);
        let h = handshake_of(&ev);
        assert_eq!((h.peer_socket_type, h.peer_routing_id.as_slice()), (Some(DEALER), &b"dealer-1"[..]));
        let md = &h.metadata;
        assert_eq!(md.get("Peer-Address").unwrap().to_bytes(), b"127.0.0.1");
        assert_eq!(md.get("Socket-Type").unwrap().to_bytes(), b"DEALER");
        assert_eq!(md.get("Identity").unwrap().to_bytes(), b"dealer-1");
        assert_eq!(md.get("X-Hello").unwrap().to_bytes(), b"world");
        let ev = events(&mut dealer);
        let h = handshake_of(&ev);
        assert_eq!((h.peer_socket_type, h.peer_routing_id.as_slice()), (Some(ROUTER), &b""[..]));

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
    let mut e = Engine::new(cfg(SUB, b""));
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
    let mut sub = Engine::new(cfg(SUB, b""));
    let mut publ = Engine::new(cfg(XPUB, b""));
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
    let mut sub = Engine::new(Config { subscribe_commands: false, ..cfg(SUB, b"") });
    let mut publ = Engine::new(cfg(PUB, b""));
    pump(&mut sub, &mut publ, 1000, &mut rng);
    events(&mut publ);
    sub.send_subscription(true, b"t").unwrap();
    pump(&mut sub, &mut publ, 1000, &mut rng);
    assert!(matches!(&events(&mut publ)[0], Event::Message(m) if m.data() == b"\x01t"));
}

#[test]
fn v2_between_engines() {
    for (a_v2, b_v2) in [(true, false), (false, true), (true, true)] {
        let mut rng = Rng(3);
        let mut a = Engine::new(Config { emulate_zmtp2: a_v2, ..cfg(DEALER, b"A") });
        let mut b = Engine::new(Config { emulate_zmtp2: b_v2, ..cfg(ROUTER, b"") });
        pump(&mut a, &mut b, 3, &mut rng);
        assert_eq!((a.protocol(), b.protocol()), (Some(Protocol::V2), Some(Protocol::V2)));
        let ev = events(&mut b);
        let h = handshake_of(&ev);
        assert_eq!((h.peer_socket_type, h.peer_routing_id.as_slice()), (Some(DEALER), &b"A"[..]));
        assert_eq!(handshake_of(&events(&mut a)).peer_socket_type, Some(ROUTER));
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
    let mut e = Engine::new(cfg(DEALER, b"me"));
    assert_eq!(take_out(&mut e), [0xFF, 0, 0, 0, 0, 0, 0, 0, 3, 0x7F]);
    e.on_read(&[0xFF, 0, 0, 0, 0, 0, 0, 0, 1, 0x7F]).unwrap();
    assert_eq!(take_out(&mut e), [3]);
    e.on_read(&[1, ROUTER as u8, 0x00, 0x02, b'i', b'd', 0x01, 1, b'x', 0x00, 0]).unwrap();
    // Our socket type ends the 2.0 greeting, then our identity frame.
    assert_eq!(take_out(&mut e), [DEALER as u8, 0x00, 2, b'm', b'e']);
    let ev = events(&mut e);
    let h = handshake_of(&ev);
    assert_eq!((h.protocol, h.peer_socket_type, h.peer_routing_id.as_slice()), (Protocol::V2, Some(ROUTER), &b"id"[..]));
    assert_eq!(messages(&ev), vec![(b"x".to_vec(), true), (vec![], false)]);
    e.send(&frame(&[5; 300], false)).unwrap();
    let out = take_out(&mut e);
    assert_eq!(&out[..9], &[0x02, 0, 0, 0, 0, 0, 0, 1, 44]);
}

#[test]
fn v1_unversioned_scripted_peer() {
    // A libzmq 2.x peer: identity message (size 3 = flags + "id"), then messages.
    let mut e = Engine::new(cfg(PUB, b"me"));
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
    let mut e = Engine::new(cfg(DEALER, b""));
    e.on_read(&[0xFF, 0, 0, 0, 0, 0, 0, 0, 2, 0x00, b'z', 2, 0, b'q']).unwrap();
    let ev = events(&mut e);
    assert_eq!(handshake_of(&ev).peer_routing_id, b"z");
    assert_eq!(messages(&ev), vec![(b"q".to_vec(), false)]);
}

#[test]
fn v1_versioned_scripted_peer() {
    let mut e = Engine::new(cfg(PULL, b""));
    take_out(&mut e);
    e.on_read(&[0xFF, 0, 0, 0, 0, 0, 0, 0, 1, 0x7F, 0, PUSH as u8, 1, 0, 3, 0, b'h', b'i']).unwrap();
    assert_eq!(take_out(&mut e), [3, PULL as u8, 1, 0]);
    let ev = events(&mut e);
    assert_eq!(handshake_of(&ev).protocol, Protocol::V1);
    assert_eq!(messages(&ev), vec![(b"hi".to_vec(), false)]);
}

fn v3_peer_greeting(mechanism: &[u8]) -> Vec<u8> {
    let mut g = vec![0xFF, 0, 0, 0, 0, 0, 0, 0, 1, 0x7F, 3, 1];
    g.extend_from_slice(mechanism);
    g.resize(64, 0);
    g
}

fn command_frame(body: &[u8]) -> Vec<u8> {
    let mut wire = Vec::new();
    codec::write_header(Framing::V2, &mut wire, body.len(), false, true);
    wire.extend_from_slice(body);
    wire
}

fn ready_frame(socket_type: &[u8]) -> Vec<u8> {
    let mut props = Vec::new();
    commands::write_property(&mut props, b"Socket-Type", socket_type);
    command_frame(&commands::build(b"READY", &props))
}

fn failure_of(e: &mut Engine) -> Failure {
    match events(e).pop() {
        Some(Event::Error(f)) => f,
        other => panic!("expected Error last, got {other:?}"),
    }
}

#[test]
fn handshake_failures() {
    // Mechanism mismatch.
    let mut e = Engine::new(cfg(DEALER, b""));
    assert!(e.on_read(&v3_peer_greeting(b"PLAIN")).is_err());
    let f = failure_of(&mut e);
    assert_eq!(f.event, Some(MonitorEvent::HandshakeFailedProtocol(protocol_error::ZMTP_MECHANISM_MISMATCH)));
    assert_eq!(f.kind, FailureKind::Protocol);
    assert!(e.on_read(b"more").is_err(), "stays failed");
    assert_eq!(e.send(&Msg::new()), Err(crate::error::Error(libc::EPROTO)));

    // Incompatible socket type: no monitor event, as in libzmq.
    let mut e = Engine::new(cfg(DEALER, b""));
    e.on_read(&v3_peer_greeting(b"NULL")).unwrap();
    assert!(e.on_read(&ready_frame(b"PUB")).is_err());
    assert_eq!(failure_of(&mut e).event, None);

    // A message before READY.
    let mut e = Engine::new(cfg(DEALER, b""));
    e.on_read(&v3_peer_greeting(b"NULL")).unwrap();
    assert!(e.on_read(&[0, 1, b'x']).is_err());
    assert_eq!(failure_of(&mut e).event, Some(MonitorEvent::HandshakeFailedProtocol(protocol_error::ZMTP_UNEXPECTED_COMMAND)));

    // ERROR with a ZAP status code.
    let mut e = Engine::new(cfg(DEALER, b""));
    e.on_read(&v3_peer_greeting(b"NULL")).unwrap();
    assert!(e.on_read(&command_frame(&commands::error(b"400"))).is_err());
    assert_eq!(failure_of(&mut e).event, Some(MonitorEvent::HandshakeFailedAuth(400)));

    // ZAP enabled: a 2.0 peer is refused.
    let mut e = Engine::new(Config { zap_domain: b"global".to_vec(), ..cfg(DEALER, b"") });
    assert!(e.on_read(&[0xFF, 0, 0, 0, 0, 0, 0, 0, 1, 0x7F, 1, 6]).is_err());

    // Sending before the handshake: EAGAIN.
    let mut e = Engine::new(cfg(DEALER, b""));
    assert_eq!(e.send(&Msg::new()), Err(crate::error::Error::AGAIN));
}

#[test]
fn max_msg_size_is_enforced() {
    let mut rng = Rng(11);
    let mut a = Engine::new(cfg(PUSH, b""));
    let mut b = Engine::new(Config { max_msg_size: 1000, ..cfg(PULL, b"") });
    pump(&mut a, &mut b, 50, &mut rng);
    a.send(&frame(&[0; 1000], false)).unwrap();
    a.send(&frame(&[0; 1001], false)).unwrap();
    pump(&mut a, &mut b, 50, &mut rng);
    let ev = events(&mut b);
    assert_eq!(messages(&ev).len(), 1, "the frame at the limit gets through");
    match ev.last() {
        Some(Event::Error(f)) => assert_eq!(f.errno.0, libc::EMSGSIZE),
        other => panic!("{other:?}"),
    }
}

#[test]
fn ping_pong_and_heartbeat_timeout() {
    const MS: Duration = Duration::from_millis(1);
    let mut rng = Rng(5);
    let t0 = Instant::now();
    let mut a = Engine::new(Config {
        heartbeat_ivl: 100 * MS,
        heartbeat_ttl: 500 * MS,
        heartbeat_timeout: 250 * MS,
        ..cfg(PAIR, b"")
    });
    let mut b = Engine::new(cfg(PAIR, b""));
    pump(&mut a, &mut b, 1000, &mut rng);
    events(&mut a);
    events(&mut b);
    assert_eq!(a.tick(t0), Some(t0 + 100 * MS));
    assert_eq!(b.tick(t0), None);

    // PING out, PONG back: the timeout is disarmed.
    assert_eq!(a.tick(t0 + 100 * MS), Some(t0 + 200 * MS));
    let ping = take_out(&mut a);
    assert_eq!(ping, [0x04, 7, 4, b'P', b'I', b'N', b'G', 0, 5]);
    b.on_read(&ping).unwrap();
    assert_eq!(take_out(&mut b), [0x04, 5, 4, b'P', b'O', b'N', b'G']);
    // b arms the TTL from a's PING (500 ms) at its next tick.
    assert_eq!(b.tick(t0 + 100 * MS), Some(t0 + 600 * MS));
    a.on_read(&[0x04, 5, 4, b'P', b'O', b'N', b'G']).unwrap();
    assert!(events(&mut a).is_empty(), "PONG is not an event");

    // A PING with a context gets it echoed. Any traffic cancels b's TTL timer; this
    // PING's TTL re-arms it.
    b.on_read(&command_frame(&commands::ping(5, b"ctx"))).unwrap();
    assert_eq!(take_out(&mut b), command_frame(&commands::pong(b"ctx")));
    assert_eq!(b.tick(t0 + 100 * MS), Some(t0 + 600 * MS));

    // Now b goes silent: a times out 250 ms after its next PING.
    assert_eq!(a.tick(t0 + 200 * MS), Some(t0 + 300 * MS));
    assert_eq!(a.tick(t0 + 300 * MS), Some(t0 + 400 * MS));
    assert_eq!(a.tick(t0 + 400 * MS), Some(t0 + 450 * MS));
    assert_eq!(a.tick(t0 + 450 * MS), None);
    let f = failure_of(&mut a);
    assert_eq!((f.kind, f.errno.0), (FailureKind::Timeout, libc::ETIMEDOUT));

    // b: no traffic within a's TTL after its last PING.
    assert_eq!(b.tick(t0 + 599 * MS), Some(t0 + 600 * MS));
    assert_eq!(b.tick(t0 + 600 * MS), None);
    assert_eq!(failure_of(&mut b).kind, FailureKind::Timeout);
}

#[test]
fn unknown_and_malformed_commands_are_ignored() {
    let mut e = Engine::new(cfg(PAIR, b""));
    e.on_read(&v3_peer_greeting(b"NULL")).unwrap();
    e.on_read(&ready_frame(b"PAIR")).unwrap();
    assert!(e.handshake_done());
    for body in [&b""[..], b"\x09SUB", b"\x07UNKNOWNdata", b"\x04PING"] {
        e.on_read(&command_frame(body)).unwrap();
    }
    e.on_read(&[0, 1, b'm']).unwrap();
    let ev = events(&mut e);
    assert_eq!(messages(&ev), vec![(b"m".to_vec(), false)]);
}

/// Feeds `data` to a fresh engine in random pieces; must never panic.
fn fuzz_one(data: &[u8], rng: &mut Rng, max_msg_size: i64) {
    let mut e = Engine::new(Config { max_msg_size, heartbeat_ivl: Duration::from_millis(1), ..cfg(DEALER, b"x") });
    let mut pos = 0;
    let now = Instant::now();
    while pos < data.len() {
        let n = (1 + rng.below(64)).min(data.len() - pos);
        let failed = e.on_read(&data[pos..pos + n]).is_err();
        e.tick(now + Duration::from_millis(pos as u64));
        let _ = e.send(&Msg::from_slice(b"reply"));
        let out = e.out_len();
        e.consume_out(out / 2);
        while e.poll_event().is_some() {}
        if failed {
            assert!(e.on_read(b"x").is_err());
            return;
        }
        pos += n;
    }
}

#[test]
fn fuzz_engine_never_panics() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    // A valid prefix (greeting + READY + frames) to start mutating from.
    let mut valid = v3_peer_greeting(b"NULL");
    valid.extend(ready_frame(b"ROUTER"));
    valid.extend(command_frame(&commands::ping(3, b"ctx")));
    valid.extend([1, 3, b'a', b'b', b'c', 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 1, 0]);
    valid.extend(vec![7; 256]);
    for round in 0..3000 {
        let data: Vec<u8> = match round % 4 {
            // Pure noise.
            0 => (0..rng.below(200)).map(|_| rng.next() as u8).collect(),
            // Noise after a valid greeting.
            1 => {
                let mut d = v3_peer_greeting(b"NULL");
                d.extend((0..rng.below(300)).map(|_| rng.next() as u8));
                d
            }
            // The valid stream with a few bytes flipped, or cut short.
            _ => {
                let mut d = valid.clone();
                for _ in 0..1 + rng.below(4) {
                    let i = rng.below(d.len());
                    d[i] = rng.next() as u8;
                }
                d.truncate(1 + rng.below(d.len()));
                d
            }
        };
        let max = if round % 3 == 0 { -1 } else { 1000 };
        fuzz_one(&data, &mut rng, max);
    }
    // Legacy-framing noise.
    for _ in 0..500 {
        let mut d = vec![0xFF, 0, 0, 0, 0, 0, 0, 0, 1, 0x7F, (rng.below(3)) as u8, 5];
        d.extend((0..rng.below(200)).map(|_| rng.next() as u8));
        fuzz_one(&d, &mut rng, -1);
        let d: Vec<u8> = (0..1 + rng.below(100)).map(|_| rng.next() as u8 & 0x7F).collect();
        fuzz_one(&d, &mut rng, -1);
    }
}

#[test]
fn huge_announced_frame_fails_or_waits_without_allocating() {
    let mut e = Engine::new(cfg(DEALER, b""));
    e.on_read(&v3_peer_greeting(b"NULL")).unwrap();
    e.on_read(&ready_frame(b"ROUTER")).unwrap();
    // 2^63-1 bytes announced with max_msg_size unlimited: refused at the header (ENOMEM,
    // as libzmq's failed allocation), before the body's first bytes.
    assert!(e.on_read(&[0x02, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 1, 2, 3]).is_err());
    let f = failure_of(&mut e);
    assert_eq!((f.errno.0, f.kind), (libc::ENOMEM, FailureKind::Protocol));
}

/// Every framing, messages and commands: a length no machine could hold ends the
/// connection at the header; a long handshake command too.
#[test]
fn impossible_lengths_end_the_connection_at_the_header() {
    let huge = 1u64 << 62;
    let long_header = |flags: u8| {
        let mut h = vec![flags];
        h.extend_from_slice(&huge.to_be_bytes());
        h
    };
    // ZMTP 3.x, after the handshake: a message and a command.
    for flags in [0x02, 0x06] {
        let mut e = Engine::new(cfg(DEALER, b""));
        e.on_read(&v3_peer_greeting(b"NULL")).unwrap();
        e.on_read(&ready_frame(b"ROUTER")).unwrap();
        assert!(e.on_read(&long_header(flags)).is_err(), "flags {flags}");
        assert_eq!(failure_of(&mut e).errno.0, libc::ENOMEM);
    }
    // ZMTP 3.x, in the handshake: a command over MAX_HANDSHAKE_COMMAND, and a message
    // frame (taken for a command there): no monitor event, as libzmq.
    for flags in [0x06, 0x02] {
        let mut e = Engine::new(cfg(DEALER, b""));
        e.on_read(&v3_peer_greeting(b"NULL")).unwrap();
        let mut h = vec![flags];
        h.extend_from_slice(&(codec::MAX_HANDSHAKE_COMMAND + 1).to_be_bytes());
        assert!(e.on_read(&h).is_err());
        let f = failure_of(&mut e);
        assert_eq!((f.event, f.kind), (None, FailureKind::Protocol));
    }
    // ZMTP 2.0: the identity frame and a message after it.
    let mut e = Engine::new(cfg(DEALER, b""));
    e.on_read(&[0xFF, 0, 0, 0, 0, 0, 0, 0, 1, 0x7F, 1, ROUTER as u8]).unwrap();
    assert!(e.on_read(&long_header(0x02)).is_err());
    assert_eq!(failure_of(&mut e).errno.0, libc::ENOMEM);
    let mut e = Engine::new(cfg(DEALER, b""));
    e.on_read(&[0xFF, 0, 0, 0, 0, 0, 0, 0, 1, 0x7F, 1, ROUTER as u8, 0, 0]).unwrap();
    assert!(e.on_read(&long_header(0x02)).is_err());
    assert_eq!(failure_of(&mut e).errno.0, libc::ENOMEM);
    // ZMTP 1.0 (unversioned): the identity frame, then a message.
    let mut e = Engine::new(cfg(DEALER, b""));
    let mut v1 = vec![0xFF];
    v1.extend_from_slice(&huge.to_be_bytes());
    v1.push(0);
    assert!(e.on_read(&v1).is_err());
    assert_eq!(failure_of(&mut e).errno.0, libc::ENOMEM);
    let mut e = Engine::new(cfg(DEALER, b""));
    e.on_read(&[1, 0]).unwrap();
    assert!(e.on_read(&v1).is_err());
    assert_eq!(failure_of(&mut e).errno.0, libc::ENOMEM);
}

#[test]
fn unread_pongs_do_not_pile_up() {
    let mut e = Engine::new(cfg(PAIR, b""));
    e.on_read(&v3_peer_greeting(b"NULL")).unwrap();
    e.on_read(&ready_frame(b"PAIR")).unwrap();
    take_out(&mut e);
    let ping = command_frame(&commands::ping(0, b"1"));
    for _ in 0..1000 {
        e.on_read(&ping).unwrap();
    }
    // A burst of PINGs gets a bounded number of answers, each with its context.
    let pong = command_frame(&commands::pong(b"1"));
    assert_eq!(take_out(&mut e), pong.repeat(8));
    // Once written, the next PING is answered again.
    e.on_read(&command_frame(&commands::ping(0, b"2"))).unwrap();
    assert_eq!(take_out(&mut e), command_frame(&commands::pong(b"2")));
}

/// PLAIN between two engines, the server pausing for ZAP: first refused (ERROR reaches the
/// client as an AUTH failure), then accepted (User-Id and the reply's metadata reach the
/// messages).
#[test]
fn plain_handshake_with_zap() {
    use super::mechanism::{ZapReply, ZapRequest};
    let mut rng = Rng(7);
    let plain = |server: bool| Config {
        as_server: server,
        mechanism: MechanismConfig::Plain { username: b"admin".to_vec(), password: b"pw".to_vec() },
        ..cfg(if server { ROUTER } else { DEALER }, b"")
    };
    let zap_request = |e: &mut Engine| match events(e).as_slice() {
        [Event::ZapRequest(r)] => r.clone(),
        other => panic!("expected a ZAP request, got {other:?}"),
    };

    // Refused with 400.
    let (mut client, mut server) = (Engine::new(plain(false)), Engine::new(plain(true)));
    pump(&mut client, &mut server, 7, &mut rng);
    let req = zap_request(&mut server);
    assert_eq!(req, ZapRequest { mechanism: b"PLAIN", credentials: vec![b"admin".to_vec(), b"pw".to_vec()] });
    assert!(events(&mut client).is_empty(), "the client waits for WELCOME");
    let refusal = ZapReply { status_code: b"400".to_vec(), ..ZapReply::default() };
    assert!(server.zap_reply(&refusal).is_err());
    match events(&mut server).as_slice() {
        [Event::Error(f)] => assert_eq!(f.event, Some(MonitorEvent::HandshakeFailedAuth(400))),
        other => panic!("{other:?}"),
    }
    pump(&mut client, &mut server, 7, &mut rng);
    match events(&mut client).as_slice() {
        [Event::Error(f)] => {
            assert_eq!(f.event, Some(MonitorEvent::HandshakeFailedAuth(400)));
            assert_eq!(f.kind, FailureKind::Protocol);
        }
        other => panic!("{other:?}"),
    }

    // Accepted.
    let (mut client, mut server) = (Engine::new(plain(false)), Engine::new(plain(true)));
    pump(&mut client, &mut server, 7, &mut rng);
    zap_request(&mut server);
    let mut metadata = Vec::new();
    commands::write_property(&mut metadata, b"Hello", b"World");
    let ok = ZapReply { status_code: b"200".to_vec(), user_id: b"alice".to_vec(), metadata, ..ZapReply::default() };
    server.zap_reply(&ok).unwrap();
    pump(&mut client, &mut server, 7, &mut rng);
    assert_eq!(handshake_of(&events(&mut client)).peer_socket_type, Some(ROUTER));
    let md = handshake_of(&events(&mut server)).metadata.clone();
    assert_eq!(md.get("User-Id").map(|v| v.to_bytes()), Some(&b"alice"[..]));
    assert_eq!(md.get("Hello").map(|v| v.to_bytes()), Some(&b"World"[..]));
    assert_eq!(md.get("Socket-Type").map(|v| v.to_bytes()), Some(&b"DEALER"[..]));
    client.send(&frame(b"x", false)).unwrap();
    pump(&mut client, &mut server, 7, &mut rng);
    assert_eq!(messages(&events(&mut server)), vec![(b"x".to_vec(), false)]);
    // A second answer is out of turn.
    assert!(server.zap_reply(&ok).is_err());
}

/// NULL with a ZAP domain: READY waits for the verdict; with no handler bound the I/O
/// layer bypasses ZAP and no User-Id is set.
#[test]
fn null_with_zap_domain_waits_for_verdict() {
    let mut rng = Rng(9);
    let mut client = Engine::new(cfg(DEALER, b""));
    let mut server = Engine::new(Config { zap_domain: b"dom".to_vec(), ..cfg(DEALER, b"") });
    pump(&mut client, &mut server, 5, &mut rng);
    match events(&mut server).as_slice() {
        [Event::ZapRequest(r)] => assert_eq!(r.mechanism, b"NULL"),
        other => panic!("{other:?}"),
    }
    assert!(events(&mut client).is_empty(), "no READY from the server yet");
    server.zap_bypassed().unwrap();
    pump(&mut client, &mut server, 5, &mut rng);
    assert!(handshake_of(&events(&mut server)).metadata.get("User-Id").is_none());
    handshake_of(&events(&mut client));
}

/// A CURVE client built on `client` and a CURVE server on `server`; with
/// `server_key_ok` false the client has another server's key.
fn curve_engines(client: Config, server: Config, server_key_ok: bool) -> (Engine, Engine) {
    use super::mechanism::curve::keypair;
    let (spub, ssec) = keypair();
    let (cpub, csec) = keypair();
    let server_key = if server_key_ok { spub } else { keypair().0 };
    let client = Engine::new(Config { mechanism: MechanismConfig::Curve { public_key: cpub, secret_key: csec, server_key }, ..client });
    let server = Engine::new(Config {
        as_server: true,
        mechanism: MechanismConfig::Curve { public_key: spub, secret_key: ssec, server_key: [0; 32] },
        ..server
    });
    (client, server)
}

/// Runs a CURVE handshake, answering the server's ZAP request as "no handler bound";
/// returns the server's other events.
fn curve_handshake(client: &mut Engine, server: &mut Engine, max_piece: usize, rng: &mut Rng) -> Vec<Event> {
    let mut seen = Vec::new();
    loop {
        pump(client, server, max_piece, rng);
        let mut asked = false;
        for ev in events(server) {
            match ev {
                Event::ZapRequest(_) => asked = true,
                other => seen.push(other),
            }
        }
        if !asked {
            return seen;
        }
        server.zap_bypassed().unwrap();
    }
}

fn curve_pair(client_type: i32, server_type: i32, server_key_ok: bool) -> (Engine, Engine) {
    curve_engines(cfg(client_type, b"c"), cfg(server_type, b""), server_key_ok)
}

#[test]
fn curve_between_engines() {
    for max_piece in [1, 7, 100_000] {
        let mut rng = Rng(max_piece as u64 + 11);
        let (mut dealer, mut router) = curve_pair(DEALER, ROUTER, true);
        let ev = curve_handshake(&mut dealer, &mut router, max_piece, &mut rng);
        assert!(dealer.handshake_done() && router.handshake_done());
        assert_eq!(handshake_of(&ev).peer_routing_id, b"c");
        events(&mut dealer);
        for (body, more) in sample_frames() {
            dealer.send(&frame(&body, more)).unwrap();
            router.send(&frame(&body, more)).unwrap();
        }
        // Nothing readable on the wire: every frame is a MESSAGE.
        let wire: Vec<u8> = dealer.out_bytes().to_vec();
        assert!(!wire.windows(5).any(|w| w == b"hello"));
        pump(&mut dealer, &mut router, max_piece, &mut rng);
        assert_eq!(messages(&events(&mut router)), sample_frames(), "piece {max_piece}");
        assert_eq!(messages(&events(&mut dealer)), sample_frames());
    }
}

#[test]
fn curve_commands_are_boxed() {
    const MS: Duration = Duration::from_millis(1);
    let mut rng = Rng(9);
    let (mut sub, mut publ) = curve_pair(SUB, XPUB, true);
    curve_handshake(&mut sub, &mut publ, 1000, &mut rng);
    events(&mut sub);
    sub.send_subscription(true, b"topic").unwrap();
    sub.send_subscription(false, b"topic").unwrap();
    assert!(!sub.out_bytes().windows(9).any(|w| w == b"SUBSCRIBE"));
    pump(&mut sub, &mut publ, 1000, &mut rng);
    let ev = events(&mut publ);
    assert!(matches!(&ev[0], Event::Subscribe(t) if t == b"topic"), "{ev:?}");
    assert!(matches!(&ev[1], Event::Cancel(t) if t == b"topic"));

    // PING and PONG go through the boxes as well.
    let t0 = Instant::now();
    let (mut c, mut s) = curve_engines(Config { heartbeat_ivl: 100 * MS, ..cfg(PAIR, b"") }, cfg(PAIR, b""), true);
    curve_handshake(&mut c, &mut s, 1000, &mut rng);
    events(&mut c);
    c.tick(t0);
    c.tick(t0 + 100 * MS);
    let ping = take_out(&mut c);
    assert!(!ping.windows(4).any(|w| w == b"PING"));
    s.on_read(&ping).unwrap();
    assert!(events(&mut s).is_empty(), "PING is not an event");
    let pong = take_out(&mut s);
    assert!(!pong.is_empty() && !pong.windows(4).any(|w| w == b"PONG"));
    c.on_read(&pong).unwrap();
    assert!(events(&mut c).is_empty());
    assert!(c.failure().is_none() && s.failure().is_none());
}

#[test]
fn curve_wrong_server_key_fails_handshake() {
    let mut rng = Rng(13);
    let (mut c, mut s) = curve_pair(DEALER, ROUTER, false);
    pump(&mut c, &mut s, 1000, &mut rng);
    assert!(!c.handshake_done() && !s.handshake_done());
    let f = failure_of(&mut s);
    assert_eq!(f.event, Some(MonitorEvent::HandshakeFailedProtocol(protocol_error::ZMTP_CRYPTOGRAPHIC)));
}
