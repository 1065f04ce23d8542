//! The draft zmq_ctx_set_ext/get_ext and zmq_socket_get_peer_state, through the core.

use zmq::constants::*;
use zmq::ctx::Ctx;
use zmq::error::Error;
use zmq::msg::Msg;

#[test]
fn context_options_as_bytes() {
    let ctx = Ctx::new();
    // A string option: up to 16 bytes, read back into a buffer of any other size than 4.
    ctx.set_ext(ZMQ_THREAD_NAME_PREFIX, b"MyPrefix9012345\0").unwrap();
    let mut buf = [0u8; 16];
    assert_eq!(ctx.get_ext(ZMQ_THREAD_NAME_PREFIX, &mut buf), Ok(16));
    assert_eq!(&buf, b"MyPrefix9012345\0");
    assert_eq!(ctx.set_ext(ZMQ_THREAD_NAME_PREFIX, &[b'x'; 17]), Err(Error::INVAL));
    // Ints are 4 bytes, as with zmq_ctx_set/get.
    ctx.set_ext(ZMQ_IO_THREADS, &2i32.to_ne_bytes()).unwrap();
    let mut int = [0u8; 4];
    ctx.get_ext(ZMQ_IO_THREADS, &mut int).unwrap();
    assert_eq!(i32::from_ne_bytes(int), 2);
    assert_eq!(ctx.get(ZMQ_IO_THREADS), Ok(2));
    assert_eq!(ctx.set_ext(ZMQ_IO_THREADS, &[1, 0]), Err(Error::INVAL));
    assert_eq!(ctx.set_ext(-1, &0i32.to_ne_bytes()), Err(Error::INVAL));
}

#[test]
fn peer_state_of_router_peers() {
    let ctx = Ctx::new();
    let mut router = ctx.socket(ZMQ_ROUTER).unwrap();
    router.set_option(ZMQ_SNDHWM, Some(&1i32.to_ne_bytes())).unwrap();
    router.bind("inproc://peer-state").unwrap();
    let mut dealer = ctx.socket(ZMQ_DEALER).unwrap();
    dealer.set_option(ZMQ_RCVHWM, Some(&1i32.to_ne_bytes())).unwrap();
    dealer.set_option(ZMQ_ROUTING_ID, Some(b"X")).unwrap();
    dealer.connect("inproc://peer-state").unwrap();
    dealer.send(&mut Msg::from_slice(b"hi"), 0).unwrap();
    assert_eq!(router.recv(0).unwrap().data(), b"X");
    assert_eq!(router.recv(0).unwrap().data(), b"hi");

    assert_eq!(router.peer_state(b"X"), Ok(ZMQ_POLLOUT as i32));
    assert_eq!(router.peer_state(b"nobody"), Err(Error::HOSTUNREACH));
    assert_eq!(dealer.peer_state(b"X"), Err(Error::NOTSUP));
    // Fill the peer's pipe (HWM 1 + 1 on inproc: send until EAGAIN-like refusal is seen).
    router.set_option(ZMQ_ROUTER_MANDATORY, Some(&1i32.to_ne_bytes())).unwrap();
    let mut sent = 0;
    while router.peer_state(b"X") == Ok(ZMQ_POLLOUT as i32) {
        router.send(&mut Msg::from_slice(b"X"), ZMQ_SNDMORE | ZMQ_DONTWAIT).unwrap();
        router.send(&mut Msg::from_slice(b"m"), ZMQ_DONTWAIT).unwrap();
        sent += 1;
        assert!(sent < 100, "the peer's pipe never filled");
    }
    assert_eq!(router.peer_state(b"X"), Ok(0));
    assert!(sent >= 1);
}

#[test]
fn groups_only_on_dish() {
    let ctx = Ctx::new();
    for kind in [ZMQ_PUB, ZMQ_SUB, ZMQ_SERVER, ZMQ_ROUTER] {
        let mut s = ctx.socket(kind).unwrap();
        assert_eq!(s.group(b"news", true), Err(Error::NOTSUP));
        assert_eq!(s.group(b"news", false), Err(Error::NOTSUP));
    }
}
