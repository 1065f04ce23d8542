//! ZMQ_RECONNECT_STOP: a connect that was refused, or whose handshake failed, is given up
//! when the option says so (the monitor hears the last event and then nothing), and is
//! retried otherwise.

mod common;

use common::sockets::{last_endpoint, set_int};
use std::net::TcpListener;
use std::sync::Arc;
use std::time::{Duration, Instant};
use zmq::constants::*;
use zmq::ctx::Ctx;
use zmq::error::Error;
use zmq::socket::Socket;

/// A SUB with a short reconnect interval, ZMQ_RECONNECT_STOP = `stop`, monitored.
fn sub_with_monitor(ctx: &Arc<Ctx>, stop: i32, name: &str) -> (Socket, Socket) {
    let mut sub = ctx.socket(ZMQ_SUB).unwrap();
    set_int(&mut sub, ZMQ_RECONNECT_IVL, 100);
    set_int(&mut sub, ZMQ_HANDSHAKE_IVL, 300);
    set_int(&mut sub, ZMQ_RECONNECT_STOP, stop);
    let ep = format!("inproc://{name}");
    sub.monitor(Some(&ep), ZMQ_EVENT_ALL).unwrap();
    let mut mon = ctx.socket(ZMQ_PAIR).unwrap();
    mon.connect(&ep).unwrap();
    (sub, mon)
}

/// The events the monitor hears within `wait`, in order.
fn events_within(mon: &mut Socket, wait: Duration) -> Vec<i32> {
    let end = Instant::now() + wait;
    let mut out = Vec::new();
    while Instant::now() < end {
        match mon.recv(ZMQ_DONTWAIT) {
            Ok(head) => {
                let d = head.data();
                out.push(u16::from_ne_bytes([d[0], d[1]]) as i32);
                mon.recv(0).unwrap(); // the endpoint
            }
            Err(e) if e == Error::AGAIN => std::thread::sleep(Duration::from_millis(5)),
            Err(e) => panic!("monitor: {e:?}"),
        }
    }
    out
}

fn refused_then(stop: i32) -> Vec<i32> {
    let ctx = Ctx::new();
    let mut publ = ctx.socket(ZMQ_PUB).unwrap();
    set_int(&mut publ, ZMQ_LINGER, 0);
    publ.bind("tcp://127.0.0.1:*").unwrap();
    let ep = last_endpoint(&mut publ);
    let (mut sub, mut mon) = sub_with_monitor(&ctx, stop, &format!("refused-{stop}"));
    sub.connect(&ep).unwrap();
    let first = events_within(&mut mon, Duration::from_millis(300));
    assert_eq!(first, vec![ZMQ_EVENT_CONNECT_DELAYED, ZMQ_EVENT_CONNECTED, ZMQ_EVENT_HANDSHAKE_SUCCEEDED]);
    drop(publ); // nothing listens on the port any more: reconnects are refused
    events_within(&mut mon, Duration::from_millis(800))
}

#[test]
fn refused_reconnect_stops_with_conn_refused() {
    let events = refused_then(ZMQ_RECONNECT_STOP_CONN_REFUSED);
    assert_eq!(
        events,
        vec![ZMQ_EVENT_DISCONNECTED, ZMQ_EVENT_CONNECT_RETRIED, ZMQ_EVENT_CONNECT_DELAYED, ZMQ_EVENT_CLOSED]
    );
}

#[test]
fn refused_reconnect_goes_on_without_the_option() {
    let events = refused_then(0);
    assert_eq!(events[..3], [ZMQ_EVENT_DISCONNECTED, ZMQ_EVENT_CONNECT_RETRIED, ZMQ_EVENT_CONNECT_DELAYED]);
    let retries = events.iter().filter(|&&e| e == ZMQ_EVENT_CONNECT_RETRIED).count();
    assert!(retries >= 2, "kept retrying: {events:?}");
}

/// A peer that accepts and never speaks: the handshake times out (ZMQ_HANDSHAKE_IVL).
fn silent_peer_then(stop: i32) -> Vec<i32> {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let ep = format!("tcp://{}", listener.local_addr().unwrap());
    let keep = std::thread::spawn(move || {
        let mut held = Vec::new();
        listener.set_nonblocking(true).unwrap();
        let end = Instant::now() + Duration::from_millis(1500);
        while Instant::now() < end {
            if let Ok((s, _)) = listener.accept() {
                held.push(s);
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    });
    let ctx = Ctx::new();
    let (mut sub, mut mon) = sub_with_monitor(&ctx, stop, &format!("silent-{stop}"));
    sub.connect(&ep).unwrap();
    let events = events_within(&mut mon, Duration::from_millis(1200));
    keep.join().unwrap();
    events
}

#[test]
fn failed_handshake_stops_with_handshake_failed() {
    let events = silent_peer_then(ZMQ_RECONNECT_STOP_HANDSHAKE_FAILED);
    assert_eq!(
        events,
        vec![
            ZMQ_EVENT_CONNECT_DELAYED,
            ZMQ_EVENT_CONNECTED,
            ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL,
            ZMQ_EVENT_DISCONNECTED
        ]
    );
}

#[test]
fn failed_handshake_is_retried_without_the_option() {
    let events = silent_peer_then(0);
    assert_eq!(
        events[..5],
        [
            ZMQ_EVENT_CONNECT_DELAYED,
            ZMQ_EVENT_CONNECTED,
            ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL,
            ZMQ_EVENT_DISCONNECTED,
            ZMQ_EVENT_CONNECT_RETRIED
        ]
    );
}
