//! The NULL handshake after a valid ZMTP 3.x greeting: READY (metadata, Socket-Type,
//! Identity), ERROR, unexpected commands, with or without ZAP (a ZAP domain), then the
//! active phase (PING/PONG, SUBSCRIBE/CANCEL, messages).
//! Input: byte 0 socket type, byte 1 options (ZAP domain, minor version, routing id), then
//! steps (see Driver::step: command frames, message frames, raw bytes, ZAP answers, sends).
#![no_main]

use fuzz_support::{greeting_v3, zmtp_socket_type, Driver, Input};
use libfuzzer_sys::fuzz_target;
use zmq::zmtp::Config;

fuzz_target!(|data: &[u8]| {
    let mut input = Input::new(data);
    let socket_type = zmtp_socket_type(input.u8());
    let opts = input.u8();
    let cfg = Config {
        socket_type,
        routing_id: if opts & 4 != 0 { b"me".to_vec() } else { Vec::new() },
        zap_domain: if opts & 1 != 0 { b"global".to_vec() } else { Vec::new() },
        ..Config::default()
    };
    let mut d = Driver::new(cfg);
    d.expect_v3();
    d.feed(&greeting_v3(b"NULL", opts & 8 != 0, (opts >> 1) & 1));
    d.take_output();
    while d.step(&mut input) {}
});
