//! ws:// (ZWS 2.0, ZMTP over WebSocket) through the core API: the patterns, message sizes
//! around WebSocket's length encodings (125/126, 65535/65536), PLAIN with a ZAP handler,
//! endpoint rules, and peers that break the handshake or the framing.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::thread;
use std::time::Duration;
use zmq::constants::*;
use zmq::ctx::Ctx;
use zmq::error::Error;
use zmq::msg::Msg;
use zmq::socket::Socket;

fn set_int(s: &mut Socket, option: i32, value: i32) {
    s.set_option(option, Some(&value.to_ne_bytes())).unwrap();
}

fn send(s: &mut Socket, data: &[u8], flags: i32) {
    s.send(&mut Msg::from_slice(data), flags).unwrap();
}

fn recv(s: &mut Socket) -> Msg {
    s.recv(0).unwrap()
}

fn last_endpoint(s: &mut Socket) -> String {
    let mut buf = [0u8; 256];
    let n = s.get_option(ZMQ_LAST_ENDPOINT, &mut buf).unwrap();
    String::from_utf8(buf[..n - 1].to_vec()).unwrap()
}

fn socket(ctx: &Arc<Ctx>, kind: i32) -> Socket {
    let mut s = ctx.socket(kind).unwrap();
    set_int(&mut s, ZMQ_RCVTIMEO, 5000);
    set_int(&mut s, ZMQ_LINGER, 0);
    s
}

/// A port of 127.0.0.1 from "ws://127.0.0.1:PORT/path".
fn port_of(ep: &str) -> u16 {
    let rest = &ep["ws://127.0.0.1:".len()..];
    rest[..rest.find('/').unwrap()].parse().unwrap()
}

#[test]
fn push_pull_sizes_and_multipart() {
    let ctx = Ctx::new();
    let mut pull = socket(&ctx, ZMQ_PULL);
    pull.bind("ws://127.0.0.1:*/pipeline").unwrap();
    let ep = last_endpoint(&mut pull);
    assert!(ep.starts_with("ws://127.0.0.1:") && ep.ends_with("/pipeline"), "{ep}");
    let mut push = socket(&ctx, ZMQ_PUSH);
    push.connect(&ep).unwrap();
    // Around every length encoding: 7-bit (the flags byte counts), 16-bit, 64-bit.
    let sizes = [0usize, 1, 124, 125, 126, 127, 255, 256, 65534, 65535, 65536, 70_000, 1 << 20];
    for &n in &sizes {
        let body: Vec<u8> = (0..n).map(|i| (i % 251) as u8).collect();
        send(&mut push, &body, 0);
    }
    for &n in &sizes {
        let m = recv(&mut pull);
        assert_eq!(m.data().len(), n);
        assert!(m.data().iter().enumerate().all(|(i, &b)| b == (i % 251) as u8), "size {n}");
        assert!(!m.more());
    }
    // Multipart, and many small messages in one go.
    send(&mut push, b"a", ZMQ_SNDMORE);
    send(&mut push, &[7u8; 300], ZMQ_SNDMORE);
    send(&mut push, b"", 0);
    for i in 0..10_000u32 {
        send(&mut push, &i.to_le_bytes(), 0);
    }
    let parts: Vec<(Vec<u8>, bool)> = (0..3).map(|_| recv(&mut pull)).map(|m| (m.data().to_vec(), m.more())).collect();
    assert_eq!(parts, vec![(b"a".to_vec(), true), (vec![7u8; 300], true), (Vec::new(), false)]);
    for i in 0..10_000u32 {
        assert_eq!(recv(&mut pull).data(), i.to_le_bytes());
    }
    drop(push);
    drop(pull);
    ctx.terminate();
}

