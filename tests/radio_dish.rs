//! RADIO/DISH through the core: groups on messages, zmq_join/zmq_leave's errors, and
//! delivery over inproc, tcp, ipc and udp (unicast; multicast in a private network
//! namespace, so no datagram leaves the machine).

use std::time::{Duration, Instant};
use zmq::constants::*;
use zmq::ctx::Ctx;
use zmq::error::Error;
use zmq::msg::group::clamp;
use zmq::msg::Msg;
use zmq::socket::Socket;

const LONG_GROUP: &[u8] = b"0123456789ABCDEFGH";

fn grouped(group: &[u8], body: &[u8]) -> Msg {
    let mut m = Msg::from_slice(body);
    m.set_group(group);
    m
}

fn set_int(s: &mut Socket, opt: i32, v: i32) {
    s.set_option(opt, Some(&v.to_ne_bytes())).unwrap();
}

/// Sends `body` to `group` every 10 ms until the DISH gets a message (joins travel
/// asynchronously); returns what it got.
fn send_until_received(radio: &mut Socket, dish: &mut Socket, group: &[u8], body: &[u8]) -> Msg {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        radio.send(&mut grouped(group, body), 0).unwrap();
        std::thread::sleep(Duration::from_millis(10));
        match dish.recv(ZMQ_DONTWAIT) {
            Ok(m) => return m,
            Err(e) => assert_eq!(e, Error::AGAIN),
        }
        assert!(Instant::now() < deadline, "nothing arrived for group {group:?}");
    }
}

/// Nothing more arrives within 200 ms.
fn assert_quiet(dish: &mut Socket) {
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(dish.recv(ZMQ_DONTWAIT).err(), Some(Error::AGAIN));
}

#[test]
fn message_groups() {
    let mut m = Msg::from_slice(b"body");
    assert_eq!(m.group().to_bytes(), b"");
    m.set_group(b"TV");
    assert_eq!(m.group().to_bytes(), b"TV");
    m.set_group(LONG_GROUP);
    assert_eq!(m.group().to_bytes(), LONG_GROUP);
    // Copies share it; replacing metadata keeps it; a short group replaces a long one.
    let copy = m.clone();
    assert_eq!(copy.group().to_bytes(), LONG_GROUP);
    m.set_metadata(None);
    assert_eq!(m.group().to_bytes(), LONG_GROUP);
    m.set_group(b"Movies");
    assert_eq!(m.group().to_bytes(), b"Movies");
    assert_eq!(copy.group().to_bytes(), LONG_GROUP);
    // zmq_msg_set_group's view of a C string: up to the NUL, at most 255 bytes.
    let long = [b'g'; 300];
    m.set_group(clamp(&long));
    assert_eq!(m.group().to_bytes(), &long[..ZMQ_GROUP_MAX_LENGTH as usize]);
    assert_eq!(std::mem::size_of::<Msg>(), 64);
}

#[test]
fn join_and_leave_errors() {
    let ctx = Ctx::new();
    let mut dish = ctx.socket(ZMQ_DISH).unwrap();
    assert_eq!(dish.group(b"Movies", false), Err(Error::INVAL));
    dish.group(b"Movies", true).unwrap();
    assert_eq!(dish.group(b"Movies", true), Err(Error::INVAL));
    dish.group(b"Movies", false).unwrap();
    assert_eq!(dish.group(b"Movies", false), Err(Error::INVAL));
    dish.group(&[b'a'; ZMQ_GROUP_MAX_LENGTH as usize], true).unwrap();
    assert_eq!(dish.group(&[b'a'; ZMQ_GROUP_MAX_LENGTH as usize + 1], true), Err(Error::INVAL));
    dish.group(b"", true).unwrap();
    let mut radio = ctx.socket(ZMQ_RADIO).unwrap();
    assert_eq!(radio.group(b"TV", true), Err(Error::NOTSUP));
    // One direction each.
    assert_eq!(dish.send(&mut Msg::from_slice(b"x"), ZMQ_DONTWAIT).err(), Some(Error::NOTSUP));
    assert_eq!(radio.recv(ZMQ_DONTWAIT).err(), Some(Error::NOTSUP));
    assert_eq!(radio.send(&mut grouped(b"TV", b"x"), ZMQ_SNDMORE).err(), Some(Error::INVAL));
    // With no DISH at all, a send just goes nowhere.
    radio.send(&mut grouped(b"TV", b"x"), ZMQ_DONTWAIT).unwrap();
}

