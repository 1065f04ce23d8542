//! The socket patterns over tcp and ipc through the I/O threads, via the core API.

use zmq::constants::*;
use zmq::ctx::Ctx;
use zmq::msg::Msg;
use zmq::socket::Socket;

fn send(s: &mut Socket, data: &[u8], flags: i32) {
    s.send(&mut Msg::from_slice(data), flags).unwrap();
}

fn recv(s: &mut Socket) -> Vec<u8> {
    s.recv(0).unwrap().data().to_vec()
}

fn last_endpoint(s: &mut Socket) -> String {
    let mut buf = [0u8; 256];
    let n = s.get_option(32, &mut buf).unwrap();
    String::from_utf8(buf[..n - 1].to_vec()).unwrap()
}

fn with_timeout(s: &mut Socket) {
    s.set_option(27, Some(&5000i32.to_ne_bytes())).unwrap();
}

#[test]
fn push_pull_tcp_many_and_large() {
    let ctx = Ctx::new();
    let mut pull = ctx.socket(ZMQ_PULL).unwrap();
    with_timeout(&mut pull);
    pull.bind("tcp://127.0.0.1:*").unwrap();
    let ep = last_endpoint(&mut pull);
    assert!(ep.starts_with("tcp://127.0.0.1:"), "{ep}");
    let mut push = ctx.socket(ZMQ_PUSH).unwrap();
    push.connect(&ep).unwrap();
    for i in 0..20_000u32 {
        send(&mut push, &i.to_le_bytes(), 0);
    }
    send(&mut push, &vec![9u8; 1 << 20], ZMQ_SNDMORE);
    send(&mut push, b"", 0);
    for i in 0..20_000u32 {
        assert_eq!(recv(&mut pull), i.to_le_bytes());
    }
    assert_eq!(recv(&mut pull), vec![9u8; 1 << 20]);
    assert!(pull.rcvmore());
    assert_eq!(recv(&mut pull), b"");
    drop(push);
    drop(pull);
    ctx.terminate();
}

#[test]
fn req_rep_and_router_over_ipc() {
    let ctx = Ctx::new();
    let path = format!("ipc:///tmp/zmq-oxide-test-{}", std::process::id());
    let mut router = ctx.socket(ZMQ_ROUTER).unwrap();
    with_timeout(&mut router);
    router.bind(&path).unwrap();
    let mut req = ctx.socket(ZMQ_REQ).unwrap();
    with_timeout(&mut req);
    req.set_option(5, Some(b"client")).unwrap();
    req.connect(&path).unwrap();
    send(&mut req, b"ping", 0);
    assert_eq!(recv(&mut router), b"client");
    assert_eq!(recv(&mut router), b"");
    assert_eq!(recv(&mut router), b"ping");
    send(&mut router, b"client", ZMQ_SNDMORE);
    send(&mut router, b"", ZMQ_SNDMORE);
    send(&mut router, b"pong", 0);
    assert_eq!(recv(&mut req), b"pong");
    drop(req);
    drop(router);
    ctx.terminate();
}