#[test]
fn req_rep_endpoints_and_unbind() {
    let ctx = Ctx::new();
    let mut rep = socket(&ctx, ZMQ_REP);
    rep.bind("ws://*:*").unwrap();
    let bound = last_endpoint(&mut rep);
    assert!(bound.starts_with("ws://0.0.0.0:") && bound.ends_with('/'), "{bound}");
    let mut req = socket(&ctx, ZMQ_REQ);
    let connect = format!("ws://127.0.0.1:{}", port_of(&bound.replace("0.0.0.0", "127.0.0.1")));
    req.connect(&connect).unwrap();
    // A connect shows its endpoint with the path, as libzmq does.
    assert_eq!(last_endpoint(&mut req), format!("{connect}/"));
    for i in 0..100u32 {
        send(&mut req, &i.to_be_bytes(), 0);
        assert_eq!(recv(&mut rep).data(), i.to_be_bytes());
        send(&mut rep, b"ok", 0);
        assert_eq!(recv(&mut req).data(), b"ok");
    }
    // Wildcards cannot be connected to; the path is not part of the port.
    assert_eq!(req.connect("ws://127.0.0.1:*").err(), Some(Error::INVAL));
    assert_eq!(rep.bind("ws://127.0.0.1:*/a/b").err(), Some(Error::INVAL));
    req.unattach(&connect, false).unwrap();
    rep.unattach(&bound, true).unwrap();
    drop(req);
    drop(rep);
    ctx.terminate();
}

#[test]
fn pub_sub_filters_over_ws() {
    let ctx = Ctx::new();
    let mut xpub = socket(&ctx, ZMQ_XPUB);
    xpub.bind("ws://127.0.0.1:*").unwrap();
    let ep = last_endpoint(&mut xpub);
    let mut sub = socket(&ctx, ZMQ_SUB);
    sub.set_option(ZMQ_SUBSCRIBE, Some(b"A")).unwrap();
    sub.connect(&ep).unwrap();
    assert_eq!(recv(&mut xpub).data(), b"\x01A");
    send(&mut xpub, b"B-skipped", 0);
    send(&mut xpub, b"A-kept", 0);
    assert_eq!(recv(&mut sub).data(), b"A-kept");
    sub.set_option(ZMQ_UNSUBSCRIBE, Some(b"A")).unwrap();
    assert_eq!(recv(&mut xpub).data(), b"\x00A");
    drop(sub);
    drop(xpub);
    ctx.terminate();
}

/// A ZAP handler that admits admin/password and refuses everything else.
fn zap_handler(ctx: &Arc<Ctx>, count: usize) -> thread::JoinHandle<()> {
    let mut handler = ctx.socket(ZMQ_REP).unwrap();
    handler.bind("inproc://zeromq.zap.01").unwrap();
    thread::spawn(move || {
        for _ in 0..count {
            let mut req = vec![handler.recv(0).unwrap()];
            while req.last().unwrap().more() {
                req.push(handler.recv(0).unwrap());
            }
            let ok = req[5].data() == b"PLAIN" && req[6].data() == b"admin" && req[7].data() == b"password";
            send(&mut handler, req[0].data(), ZMQ_SNDMORE);
            send(&mut handler, req[1].data(), ZMQ_SNDMORE);
            send(&mut handler, if ok { b"200" } else { b"400" }, ZMQ_SNDMORE);
            send(&mut handler, b"", ZMQ_SNDMORE);
            send(&mut handler, if ok { b"alice" } else { b"" }, ZMQ_SNDMORE);
            send(&mut handler, b"", 0);
        }
        set_int(&mut handler, ZMQ_LINGER, 0);
    })
}

