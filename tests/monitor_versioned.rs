//! zmq_socket_monitor_versioned through the core: version 2 events (u64 event, count of
//! u64 values, the values, local and remote address) on PAIR, PUB and PUSH monitors, the
//! argument checks in libzmq's order and errnos, and zmq_socket_monitor_pipes_stats.

mod common;

use common::sockets::{last_endpoint, set_int};
use std::sync::Arc;
use zmq::constants::*;
use zmq::ctx::Ctx;
use zmq::error::Error;
use zmq::msg::Msg;
use zmq::socket::monitor::MonitorRequest;
use zmq::socket::Socket;

fn request(addr: &str, events: u64, version: i32, socket_type: i32) -> MonitorRequest<'_> {
    MonitorRequest { addr: Some(addr), events, version, socket_type }
}

/// What reads a monitor of `kind` at `ep`: a PAIR, a SUB (of `topic`) or a PULL,
/// waiting up to 5 s for each frame.
fn consumer(ctx: &Arc<Ctx>, ep: &str, kind: i32, topic: &[u8]) -> Socket {
    let consumer = match kind {
        ZMQ_PUB => ZMQ_SUB,
        ZMQ_PUSH => ZMQ_PULL,
        _ => ZMQ_PAIR,
    };
    let mut mon = ctx.socket(consumer).unwrap();
    if consumer == ZMQ_SUB {
        mon.set_option(ZMQ_SUBSCRIBE, Some(topic)).unwrap();
    }
    set_int(&mut mon, ZMQ_RCVTIMEO, 5000);
    mon.connect(ep).unwrap();
    mon
}

/// Monitor `s` with version 2 on a monitor socket of `kind`; returns the consumer.
fn monitor_v2(ctx: &Arc<Ctx>, s: &mut Socket, name: &str, events: u64, kind: i32) -> Socket {
    let ep = format!("inproc://{name}");
    s.monitor_versioned(&request(&ep, events, 2, kind)).unwrap();
    consumer(ctx, &ep, kind, b"")
}

/// One version 2 event: (event, values, local, remote), checking every frame's shape.
fn next_v2(mon: &mut Socket) -> (u64, Vec<u64>, String, String) {
    let mut frame = |more: bool| {
        let m = mon.recv(0).expect("a monitor event within 5 s");
        assert_eq!(m.more(), more, "MORE flag of a monitor frame");
        m.data().to_vec()
    };
    let number = |f: Vec<u8>| u64::from_ne_bytes(f.try_into().expect("an 8-byte frame"));
    let event = number(frame(true));
    let count = number(frame(true));
    let values = (0..count).map(|_| number(frame(true))).collect();
    let local = String::from_utf8(frame(true)).unwrap();
    let remote = String::from_utf8(frame(false)).unwrap();
    (event, values, local, remote)
}

fn bounce(a: &mut Socket, b: &mut Socket) {
    a.send(&mut Msg::from_slice(b"ping"), 0).unwrap();
    assert_eq!(b.recv(0).unwrap().data(), b"ping");
    b.send(&mut Msg::from_slice(b"pong"), 0).unwrap();
    assert_eq!(a.recv(0).unwrap().data(), b"pong");
}

