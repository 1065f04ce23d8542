//! The CURVE handshake and MESSAGE boxes, client against server in memory.

use crate::constants::*;
use super::super::super::commands;
use super::super::super::failure::{Failure, MonitorEvent};
use crate::constants::{ZMQ_DEALER, ZMQ_ROUTER};
use super::super::{basic_properties, LocalInfo, Mechanism, Status, ZapReply};
use super::*;
use crate::msg::{flags, Msg};

fn local(socket_type: i32, as_server: bool) -> LocalInfo {
    LocalInfo { socket_type, routing_id: b"id".to_vec(), app_metadata: vec![("X-Hello".into(), b"World".to_vec())], as_server }
}

struct Pair {
    client: Curve,
    server: Curve,
    client_public: [u8; 32],
}

fn client_side(curve: &mut Curve) -> &mut Client {
    match &mut curve.side {
        Side::Client(client) => client,
        Side::Server(_) => panic!("a server"),
    }
}

fn pair_with_server_key(server_key_for_client: Option<[u8; 32]>) -> Pair {
    let (spub, ssec) = keypair();
    let (cpub, csec) = keypair();
    let client = Curve::client(local(ZMQ_DEALER, false), cpub, csec, server_key_for_client.unwrap_or(spub));
    Pair { client, server: Curve::server(local(ZMQ_ROUTER, true), ssec), client_public: cpub }
}

/// Runs the handshake; answers ZAP with `zap_status`. Returns the first failure.
fn handshake(p: &mut Pair, zap_status: &[u8]) -> Result<(), Failure> {
    for _ in 0..10 {
        while let Some(cmd) = p.client.next_handshake_command() {
            p.server.process_handshake_command(&cmd)?;
        }
        if let Some(req) = p.server.take_zap_request() {
            assert_eq!(req.mechanism, b"CURVE");
            assert_eq!(req.credentials, vec![p.client_public.to_vec()]);
            p.server.zap_reply(&ZapReply { status_code: zap_status.to_vec(), user_id: b"alice".to_vec(), ..Default::default() })?;
        }
        while let Some(cmd) = p.server.next_handshake_command() {
            p.client.process_handshake_command(&cmd)?;
        }
        if p.client.status() == Status::Ready && p.server.status() == Status::Ready {
            return Ok(());
        }
    }
    panic!("handshake did not finish");
}

fn event(f: &Failure) -> Option<MonitorEvent> {
    f.event
}

#[test]
fn keys() {
    let (public, secret) = keypair();
    assert_eq!(public_key(&secret), public);
    assert_ne!(keypair().1, secret);
    // RFC 7748 §6.1 (Alice): X25519(a, 9).
    let hex = |s: &str| -> [u8; 32] {
        (0..32).map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap()).collect::<Vec<_>>().try_into().unwrap()
    };
    let a = hex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
    assert_eq!(public_key(&a), hex("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a"));
}

#[test]
fn sizes_and_layout() {
    let mut p = pair_with_server_key(None);
    let hello = p.client.next_handshake_command().unwrap();
    assert_eq!(hello.len(), 200);
    assert_eq!(&hello[..8], b"\x05HELLO\x01\x00");
    assert_eq!(&hello[112..120], &1u64.to_be_bytes());
    p.server.process_handshake_command(&hello).unwrap();
    let welcome = p.server.next_handshake_command().unwrap();
    assert_eq!(welcome.len(), 168);
    p.client.process_handshake_command(&welcome).unwrap();
    let initiate = p.client.next_handshake_command().unwrap();
    assert_eq!(&initiate[..9], b"\x08INITIATE");
    assert_eq!(&initiate[105..113], &2u64.to_be_bytes());
    assert_eq!(initiate.len(), 113 + 128 + 16 + basic_properties(&client_side(&mut p.client).local).len());
    assert_eq!(p.server.next_handshake_command(), None);
}