#[test]
fn plain_over_ws() {
    let ctx = Ctx::new();
    let handler = zap_handler(&ctx, 2);
    let mut server = socket(&ctx, ZMQ_PULL);
    set_int(&mut server, ZMQ_PLAIN_SERVER, 1);
    server.set_option(ZMQ_ZAP_DOMAIN, Some(b"global")).unwrap();
    server.bind("ws://127.0.0.1:*/secure").unwrap();
    let ep = last_endpoint(&mut server);

    // Wrong password first: refused, nothing arrives.
    let mut bad = socket(&ctx, ZMQ_PUSH);
    bad.set_option(ZMQ_PLAIN_USERNAME, Some(b"admin")).unwrap();
    bad.set_option(ZMQ_PLAIN_PASSWORD, Some(b"wrong")).unwrap();
    bad.connect(&ep).unwrap();
    send(&mut bad, b"intruder", ZMQ_DONTWAIT);

    let mut good = socket(&ctx, ZMQ_PUSH);
    good.set_option(ZMQ_PLAIN_USERNAME, Some(b"admin")).unwrap();
    good.set_option(ZMQ_PLAIN_PASSWORD, Some(b"password")).unwrap();
    good.connect(&ep).unwrap();
    send(&mut good, b"hello", 0);
    let m = recv(&mut server);
    assert_eq!(m.data(), b"hello");
    let md = m.metadata().expect("metadata");
    assert_eq!(md.get("User-Id").map(|v| v.to_bytes()), Some(&b"alice"[..]));
    assert_eq!(md.get("Peer-Address").map(|v| v.to_bytes()), Some(&b"127.0.0.1"[..]));
    handler.join().unwrap();
    // The refused client's message never arrived.
    set_int(&mut server, ZMQ_RCVTIMEO, 200);
    assert_eq!(server.recv(0).err(), Some(Error::AGAIN));
    drop(bad);
    drop(good);
    drop(server);
    ctx.terminate();
}

/// Reads until EOF (or an error): what the server sent before it closed.
fn read_to_close(s: &mut TcpStream) -> Vec<u8> {
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut all = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match s.read(&mut buf) {
            Ok(0) | Err(_) => return all,
            Ok(n) => all.extend_from_slice(&buf[..n]),
        }
    }
}

const GOOD_REQUEST: &[u8] = b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Protocol: ZWS2.0/NULL,ZWS2.0\r\nSec-WebSocket-Version: 13\r\n\r\n";

#[test]
fn bad_handshakes_and_frames_are_refused() {
    let ctx = Ctx::new();
    let mut pull = socket(&ctx, ZMQ_PULL);
    pull.bind("ws://127.0.0.1:*/x").unwrap();
    let ep = last_endpoint(&mut pull);
    let addr = format!("127.0.0.1:{}", port_of(&ep));

    // Not a WebSocket upgrade, the wrong subprotocol, a missing key: 400 and closed.
    let plain_text: &[&[u8]] = &[
        b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET / HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: a\r\nSec-WebSocket-Protocol: ZWS2.0/PLAIN\r\n\r\n",
        b"GET / HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Protocol: ZWS2.0/NULL\r\n\r\n",
        b"\xff\x00\x00\x00\x00\x00\x00\x00\x01\x7f\x03\x01NULL\r\n\r\n",
    ];
    for req in plain_text {
        let mut s = TcpStream::connect(&addr).unwrap();
        s.write_all(req).unwrap();
        let answer = read_to_close(&mut s);
        assert!(answer.starts_with(b"HTTP/1.1 400"), "{:?}", String::from_utf8_lossy(&answer));
    }
    // A head that never ends is cut off.
    let mut s = TcpStream::connect(&addr).unwrap();
    let _ = s.write_all(&[b'a'; 20_000]);
    let answer = read_to_close(&mut s);
    assert!(!answer.starts_with(b"HTTP/1.1 101"));

    // A good upgrade (RFC 6455's example key), then an unmasked frame from the client:
    // the server must close (RFC 6455 §5.1).
    let mut s = TcpStream::connect(&addr).unwrap();
    s.write_all(GOOD_REQUEST).unwrap();
    s.write_all(&[0x82, 0x02, 0x02, 0x00]).unwrap();
    let answer = read_to_close(&mut s);
    let text = String::from_utf8_lossy(&answer);
    assert!(text.starts_with("HTTP/1.1 101 Switching Protocols\r\n"), "{text}");
    assert!(text.contains("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"), "{text}");
    assert!(text.contains("Sec-WebSocket-Protocol: ZWS2.0/NULL\r\n"), "{text}");

    // A masked text frame and a fragmented binary frame are refused too.
    for frame in [&[0x81u8, 0x81, 1, 2, 3, 4, 5][..], &[0x02, 0x81, 1, 2, 3, 4, 5][..]] {
        let mut s = TcpStream::connect(&addr).unwrap();
        s.write_all(GOOD_REQUEST).unwrap();
        s.write_all(frame).unwrap();
        let answer = read_to_close(&mut s);
        assert!(answer.starts_with(b"HTTP/1.1 101"));
    }

    // A ping before anything else gets its pong back, with the same payload.
    let mut s = TcpStream::connect(&addr).unwrap();
    s.write_all(GOOD_REQUEST).unwrap();
    let key = [9u8, 8, 7, 6];
    let payload: Vec<u8> = b"abc".iter().enumerate().map(|(i, b)| b ^ key[i % 4]).collect();
    s.write_all(&[0x89, 0x83]).unwrap();
    s.write_all(&key).unwrap();
    s.write_all(&payload).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    while !got.windows(5).any(|w| w == [0x8A, 3, b'a', b'b', b'c']) {
        let n = s.read(&mut buf).unwrap();
        assert!(n > 0, "closed before the pong: {got:?}");
        got.extend_from_slice(&buf[..n]);
    }
    drop(s);

    // The listener still serves a real client.
    let mut push = socket(&ctx, ZMQ_PUSH);
    push.connect(&ep).unwrap();
    send(&mut push, b"still alive", 0);
    assert_eq!(recv(&mut pull).data(), b"still alive");
    drop(push);
    drop(pull);
    ctx.terminate();
}

