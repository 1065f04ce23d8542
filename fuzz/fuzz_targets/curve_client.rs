//! CURVE client side: the engine connects with ZMQ_CURVE_SERVERKEY and the target is the
//! server with fixed keys: it opens the engine's HELLO and INITIATE (checking them) and
//! answers with a WELCOME and READY (or ERROR) built from the input, then message steps.
//! Input: socket type, cookie mode, mutation bytes, READY's metadata or an ERROR, then
//! message-phase steps (see curve_peer::Channel::run).
#![no_main]

use fuzz_support::curve_peer::{keypair, maybe_corrupt, nonce, open, salsa, seal, Channel};
use fuzz_support::{frame, greeting_v3, properties, zmtp_socket_type, Driver, Input};
use libfuzzer_sys::fuzz_target;
use zmq::zmtp::{Config, MechanismConfig};

fuzz_target!(|data: &[u8]| {
    let mut input = Input::new(data);
    let (spub, ssec) = keypair(1);
    let (cpub, csec) = keypair(2);
    let (sn_pub, sn_sec) = keypair(4);
    let cfg = Config {
        socket_type: zmtp_socket_type(input.u8()),
        routing_id: input.chunk().to_vec(),
        mechanism: MechanismConfig::Curve { public_key: cpub, secret_key: csec, server_key: spub },
        ..Config::default()
    };
    let mut d = Driver::new(cfg);
    d.expect_v3();
    d.feed(&greeting_v3(b"CURVE", true, 1));
    let out = d.take_output();
    let hello = out.first().expect("HELLO").data();
    assert!(hello.starts_with(b"\x05HELLO\x01\x00") && hello.len() == 200, "HELLO layout");
    let cn_client: [u8; 32] = hello[80..112].try_into().unwrap();
    open(&salsa(&cn_client, &ssec), &nonce(b"CurveZMQHELLO---", &hello[112..120]), &hello[120..]).expect("HELLO opens");

    // WELCOME: name, 16-byte nonce, Box[S' + cookie](S->C'). The cookie is opaque to the client.
    let mut plain = sn_pub.to_vec();
    let cookie = input.bytes(96);
    plain.extend_from_slice(cookie);
    plain.resize(128, 0);
    let welcome_nonce = [9u8; 16];
    let mut welcome = b"\x07WELCOME".to_vec();
    welcome.extend_from_slice(&welcome_nonce);
    welcome.extend_from_slice(&seal(&salsa(&cn_client, &ssec), &nonce(b"WELCOME-", &welcome_nonce), &plain));
    maybe_corrupt(&mut input, &mut welcome);
    if input.u8() % 8 == 0 {
        // Lengths other than WELCOME's 168.
        welcome.truncate(input.u8() as usize);
    }
    d.feed(&frame(&welcome, false, true));
    let out = d.take_output();
    let Some(initiate) = out.first().filter(|_| !d.failed) else {
        while d.step(&mut input) {}
        return;
    };
    // INITIATE: name, cookie, short nonce, Box[C + vouch nonce + vouch + metadata](C'->S').
    let i = initiate.data();
    assert!(i.starts_with(b"\x08INITIATE") && &i[9..105] == &plain[32..128], "INITIATE echoes the cookie");
    let key = salsa(&cn_client, &sn_sec);
    let inner = open(&key, &nonce(b"CurveZMQINITIATE", &i[105..113]), &i[113..]).expect("INITIATE opens");
    assert_eq!(&inner[..32], &cpub, "INITIATE carries C");
    let vouch = open(&salsa(&cpub, &sn_sec), &nonce(b"VOUCH---", &inner[32..48]), &inner[48..128]).expect("vouch opens");
    assert_eq!((&vouch[..32], &vouch[32..64]), (&cn_client[..], &spub[..]), "vouch is C' + S");
    let client_nonce = u64::from_be_bytes(i[105..113].try_into().unwrap());

    let ready_nonce = 1u64;
    let body = match input.u8() % 4 {
        0 => input.chunk().to_vec(),
        1 => {
            let mut e = b"\x05ERROR".to_vec();
            e.extend_from_slice(input.chunk());
            e
        }
        _ => {
            let mut md = Vec::new();
            if input.u8() & 1 == 0 {
                md = properties(&[(b"Socket-Type", b"ROUTER")]);
            }
            md.extend_from_slice(input.chunk());
            let mut r = b"\x05READY".to_vec();
            r.extend_from_slice(&ready_nonce.to_be_bytes());
            r.extend_from_slice(&seal(&key, &nonce(b"CurveZMQREADY---", &ready_nonce.to_be_bytes()), &md));
            r
        }
    };
    let mut body = body;
    maybe_corrupt(&mut input, &mut body);
    d.feed(&frame(&body, false, true));
    d.take_output();
    if !d.handshake_done {
        while d.step(&mut input) {}
        return;
    }
    let mut channel =
        Channel { key, ours: b"CurveZMQMESSAGES", theirs: b"CurveZMQMESSAGEC", next_nonce: 2, last_theirs: client_nonce };
    channel.run(&mut d, &mut input);
});
