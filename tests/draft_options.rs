//! The DRAFT options that speak for connections (ZMQ_ROUTER_NOTIFY, ZMQ_HELLO_MSG,
//! ZMQ_DISCONNECT_MSG) over tcp and inproc, and those that tune them (ZMQ_PRIORITY,
//! ZMQ_IN_BATCH_SIZE, ZMQ_OUT_BATCH_SIZE), through the core API. Draft build only
//! (`cargo test --release --features draft --test draft_options`, run by ci/test-all):
//! the default build refuses them with EINVAL (checked in src/options/tests.rs).
#![cfg(feature = "draft")]

use std::io::{Read, Write};
use zmq::constants::*;
use zmq::ctx::Ctx;
use zmq::error::Error;
use zmq::msg::Msg;
use zmq::socket::Socket;

fn set(s: &mut Socket, option: i32, v: &[u8]) {
    s.set_option(option, Some(v)).unwrap();
}

fn set_int(s: &mut Socket, option: i32, v: i32) {
    set(s, option, &v.to_ne_bytes());
}

fn get_int(s: &mut Socket, option: i32) -> i32 {
    let mut buf = [0u8; 4];
    assert_eq!(s.get_option(option, &mut buf), Ok(4));
    i32::from_ne_bytes(buf)
}

fn send_frames(s: &mut Socket, frames: &[&[u8]]) {
    for (i, f) in frames.iter().enumerate() {
        let flags = if i + 1 < frames.len() { ZMQ_SNDMORE } else { 0 };
        s.send(&mut Msg::from_slice(f), flags).unwrap();
    }
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
    for bad in [-1, 4] {
        assert_eq!(router.set_option(ZMQ_ROUTER_NOTIFY, Some(&(bad as i32).to_ne_bytes())), Err(Error::INVAL));
    }
    assert_eq!(get_int(&mut router, ZMQ_ROUTER_NOTIFY), 3);
    // Only ROUTER takes it; other types read it as 0.
    let mut other = socket(&ctx, ZMQ_DEALER);
    assert_eq!(other.set_option(ZMQ_ROUTER_NOTIFY, Some(&1i32.to_ne_bytes())), Err(Error::INVAL));
    assert_eq!(get_int(&mut other, ZMQ_ROUTER_NOTIFY), 0);
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

#[test]
fn router_notify_drops_a_message_cut_off_by_the_disconnect() {
    let ctx = Ctx::new();
    let mut router = socket(&ctx, ZMQ_ROUTER);
    set_int(&mut router, ZMQ_ROUTER_NOTIFY, ZMQ_NOTIFY_DISCONNECT);
    // The second frame breaks ZMQ_MAXMSGSIZE: the router drops the connection mid-message.
    set(&mut router, ZMQ_MAXMSGSIZE, &64i64.to_ne_bytes());
    let ep = bind_tcp(&mut router);
    let mut dealer = socket(&ctx, ZMQ_DEALER);
    set(&mut dealer, ZMQ_ROUTING_ID, b"X");
    dealer.connect(&ep).unwrap();
    send_frames(&mut dealer, &[b"whole"]);
    send_frames(&mut dealer, &[b"Hello2", &[b'*'; 127]]);
    assert_eq!(recv_frames(&mut router), vec![b"X".to_vec(), b"whole".to_vec()]);
    // The notice is a message of its own; "Hello2" is gone.
    assert_eq!(recv_frames(&mut router), vec![b"X".to_vec(), vec![]]);
    set_int(&mut router, ZMQ_RCVTIMEO, 200);
    assert_eq!(router.recv(0).err(), Some(Error::AGAIN));
}

#[test]
fn hello_msg_greets_both_ways_over_inproc_whichever_side_comes_first() {
    let ctx = Ctx::new();
    // Bind first: the connecting dealer is greeted by the router at once.
    let mut router = socket(&ctx, ZMQ_ROUTER);
    set(&mut router, ZMQ_HELLO_MSG, b"W");
    router.bind("inproc://hello-first").unwrap();
    let mut dealer = socket(&ctx, ZMQ_DEALER);
    set(&mut dealer, ZMQ_ROUTING_ID, b"D1");
    set(&mut dealer, ZMQ_HELLO_MSG, b"H");
    dealer.connect("inproc://hello-first").unwrap();
    assert_eq!(recv_frames(&mut dealer), vec![b"W".to_vec()]);
    assert_eq!(recv_frames(&mut router), vec![b"D1".to_vec(), b"H".to_vec()]);
    // Connect first: the dealer's hello waits in the pipe, the router's comes at bind.
    let mut late = socket(&ctx, ZMQ_DEALER);
    set(&mut late, ZMQ_ROUTING_ID, b"D2");
    set(&mut late, ZMQ_HELLO_MSG, b"H2");
    late.connect("inproc://hello-late").unwrap();
    let mut late_router = socket(&ctx, ZMQ_ROUTER);
    set(&mut late_router, ZMQ_HELLO_MSG, b"W2");
    late_router.bind("inproc://hello-late").unwrap();
    assert_eq!(recv_frames(&mut late), vec![b"W2".to_vec()]);
    assert_eq!(recv_frames(&mut late_router), vec![b"D2".to_vec(), b"H2".to_vec()]);
    // Types that cannot send it stay silent (PUSH here): nothing but the message sent.
    let mut pull = socket(&ctx, ZMQ_PULL);
    pull.bind("inproc://hello-push").unwrap();
    let mut push = socket(&ctx, ZMQ_PUSH);
    set(&mut push, ZMQ_HELLO_MSG, b"H");
    push.connect("inproc://hello-push").unwrap();
    send_frames(&mut push, &[b"data"]);
    assert_eq!(recv_frames(&mut pull), vec![b"data".to_vec()]);
}

#[test]
fn disconnect_msg_reports_inproc_peers_that_disconnect_or_close() {
    let ctx = Ctx::new();
    let mut router = socket(&ctx, ZMQ_ROUTER);
    set(&mut router, ZMQ_DISCONNECT_MSG, b"D");
    router.bind("inproc://bye").unwrap();
    let mut a = socket(&ctx, ZMQ_DEALER);
    set(&mut a, ZMQ_ROUTING_ID, b"A");
    a.connect("inproc://bye").unwrap();
    // A half-sent message does not reach the router; the disconnect message does.
    send_frames(&mut a, &[b"ping"]);
    a.send(&mut Msg::from_slice(b"half"), ZMQ_SNDMORE).unwrap();
    assert_eq!(recv_frames(&mut router), vec![b"A".to_vec(), b"ping".to_vec()]);
    a.unattach("inproc://bye", false).unwrap();
    assert_eq!(recv_frames(&mut router), vec![b"A".to_vec(), b"D".to_vec()]);
    // A peer that connected before the bind, then closes.
    let mut late_router = socket(&ctx, ZMQ_ROUTER);
    let mut b = socket(&ctx, ZMQ_DEALER);
    set(&mut b, ZMQ_ROUTING_ID, b"B");
    b.connect("inproc://bye-late").unwrap();
    set(&mut late_router, ZMQ_DISCONNECT_MSG, b"gone");
    late_router.bind("inproc://bye-late").unwrap();
    send_frames(&mut b, &[b"hi"]);
    assert_eq!(recv_frames(&mut late_router), vec![b"B".to_vec(), b"hi".to_vec()]);
    drop(b);
    assert_eq!(recv_frames(&mut late_router), vec![b"B".to_vec(), b"gone".to_vec()]);
    set_int(&mut late_router, ZMQ_RCVTIMEO, 100);
    assert_eq!(late_router.recv(0).err(), Some(Error::AGAIN));
}

/// SO_PRIORITY of every socket descriptor of this process.
fn socket_priorities() -> Vec<i32> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir("/proc/self/fd").unwrap().flatten() {
        let is_socket = std::fs::read_link(entry.path()).is_ok_and(|t| t.to_string_lossy().starts_with("socket:"));
        let Ok(fd) = entry.file_name().to_string_lossy().parse::<i32>() else { continue };
        if !is_socket {
            continue;
        }
        let (mut v, mut len) = (0i32, 4 as libc::socklen_t);
        // SAFETY: reads an int socket option into a local of that size; a descriptor
        // closed meanwhile only makes the call fail.
        let rc = unsafe { libc::getsockopt(fd, libc::SOL_SOCKET, libc::SO_PRIORITY, &mut v as *mut i32 as *mut _, &mut len) };
        if rc == 0 {
            out.push(v);
        }
    }
    out
}