#[test]
fn client_refuses_a_bad_server_answer() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = thread::spawn(move || {
        let answers: [&[u8]; 3] = [
            b"HTTP/1.1 200 OK\r\n\r\n",
            b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: wrong\r\nSec-WebSocket-Protocol: ZWS2.0/NULL\r\n\r\n",
            b"garbage without an end",
        ];
        let mut requests = Vec::new();
        for answer in answers {
            let (mut s, _) = listener.accept().unwrap();
            s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
            let mut head = Vec::new();
            let mut buf = [0u8; 1024];
            while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                let n = s.read(&mut buf).unwrap();
                assert!(n > 0);
                head.extend_from_slice(&buf[..n]);
            }
            s.write_all(answer).unwrap();
            if answer.ends_with(b"\r\n\r\n") {
                // Closed by the client, which then reconnects.
                assert_eq!(read_to_close(&mut s), b"");
            }
            requests.push(String::from_utf8(head).unwrap());
        }
        requests
    });
    let ctx = Ctx::new();
    let mut push = socket(&ctx, ZMQ_PUSH);
    set_int(&mut push, ZMQ_RECONNECT_IVL, 10);
    push.connect(&format!("ws://127.0.0.1:{port}/a/path")).unwrap();
    let requests = server.join().unwrap();
    // libzmq asks for the path from the last '/', and names the host without the port.
    assert!(requests[0].starts_with("GET /path HTTP/1.1\r\nHost: 127.0.0.1\r\n"), "{}", requests[0]);
    assert!(requests[0].contains("Sec-WebSocket-Protocol: ZWS2.0/NULL,ZWS2.0\r\n"));
    drop(push);
    ctx.terminate();
}

/// wss:// (draft build): certificates made by the openssl command at test time.
#[cfg(feature = "draft")]
mod wss {
    use super::*;
    use std::process::Command;

