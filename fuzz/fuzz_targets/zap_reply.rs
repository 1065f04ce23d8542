//! ZAP replies as a handler sends them: the seven frames are checked (zap::parse_reply);
//! one that passes answers a PLAIN or NULL server engine waiting for it, whose handshake
//! then goes on (READY/WELCOME or ERROR) with the reply's User-Id and metadata.
//! Input: byte 0 picks the mechanism; then frames, each a length byte and its bytes.
#![no_main]

use zmq::constants::*;
use fuzz_support::{frame, greeting_v3, Driver, Input};
use libfuzzer_sys::fuzz_target;
use zmq::msg::Msg;
use zmq::zmtp::{zap, Config, MechanismConfig};

fuzz_target!(|data: &[u8]| {
    let mut input = Input::new(data);
    let plain = input.u8() & 1 != 0;
    let mut frames = Vec::new();
    while !input.is_empty() && frames.len() < 12 {
        frames.push(Msg::from_slice(input.chunk()));
    }
    let Ok(reply) = zap::parse_reply(&frames) else { return };
    assert!(matches!(reply.status(), 200 | 300 | 400 | 500));
    let props = zap::reply_properties(&reply);
    assert_eq!(props[0].0, "User-Id");

    let cfg = Config {
        socket_type: ZMQ_ROUTER,
        as_server: plain,
        mechanism: if plain {
            MechanismConfig::Plain { username: Vec::new(), password: Vec::new() }
        } else {
            MechanismConfig::Null
        },
        zap_domain: b"global".to_vec(),
        ..Config::default()
    };
    let mut d = Driver::new(cfg);
    d.expect_v3();
    d.feed(&greeting_v3(if plain { b"PLAIN" } else { b"NULL" }, false, 1));
    let first: &[u8] = if plain { b"\x05HELLO\x04user\x04pass" } else { b"\x05READY\x00" };
    let mut first = first.to_vec();
    if !plain {
        first = b"\x05READY".to_vec();
        first.extend_from_slice(&fuzz_support::properties(&[(b"Socket-Type", b"DEALER")]));
    }
    d.feed(&frame(&first, false, true));
    assert!(d.zap_pending, "the server asks ZAP");
    d.zap_reply(&reply);
    d.take_output();
    if plain && !d.failed && reply.status() == 200 {
        let mut initiate = b"\x08INITIATE".to_vec();
        initiate.extend_from_slice(&fuzz_support::properties(&[(b"Socket-Type", b"DEALER")]));
        d.feed(&frame(&initiate, false, true));
        d.take_output();
    }
    assert_eq!(d.handshake_done, reply.status() == 200, "handshake done iff 200");
    if d.handshake_done {
        d.feed(&frame(b"msg", false, false));
        assert_eq!(d.messages, 1);
    }
});
