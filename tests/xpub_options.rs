//! PUB/XPUB/SUB/XSUB options through the core API: XPUB_VERBOSE/VERBOSER, XPUB_MANUAL
//! (+ LAST_VALUE), XPUB_WELCOME_MSG, INVERT_MATCHING, ONLY_FIRST_SUBSCRIBE, and how
//! subscriptions travel on the wire (ZMTP 3.1 SUBSCRIBE command vs 3.0 message).

use zmq::constants::*;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::time::Duration;
use zmq::ctx::Ctx;
use zmq::error::Error;
use zmq::msg::Msg;
use zmq::socket::Socket;

fn send(s: &mut Socket, data: &[u8], flags: i32) {
    let mut m = Msg::from_slice(data);
    s.send(&mut m, flags).unwrap();
}

fn recv(s: &mut Socket) -> Vec<u8> {
    s.recv(0).unwrap().data().to_vec()
}

fn nothing(s: &mut Socket) {
    assert_eq!(s.recv(ZMQ_DONTWAIT).unwrap_err(), Error::AGAIN);
}

fn set_int(s: &mut Socket, opt: i32, v: i32) {
    s.set_option(opt, Some(&v.to_ne_bytes())).unwrap();
}

fn timeouts(s: &mut Socket) {
    set_int(s, ZMQ_RCVTIMEO, 5000);
    set_int(s, ZMQ_SNDTIMEO, 5000);
}

fn xpub_with(ctx: &Arc<Ctx>, ep: &str) -> Socket {
    let mut p = ctx.socket(ZMQ_XPUB).unwrap();
    timeouts(&mut p);
    p.bind(ep).unwrap();
    p
}

fn sub_to(ctx: &Arc<Ctx>, kind: i32, ep: &str) -> Socket {
    let mut s = ctx.socket(kind).unwrap();
    timeouts(&mut s);
    s.connect(ep).unwrap();
    s
}

#[test]
fn xpub_filters_duplicates_unless_verbose() {
    let ctx = Ctx::new();
    let mut xpub = xpub_with(&ctx, "inproc://verbose");
    let mut s0 = sub_to(&ctx, ZMQ_SUB, "inproc://verbose");
    let mut s1 = sub_to(&ctx, ZMQ_SUB, "inproc://verbose");
    s0.set_option(ZMQ_SUBSCRIBE, Some(b"A")).unwrap();
    assert_eq!(recv(&mut xpub), b"\x01A");
    // Same topic again from the same peer, then from another: no news.
    s0.set_option(ZMQ_SUBSCRIBE, Some(b"A")).unwrap();
    s1.set_option(ZMQ_SUBSCRIBE, Some(b"A")).unwrap();
    nothing(&mut xpub);
    set_int(&mut xpub, ZMQ_XPUB_VERBOSE, 1);
    s1.set_option(ZMQ_SUBSCRIBE, Some(b"A")).unwrap();
    assert_eq!(recv(&mut xpub), b"\x01A");
    // Per peer a subscription is a set: s1's one unsubscription ends it (its SUB counts
    // two references, so it takes two there), but s0 still has A: quiet without VERBOSER.
    s1.set_option(ZMQ_UNSUBSCRIBE, Some(b"A")).unwrap();
    s1.set_option(ZMQ_UNSUBSCRIBE, Some(b"A")).unwrap();
    s1.set_option(ZMQ_UNSUBSCRIBE, Some(b"A")).unwrap();
    nothing(&mut xpub);
    send(&mut xpub, b"A1", 0);
    assert_eq!(recv(&mut s0), b"A1");
    nothing(&mut s1);
    // VERBOSER: every unsubscription is passed up.
    set_int(&mut xpub, ZMQ_XPUB_VERBOSER, 1);
    s1.set_option(ZMQ_SUBSCRIBE, Some(b"A")).unwrap();
    assert_eq!(recv(&mut xpub), b"\x01A");
    s1.set_option(ZMQ_UNSUBSCRIBE, Some(b"A")).unwrap();
    assert_eq!(recv(&mut xpub), b"\x00A");
    // A peer going away unsubscribes, VERBOSER or not, when it was the last.
    set_int(&mut xpub, ZMQ_XPUB_VERBOSE, 0);
    drop(s0);
    assert_eq!(recv(&mut xpub), b"\x00A");
    nothing(&mut xpub);
}