/// Joined groups arrive with their group set, others never; a leave stops a group;
/// joins made before the connection reach the RADIO too.
fn exchange(radio: &mut Socket, dish: &mut Socket) {
    let m = send_until_received(radio, dish, b"Movies", b"Godfather");
    assert_eq!((m.group().to_bytes(), m.data()), (&b"Movies"[..], &b"Godfather"[..]));
    while dish.recv(ZMQ_DONTWAIT).is_ok() {}
    radio.send(&mut grouped(b"TV", b"Friends"), 0).unwrap();
    assert_quiet(dish);
    dish.group(LONG_GROUP, true).unwrap();
    let m = send_until_received(radio, dish, LONG_GROUP, b"long");
    assert_eq!((m.group().to_bytes(), m.data()), (LONG_GROUP, &b"long"[..]));
    while dish.recv(ZMQ_DONTWAIT).is_ok() {}
    dish.group(b"Movies", false).unwrap();
    std::thread::sleep(Duration::from_millis(100));
    radio.send(&mut grouped(b"Movies", b"Godfather II"), 0).unwrap();
    radio.send(&mut grouped(LONG_GROUP, b"still"), 0).unwrap();
    let m = dish.recv(0).unwrap();
    assert_eq!((m.group().to_bytes(), m.data()), (LONG_GROUP, &b"still"[..]));
    assert_quiet(dish);
}

fn pair(ctx: &std::sync::Arc<Ctx>, radio_binds: bool, endpoint: &str) -> (Socket, Socket) {
    let mut radio = ctx.socket(ZMQ_RADIO).unwrap();
    let mut dish = ctx.socket(ZMQ_DISH).unwrap();
    set_int(&mut dish, ZMQ_RCVTIMEO, 5000);
    dish.group(b"Movies", true).unwrap();
    let (binder, connecter) = if radio_binds { (&mut radio, &mut dish) } else { (&mut dish, &mut radio) };
    binder.bind(endpoint).unwrap();
    let mut ep = [0u8; 256];
    let n = binder.get_option(ZMQ_LAST_ENDPOINT, &mut ep).unwrap();
    connecter.connect(std::str::from_utf8(&ep[..n - 1]).unwrap()).unwrap();
    (radio, dish)
}

#[test]
fn over_inproc() {
    let ctx = Ctx::new();
    let (mut radio, mut dish) = pair(&ctx, true, "inproc://radio");
    exchange(&mut radio, &mut dish);
}

#[test]
fn over_tcp_either_side_binding() {
    let ctx = Ctx::new();
    for radio_binds in [true, false] {
        let (mut radio, mut dish) = pair(&ctx, radio_binds, "tcp://127.0.0.1:*");
        exchange(&mut radio, &mut dish);
    }
}

#[test]
fn over_ipc() {
    let ctx = Ctx::new();
    let path = format!("ipc:///tmp/zmq-oxide-radio-{}", std::process::id());
    let (mut radio, mut dish) = pair(&ctx, true, &path);
    exchange(&mut radio, &mut dish);
}

