//! The PLAIN handshake after a valid ZMTP 3.x greeting, as server (HELLO with username
//! and password, ZAP request and reply, INITIATE) or client (WELCOME, READY, ERROR), then
//! the active phase.
//! Input: byte 0 socket type, byte 1 options (bit 0: server), then steps (see Driver::step).
#![no_main]

use fuzz_support::{greeting_v3, zmtp_socket_type, Driver, Input};
use libfuzzer_sys::fuzz_target;
use zmq::zmtp::{Config, MechanismConfig};

fuzz_target!(|data: &[u8]| {
    let mut input = Input::new(data);
    let socket_type = zmtp_socket_type(input.u8());
    let opts = input.u8();
    let server = opts & 1 != 0;
    let cfg = Config {
        socket_type,
        as_server: server,
        mechanism: MechanismConfig::Plain { username: b"admin".to_vec(), password: b"secret".to_vec() },
        ..Config::default()
    };
    let mut d = Driver::new(cfg);
    d.expect_v3();
    d.feed(&greeting_v3(b"PLAIN", !server, (opts >> 1) & 1));
    d.take_output();
    while d.step(&mut input) {}
});
