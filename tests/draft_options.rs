//! The DRAFT options that speak for connections (ZMQ_ROUTER_NOTIFY, ZMQ_HELLO_MSG,
//! ZMQ_DISCONNECT_MSG), over tcp, through the core API. Draft build only: the default
//! build refuses them with EINVAL (checked in src/options/tests.rs).
#![cfg(feature = "draft")]

use zmq::constants::*;
use zmq::ctx::Ctx;
use zmq::msg::Msg;
use zmq::socket::Socket;

fn set(s: &mut Socket, option: i32, v: &[u8]) {
    s.set_option(option, Some(v)).unwrap();
}

fn recv_frames(s: &mut Socket) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let m = s.recv(0).unwrap();
        out.push(m.data().to_vec());
        if !m.more() {
            return out;
        }
    }
}

/// A socket that fails a test in 5 s rather than hanging it.
fn socket(ctx: &std::sync::Arc<Ctx>, kind: i32) -> Socket {
    let mut s = ctx.socket(kind).unwrap();
    set(&mut s, ZMQ_RCVTIMEO, &5000i32.to_ne_bytes());
    s
}

fn bind_tcp(s: &mut Socket) -> String {
    s.bind("tcp://127.0.0.1:*").unwrap();
    let mut buf = [0u8; 256];
    let n = s.get_option(ZMQ_LAST_ENDPOINT, &mut buf).unwrap();
    String::from_utf8(buf[..n - 1].to_vec()).unwrap()
}

#[test]
fn router_notify_reports_connect_and_disconnect_over_tcp() {
    let ctx = Ctx::new();
    let mut router = socket(&ctx, ZMQ_ROUTER);
    set(&mut router, ZMQ_ROUTER_NOTIFY, &(ZMQ_NOTIFY_CONNECT | ZMQ_NOTIFY_DISCONNECT).to_ne_bytes());
    let mut buf = [0u8; 4];
    router.get_option(ZMQ_ROUTER_NOTIFY, &mut buf).unwrap();
    assert_eq!(i32::from_ne_bytes(buf), 3);
    let ep = bind_tcp(&mut router);
    let mut dealer = socket(&ctx, ZMQ_DEALER);
    set(&mut dealer, ZMQ_ROUTING_ID, b"D1");
    dealer.connect(&ep).unwrap();
    assert_eq!(recv_frames(&mut router), vec![b"D1".to_vec(), vec![]]);
    dealer.send(&mut Msg::from_slice(b"hi"), 0).unwrap();
    assert_eq!(recv_frames(&mut router), vec![b"D1".to_vec(), b"hi".to_vec()]);
    drop(dealer);
    assert_eq!(recv_frames(&mut router), vec![b"D1".to_vec(), vec![]]);
}

#[test]
fn hello_msg_greets_and_disconnect_msg_reports_a_tcp_peer() {
    let ctx = Ctx::new();
    let mut router = socket(&ctx, ZMQ_ROUTER);
    set(&mut router, ZMQ_HELLO_MSG, b"H");
    set(&mut router, ZMQ_DISCONNECT_MSG, b"D");
    let ep = bind_tcp(&mut router);
    let mut dealer = socket(&ctx, ZMQ_DEALER);
    set(&mut dealer, ZMQ_ROUTING_ID, b"P");
    dealer.connect(&ep).unwrap();
    assert_eq!(recv_frames(&mut dealer), vec![b"H".to_vec()]);
    drop(dealer);
    assert_eq!(recv_frames(&mut router), vec![b"P".to_vec(), b"D".to_vec()]);
}