#[test]
fn a_reconnected_radio_learns_the_joins_again() {
    let ctx = Ctx::new();
    let mut dish = ctx.socket(ZMQ_DISH).unwrap();
    dish.group(b"TV", true).unwrap();
    dish.bind("tcp://127.0.0.1:*").unwrap();
    let mut ep = [0u8; 256];
    let n = dish.get_option(ZMQ_LAST_ENDPOINT, &mut ep).unwrap();
    let ep = std::str::from_utf8(&ep[..n - 1]).unwrap().to_string();
    for _ in 0..2 {
        let mut radio = ctx.socket(ZMQ_RADIO).unwrap();
        radio.connect(&ep).unwrap();
        assert_eq!(send_until_received(&mut radio, &mut dish, b"TV", b"on").data(), b"on");
        set_int(&mut radio, ZMQ_LINGER, 0);
    }
}

#[test]
fn udp_directions_and_protocols() {
    let ctx = Ctx::new();
    let mut radio = ctx.socket(ZMQ_RADIO).unwrap();
    let mut dish = ctx.socket(ZMQ_DISH).unwrap();
    assert_eq!(radio.bind("udp://127.0.0.1:5556"), Err(Error::NOCOMPATPROTO));
    assert_eq!(dish.connect("udp://127.0.0.1:5556"), Err(Error::NOCOMPATPROTO));
    let mut publisher = ctx.socket(ZMQ_PUB).unwrap();
    assert_eq!(publisher.bind("udp://127.0.0.1:5556"), Err(Error::NOCOMPATPROTO));
    assert_eq!(radio.connect("udp://127.0.0.1"), Err(Error::INVAL));
    assert_eq!(radio.connect("udp://nosuchhost.invalid:5555"), Err(Error::INVAL));
    assert_eq!(radio.connect("udp://127.0.0.1;127.0.0.2:5555"), Err(Error::INVAL));
}