#[test]
fn xpub_verboser_tells_each_departing_peer() {
    let ctx = Ctx::new();
    let mut xpub = xpub_with(&ctx, "inproc://verboser-close");
    set_int(&mut xpub, ZMQ_XPUB_VERBOSER, 1);
    let mut s0 = sub_to(&ctx, ZMQ_SUB, "inproc://verboser-close");
    let mut s1 = sub_to(&ctx, ZMQ_SUB, "inproc://verboser-close");
    s0.set_option(ZMQ_SUBSCRIBE, Some(b"T")).unwrap();
    s1.set_option(ZMQ_SUBSCRIBE, Some(b"T")).unwrap();
    assert_eq!(recv(&mut xpub), b"\x01T");
    assert_eq!(recv(&mut xpub), b"\x01T");
    drop(s0);
    assert_eq!(recv(&mut xpub), b"\x00T");
    drop(s1);
    assert_eq!(recv(&mut xpub), b"\x00T");
}

#[test]
fn xpub_manual_applies_what_the_application_says() {
    let ctx = Ctx::new();
    let mut xpub = xpub_with(&ctx, "inproc://manual");
    set_int(&mut xpub, ZMQ_XPUB_MANUAL, 1);
    let mut xsub = sub_to(&ctx, ZMQ_XSUB, "inproc://manual");
    send(&mut xsub, b"\x01A", 0);
    send(&mut xsub, b"\x01B", 0);
    assert_eq!(recv(&mut xpub), b"\x01A");
    xpub.set_option(ZMQ_SUBSCRIBE, Some(b"XA")).unwrap();
    assert_eq!(recv(&mut xpub), b"\x01B");
    xpub.set_option(ZMQ_SUBSCRIBE, Some(b"XB")).unwrap();
    // Duplicates are all passed up in manual mode.
    send(&mut xsub, b"\x01B", 0);
    assert_eq!(recv(&mut xpub), b"\x01B");
    send(&mut xsub, b"\x00A", 0);
    assert_eq!(recv(&mut xpub), b"\x00A");
    xpub.set_option(ZMQ_UNSUBSCRIBE, Some(b"XA")).unwrap();
    for m in [&b"A"[..], b"B", b"XA", b"XB"] {
        send(&mut xpub, m, 0);
    }
    assert_eq!(recv(&mut xsub), b"XB");
    nothing(&mut xsub);
    // The peer goes: one unsubscription per topic it still had asked for.
    drop(xsub);
    assert_eq!(recv(&mut xpub), b"\x00B");
    nothing(&mut xpub);
    // No peer to apply it to now: ignored.
    xpub.set_option(ZMQ_UNSUBSCRIBE, Some(b"XB")).unwrap();
}

#[test]
fn xpub_manual_targets_the_peer_of_the_last_subscription() {
    let ctx = Ctx::new();
    let mut xpub = xpub_with(&ctx, "inproc://manual2");
    set_int(&mut xpub, ZMQ_XPUB_MANUAL, 1);
    let mut a = sub_to(&ctx, ZMQ_SUB, "inproc://manual2");
    a.set_option(ZMQ_SUBSCRIBE, Some(b"a")).unwrap();
    assert_eq!(recv(&mut xpub), b"\x01a");
    xpub.set_option(ZMQ_SUBSCRIBE, Some(b"")).unwrap(); // a gets everything
    let mut b = sub_to(&ctx, ZMQ_SUB, "inproc://manual2");
    b.set_option(ZMQ_SUBSCRIBE, Some(b"b")).unwrap();
    assert_eq!(recv(&mut xpub), b"\x01b");
    xpub.set_option(ZMQ_SUBSCRIBE, Some(b"b")).unwrap(); // b gets b*
    send(&mut xpub, b"a1", 0);
    send(&mut xpub, b"b1", 0);
    // b1 reaches a's pipe too (subscribed to everything), where a's SUB drops it.
    assert_eq!(recv(&mut a), b"a1");
    nothing(&mut a);
    assert_eq!(recv(&mut b), b"b1");
    nothing(&mut b);
}