    /// (certificate, key) PEM: self-signed for `cn`; `leaf` adds a SAN for it and
    /// CA:FALSE, else it is a CA with only the Common Name (what libzmq's test uses).
    fn self_signed(dir: &std::path::Path, cn: &str, leaf: bool) -> (Vec<u8>, Vec<u8>) {
        let (cert, key) = (dir.join(format!("{cn}-{leaf}.crt")), dir.join(format!("{cn}-{leaf}.key")));
        let mut cmd = Command::new("openssl");
        cmd.args(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", &format!("/CN={cn}")]);
        cmd.arg("-keyout").arg(&key).arg("-out").arg(&cert);
        if leaf {
            cmd.args(["-addext", &format!("subjectAltName=DNS:{cn}"), "-addext", "basicConstraints=critical,CA:FALSE"]);
        }
        let out = cmd.output().expect("the openssl command (Debian package openssl) makes the test certificates");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        (std::fs::read(cert).unwrap(), std::fs::read(key).unwrap())
    }

    fn server(ctx: &Arc<Ctx>, cert: &[u8], key: &[u8]) -> (Socket, String) {
        let mut s = socket(ctx, ZMQ_REP);
        s.set_option(ZMQ_WSS_CERT_PEM, Some(cert)).unwrap();
        s.set_option(ZMQ_WSS_KEY_PEM, Some(key)).unwrap();
        s.bind("wss://127.0.0.1:*/secure").unwrap();
        let ep = last_endpoint(&mut s);
        assert!(ep.starts_with("wss://127.0.0.1:") && ep.ends_with("/secure"), "{ep}");
        (s, ep)
    }

    /// A REQ trusting `trust` and expecting `hostname`: whether a request gets its reply.
    fn round_trip(ctx: &Arc<Ctx>, server: &mut Socket, ep: &str, trust: &[u8], hostname: &str) -> bool {
        let mut req = socket(ctx, ZMQ_REQ);
        set_int(&mut req, ZMQ_RCVTIMEO, 1000);
        req.set_option(ZMQ_WSS_TRUST_PEM, Some(trust)).unwrap();
        req.set_option(ZMQ_WSS_HOSTNAME, Some(hostname.as_bytes())).unwrap();
        req.connect(ep).unwrap();
        send(&mut req, &[5u8; 70_000], 0);
        set_int(server, ZMQ_RCVTIMEO, 1000);
        let Ok(m) = server.recv(0) else { return false };
        assert_eq!(m.data(), &[5u8; 70_000][..]);
        send(server, b"reply", 0);
        req.recv(0).is_ok_and(|m| m.data() == b"reply")
    }

    #[test]
    fn wss_trusts_what_it_is_told_to() {
        let dir = std::env::temp_dir().join(format!("zmq-oxide-wss-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let (leaf, leaf_key) = self_signed(&dir, "zmq-oxide.test", true);
        let (ca_cn, ca_cn_key) = self_signed(&dir, "cn-only.test", false);
        let (other, _) = self_signed(&dir, "zmq-oxide.test", false);
        let ctx = Ctx::new();

        // A leaf with its name in the SAN; a CA-marked certificate naming its host only
        // in the CN, trusted as itself (libzmq's test_wss_transport does that).
        let (mut s, ep) = server(&ctx, &leaf, &leaf_key);
        assert!(round_trip(&ctx, &mut s, &ep, &leaf, "zmq-oxide.test"));
        // The wrong name, or a certificate not trusted: no connection.
        assert!(!round_trip(&ctx, &mut s, &ep, &leaf, "other.test"));
        assert!(!round_trip(&ctx, &mut s, &ep, &other, "zmq-oxide.test"));
        drop(s);
        let (mut s, ep) = server(&ctx, &ca_cn, &ca_cn_key);
        assert!(round_trip(&ctx, &mut s, &ep, &ca_cn, "cn-only.test"));
        assert!(!round_trip(&ctx, &mut s, &ep, &ca_cn, "zmq-oxide.test"));
        drop(s);

        // No certificate: the bind is refused.
        let mut bare = socket(&ctx, ZMQ_REP);
        assert_eq!(bare.bind("wss://127.0.0.1:*").err(), Some(Error::INVAL));
        drop(bare);
        ctx.terminate();
        let _ = std::fs::remove_dir_all(&dir);
    }
}
