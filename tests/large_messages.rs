//! Large multi-part messages over tcp and ipc, whose bodies the receiving engine reads
//! from the socket straight into the message: every byte arrives, in order, with its
//! MORE flags; ZMQ_MAXMSGSIZE still refuses an oversized frame; a peer that goes away in
//! the middle of a body leaves the socket working.

mod common;

use common::sockets::{last_endpoint, set_int};
use std::io::Write;
use std::net::TcpStream;
use zmq::constants::*;
use zmq::ctx::Ctx;
use zmq::msg::Msg;
use zmq::socket::Socket;

/// A body of `len` bytes that differs from every other (seed) and at every offset.
fn body(len: usize, seed: u8) -> Vec<u8> {
    (0..len).map(|i| (i as u32).wrapping_mul(2_654_435_761).rotate_left(seed as u32 % 32) as u8 ^ seed).collect()
}

fn send(s: &mut Socket, data: &[u8], more: bool) {
    s.send(&mut Msg::from_slice(data), if more { ZMQ_SNDMORE } else { 0 }).unwrap();
}

/// Receives one message's parts, checking MORE on each.
fn recv_parts(s: &mut Socket) -> Vec<Vec<u8>> {
    let mut parts = Vec::new();
    loop {
        let msg = s.recv(0).unwrap();
        parts.push(msg.data().to_vec());
        if !msg.more() {
            return parts;
        }
    }
}

fn endpoints() -> Vec<String> {
    vec!["tcp://127.0.0.1:*".into(), format!("ipc:///tmp/zmq-oxide-large-{}", std::process::id())]
}

/// Messages whose parts straddle reads in every way: sizes around the 64 KiB read
/// buffer, several MiB, beyond the 8 MiB allocated whole at the header, short ones.
fn messages() -> Vec<Vec<Vec<u8>>> {
    let sizes: &[&[usize]] = &[
        &[1 << 20, 3 << 20, 17],
        &[5],
        &[65536, 65535, 65537, 0],
        &[17, 1 << 20],
        &[9 << 20],
        &[100, 200, 70_000, 3],
        &[3 << 20, 1 << 20, 17],
    ];
    let mut seed = 0u8;
    sizes
        .iter()
        .map(|parts| {
            parts
                .iter()
                .map(|&len| {
                    seed = seed.wrapping_add(1);
                    body(len, seed)
                })
                .collect()
        })
        .collect()
}

#[test]
fn large_multipart_messages_arrive_intact() {
    for ep in endpoints() {
        let ctx = Ctx::new();
        let mut pull = ctx.socket(ZMQ_PULL).unwrap();
        set_int(&mut pull, ZMQ_RCVTIMEO, 10_000);
        pull.bind(&ep).unwrap();
        let ep = last_endpoint(&mut pull);
        let mut push = ctx.socket(ZMQ_PUSH).unwrap();
        push.connect(&ep).unwrap();
        let msgs = messages();
        for round in 0..3 {
            for m in &msgs {
                for (i, part) in m.iter().enumerate() {
                    send(&mut push, part, i + 1 < m.len());
                }
            }
            for (n, m) in msgs.iter().enumerate() {
                let got = recv_parts(&mut pull);
                let lens = |v: &Vec<Vec<u8>>| v.iter().map(Vec::len).collect::<Vec<_>>();
                assert_eq!(lens(&got), lens(m), "{ep} round {round} message {n}");
                assert!(got == *m, "{ep} round {round} message {n}: bytes differ");
            }
        }
        drop(push);
        drop(pull);
        ctx.terminate();
    }
}

#[test]
fn maxmsgsize_refuses_a_large_frame() {
    for ep in endpoints() {
        let ctx = Ctx::new();
        let mut pull = ctx.socket(ZMQ_PULL).unwrap();
        set_int(&mut pull, ZMQ_RCVTIMEO, 10_000);
        pull.set_option(ZMQ_MAXMSGSIZE, Some(&(2i64 << 20).to_ne_bytes())).unwrap();
        pull.bind(&ep).unwrap();
        let ep = last_endpoint(&mut pull);
        let mut push = ctx.socket(ZMQ_PUSH).unwrap();
        set_int(&mut push, ZMQ_LINGER, 0);
        push.connect(&ep).unwrap();
        let fits = body(2 << 20, 1);
        send(&mut push, &fits, true);
        send(&mut push, &fits[..1 << 20], false);
        assert_eq!(recv_parts(&mut pull), vec![fits.clone(), fits[..1 << 20].to_vec()], "{ep}");
        // One byte over: the connection is dropped at the header, nothing is delivered.
        send(&mut push, &body((2 << 20) + 1, 2), false);
        set_int(&mut pull, ZMQ_RCVTIMEO, 500);
        assert_eq!(pull.recv(0).unwrap_err().errno(), libc::EAGAIN, "{ep}: the oversized message came through");
        drop(push);
        drop(pull);
        ctx.terminate();
    }
}

#[test]
fn peer_gone_mid_body_leaves_the_socket_working() {
    let ctx = Ctx::new();
    let mut pull = ctx.socket(ZMQ_PULL).unwrap();
    set_int(&mut pull, ZMQ_RCVTIMEO, 10_000);
    pull.bind("tcp://127.0.0.1:*").unwrap();
    let ep = last_endpoint(&mut pull);
    let addr = ep.trim_start_matches("tcp://");
    for announced in [1u64 << 20, 20 << 20] {
        // A raw ZMTP 3.1 PUSH peer: greeting, READY, then a frame cut off in its body.
        let mut raw = TcpStream::connect(addr).unwrap();
        let mut wire = vec![0xFF, 0, 0, 0, 0, 0, 0, 0, 1, 0x7F, 3, 1];
        wire.extend_from_slice(b"NULL");
        wire.resize(64, 0);
        let ready = b"\x05READY\x0bSocket-Type\x00\x00\x00\x04PUSH";
        wire.extend_from_slice(&[0x04, ready.len() as u8]);
        wire.extend_from_slice(ready);
        wire.push(0x02);
        wire.extend_from_slice(&announced.to_be_bytes());
        wire.extend_from_slice(&body(300_000, 3));
        raw.write_all(&wire).unwrap();
        std::thread::sleep(std::time::Duration::from_millis(100));
        drop(raw);
    }
    // The socket still takes whole messages from a well-behaved peer.
    let mut push = ctx.socket(ZMQ_PUSH).unwrap();
    push.connect(&ep).unwrap();
    let big = body(2 << 20, 4);
    send(&mut push, &big, false);
    assert!(recv_parts(&mut pull) == vec![big]);
    drop(push);
    drop(pull);
    ctx.terminate();
}