#[test]
fn priority_is_set_on_both_ends_of_a_connection() {
    let ctx = Ctx::new();
    let mut pull = socket(&ctx, ZMQ_PULL);
    assert_eq!(get_int(&mut pull, ZMQ_PRIORITY), 0);
    assert_eq!(pull.set_option(ZMQ_PRIORITY, Some(&(-1i32).to_ne_bytes())), Err(Error::INVAL));
    set_int(&mut pull, ZMQ_PRIORITY, 4);
    assert_eq!(get_int(&mut pull, ZMQ_PRIORITY), 4);
    let ep = bind_tcp(&mut pull);
    let mut push = socket(&ctx, ZMQ_PUSH);
    set_int(&mut push, ZMQ_PRIORITY, 5);
    push.connect(&ep).unwrap();
    send_frames(&mut push, &[b"x"]);
    assert_eq!(recv_frames(&mut pull), vec![b"x".to_vec()]);
    // The accepted connection has the binder's priority, the connecting one its own.
    let prios = socket_priorities();
    assert!(prios.contains(&4) && prios.contains(&5), "{prios:?}");
}

#[test]
fn batch_sizes_default_to_8192_and_set_the_read_and_write_sizes() {
    let ctx = Ctx::new();
    let mut s = socket(&ctx, ZMQ_DEALER);
    for opt in [ZMQ_IN_BATCH_SIZE, ZMQ_OUT_BATCH_SIZE] {
        assert_eq!(get_int(&mut s, opt), 8192);
        for bad in [0, -1] {
            assert_eq!(s.set_option(opt, Some(&(bad as i32).to_ne_bytes())), Err(Error::INVAL));
        }
        assert_eq!(s.set_option(opt, Some(&1u64.to_ne_bytes())), Err(Error::INVAL));
        set_int(&mut s, opt, 100);
        assert_eq!(get_int(&mut s, opt), 100);
    }
    // Tiny batches on both sides still carry every message whole and in order.
    let mut pull = socket(&ctx, ZMQ_PULL);
    set_int(&mut pull, ZMQ_IN_BATCH_SIZE, 7);
    let ep = bind_tcp(&mut pull);
    let mut push = socket(&ctx, ZMQ_PUSH);
    set_int(&mut push, ZMQ_OUT_BATCH_SIZE, 1);
    push.connect(&ep).unwrap();
    let payload: Vec<u8> = (0..300u32).map(|i| i as u8).collect();
    for i in 0..200u32 {
        send_frames(&mut push, &[&i.to_be_bytes(), &payload]);
    }
    for i in 0..200u32 {
        assert_eq!(recv_frames(&mut pull), vec![i.to_be_bytes().to_vec(), payload.clone()]);
    }
    // A STREAM socket gets what it reads as messages of at most ZMQ_IN_BATCH_SIZE bytes.
    let mut stream = socket(&ctx, ZMQ_STREAM);
    set_int(&mut stream, ZMQ_IN_BATCH_SIZE, 100);
    let ep = bind_tcp(&mut stream);
    let mut peer = std::net::TcpStream::connect(ep.trim_start_matches("tcp://")).unwrap();
    let id = recv_frames(&mut stream)[0].clone(); // the connect notification
    peer.write_all(&[7u8; 250]).unwrap();
    let mut got = 0;
    while got < 250 {
        let frames = recv_frames(&mut stream);
        assert_eq!(frames[0], id);
        assert!(!frames[1].is_empty() && frames[1].len() <= 100, "{}", frames[1].len());
        got += frames[1].len();
    }
    assert_eq!(got, 250);
    send_frames(&mut stream, &[&id, b"ok"]);
    let mut back = [0u8; 2];
    peer.read_exact(&mut back).unwrap();
    assert_eq!(&back, b"ok");
}