#[test]
fn xpub_manual_last_value_sends_to_the_new_subscriber_only() {
    let ctx = Ctx::new();
    let mut xpub = xpub_with(&ctx, "inproc://lastvalue");
    set_int(&mut xpub, ZMQ_XPUB_MANUAL_LAST_VALUE, 1);
    let mut a = sub_to(&ctx, ZMQ_SUB, "inproc://lastvalue");
    a.set_option(ZMQ_SUBSCRIBE, Some(b"t")).unwrap();
    assert_eq!(recv(&mut xpub), b"\x01t");
    xpub.set_option(ZMQ_SUBSCRIBE, Some(b"t")).unwrap();
    send(&mut xpub, b"t-last", 0);
    assert_eq!(recv(&mut a), b"t-last");
    let mut b = sub_to(&ctx, ZMQ_SUB, "inproc://lastvalue");
    b.set_option(ZMQ_SUBSCRIBE, Some(b"t")).unwrap();
    assert_eq!(recv(&mut xpub), b"\x01t");
    xpub.set_option(ZMQ_SUBSCRIBE, Some(b"t")).unwrap();
    // The first message after a subscription goes to its peer only, then to everyone.
    send(&mut xpub, b"t-snapshot", 0);
    send(&mut xpub, b"t-update", 0);
    assert_eq!(recv(&mut b), b"t-snapshot");
    assert_eq!(recv(&mut b), b"t-update");
    assert_eq!(recv(&mut a), b"t-update");
    nothing(&mut a);
}

#[test]
fn xpub_passes_user_messages_up_with_their_frames() {
    let ctx = Ctx::new();
    let mut xpub = xpub_with(&ctx, "inproc://user");
    let mut xsub = sub_to(&ctx, ZMQ_XSUB, "inproc://user");
    send(&mut xsub, b"\x02A", 0);
    assert_eq!(recv(&mut xpub), b"\x02A");
    send(&mut xsub, b"hello", ZMQ_SNDMORE);
    send(&mut xsub, b"world", 0);
    assert_eq!(recv(&mut xpub), b"hello");
    assert!(xpub.rcvmore());
    assert_eq!(recv(&mut xpub), b"world");
    assert!(!xpub.rcvmore());
}

#[test]
fn only_first_subscribe() {
    let ctx = Ctx::new();
    let mut xpub = ctx.socket(ZMQ_XPUB).unwrap();
    timeouts(&mut xpub);
    set_int(&mut xpub, ZMQ_ONLY_FIRST_SUBSCRIBE, 1);
    xpub.bind("inproc://ofs").unwrap();
    let mut xsub = sub_to(&ctx, ZMQ_XSUB, "inproc://ofs");
    set_int(&mut xsub, ZMQ_ONLY_FIRST_SUBSCRIBE, 1);
    // A user message whose later frame starts with 1 stays a user message.
    send(&mut xsub, b"ABC", ZMQ_SNDMORE);
    send(&mut xsub, b"\x01BC", 0);
    assert_eq!(recv(&mut xpub), b"ABC");
    assert_eq!(recv(&mut xpub), b"\x01BC");
    // A message starting with a subscription is subscriptions throughout.
    send(&mut xsub, b"\x01BC", ZMQ_SNDMORE);
    send(&mut xsub, b"\x01CD", 0);
    assert_eq!(recv(&mut xpub), b"\x01BC");
    assert_eq!(recv(&mut xpub), b"\x01CD");
    send(&mut xpub, b"CDE", 0);
    assert_eq!(recv(&mut xsub), b"CDE");
}

#[test]
fn welcome_message_on_attach() {
    let ctx = Ctx::new();
    let mut xpub = xpub_with(&ctx, "inproc://welcome");
    xpub.set_option(ZMQ_XPUB_WELCOME_MSG, Some(b"W")).unwrap();
    let mut sub = ctx.socket(ZMQ_SUB).unwrap();
    timeouts(&mut sub);
    sub.set_option(ZMQ_SUBSCRIBE, Some(b"W")).unwrap();
    sub.connect("inproc://welcome").unwrap();
    assert_eq!(recv(&mut xpub), b"\x01W");
    assert_eq!(recv(&mut sub), b"W");
    // Cleared: later peers get nothing.
    xpub.set_option(ZMQ_XPUB_WELCOME_MSG, None).unwrap();
    let mut xsub = sub_to(&ctx, ZMQ_XSUB, "inproc://welcome");
    send(&mut xsub, b"\x01", 0);
    assert_eq!(recv(&mut xpub), b"\x01");
    send(&mut xpub, b"after", 0);
    assert_eq!(recv(&mut xsub), b"after");
    nothing(&mut xsub);
    nothing(&mut sub);
}

