//! CURVE server side: the engine is a ZMQ_CURVE_SERVER and the target is a client with
//! fixed keys, so HELLO, the cookie, INITIATE's box, its vouch and metadata, the ZAP
//! answer and the MESSAGE boxes all open unless the input corrupts them on purpose.
//! Input: socket type, mutation bytes for HELLO and INITIATE, INITIATE's metadata, a ZAP
//! reply, then message-phase steps (see curve_peer::Channel::run).
#![no_main]

use fuzz_support::curve_peer::{keypair, maybe_corrupt, nonce, open, salsa, seal, Channel};
use fuzz_support::{frame, greeting_v3, properties, zap_reply_from, zmtp_socket_type, Driver, Input};
use libfuzzer_sys::fuzz_target;
use zmq::zmtp::{Config, MechanismConfig};

fuzz_target!(|data: &[u8]| {
    let mut input = Input::new(data);
    let (spub, ssec) = keypair(1);
    let (cpub, csec) = keypair(2);
    let (cn_pub, cn_sec) = keypair(3);
    let cfg = Config {
        socket_type: zmtp_socket_type(input.u8()),
        as_server: true,
        mechanism: MechanismConfig::Curve { public_key: spub, secret_key: ssec, server_key: [0; 32] },
        ..Config::default()
    };
    let mut d = Driver::new(cfg);
    d.expect_v3();
    d.feed(&greeting_v3(b"CURVE", false, 1));

    // HELLO: version 1.0, 72 bytes of padding, C', short nonce 1, Box[64 zeros](C'->S).
    let mut hello = b"\x05HELLO\x01\x00".to_vec();
    hello.extend_from_slice(&[0; 72]);
    hello.extend_from_slice(&cn_pub);
    hello.extend_from_slice(&1u64.to_be_bytes());
    hello.extend_from_slice(&seal(&salsa(&spub, &cn_sec), &nonce(b"CurveZMQHELLO---", &1u64.to_be_bytes()), &[0; 64]));
    maybe_corrupt(&mut input, &mut hello);
    d.feed(&frame(&hello, false, true));
    let out = d.take_output();
    let Some(welcome) = out.first() else {
        while d.step(&mut input) {}
        return;
    };
    // WELCOME: name, 16-byte nonce, Box[S' + cookie](S->C').
    let w = welcome.data();
    assert_eq!(w.len(), 168, "WELCOME size");
    let plain = open(&salsa(&spub, &cn_sec), &nonce(b"WELCOME-", &w[8..24]), &w[24..]).expect("WELCOME opens");
    let server_short: [u8; 32] = plain[..32].try_into().unwrap();
    let cookie = &plain[32..128];

    // INITIATE: name, cookie, short nonce 2, Box[C + vouch nonce + vouch + metadata](C'->S').
    let vouch_nonce = [7u8; 16];
    let mut vouch_plain = cn_pub.to_vec();
    vouch_plain.extend_from_slice(&spub);
    let vouch = seal(&salsa(&server_short, &csec), &nonce(b"VOUCH---", &vouch_nonce), &vouch_plain);
    let mut inner = cpub.to_vec();
    inner.extend_from_slice(&vouch_nonce);
    inner.extend_from_slice(&vouch);
    if input.u8() & 1 == 0 {
        inner.extend_from_slice(&properties(&[(b"Socket-Type", b"DEALER"), (b"Identity", b"")]));
    }
    inner.extend_from_slice(input.chunk());
    maybe_corrupt(&mut input, &mut inner);
    let key = salsa(&server_short, &cn_sec);
    let mut initiate = b"\x08INITIATE".to_vec();
    initiate.extend_from_slice(cookie);
    initiate.extend_from_slice(&2u64.to_be_bytes());
    initiate.extend_from_slice(&seal(&key, &nonce(b"CurveZMQINITIATE", &2u64.to_be_bytes()), &inner));
    maybe_corrupt(&mut input, &mut initiate);
    d.feed(&frame(&initiate, false, true));
    if d.zap_pending {
        match input.u8() % 3 {
            0 => d.zap_bypassed(),
            _ => {
                let reply = zap_reply_from(&mut input);
                d.zap_reply(&reply);
            }
        }
    }
    let out = d.take_output();
    if !d.handshake_done {
        while d.step(&mut input) {}
        return;
    }
    // READY: name, short nonce, Box[metadata](S'->C').
    let r = out.first().expect("READY").data();
    assert!(r.starts_with(b"\x05READY"));
    let ready_nonce = u64::from_be_bytes(r[6..14].try_into().unwrap());
    open(&key, &nonce(b"CurveZMQREADY---", &r[6..14]), &r[14..]).expect("READY opens");
    let mut channel =
        Channel { key, ours: b"CurveZMQMESSAGEC", theirs: b"CurveZMQMESSAGES", next_nonce: 3, last_theirs: ready_nonce };
    channel.run(&mut d, &mut input);
});
