//! The whole engine from raw bytes: greeting and version negotiation (ZMTP 1.0 with and
//! without a greeting, 2.0, 3.0, 3.1), then framing, the NULL handshake (READY, ERROR),
//! the identity frames of 1.0/2.0, and commands after the handshake (PING, SUBSCRIBE...).
//! Input: byte 0 socket type, byte 1 options (mechanism, ZAP domain, ZMTP 2.0 emulation,
//! max_msg_size, heartbeats), byte 2 piece size; the rest is what the peer sends, fed in
//! pieces, with ZAP requests answered 200.
#![no_main]

use std::time::Duration;

use fuzz_support::{zmtp_socket_type, Driver, Input};
use libfuzzer_sys::fuzz_target;
use zmq::zmtp::mechanism::ZapReply;
use zmq::zmtp::{Config, MechanismConfig};

fuzz_target!(|data: &[u8]| {
    let mut input = Input::new(data);
    let socket_type = zmtp_socket_type(input.u8());
    let opts = input.u8();
    let piece = (input.u8() as usize).max(1);
    let mechanism = match opts & 3 {
        0 | 1 => MechanismConfig::Null,
        2 => MechanismConfig::Plain { username: b"user".to_vec(), password: b"pass".to_vec() },
        _ => MechanismConfig::Curve { public_key: [1; 32], secret_key: [2; 32], server_key: [3; 32] },
    };
    let cfg = Config {
        socket_type,
        routing_id: if opts & 4 != 0 { b"me".to_vec() } else { Vec::new() },
        as_server: opts & 8 != 0,
        mechanism,
        zap_domain: if opts & 16 != 0 { b"global".to_vec() } else { Vec::new() },
        emulate_zmtp2: opts & 32 != 0,
        max_msg_size: if opts & 64 != 0 { 100 } else { -1 },
        heartbeat_ivl: if opts & 128 != 0 { Duration::from_millis(1) } else { Duration::ZERO },
        heartbeat_ttl: Duration::from_millis(100),
        heartbeat_timeout: if opts & 128 != 0 { Duration::from_secs(1) } else { Duration::ZERO },
        subscribe_commands: opts & 1 == 0,
        ..Config::default()
    };
    let mut d = Driver::new(cfg);
    d.take_output();
    for part in input.rest().chunks(piece) {
        d.feed(part);
        if d.zap_pending {
            d.zap_reply(&ZapReply { status_code: b"200".to_vec(), ..ZapReply::default() });
        }
        if d.handshake_done && !d.failed {
            d.send(b"hello", false);
        }
        d.take_output();
    }
});
