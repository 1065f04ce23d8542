//! Handshake failures, size limits, heartbeats and fuzzed input: the engine fails
//! cleanly (with libzmq's monitor events) and never panics or over-allocates.

use super::*;

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

#[test]
fn handshake_failures() {
    // Mechanism mismatch.
    let mut e = Engine::new(cfg(ZMQ_DEALER, b""));
    assert!(e.on_read(&v3_peer_greeting(b"PLAIN")).is_err());
    let f = failure_of(&mut e);
    assert_eq!(f.event, Some(MonitorEvent::HandshakeFailedProtocol(ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH)));
    assert_eq!(f.kind, FailureKind::Protocol);
    assert!(e.on_read(b"more").is_err(), "stays failed");
    assert_eq!(e.send(&Msg::new()), Err(crate::error::Error(libc::EPROTO)));

    // Incompatible socket type: no monitor event, as in libzmq.
    let mut e = Engine::new(cfg(ZMQ_DEALER, b""));
    e.on_read(&v3_peer_greeting(b"NULL")).unwrap();
    assert!(e.on_read(&ready_frame(b"PUB")).is_err());
    assert_eq!(failure_of(&mut e).event, None);

    // A message before READY.
    let mut e = Engine::new(cfg(ZMQ_DEALER, b""));
    e.on_read(&v3_peer_greeting(b"NULL")).unwrap();
    assert!(e.on_read(&[0, 1, b'x']).is_err());
    assert_eq!(failure_of(&mut e).event, Some(MonitorEvent::HandshakeFailedProtocol(ZMQ_PROTOCOL_ERROR_ZMTP_UNEXPECTED_COMMAND)));

    // ERROR with a ZAP status code.
    let mut e = Engine::new(cfg(ZMQ_DEALER, b""));
    e.on_read(&v3_peer_greeting(b"NULL")).unwrap();
    assert!(e.on_read(&command_frame(&commands::error(b"400"))).is_err());
    assert_eq!(failure_of(&mut e).event, Some(MonitorEvent::HandshakeFailedAuth(400)));

    // ZAP enabled: a 2.0 peer is refused.
    let mut e = Engine::new(Config { zap_domain: b"global".to_vec(), ..cfg(ZMQ_DEALER, b"") });
    assert!(e.on_read(&[0xFF, 0, 0, 0, 0, 0, 0, 0, 1, 0x7F, 1, 6]).is_err());

    // Sending before the handshake: EAGAIN.
    let mut e = Engine::new(cfg(ZMQ_DEALER, b""));
    assert_eq!(e.send(&Msg::new()), Err(crate::error::Error::AGAIN));
}

#[test]
fn max_msg_size_is_enforced() {
    let mut rng = Rng(11);
    let mut a = Engine::new(cfg(ZMQ_PUSH, b""));
    let mut b = Engine::new(Config { max_msg_size: 1000, ..cfg(ZMQ_PULL, b"") });
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
        ..cfg(ZMQ_PAIR, b"")
    });
    let mut b = Engine::new(cfg(ZMQ_PAIR, b""));
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
    let mut e = Engine::new(cfg(ZMQ_PAIR, b""));
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
    let mut e = Engine::new(Config { max_msg_size, heartbeat_ivl: Duration::from_millis(1), ..cfg(ZMQ_DEALER, b"x") });
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
    let mut e = Engine::new(cfg(ZMQ_DEALER, b""));
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
        let mut e = Engine::new(cfg(ZMQ_DEALER, b""));
        e.on_read(&v3_peer_greeting(b"NULL")).unwrap();
        e.on_read(&ready_frame(b"ROUTER")).unwrap();
        assert!(e.on_read(&long_header(flags)).is_err(), "flags {flags}");
        assert_eq!(failure_of(&mut e).errno.0, libc::ENOMEM);
    }
    // ZMTP 3.x, in the handshake: a command over MAX_HANDSHAKE_COMMAND, and a message
    // frame (taken for a command there): no monitor event, as libzmq.
    for flags in [0x06, 0x02] {
        let mut e = Engine::new(cfg(ZMQ_DEALER, b""));
        e.on_read(&v3_peer_greeting(b"NULL")).unwrap();
        let mut h = vec![flags];
        h.extend_from_slice(&(codec::MAX_HANDSHAKE_COMMAND + 1).to_be_bytes());
        assert!(e.on_read(&h).is_err());
        let f = failure_of(&mut e);
        assert_eq!((f.event, f.kind), (None, FailureKind::Protocol));
    }
    // ZMTP 2.0: the identity frame and a message after it.
    let mut e = Engine::new(cfg(ZMQ_DEALER, b""));
    e.on_read(&[0xFF, 0, 0, 0, 0, 0, 0, 0, 1, 0x7F, 1, ZMQ_ROUTER as u8]).unwrap();
    assert!(e.on_read(&long_header(0x02)).is_err());
    assert_eq!(failure_of(&mut e).errno.0, libc::ENOMEM);
    let mut e = Engine::new(cfg(ZMQ_DEALER, b""));
    e.on_read(&[0xFF, 0, 0, 0, 0, 0, 0, 0, 1, 0x7F, 1, ZMQ_ROUTER as u8, 0, 0]).unwrap();
    assert!(e.on_read(&long_header(0x02)).is_err());
    assert_eq!(failure_of(&mut e).errno.0, libc::ENOMEM);
    // ZMTP 1.0 (unversioned): the identity frame, then a message.
    let mut e = Engine::new(cfg(ZMQ_DEALER, b""));
    let mut v1 = vec![0xFF];
    v1.extend_from_slice(&huge.to_be_bytes());
    v1.push(0);
    assert!(e.on_read(&v1).is_err());
    assert_eq!(failure_of(&mut e).errno.0, libc::ENOMEM);
    let mut e = Engine::new(cfg(ZMQ_DEALER, b""));
    e.on_read(&[1, 0]).unwrap();
    assert!(e.on_read(&v1).is_err());
    assert_eq!(failure_of(&mut e).errno.0, libc::ENOMEM);
}

#[test]
fn unread_pongs_do_not_pile_up() {
    let mut e = Engine::new(cfg(ZMQ_PAIR, b""));
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

