//! ZMQ_STREAM against plain std TCP peers: connect/disconnect notifications, raw bytes
//! both ways, closing a connection with an empty frame, routing ids, EHOSTUNREACH.

use zmq::constants::*;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::{Duration, Instant};
use zmq::ctx::Ctx;
use zmq::error::Error;
use zmq::msg::Msg;

use zmq::socket::Socket;

fn set_int(s: &mut Socket, option: i32, v: i32) {
    s.set_option(option, Some(&v.to_ne_bytes())).unwrap();
}

fn stream_socket(ctx: &std::sync::Arc<Ctx>) -> Socket {
    stream_socket_of(ctx, ZMQ_STREAM)
}

fn stream_socket_of(ctx: &std::sync::Arc<Ctx>, kind: i32) -> Socket {
    let mut s = ctx.socket(kind).unwrap();
    set_int(&mut s, ZMQ_RCVTIMEO, 5000);
    set_int(&mut s, ZMQ_LINGER, 0);
    s
}

fn last_endpoint(s: &mut Socket) -> String {
    let mut buf = [0u8; 256];
    let n = s.get_option(32, &mut buf).unwrap();
    String::from_utf8(buf[..n - 1].to_vec()).unwrap()
}

/// One STREAM message: (routing id, data). The id frame has MORE, the data frame not.
fn recv_pair(s: &mut Socket) -> (Vec<u8>, Msg) {
    let id = s.recv(0).expect("routing id frame");
    assert!(id.more(), "routing id frame without MORE");
    let data = s.recv(0).expect("data frame");
    assert!(!data.more(), "data frame with MORE");
    (id.data().to_vec(), data)
}

fn send_pair(s: &mut Socket, id: &[u8], data: &[u8]) -> Result<(), Error> {
    s.send(&mut Msg::from_slice(id), ZMQ_SNDMORE)?;
    s.send(&mut Msg::from_slice(data), 0)
}

fn read_exactly(peer: &mut TcpStream, n: usize) -> Vec<u8> {
    let mut buf = vec![0u8; n];
    peer.read_exact(&mut buf).unwrap();
    buf
}

fn tcp_peer(endpoint: &str) -> TcpStream {
    let peer = TcpStream::connect(endpoint.trim_start_matches("tcp://")).unwrap();
    peer.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    peer
}

/// A socket bound to a loopback port and a plain TCP peer connected to it.
fn bound_with_peer(ctx: &std::sync::Arc<Ctx>, kind: i32) -> (Socket, TcpStream) {
    let mut s = stream_socket_of(ctx, kind);
    s.bind("tcp://127.0.0.1:*").unwrap();
    let peer = tcp_peer(&last_endpoint(&mut s));
    (s, peer)
}

#[test]
fn bound_stream_talks_raw_tcp_and_closes_with_an_empty_frame() {
    let ctx = Ctx::new();
    let (mut stream, mut peer) = bound_with_peer(&ctx, ZMQ_STREAM);

    // Connect notification: a generated 5-byte id starting with 0, empty data.
    let (id, data) = recv_pair(&mut stream);
    assert_eq!(id.len(), 5);
    assert_eq!(id[0], 0);
    assert!(data.is_empty());

    peer.write_all(b"hello").unwrap();
    let (id2, data) = recv_pair(&mut stream);
    assert_eq!(id2, id);
    assert_eq!(data.data(), b"hello");
    let meta = data.metadata().expect("connection metadata");
    assert_eq!(meta.get("Peer-Address").unwrap().to_str().unwrap(), "127.0.0.1");

    send_pair(&mut stream, &id, b"world").unwrap();
    assert_eq!(read_exactly(&mut peer, 5), b"world");

    // An empty data frame closes the connection (after what was sent before it).
    send_pair(&mut stream, &id, b"bye").unwrap();
    send_pair(&mut stream, &id, b"").unwrap();
    let mut rest = Vec::new();
    peer.read_to_end(&mut rest).unwrap();
    assert_eq!(rest, b"bye");
}