#[test]
fn handshake_and_messages() {
    let mut p = pair_with_server_key(None);
    handshake(&mut p, b"200").unwrap();
    assert_eq!(p.server.peer().socket_type, Some(ZMQ_DEALER));
    assert_eq!(p.server.peer().routing_id, b"id");
    assert_eq!(p.server.peer().user_id.as_deref(), Some(&b"alice"[..]));
    assert!(p.server.peer().properties.iter().any(|(n, v)| n == "X-Hello" && v == b"World"));
    assert_eq!(p.client.peer().socket_type, Some(ZMQ_ROUTER));

    let mut m = Msg::from_slice(b"hello");
    m.set_more(true);
    let wire = p.client.encode(&m).unwrap();
    assert_eq!(wire.flags(), 0);
    assert_eq!(&wire.data()[..8], b"\x07MESSAGE");
    assert_eq!(&wire.data()[8..16], &3u64.to_be_bytes());
    assert_eq!(wire.len(), 8 + 8 + 16 + 1 + 5);
    let got = p.server.decode(wire.clone()).unwrap();
    assert_eq!((got.data(), got.more(), got.is_command()), (&b"hello"[..], true, false));
    // A replay (same nonce) is refused.
    let err = p.server.decode(wire).unwrap_err();
    assert_eq!(event(&err), Some(MonitorEvent::HandshakeFailedProtocol(ZMQ_PROTOCOL_ERROR_ZMTP_INVALID_SEQUENCE)));

    // Commands travel inside boxes too, with the COMMAND flag.
    let mut ping = Msg::from_vec(commands::ping(10, b""));
    ping.set_flags(flags::COMMAND);
    let big = Msg::from_vec(vec![7u8; 100_000]);
    for msg in [ping, big, Msg::new()] {
        let back = p.client.decode(p.server.encode(&msg).unwrap()).unwrap();
        assert_eq!((back.data(), back.is_command(), back.more()), (msg.data(), msg.is_command(), false));
    }
}

#[test]
fn tampered_message_fails() {
    let mut p = pair_with_server_key(None);
    handshake(&mut p, b"200").unwrap();
    let wire = p.client.encode(&Msg::from_slice(b"secret")).unwrap();
    let mut bad = wire.data().to_vec();
    *bad.last_mut().unwrap() ^= 1;
    let err = p.server.decode(Msg::from_vec(bad)).unwrap_err();
    assert_eq!(event(&err), Some(MonitorEvent::HandshakeFailedProtocol(ZMQ_PROTOCOL_ERROR_ZMTP_CRYPTOGRAPHIC)));

    let check = |body: &[u8], code: i32| {
        let mut p = pair_with_server_key(None);
        handshake(&mut p, b"200").unwrap();
        let err = p.server.decode(Msg::from_slice(body)).unwrap_err();
        assert_eq!(event(&err), Some(MonitorEvent::HandshakeFailedProtocol(code)), "{body:?}");
    };
    check(b"\x07MESSAGE\0\0\0\0\0\0\0\x05short", ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_MESSAGE);
    check(b"\x07MESSAGX0123456789", ZMQ_PROTOCOL_ERROR_ZMTP_UNEXPECTED_COMMAND);
    check(b"\x07", ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_UNSPECIFIED);
    check(&[b"\x07MESSAGE".as_slice(), &1u64.to_be_bytes(), &[0; 20]].concat(), ZMQ_PROTOCOL_ERROR_ZMTP_INVALID_SEQUENCE);
}

#[test]
fn wrong_server_key_fails() {
    let (other, _) = keypair();
    let mut p = pair_with_server_key(Some(other));
    let err = handshake(&mut p, b"200").unwrap_err();
    assert_eq!(event(&err), Some(MonitorEvent::HandshakeFailedProtocol(ZMQ_PROTOCOL_ERROR_ZMTP_CRYPTOGRAPHIC)));
    assert_eq!(p.server.status(), Status::Error);
}

#[test]
fn low_order_keys_are_refused() {
    // A client whose short-term key is zero: anyone could make its HELLO box.
    let mut p = pair_with_server_key(None);
    client_side(&mut p.client).cn_public = [0; 32];
    let hello = p.client.next_handshake_command().unwrap();
    let err = p.server.process_handshake_command(&hello).unwrap_err();
    assert_eq!(event(&err), Some(MonitorEvent::HandshakeFailedProtocol(ZMQ_PROTOCOL_ERROR_ZMTP_CRYPTOGRAPHIC)));
    // A client with a zero long-term key (what test_security_curve's null key sets).
    let (spub, ssec) = keypair();
    let (_, csec) = keypair();
    let mut client = Curve::client(local(ZMQ_DEALER, false), [0; 32], csec, spub);
    let mut server = Curve::server(local(ZMQ_ROUTER, true), ssec);
    server.process_handshake_command(&client.next_handshake_command().unwrap()).unwrap();
    client.process_handshake_command(&server.next_handshake_command().unwrap()).unwrap();
    let err = server.process_handshake_command(&client.next_handshake_command().unwrap()).unwrap_err();
    assert_eq!(event(&err), Some(MonitorEvent::HandshakeFailedProtocol(ZMQ_PROTOCOL_ERROR_ZMTP_CRYPTOGRAPHIC)));
}

/// Client and server up to the server's ZAP request, taken.
fn up_to_zap(p: &mut Pair) {
    p.server.process_handshake_command(&p.client.next_handshake_command().unwrap()).unwrap();
    p.client.process_handshake_command(&p.server.next_handshake_command().unwrap()).unwrap();
    p.server.process_handshake_command(&p.client.next_handshake_command().unwrap()).unwrap();
    assert_eq!(p.server.status(), Status::Handshaking);
    assert_eq!(p.server.next_handshake_command(), None, "nothing before the ZAP reply");
    p.server.take_zap_request().unwrap();
    assert!(p.server.take_zap_request().is_none());
}