/// Both ends' events over `bind_ep`, each monitored on a `kind` socket.
fn connection_events(bind_ep: &str, local_prefix: &str, kind: i32) {
    let ctx = Ctx::new();
    let mut server = ctx.socket(ZMQ_DEALER).unwrap();
    let mut client = ctx.socket(ZMQ_DEALER).unwrap();
    let all = ZMQ_EVENT_ALL_V2 as u64;
    let mut server_mon = monitor_v2(&ctx, &mut server, &format!("server-{kind}-{local_prefix}"), all, kind);
    let mut client_mon = monitor_v2(&ctx, &mut client, &format!("client-{kind}-{local_prefix}"), all, kind);
    server.bind(bind_ep).unwrap();
    let endpoint = last_endpoint(&mut server);
    client.connect(&endpoint).unwrap();
    bounce(&mut client, &mut server);

    let (ev, values, local, remote) = next_v2(&mut server_mon);
    assert_eq!((ev, values.len(), local.as_str(), remote.as_str()), (ZMQ_EVENT_LISTENING as u64, 1, endpoint.as_str(), ""));
    let (ev, _, local, peer) = next_v2(&mut server_mon);
    assert_eq!((ev, local.as_str()), (ZMQ_EVENT_ACCEPTED as u64, endpoint.as_str()));
    assert!(peer.starts_with(local_prefix), "accepted from {peer}");

    let mut ev = next_v2(&mut client_mon);
    if ev.0 == ZMQ_EVENT_CONNECT_DELAYED as u64 {
        assert_eq!((ev.2.as_str(), ev.3.as_str()), ("", endpoint.as_str()), "no local address before connecting");
        ev = next_v2(&mut client_mon);
    }
    let (event, values, client_local, client_remote) = ev;
    assert_eq!((event, values.len(), client_remote.as_str()), (ZMQ_EVENT_CONNECTED as u64, 1, endpoint.as_str()));
    assert_eq!(client_local, peer, "the client's local address is the server's remote one");
    assert_ne!(client_local, client_remote);

    let succeeded = (ZMQ_EVENT_HANDSHAKE_SUCCEEDED as u64, vec![0], client_local.clone(), client_remote.clone());
    assert_eq!(next_v2(&mut client_mon), succeeded);
    assert_eq!(next_v2(&mut server_mon), (ZMQ_EVENT_HANDSHAKE_SUCCEEDED as u64, vec![0], endpoint.clone(), peer.clone()));

    // Stopping says MONITOR_STOPPED with one value 0 and no addresses.
    client.monitor_versioned(&MonitorRequest { addr: None, events: 0, version: 2, socket_type: kind }).unwrap();
    assert_eq!(next_v2(&mut client_mon), (ZMQ_EVENT_MONITOR_STOPPED as u64, vec![0], String::new(), String::new()));
}

#[test]
fn tcp_events_name_both_ends_on_every_monitor_type() {
    for kind in [ZMQ_PAIR, ZMQ_PUB, ZMQ_PUSH] {
        connection_events("tcp://127.0.0.1:*", "tcp://127.0.0.1:", kind);
    }
}

#[test]
fn ipc_events_name_the_unnamed_client_end() {
    connection_events("ipc://*", "ipc://", ZMQ_PAIR);
}

#[test]
fn pub_monitor_topics_are_event_numbers() {
    let ctx = Ctx::new();
    let mut server = ctx.socket(ZMQ_DEALER).unwrap();
    server.monitor_versioned(&request("inproc://pub-topics", ZMQ_EVENT_ALL_V2 as u64, 2, ZMQ_PUB)).unwrap();
    let mut sub = consumer(&ctx, "inproc://pub-topics", ZMQ_PUB, &(ZMQ_EVENT_CLOSED as u64).to_ne_bytes());
    server.bind("tcp://127.0.0.1:*").unwrap();
    let endpoint = last_endpoint(&mut server);
    server.unattach(&endpoint, true).unwrap();
    // LISTENING went by unsubscribed; CLOSED is what the SUB gets.
    assert_eq!(next_v2(&mut sub).0, ZMQ_EVENT_CLOSED as u64);
}

#[test]
fn version_1_through_the_versioned_call_keeps_the_old_format() {
    let ctx = Ctx::new();
    let mut s = ctx.socket(ZMQ_DEALER).unwrap();
    s.monitor_versioned(&request("inproc://v1-push", ZMQ_EVENT_LISTENING as u64, 1, ZMQ_PUSH)).unwrap();
    let mut pull = consumer(&ctx, "inproc://v1-push", ZMQ_PUSH, b"");
    s.bind("tcp://127.0.0.1:*").unwrap();
    let endpoint = last_endpoint(&mut s);
    let head = pull.recv(0).unwrap();
    assert!(head.more());
    assert_eq!(head.data().len(), 6);
    assert_eq!(u16::from_ne_bytes([head.data()[0], head.data()[1]]) as i32, ZMQ_EVENT_LISTENING);
    let addr = pull.recv(0).unwrap();
    assert!(!addr.more());
    assert_eq!(addr.data(), endpoint.as_bytes());
}