/// A free udp port on 127.0.0.1 (udp has no "*" port to read back).
fn free_udp_port() -> u16 {
    std::net::UdpSocket::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

#[test]
fn over_udp_unicast() {
    let ctx = Ctx::new();
    let port = free_udp_port();
    let mut dish = ctx.socket(ZMQ_DISH).unwrap();
    dish.bind(&format!("udp://127.0.0.1:{port}")).unwrap();
    let mut ep = [0u8; 64];
    let n = dish.get_option(ZMQ_LAST_ENDPOINT, &mut ep).unwrap();
    assert_eq!(&ep[..n - 1], format!("127.0.0.1:{port}").as_bytes(), "libzmq shows udp endpoints bare");
    let mut radio = ctx.socket(ZMQ_RADIO).unwrap();
    radio.connect(&format!("udp://127.0.0.1:{port}")).unwrap();
    dish.group(b"TV", true).unwrap();
    dish.group(LONG_GROUP, true).unwrap();
    // Everything is sent; the DISH drops what it did not join.
    radio.send(&mut grouped(b"Movies", b"no"), 0).unwrap();
    radio.send(&mut grouped(b"TV", b"Friends"), 0).unwrap();
    radio.send(&mut grouped(LONG_GROUP, b"long"), 0).unwrap();
    set_int(&mut dish, ZMQ_RCVTIMEO, 5000);
    let m = dish.recv(0).unwrap();
    assert_eq!((m.group().to_bytes(), m.data()), (&b"TV"[..], &b"Friends"[..]));
    let m = dish.recv(0).unwrap();
    assert_eq!((m.group().to_bytes(), m.data()), (LONG_GROUP, &b"long"[..]));
    dish.group(b"TV", false).unwrap();
    radio.send(&mut grouped(b"TV", b"gone"), 0).unwrap();
    assert_quiet(&mut dish);
    // unbind closes the port: a new DISH can take it.
    dish.unattach(&format!("udp://127.0.0.1:{port}"), true).unwrap();
    let mut again = ctx.socket(ZMQ_DISH).unwrap();
    std::thread::sleep(Duration::from_millis(100));
    again.bind(&format!("udp://127.0.0.1:{port}")).unwrap();
}

/// Runs `f` on a thread of its own in a new network namespace with lo and a veth pair
/// carrying the multicast routes, so multicast stays inside (needs root, as the CI has).
fn in_private_net(f: impl FnOnce() + Send + 'static) {
    std::thread::spawn(move || {
        // SAFETY: unshare affects only this thread, which nothing else uses.
        assert_eq!(unsafe { libc::unshare(libc::CLONE_NEWNET) }, 0, "unshare(CLONE_NEWNET) needs root");
        let ip = |args: &str| {
            let st = std::process::Command::new("ip").args(args.split(' ')).status().expect("ip(8)");
            assert!(st.success(), "ip {args}");
        };
        ip("link set lo up");
        ip("link add zmq0 type veth peer name zmq1");
        ip("link set zmq0 up");
        ip("link set zmq1 up");
        ip("addr add 10.254.0.1/24 dev zmq0");
        ip("addr add 10.254.0.2/24 dev zmq1");
        ip("route add 224.0.0.0/4 dev zmq0");
        f()
    })
    .join()
    .unwrap();
}

#[test]
fn over_udp_multicast_with_and_without_loop() {
    in_private_net(|| {
        for (port, looped) in [(5655, true), (5656, false)] {
            let ctx = Ctx::new();
            let url = format!("udp://239.0.0.1:{port}");
            let mut dish = ctx.socket(ZMQ_DISH).unwrap();
            dish.bind(&url).unwrap();
            dish.group(b"TV", true).unwrap();
            let mut radio = ctx.socket(ZMQ_RADIO).unwrap();
            set_int(&mut radio, ZMQ_MULTICAST_LOOP, looped as i32);
            set_int(&mut radio, ZMQ_MULTICAST_HOPS, 2);
            radio.connect(&url).unwrap();
            std::thread::sleep(Duration::from_millis(100));
            radio.send(&mut grouped(b"TV", b"Friends"), 0).unwrap();
            if looped {
                set_int(&mut dish, ZMQ_RCVTIMEO, 5000);
                let m = dish.recv(0).unwrap();
                assert_eq!((m.group().to_bytes(), m.data()), (&b"TV"[..], &b"Friends"[..]));
            } else {
                // ZMQ_MULTICAST_LOOP=0: our own datagrams do not come back to us.
                assert_quiet(&mut dish);
            }
        }
    });
}

/// The RADIO itself stops sending a group its DISH left (not only the DISH filtering):
/// with ZMQ_XPUB_NODROP a full pipe makes sends to a joined group wait (EAGAIN), while a
/// group nobody joined, or one left, never does.
#[test]
fn the_radio_filters_by_joins_and_leaves() {
    let ctx = Ctx::new();
    let mut radio = ctx.socket(ZMQ_RADIO).unwrap();
    set_int(&mut radio, ZMQ_XPUB_NODROP, 1);
    set_int(&mut radio, ZMQ_SNDHWM, 1);
    radio.bind("inproc://nodrop").unwrap();
    let mut dish = ctx.socket(ZMQ_DISH).unwrap();
    set_int(&mut dish, ZMQ_RCVHWM, 1);
    dish.group(b"TV", true).unwrap();
    dish.connect("inproc://nodrop").unwrap();
    let fill = |radio: &mut Socket, group: &[u8]| {
        for sent in 0..100 {
            if radio.send(&mut grouped(group, b"x"), ZMQ_DONTWAIT).is_err() {
                return Some(sent);
            }
        }
        None
    };
    assert_eq!(fill(&mut radio, b"Movies"), None, "nobody joined Movies");
    assert!(fill(&mut radio, b"TV").is_some(), "the DISH's pipe never filled");
    dish.group(b"TV", false).unwrap();
    // The RADIO reads the LEAVE when it next looks at its pipes.
    assert_eq!(fill(&mut radio, b"TV"), None, "the RADIO still sends TV after the leave");
}
