//! PLAIN (RFC 24) and ZAP (RFC 27) over tcp, through the core API: a ZAP handler on
//! inproc://zeromq.zap.01 decides, its User-Id and metadata reach the received messages,
//! and refusals show up as libzmq's monitor events on both sides.

use zmq::constants::*;
use std::sync::Arc;
use std::thread;
use zmq::ctx::Ctx;
use zmq::msg::Msg;
use zmq::socket::Socket;

const RCVTIMEO: i32 = 27;
const LAST_ENDPOINT: i32 = 32;
const LINGER: i32 = 17;
const PLAIN_SERVER: i32 = 44;
const PLAIN_USERNAME: i32 = 45;
const PLAIN_PASSWORD: i32 = 46;
const ZAP_DOMAIN: i32 = 55;
const EVENT_HANDSHAKE_FAILED_NO_DETAIL: u16 = 0x0800;
const EVENT_HANDSHAKE_SUCCEEDED: u16 = 0x1000;
const EVENT_HANDSHAKE_FAILED_PROTOCOL: u16 = 0x2000;
const EVENT_HANDSHAKE_FAILED_AUTH: u16 = 0x4000;
const HANDSHAKE_EVENTS: i32 = 0x0800 | 0x1000 | 0x2000 | 0x4000;

fn set_int(s: &mut Socket, option: i32, value: i32) {
    s.set_option(option, Some(&value.to_ne_bytes())).unwrap();
}

fn send(s: &mut Socket, data: &[u8], flags: i32) {
    s.send(&mut Msg::from_slice(data), flags).unwrap();
}

fn recv_parts(s: &mut Socket) -> Vec<Msg> {
    let mut parts = vec![s.recv(0).unwrap()];
    while parts.last().unwrap().more() {
        parts.push(s.recv(0).unwrap());
    }
    parts
}

fn last_endpoint(s: &mut Socket) -> String {
    let mut buf = [0u8; 256];
    let n = s.get_option(LAST_ENDPOINT, &mut buf).unwrap();
    String::from_utf8(buf[..n - 1].to_vec()).unwrap()
}

/// Monitors `s` for handshake events; returns the PAIR that receives them.
fn monitor(ctx: &Arc<Ctx>, s: &mut Socket, name: &str) -> Socket {
    let ep = format!("inproc://{name}");
    s.monitor(Some(&ep), HANDSHAKE_EVENTS).unwrap();
    let mut pair = ctx.socket(ZMQ_PAIR).unwrap();
    set_int(&mut pair, RCVTIMEO, 5000);
    pair.connect(&ep).unwrap();
    pair
}

/// The next (event, value) from a monitor PAIR.
fn next_event(mon: &mut Socket) -> (u16, u32) {
    let parts = recv_parts(mon);
    let d = parts[0].data();
    (u16::from_ne_bytes([d[0], d[1]]), u32::from_ne_bytes([d[2], d[3], d[4], d[5]]))
}

/// A ZAP handler answering `count` requests: PLAIN admin/password gets 200 with User-Id
/// "alice" and a "Hello: World" property; everything else gets `refusal`.
fn zap_handler(ctx: &Arc<Ctx>, count: usize, refusal: &'static [u8]) -> thread::JoinHandle<Vec<Vec<Vec<u8>>>> {
    let mut handler = ctx.socket(ZMQ_REP).unwrap();
    handler.bind("inproc://zeromq.zap.01").unwrap();
    thread::spawn(move || {
        let mut requests = Vec::new();
        for _ in 0..count {
            let req: Vec<Vec<u8>> = recv_parts(&mut handler).iter().map(|m| m.data().to_vec()).collect();
            // REP took the empty delimiter off: version, id, domain, address, routing id,
            // mechanism, credentials.
            let ok = req[5] == b"PLAIN" && req[6] == b"admin" && req[7] == b"password";
            let mut metadata = vec![5u8];
            metadata.extend_from_slice(b"Hello");
            metadata.extend_from_slice(&5u32.to_be_bytes());
            metadata.extend_from_slice(b"World");
            send(&mut handler, &req[0], ZMQ_SNDMORE);
            send(&mut handler, &req[1], ZMQ_SNDMORE);
            send(&mut handler, if ok { b"200" } else { refusal }, ZMQ_SNDMORE);
            send(&mut handler, b"text", ZMQ_SNDMORE);
            send(&mut handler, if ok { b"alice" } else { b"" }, ZMQ_SNDMORE);
            send(&mut handler, if ok { &metadata } else { b"" }, 0);
            requests.push(req);
        }
        set_int(&mut handler, LINGER, 0);
        requests
    })
}

fn plain_server(ctx: &Arc<Ctx>) -> (Socket, String) {
    let mut server = ctx.socket(ZMQ_ROUTER).unwrap();
    set_int(&mut server, PLAIN_SERVER, 1);
    server.set_option(ZAP_DOMAIN, Some(b"global")).unwrap();
    server.set_option(5, Some(b"IDENT")).unwrap();
    set_int(&mut server, RCVTIMEO, 5000);
    server.bind("tcp://127.0.0.1:*").unwrap();
    let ep = last_endpoint(&mut server);
    (server, ep)
}

fn plain_client(ctx: &Arc<Ctx>, password: &[u8]) -> Socket {
    let mut client = ctx.socket(ZMQ_DEALER).unwrap();
    client.set_option(PLAIN_USERNAME, Some(b"admin")).unwrap();
    client.set_option(PLAIN_PASSWORD, Some(password)).unwrap();
    set_int(&mut client, LINGER, 0);
    client
}