#[test]
fn argument_checks_in_libzmq_order() {
    let ctx = Ctx::new();
    let mut s = ctx.socket(ZMQ_DEALER).unwrap();
    // Version 1 has 16 event bits; zmq_socket_monitor's int mask widens as C's cast.
    assert_eq!(s.monitor_versioned(&request("inproc://m", 1 << 16, 1, ZMQ_PAIR)), Err(Error::INVAL));
    assert_eq!(s.monitor(Some("inproc://m"), -1), Err(Error::INVAL));
    assert_eq!(s.monitor_versioned(&request("tcp://127.0.0.1:*", 0, 2, ZMQ_PAIR)), Err(Error::PROTONOSUPPORT));
    for kind in [ZMQ_CLIENT, ZMQ_SUB, ZMQ_DEALER] {
        assert_eq!(s.monitor_versioned(&request("inproc://m", 0, 2, kind)), Err(Error::INVAL));
    }
    // The old monitor stops before the type is checked (libzmq's order).
    s.monitor_versioned(&request("inproc://first", ZMQ_EVENT_ALL_V2 as u64, 2, ZMQ_PAIR)).unwrap();
    let mut first = consumer(&ctx, "inproc://first", ZMQ_PAIR, b"");
    assert_eq!(s.monitor_versioned(&request("inproc://second", 0, 2, ZMQ_CLIENT)), Err(Error::INVAL));
    assert_eq!(next_v2(&mut first).0, ZMQ_EVENT_MONITOR_STOPPED as u64);
    // No monitor wanting PIPES_STATS: EINVAL.
    assert_eq!(s.monitor_pipes_stats(), Err(Error::INVAL));
    s.monitor_versioned(&request("inproc://third", ZMQ_EVENT_ALL as u64, 2, ZMQ_PAIR)).unwrap();
    assert_eq!(s.monitor_pipes_stats(), Err(Error::INVAL));
    // Wanted, but no pipes: EAGAIN.
    s.monitor_versioned(&request("inproc://fourth", ZMQ_EVENT_PIPES_STATS as u64, 2, ZMQ_PAIR)).unwrap();
    assert_eq!(s.monitor_pipes_stats(), Err(Error::AGAIN));
}

#[test]
fn pipes_stats_count_both_directions_per_pipe() {
    let ctx = Ctx::new();
    let mut push = ctx.socket(ZMQ_PUSH).unwrap();
    let mut pull = ctx.socket(ZMQ_PULL).unwrap();
    pull.bind("inproc://stats").unwrap();
    push.connect("inproc://stats").unwrap();
    let stats = ZMQ_EVENT_PIPES_STATS as u64;
    let mut push_mon = monitor_v2(&ctx, &mut push, "push-stats", stats, ZMQ_PAIR);
    let mut pull_mon = monitor_v2(&ctx, &mut pull, "pull-stats", stats, ZMQ_PAIR);
    for _ in 0..5 {
        push.send(&mut Msg::from_slice(b"x"), 0).unwrap();
    }
    push.monitor_pipes_stats().unwrap();
    let (ev, values, ..) = next_v2(&mut push_mon);
    assert_eq!((ev, values), (stats, vec![5, 0]), "5 queued out, none in");
    pull.monitor_pipes_stats().unwrap();
    assert_eq!(next_v2(&mut pull_mon).1, vec![0, 5], "the reader's end sees them coming in");
    // Reads are told to the writer at the low-water mark (half the HWM of 2000 here),
    // as libzmq's: two reads leave the writer's count at 5.
    pull.recv(0).unwrap();
    pull.recv(0).unwrap();
    push.monitor_pipes_stats().unwrap();
    assert_eq!(next_v2(&mut push_mon).1, vec![5, 0]);
    pull.monitor_pipes_stats().unwrap();
    assert_eq!(next_v2(&mut pull_mon).1, vec![0, 5]);
}

#[test]
fn pipes_stats_over_tcp_name_the_connection() {
    let ctx = Ctx::new();
    let mut push = ctx.socket(ZMQ_PUSH).unwrap();
    let stats = ZMQ_EVENT_PIPES_STATS as u64;
    let mut mon = monitor_v2(&ctx, &mut push, "tcp-stats", stats, ZMQ_PAIR);
    push.bind("tcp://127.0.0.1:*").unwrap();
    let endpoint = last_endpoint(&mut push);
    let mut pull = ctx.socket(ZMQ_PULL).unwrap();
    pull.connect(&endpoint).unwrap();
    push.send(&mut Msg::from_slice(b"x"), 0).unwrap();
    assert_eq!(pull.recv(0).unwrap().data(), b"x");
    push.monitor_pipes_stats().unwrap();
    let (ev, values, local, remote) = next_v2(&mut mon);
    assert_eq!((ev, values.len(), local), (stats, 2, endpoint));
    assert!(remote.starts_with("tcp://127.0.0.1:") && !remote.ends_with(":0"), "remote {remote}");
}
