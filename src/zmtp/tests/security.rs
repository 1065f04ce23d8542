//! Security mechanisms between engines: PLAIN and NULL with a ZAP verdict, CURVE.

use super::*;

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
        ..cfg(if server { ZMQ_ROUTER } else { ZMQ_DEALER }, b"")
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
    assert_eq!(handshake_of(&events(&mut client)).peer_socket_type, Some(ZMQ_ROUTER));
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
    let mut client = Engine::new(cfg(ZMQ_DEALER, b""));
    let mut server = Engine::new(Config { zap_domain: b"dom".to_vec(), ..cfg(ZMQ_DEALER, b"") });
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
        let (mut dealer, mut router) = curve_pair(ZMQ_DEALER, ZMQ_ROUTER, true);
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
    let (mut sub, mut publ) = curve_pair(ZMQ_SUB, ZMQ_XPUB, true);
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
    let (mut c, mut s) = curve_engines(Config { heartbeat_ivl: 100 * MS, ..cfg(ZMQ_PAIR, b"") }, cfg(ZMQ_PAIR, b""), true);
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
    let (mut c, mut s) = curve_pair(ZMQ_DEALER, ZMQ_ROUTER, false);
    pump(&mut c, &mut s, 1000, &mut rng);
    assert!(!c.handshake_done() && !s.handshake_done());
    let f = failure_of(&mut s);
    assert_eq!(f.event, Some(MonitorEvent::HandshakeFailedProtocol(ZMQ_PROTOCOL_ERROR_ZMTP_CRYPTOGRAPHIC)));
}