/// zmq_poller_wait_all clears the slots after the events it returns, as libzmq does:
/// test_router_mandatory walks every slot, not just the count, and read an earlier wait's
/// POLLIN again (then zmq_recv failed with EAGAIN).
#[test]
fn poller_wait_all_clears_the_unused_slots() {
    use std::ffi::CString;
    use std::ptr::null_mut;
    use zmq::ffi::{ctx::*, poller::*, socket::*, zmq_poller_event_t};
    unsafe {
        let ctx = zmq_ctx_new();
        let (a, b) = (zmq_socket(ctx, ZMQ_PAIR), zmq_socket(ctx, ZMQ_PAIR));
        let ep = CString::new("inproc://poller-slots").unwrap();
        assert_eq!(zmq_bind(a, ep.as_ptr()), 0);
        assert_eq!(zmq_connect(b, ep.as_ptr()), 0);
        let mut poller = zmq_poller_new();
        assert_eq!(zmq_poller_add(poller, a, null_mut(), ZMQ_POLLIN as i16), 0);
        assert_eq!(zmq_poller_add(poller, b, null_mut(), ZMQ_POLLIN as i16), 0);
        assert_eq!(zmq_send(b, b"x".as_ptr().cast(), 1, 0), 1);
        assert_eq!(zmq_send(a, b"y".as_ptr().cast(), 1, 0), 1);
        let mut events: [zmq_poller_event_t; 3] = std::mem::zeroed();
        assert_eq!(zmq_poller_wait_all(poller, events.as_mut_ptr(), 3, 1000), 2);
        let mut buf = [0u8; 4];
        assert_eq!(zmq_recv(b, buf.as_mut_ptr().cast(), 4, 0), 1);
        // Only `a` is readable now: slot 0 is it, slots 1 and 2 hold nothing.
        assert_eq!(zmq_poller_wait_all(poller, events.as_mut_ptr(), 3, 1000), 1);
        assert_eq!(events[0].socket, a);
        for e in &events[1..] {
            assert!(e.socket.is_null() && e.user_data.is_null() && e.fd == -1 && e.events == 0);
        }
        assert_eq!(zmq_poller_destroy(&mut poller), 0);
        assert_eq!(zmq_close(a), 0);
        assert_eq!(zmq_close(b), 0);
        assert_eq!(zmq_ctx_term(ctx), 0);
    }
}