#[test]
fn peer_disconnect_is_notified_and_its_id_becomes_unreachable() {
    let ctx = Ctx::new();
    let (mut stream, peer) = bound_with_peer(&ctx, ZMQ_STREAM);
    let (id, data) = recv_pair(&mut stream);
    assert!(data.is_empty());

    drop(peer);
    let (id2, data) = recv_pair(&mut stream);
    assert_eq!(id2, id);
    assert!(data.is_empty(), "disconnect notification");
    // The socket learns that the connection's pipe is closed right after (as libzmq's
    // does): from then on its id is unknown.
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        match send_pair(&mut stream, &id, b"x") {
            Err(Error::HOSTUNREACH) => break,
            Ok(()) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(5)),
            other => panic!("send to a disconnected peer: {other:?}"),
        }
    }
}

#[test]
fn unknown_routing_id_is_unreachable() {
    let ctx = Ctx::new();
    let mut stream = stream_socket(&ctx);
    stream.bind("tcp://127.0.0.1:*").unwrap();
    let r = stream.send(&mut Msg::from_slice(b"nobody"), ZMQ_SNDMORE);
    assert_eq!(r, Err(Error::HOSTUNREACH));
}

#[test]
fn connected_stream_without_notifications_uses_its_connect_routing_id() {
    let ctx = Ctx::new();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("tcp://{}", listener.local_addr().unwrap());
    let mut stream = stream_socket(&ctx);
    set_int(&mut stream, ZMQ_STREAM_NOTIFY, 0);
    stream.set_option(ZMQ_CONNECT_ROUTING_ID, Some(b"conn1")).unwrap();
    stream.connect(&endpoint).unwrap();
    // The pipe exists at connect: sending may start before the connection is up.
    send_pair(&mut stream, b"conn1", b"early").unwrap();
    let (mut server, _) = listener.accept().unwrap();
    server.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    assert_eq!(read_exactly(&mut server, 5), b"early");

    server.write_all(b"reply").unwrap();
    let (id, data) = recv_pair(&mut stream);
    assert_eq!(id, b"conn1");
    assert_eq!(data.data(), b"reply");
}

#[test]
fn connected_stream_reads_its_generated_id_from_routing_id() {
    let ctx = Ctx::new();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let mut stream = stream_socket(&ctx);
    stream.connect(&format!("tcp://{}", listener.local_addr().unwrap())).unwrap();
    let (mut server, _) = listener.accept().unwrap();
    server.set_read_timeout(Some(Duration::from_secs(5))).unwrap();

    let (id, data) = recv_pair(&mut stream);
    assert!(data.is_empty(), "connect notification");
    let mut buf = [0u8; 256];
    let n = stream.get_option(ZMQ_ROUTING_ID, &mut buf).unwrap();
    assert_eq!(&buf[..n], &id[..]);

    send_pair(&mut stream, &id, b"GET /\n\n").unwrap();
    assert_eq!(read_exactly(&mut server, 7), b"GET /\n\n");
}

#[test]
fn large_arrivals_come_in_chunks_that_add_up() {
    let ctx = Ctx::new();
    let (mut stream, mut peer) = bound_with_peer(&ctx, ZMQ_STREAM);
    let (id, _) = recv_pair(&mut stream);
    let sent: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
    peer.write_all(&sent).unwrap();
    let mut got = Vec::new();
    while got.len() < sent.len() {
        let (id2, data) = recv_pair(&mut stream);
        assert_eq!(id2, id);
        assert!(!data.is_empty());
        got.extend_from_slice(data.data());
    }
    assert_eq!(got, sent);
}

#[test]
fn router_raw_is_a_router_over_raw_tcp() {
    let ctx = Ctx::new();
    let mut router = stream_socket_of(&ctx, ZMQ_ROUTER);
    set_int(&mut router, ZMQ_ROUTER_RAW, 1);
    router.bind("tcp://127.0.0.1:*").unwrap();
    let mut peer = tcp_peer(&last_endpoint(&mut router));
    let (id, data) = recv_pair(&mut router);
    assert_eq!((id.len(), id[0]), (5, 0));
    assert!(data.is_empty(), "connect notification");

    peer.write_all(b"raw in").unwrap();
    let (_, data) = recv_pair(&mut router);
    assert_eq!(data.data(), b"raw in");
    send_pair(&mut router, &id, b"raw out").unwrap();
    assert_eq!(read_exactly(&mut peer, 7), b"raw out");
    send_pair(&mut router, &id, b"").unwrap();
    let mut rest = Vec::new();
    peer.read_to_end(&mut rest).unwrap();
    assert!(rest.is_empty());
}
