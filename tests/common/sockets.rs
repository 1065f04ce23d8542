//! Small helpers for tests that drive sockets through the core API.

use zmq::constants::*;
use zmq::socket::Socket;

pub fn set_int(s: &mut Socket, option: i32, value: i32) {
    s.set_option(option, Some(&value.to_ne_bytes())).unwrap();
}

/// ZMQ_LAST_ENDPOINT, without its NUL.
pub fn last_endpoint(s: &mut Socket) -> String {
    let mut buf = [0u8; 256];
    let n = s.get_option(ZMQ_LAST_ENDPOINT, &mut buf).unwrap();
    String::from_utf8(buf[..n - 1].to_vec()).unwrap()
}
