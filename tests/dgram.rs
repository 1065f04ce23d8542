//! DGRAM through the core: two-part messages ("ip:port", body) over udp, both ways.

use std::time::Duration;
use zmq::constants::*;
use zmq::ctx::Ctx;
use zmq::error::Error;
use zmq::msg::Msg;
use zmq::socket::Socket;

fn free_udp_port() -> u16 {
    std::net::UdpSocket::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn dgram(ctx: &std::sync::Arc<Ctx>, port: u16) -> Socket {
    let mut s = ctx.socket(ZMQ_DGRAM).unwrap();
    s.set_option(ZMQ_RCVTIMEO, Some(&5000i32.to_ne_bytes())).unwrap();
    s.bind(&format!("udp://127.0.0.1:{port}")).unwrap();
    s
}

fn send_to(s: &mut Socket, address: &str, body: &[u8]) {
    s.send(&mut Msg::from_slice(address.as_bytes()), ZMQ_SNDMORE).unwrap();
    s.send(&mut Msg::from_slice(body), 0).unwrap();
}

/// (address, body) of the next datagram.
fn recv_from(s: &mut Socket) -> (String, Vec<u8>) {
    let a = s.recv(0).unwrap();
    assert!(a.more(), "the address frame comes first, with MORE");
    let b = s.recv(0).unwrap();
    assert!(!b.more());
    (String::from_utf8(a.data().to_vec()).unwrap(), b.data().to_vec())
}

#[test]
fn roundtrip_between_two_bound_sockets() {
    let ctx = Ctx::new();
    let (p1, p2) = (free_udp_port(), free_udp_port());
    let mut listener = dgram(&ctx, p1);
    let mut sender = dgram(&ctx, p2);
    send_to(&mut sender, &format!("127.0.0.1:{p1}"), b"Is someone there ?");
    let (from, body) = recv_from(&mut listener);
    assert_eq!((from.as_str(), &body[..]), (format!("127.0.0.1:{p2}").as_str(), &b"Is someone there ?"[..]));
    send_to(&mut listener, &from, b"Yes, there is !");
    let (from, body) = recv_from(&mut sender);
    assert_eq!((from, body), (format!("127.0.0.1:{p1}"), b"Yes, there is !".to_vec()));
}

#[test]
fn message_shape_and_protocol_rules() {
    let ctx = Ctx::new();
    let mut s = ctx.socket(ZMQ_DGRAM).unwrap();
    assert_eq!(s.connect("udp://127.0.0.1:5559"), Err(Error::NOCOMPATPROTO));
    let port = free_udp_port();
    s.bind(&format!("udp://127.0.0.1:{port}")).unwrap();
    // The address needs MORE; the body must not have it; neither error loses the turn.
    assert_eq!(s.send(&mut Msg::from_slice(b"body"), 0).err(), Some(Error::INVAL));
    s.send(&mut Msg::from_slice(format!("127.0.0.1:{port}").as_bytes()), ZMQ_SNDMORE).unwrap();
    assert_eq!(s.send(&mut Msg::from_slice(b"x"), ZMQ_SNDMORE).err(), Some(Error::INVAL));
    s.send(&mut Msg::from_slice(b"to myself"), 0).unwrap();
    // An address that is not numeric "ip:port" drops that datagram only.
    send_to(&mut s, "not an address", b"lost");
    send_to(&mut s, &format!("127.0.0.1:{port}"), b"again");
    s.set_option(ZMQ_RCVTIMEO, Some(&5000i32.to_ne_bytes())).unwrap();
    assert_eq!(recv_from(&mut s).1, b"to myself");
    assert_eq!(recv_from(&mut s).1, b"again");
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(s.recv(ZMQ_DONTWAIT).err(), Some(Error::AGAIN));
}