#[test]
fn invert_matching_on_both_sides() {
    let ctx = Ctx::new();
    let mut publ = ctx.socket(ZMQ_PUB).unwrap();
    publ.bind("inproc://invert").unwrap();
    let mut s1 = sub_to(&ctx, ZMQ_SUB, "inproc://invert");
    let mut s2 = sub_to(&ctx, ZMQ_SUB, "inproc://invert");
    s1.set_option(ZMQ_SUBSCRIBE, Some(b"prefix1")).unwrap();
    s2.set_option(ZMQ_SUBSCRIBE, Some(b"p2")).unwrap();
    for s in [&mut publ, &mut s1, &mut s2] {
        set_int(s, ZMQ_INVERT_MATCHING, 1);
    }
    send(&mut publ, b"prefix1", 0);
    send(&mut publ, b"p2", 0);
    assert_eq!(recv(&mut s2), b"prefix1");
    nothing(&mut s2);
    assert_eq!(recv(&mut s1), b"p2");
    nothing(&mut s1);
}

/// Reads exactly `n` bytes.
fn read_n(s: &mut TcpStream, n: usize) -> Vec<u8> {
    let mut b = vec![0u8; n];
    s.read_exact(&mut b).unwrap();
    b
}

/// Handshake as a NULL-mechanism ZMTP 3.`minor` PUB peer of a bound SUB; returns the stream.
fn mock_pub(ep: &str, minor: u8) -> TcpStream {
    let addr = ep.trim_start_matches("tcp://");
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut greeting = [0u8; 64];
    greeting[0] = 0xff;
    greeting[9] = 0x7f;
    greeting[10] = 3;
    greeting[11] = minor;
    greeting[12..16].copy_from_slice(b"NULL");
    s.write_all(&greeting).unwrap();
    read_n(&mut s, 64);
    let mut ready = vec![4u8, 0, 5];
    ready.extend_from_slice(b"READY");
    ready.push(11);
    ready.extend_from_slice(b"Socket-Type");
    ready.extend_from_slice(&3u32.to_be_bytes());
    ready.extend_from_slice(b"PUB");
    ready[1] = (ready.len() - 2) as u8;
    s.write_all(&ready).unwrap();
    // The SUB's READY: command flag, size, then the body.
    let head = read_n(&mut s, 2);
    assert_eq!(head[0], 4);
    read_n(&mut s, head[1] as usize);
    s
}

#[test]
fn sub_sends_subscribe_command_to_zmtp_3_1_and_message_to_3_0() {
    for (minor, expect) in [(1u8, &b"\x04\x0b\x09SUBSCRIBEA"[..]), (0, b"\x00\x02\x01A")] {
        let ctx = Ctx::new();
        let mut sub = ctx.socket(ZMQ_SUB).unwrap();
        timeouts(&mut sub);
        sub.bind("tcp://127.0.0.1:*").unwrap();
        let mut ep = [0u8; 256];
        let n = sub.get_option(ZMQ_LAST_ENDPOINT, &mut ep).unwrap();
        let ep = std::str::from_utf8(&ep[..n]).unwrap().trim_end_matches('\0').to_string();
        sub.set_option(ZMQ_SUBSCRIBE, Some(b"A")).unwrap();
        let mut s = mock_pub(&ep, minor);
        // Let the SUB take the new pipe (and replay its subscriptions to it): it does so
        // when the application calls it.
        s.set_read_timeout(Some(Duration::from_millis(20))).unwrap();
        for _ in 0..250 {
            let _ = sub.recv(ZMQ_DONTWAIT);
            if s.peek(&mut [0u8; 1]).is_ok() {
                break;
            }
        }
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        assert_eq!(read_n(&mut s, expect.len()), expect, "ZMTP 3.{minor}");
        s.write_all(b"\x00\x04ALOL").unwrap();
        assert_eq!(recv(&mut sub), b"ALOL");
    }
}