#[test]
fn plain_accepted_with_user_id_and_zap_metadata() {
    let ctx = Ctx::new();
    let handler = zap_handler(&ctx, 1, b"400");
    let (mut server, ep) = plain_server(&ctx);
    let mut client = plain_client(&ctx, b"password");
    client.connect(&ep).unwrap();
    send(&mut client, b"hello", 0);
    let parts = recv_parts(&mut server);
    assert_eq!(parts[1].data(), b"hello");
    let md = parts[1].metadata().expect("metadata");
    assert_eq!(md.get("User-Id").map(|v| v.to_bytes()), Some(&b"alice"[..]));
    assert_eq!(md.get("Hello").map(|v| v.to_bytes()), Some(&b"World"[..]));
    assert_eq!(md.get("Socket-Type").map(|v| v.to_bytes()), Some(&b"DEALER"[..]));
    assert_eq!(md.get("Peer-Address").map(|v| v.to_bytes()), Some(&b"127.0.0.1"[..]));
    let requests = handler.join().unwrap();
    let expected: [&[u8]; 8] = [b"1.0", b"1", b"global", b"127.0.0.1", b"IDENT", b"PLAIN", b"admin", b"password"];
    assert_eq!(requests[0].iter().map(|f| &f[..]).collect::<Vec<_>>(), expected);
    drop(client);
    drop(server);
    ctx.terminate();
}

#[test]
fn plain_refused_reports_auth_failure_on_both_sides() {
    let ctx = Ctx::new();
    let handler = zap_handler(&ctx, 1, b"400");
    let (mut server, ep) = plain_server(&ctx);
    let mut server_mon = monitor(&ctx, &mut server, "server-mon");
    let mut client = plain_client(&ctx, b"wrong");
    let mut client_mon = monitor(&ctx, &mut client, "client-mon");
    client.connect(&ep).unwrap();
    assert_eq!(next_event(&mut server_mon), (EVENT_HANDSHAKE_FAILED_AUTH, 400));
    assert_eq!(next_event(&mut client_mon), (EVENT_HANDSHAKE_FAILED_AUTH, 400));
    assert_eq!(handler.join().unwrap().len(), 1);
    client.monitor(None, 0).unwrap();
    server.monitor(None, 0).unwrap();
    set_int(&mut server, LINGER, 0);
    drop((client, client_mon, server, server_mon));
    ctx.terminate();
}

#[test]
fn null_with_zap_domain_refused_500_malformed_reply_then_accepted() {
    let ctx = Ctx::new();
    let mut handler = ctx.socket(ZMQ_REP).unwrap();
    handler.bind("inproc://zeromq.zap.01").unwrap();
    let mut server = ctx.socket(ZMQ_DEALER).unwrap();
    server.set_option(ZAP_DOMAIN, Some(b"test")).unwrap();
    server.bind("tcp://127.0.0.1:*").unwrap();
    let ep = last_endpoint(&mut server);
    let mut server_mon = monitor(&ctx, &mut server, "null-server-mon");
    // Each client's handshake gets the reply `reply`; returns the client.
    let mut attempt = |n: usize, reply: [&[u8]; 6]| {
        let mut client = ctx.socket(ZMQ_DEALER).unwrap();
        set_int(&mut client, LINGER, 0);
        let client_mon = monitor(&ctx, &mut client, &format!("null-client-mon-{n}"));
        client.connect(&ep).unwrap();
        let req = recv_parts(&mut handler);
        assert_eq!(req.len(), 6);
        assert_eq!(req[2].data(), b"test");
        assert_eq!(req[5].data(), b"NULL");
        for (i, part) in reply.iter().enumerate() {
            send(&mut handler, part, if i < 5 { ZMQ_SNDMORE } else { 0 });
        }
        (client, client_mon)
    };
    // An earlier client's EOF may be reported before the event we wait for.
    let mut next_server_event = || loop {
        match next_event(&mut server_mon) {
            (EVENT_HANDSHAKE_FAILED_NO_DETAIL, _) => continue,
            ev => return ev,
        }
    };

    // 500: the client hears about it in an ERROR command, and does not reconnect.
    let (mut c1, mut c1_mon) = attempt(1, [b"1.0", b"1", b"500", b"no", b"", b""]);
    assert_eq!(next_server_event(), (EVENT_HANDSHAKE_FAILED_AUTH, 500));
    assert_eq!(next_event(&mut c1_mon), (EVENT_HANDSHAKE_FAILED_AUTH, 500));
    // A bad version is a ZAP protocol error.
    let (mut c2, c2_mon) = attempt(2, [b"2.0", b"1", b"200", b"", b"", b""]);
    assert_eq!(next_server_event(), (EVENT_HANDSHAKE_FAILED_PROTOCOL, 0x2000_0003));
    // 200: the handshake succeeds and the User-Id reaches the messages.
    let (mut c3, c3_mon) = attempt(3, [b"1.0", b"1", b"200", b"", b"bob", b""]);
    assert_eq!(next_server_event(), (EVENT_HANDSHAKE_SUCCEEDED, 0));
    send(&mut c3, b"in", 0);
    set_int(&mut server, RCVTIMEO, 5000);
    let msg = server.recv(0).unwrap();
    assert_eq!(msg.data(), b"in");
    assert_eq!(msg.metadata().unwrap().get("User-Id").map(|v| v.to_bytes()), Some(&b"bob"[..]));
    for c in [&mut c1, &mut c2, &mut c3, &mut server] {
        c.monitor(None, 0).unwrap();
    }
    set_int(&mut server, LINGER, 0);
    set_int(&mut handler, LINGER, 0);
    drop((c1, c1_mon, c2, c2_mon, c3, c3_mon, server, server_mon, handler));
    ctx.terminate();
}