#[test]
fn pub_sub_tcp_filtering() {
    let ctx = Ctx::new();
    let mut publ = ctx.socket(ZMQ_PUB).unwrap();
    publ.bind("tcp://127.0.0.1:*").unwrap();
    let ep = last_endpoint(&mut publ);
    let mut sub = ctx.socket(ZMQ_SUB).unwrap();
    with_timeout(&mut sub);
    sub.set_option(6, Some(b"A")).unwrap();
    sub.connect(&ep).unwrap();
    // Wait for the subscription to reach the publisher (slow joiner).
    loop {
        send(&mut publ, b"Ahello", 0);
        if sub.recv(ZMQ_DONTWAIT).is_ok() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    for m in [&b"A1"[..], b"B1", b"AB"] {
        send(&mut publ, m, 0);
    }
    // Skip the sync messages still in flight; then only A-prefixed ones, in order.
    let mut got = recv(&mut sub);
    while got == b"Ahello" {
        got = recv(&mut sub);
    }
    assert_eq!(got, b"A1");
    assert_eq!(recv(&mut sub), b"AB");
    drop(sub);
    drop(publ);
    ctx.terminate();
}

#[test]
fn linger_bounds_term_with_unsent_messages() {
    let ctx = Ctx::new();
    let mut push = ctx.socket(ZMQ_PUSH).unwrap();
    push.set_option(17, Some(&300i32.to_ne_bytes())).unwrap();
    push.connect("tcp://127.0.0.1:1").unwrap(); // nothing listens there
    send(&mut push, b"ping", 0);
    std::thread::sleep(std::time::Duration::from_millis(100));
    let t0 = std::time::Instant::now();
    drop(push);
    ctx.terminate();
    let took = t0.elapsed();
    assert!(took < std::time::Duration::from_secs(5), "term took {took:?}");
}

/// A peer that sends its whole conversation and hangs up at once (as a forked child or a
/// short-lived script does): every message it sent must still reach the socket.
#[test]
fn messages_from_a_peer_that_hangs_up_at_once_are_delivered() {
    use std::io::{Read, Write};
    let ctx = Ctx::new();
    let mut pull = ctx.socket(ZMQ_PULL).unwrap();
    with_timeout(&mut pull);
    pull.bind("tcp://127.0.0.1:*").unwrap();
    let addr = last_endpoint(&mut pull).trim_start_matches("tcp://").to_string();
    for round in 0..20 {
        // ZMTP 3.0 greeting (NULL), READY as a PUSH, then five messages, in one write.
        let mut wire = vec![0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0x7f, 3, 0];
        wire.extend_from_slice(b"NULL");
        wire.resize(64, 0);
        let mut ready = b"\x05READY\x0bSocket-Type".to_vec();
        ready.extend_from_slice(&4u32.to_be_bytes());
        ready.extend_from_slice(b"PUSH");
        wire.extend_from_slice(&[0x04, ready.len() as u8]);
        wire.extend_from_slice(&ready);
        for i in 0..5u8 {
            wire.extend_from_slice(&[0, 2, round, i]);
        }
        let mut peer = std::net::TcpStream::connect(&addr).unwrap();
        peer.write_all(&wire).unwrap();
        peer.shutdown(std::net::Shutdown::Write).unwrap();
        for i in 0..5u8 {
            assert_eq!(recv(&mut pull), [round, i], "round {round}");
        }
        // The library closes its side once it has seen ours end.
        let mut rest = Vec::new();
        let _ = peer.read_to_end(&mut rest);
    }
    drop(pull);
    ctx.terminate();
}

/// ZMQ_SNDHWM changed between sends on a live tcp PUSH, one thread, each message received
/// before the next is sent: the I/O session has always drained the pipe, so no send may
/// wait. Before the fix, a lowered HWM stranded the sender (its pipe's reader had published
/// its count only at the old low-water mark) within a few hundred sends.
#[test]
fn sndhwm_changes_between_sends_never_stall_a_push() {
    let ctx = Ctx::new();
    let mut pull = ctx.socket(ZMQ_PULL).unwrap();
    with_timeout(&mut pull);
    pull.bind("tcp://127.0.0.1:*").unwrap();
    let ep = last_endpoint(&mut pull);
    let mut push = ctx.socket(ZMQ_PUSH).unwrap();
    push.set_option(28, Some(&5000i32.to_ne_bytes())).unwrap(); // ZMQ_SNDTIMEO
    push.connect(&ep).unwrap();
    let hwms = [1000i32, 1, 50, 2, 7, 0, 3, 400, 1];
    for i in 0..3000u32 {
        let hwm = hwms[i as usize % hwms.len()];
        push.set_option(23, Some(&hwm.to_ne_bytes())).unwrap(); // ZMQ_SNDHWM
        let sent = push.send(&mut Msg::from_slice(&i.to_le_bytes()), 0);
        assert!(sent.is_ok(), "send {i} (SNDHWM {hwm}) stalled: {sent:?}");
        assert_eq!(recv(&mut pull), i.to_le_bytes());
    }
    drop(push);
    drop(pull);
    ctx.terminate();
}

/// Received messages refer to the read buffer they arrived in (no copy): each must keep
/// its own bytes while later reads arrive, however many are kept, over tcp and ipc.
#[test]
fn received_messages_keep_their_bytes_across_reads() {
    let ctx = Ctx::new();
    let ipc = format!("ipc:///tmp/zmq-oxide-keep-{}", std::process::id());
    for endpoint in ["tcp://127.0.0.1:*", ipc.as_str()] {
        let mut pull = ctx.socket(ZMQ_PULL).unwrap();
        with_timeout(&mut pull);
        pull.bind(endpoint).unwrap();
        let ep = last_endpoint(&mut pull);
        let mut push = ctx.socket(ZMQ_PUSH).unwrap();
        push.connect(&ep).unwrap();
        let body = |i: usize| -> Vec<u8> { (0..33 + i % 1200).map(|k| (i * 7 + k) as u8).collect() };
        let n = 6000;
        let sender = std::thread::spawn(move || {
            for i in 0..n {
                push.send(&mut Msg::from_slice(&body(i)), if i % 3 == 0 { ZMQ_SNDMORE } else { 0 }).unwrap();
            }
            push
        });
        let mut kept: Vec<Msg> = (0..n).map(|_| pull.recv(0).unwrap()).collect();
        let push = sender.join().unwrap();
        for (i, m) in kept.iter().enumerate() {
            assert_eq!(m.data(), &body(i)[..], "message {i} over {endpoint}");
            assert_eq!(m.more(), i % 3 == 0);
            assert!(!m.is_shared(), "as libzmq, a received message is not shared until copied");
        }
        // zmq_msg_copy: marks the original, and the copy shares its bytes.
        kept[n - 1].mark_copied();
        let copy = kept[n - 1].clone();
        assert!(copy.is_shared() && copy.data().as_ptr() == kept[n - 1].data().as_ptr());
        drop(kept);
        assert_eq!(copy.data(), &body(n - 1)[..]);
        drop((push, pull));
    }
    ctx.terminate();
}