#[test]
fn zap_refusal_sends_error() {
    let mut p = pair_with_server_key(None);
    up_to_zap(&mut p);
    let err = p.server.zap_reply(&ZapReply { status_code: b"400".to_vec(), ..Default::default() }).unwrap_err();
    assert_eq!(event(&err), Some(MonitorEvent::HandshakeFailedAuth(400)));
    let error = p.server.next_handshake_command().unwrap();
    assert_eq!(error, commands::error(b"400"));
    assert_eq!(p.server.status(), Status::Error);
    let err = p.client.process_handshake_command(&error).unwrap_err();
    assert_eq!(event(&err), Some(MonitorEvent::HandshakeFailedAuth(400)));
    assert_eq!(p.client.status(), Status::Error);

    // 300: no ERROR at all, the server just gives up.
    let mut p = pair_with_server_key(None);
    up_to_zap(&mut p);
    let err = p.server.zap_reply(&ZapReply { status_code: b"300".to_vec(), ..Default::default() }).unwrap_err();
    assert_eq!(event(&err), Some(MonitorEvent::HandshakeFailedAuth(300)));
    assert_eq!(p.server.next_handshake_command(), None);
    assert_eq!(p.server.status(), Status::Error);
}

#[test]
fn without_zap_handler() {
    let mut p = pair_with_server_key(None);
    up_to_zap(&mut p);
    p.server.zap_bypassed().unwrap();
    p.client.process_handshake_command(&p.server.next_handshake_command().unwrap()).unwrap();
    assert_eq!((p.client.status(), p.server.status()), (Status::Ready, Status::Ready));
    assert_eq!(p.server.peer().user_id, None);
    assert!(p.server.zap_bypassed().is_err(), "only once, after a request");
}

#[test]
fn bad_handshake_commands() {
    let server_fails = |f: &dyn Fn(&mut Vec<u8>), code: i32| {
        let mut p = pair_with_server_key(None);
        let mut hello = p.client.next_handshake_command().unwrap();
        f(&mut hello);
        let err = p.server.process_handshake_command(&hello).unwrap_err();
        assert_eq!(event(&err), Some(MonitorEvent::HandshakeFailedProtocol(code)));
    };
    server_fails(&|h| h[6] = 2, ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_HELLO);
    server_fails(&|h| h.truncate(199), ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_HELLO);
    server_fails(&|h| h[1] = b'J', ZMQ_PROTOCOL_ERROR_ZMTP_UNEXPECTED_COMMAND);
    server_fails(&|h| h[150] ^= 1, ZMQ_PROTOCOL_ERROR_ZMTP_CRYPTOGRAPHIC);

    // A tampered cookie or INITIATE box.
    for at in [20, 50, 150] {
        let mut p = pair_with_server_key(None);
        p.server.process_handshake_command(&p.client.next_handshake_command().unwrap()).unwrap();
        p.client.process_handshake_command(&p.server.next_handshake_command().unwrap()).unwrap();
        let mut initiate = p.client.next_handshake_command().unwrap();
        initiate[at] ^= 1;
        let err = p.server.process_handshake_command(&initiate).unwrap_err();
        assert_eq!(event(&err), Some(MonitorEvent::HandshakeFailedProtocol(ZMQ_PROTOCOL_ERROR_ZMTP_CRYPTOGRAPHIC)));
    }

    // The client: a READY before WELCOME (short, then with a box that cannot open, as
    // libzmq reports them), a malformed ERROR.
    let mut p = pair_with_server_key(None);
    p.client.next_handshake_command();
    let err = p.client.process_handshake_command(b"\x05READY").unwrap_err();
    assert_eq!(event(&err), Some(MonitorEvent::HandshakeFailedProtocol(ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_READY)));
    let mut p = pair_with_server_key(None);
    p.client.next_handshake_command();
    let err = p.client.process_handshake_command(&[&b"\x05READY"[..], &[0; 30]].concat()).unwrap_err();
    assert_eq!(event(&err), Some(MonitorEvent::HandshakeFailedProtocol(ZMQ_PROTOCOL_ERROR_ZMTP_CRYPTOGRAPHIC)));
    let mut p = pair_with_server_key(None);
    p.client.next_handshake_command();
    let err = p.client.process_handshake_command(b"\x05ERROR\x05500").unwrap_err();
    assert_eq!(event(&err), Some(MonitorEvent::HandshakeFailedProtocol(ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_ERROR)));
    let mut p = pair_with_server_key(None);
    p.client.next_handshake_command();
    let err = p.client.process_handshake_command(b"\x05ERROR\x03500").unwrap_err();
    assert_eq!(event(&err), Some(MonitorEvent::HandshakeFailedAuth(500)));
}
