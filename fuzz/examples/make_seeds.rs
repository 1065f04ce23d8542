//! Writes the committed seed corpora (fuzz/seeds/TARGET/NAME): a few well-formed inputs
//! per target, in the layout each target's doc comment describes, so the fuzzer starts
//! from valid handshakes instead of having to find them. `cargo run --example make_seeds`
//! (from fuzz/) rewrites them; they are small and deterministic.

use std::fs;
use std::path::Path;

use fuzz_support::{frame, greeting_v3, properties};
use zmq::zmtp::codec::{write_header, Framing};

/// A length-prefixed chunk (Input::chunk).
fn chunk(out: &mut Vec<u8>, data: &[u8]) {
    assert!(data.len() <= 255);
    out.push(data.len() as u8);
    out.extend_from_slice(data);
}

fn cat(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

fn ready(socket_type: &[u8]) -> Vec<u8> {
    cat(&[b"\x05READY", &properties(&[(b"Socket-Type", socket_type), (b"Identity", b"peer")])])
}

fn v1_frame(body: &[u8], more: bool) -> Vec<u8> {
    let mut out = Vec::new();
    write_header(Framing::V1, &mut out, body.len(), more, false);
    out.extend_from_slice(body);
    out
}

/// Driver::step ops.
fn command_step(out: &mut Vec<u8>, body: &[u8]) {
    out.push(0);
    chunk(out, body);
}
fn message_step(out: &mut Vec<u8>, body: &[u8]) {
    out.extend_from_slice(&[1, 0]);
    chunk(out, body);
}
fn send_step(out: &mut Vec<u8>, body: &[u8]) {
    out.extend_from_slice(&[5, 0]);
    chunk(out, body);
}
fn zap_200_step(out: &mut Vec<u8>) {
    out.extend_from_slice(&[3, 0, 0, 5]);
    out.extend_from_slice(b"alice");
    chunk(out, &properties(&[(b"X-Role", b"admin")]));
}

/// curve_peer::Channel::run steps: a boxed message (or command) with the next nonce.
fn boxed_step(out: &mut Vec<u8>, msg_flags: u8, body: &[u8]) {
    out.extend_from_slice(&[0, msg_flags]);
    chunk(out, body);
    out.extend_from_slice(&[0, 1]);
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("seeds");
    let mut seeds: Vec<(&str, &str, Vec<u8>)> = Vec::new();

    // frame_decoder: mode, limit, piece size, wire.
    let v2 = cat(&[&frame(b"hello", true, false), &frame(&[7; 300], false, false), &frame(b"\x04PING\x00\x01", false, true), &frame(b"", false, false)]);
    seeds.push(("frame_decoder", "v2", cat(&[&[0, 0, 3], &v2])));
    let v1 = cat(&[&v1_frame(b"id", false), &v1_frame(&[9; 300], true), &v1_frame(b"", false)]);
    seeds.push(("frame_decoder", "v1", cat(&[&[1, 0, 7], &v1])));
    seeds.push(("frame_decoder", "over-max", cat(&[&[4, 10, 0], &frame(&[1; 20], false, false)])));
    seeds.push(("frame_decoder", "huge-length", vec![0, 0, 0, 2, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 1, 2, 3]));

    // greeting: socket type, options, piece size, then the peer's bytes.
    let null31 = cat(&[
        &greeting_v3(b"NULL", false, 1),
        &frame(&ready(b"DEALER"), false, true),
        &frame(b"hi", false, false),
        &frame(b"\x04PING\x00\x0actx", false, true),
        &frame(b"\x09SUBSCRIBEtopic", false, true),
    ]);
    seeds.push(("greeting", "zmtp31-null", cat(&[&[6, 0, 64], &null31])));
    seeds.push(("greeting", "zmtp31-bytewise", cat(&[&[6, 0, 1], &null31])));
    let null30 = cat(&[&greeting_v3(b"NULL", false, 0), &frame(&ready(b"SUB"), false, true), &frame(b"\x01topic", false, false)]);
    seeds.push(("greeting", "zmtp30-xpub", cat(&[&[9, 0, 13], &null30])));
    let zmtp2 = cat(&[&[0xFF, 0, 0, 0, 0, 0, 0, 0, 1, 0x7F, 1, 5], &frame(b"", false, false), &frame(b"msg", false, false)]);
    seeds.push(("greeting", "zmtp20", cat(&[&[6, 0, 5], &zmtp2])));
    let zmtp10 = cat(&[&[0xFF, 0, 0, 0, 0, 0, 0, 0, 1, 0x7F, 0, 5], &v1_frame(b"", false), &v1_frame(b"msg", false)]);
    seeds.push(("greeting", "zmtp10-revision0", cat(&[&[6, 0, 12], &zmtp10])));
    seeds.push(("greeting", "zmtp10-unversioned", cat(&[&[1, 0, 2], &v1_frame(b"", false), &v1_frame(b"msg", false)])));
    let plain = cat(&[&greeting_v3(b"PLAIN", false, 1), &frame(b"\x05HELLO\x04user\x04pass", false, true), &frame(&cat(&[b"\x08INITIATE", &properties(&[(b"Socket-Type", b"DEALER")])]), false, true)]);
    seeds.push(("greeting", "plain-server", cat(&[&[6, 2 | 8 | 16, 82], &plain])));

    // null_mechanism: socket type, options, steps.
    let mut s = vec![6, 0];
    command_step(&mut s, &ready(b"DEALER"));
    message_step(&mut s, b"hello");
    command_step(&mut s, b"\x04PING\x00\x0actx");
    send_step(&mut s, b"reply");
    seeds.push(("null_mechanism", "router-dealer", s));
    let mut s = vec![9, 1];
    command_step(&mut s, &ready(b"SUB"));
    zap_200_step(&mut s);
    command_step(&mut s, b"\x09SUBSCRIBEnews");
    command_step(&mut s, b"\x06CANCELnews");
    seeds.push(("null_mechanism", "xpub-zap", s));
    let mut s = vec![5, 0];
    command_step(&mut s, b"\x05ERROR\x0cbad identity");
    seeds.push(("null_mechanism", "error", s));

    // plain_mechanism: socket type, options (bit 0: server), steps.
    let mut s = vec![6, 1];
    command_step(&mut s, b"\x05HELLO\x05admin\x06secret");
    zap_200_step(&mut s);
    command_step(&mut s, &cat(&[b"\x08INITIATE", &properties(&[(b"Socket-Type", b"DEALER")])]));
    message_step(&mut s, b"hello");
    seeds.push(("plain_mechanism", "server", s));
    let mut s = vec![5, 0];
    command_step(&mut s, b"\x07WELCOME");
    command_step(&mut s, &ready(b"ROUTER"));
    send_step(&mut s, b"hello");
    seeds.push(("plain_mechanism", "client", s));
    let mut s = vec![6, 1];
    command_step(&mut s, b"\x05HELLO\x05admin\x05wrong");
    s.extend_from_slice(&[3, 3, 0, 0, 0]);
    seeds.push(("plain_mechanism", "server-refused", s));

    // curve_server: socket type, HELLO mutation, metadata mode, extra metadata,
    // two more mutations, ZAP answer, then message steps.
    let mut s = vec![6, 0, 0, 0, 0, 0, 1, 0, 0, 5];
    s.extend_from_slice(b"alice");
    s.push(0);
    boxed_step(&mut s, 0, b"hello");
    boxed_step(&mut s, 2, b"\x04PING\x00\x0actx");
    boxed_step(&mut s, 2, b"\x09SUBSCRIBEtopic");
    s.extend_from_slice(&[4, 0, 3]);
    s.extend_from_slice(b"abc");
    seeds.push(("curve_server", "handshake-and-messages", s));
    seeds.push(("curve_server", "zap-bypassed", vec![5, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1]));
    seeds.push(("curve_server", "zap-400", vec![6, 0, 0, 0, 0, 0, 1, 3, 0, 0, 0]));

    // curve_client: socket type, routing id, cookie, WELCOME mutation, truncation,
    // reply kind, metadata mode, extra metadata, mutation, then message steps.
    let mut s = vec![5, 0];
    s.extend_from_slice(&[0x42; 96]);
    s.extend_from_slice(&[0, 1, 2, 0, 0, 0]);
    boxed_step(&mut s, 0, b"hello");
    boxed_step(&mut s, 2, b"\x04PING\x00\x0actx");
    s.extend_from_slice(&[4, 0, 3]);
    s.extend_from_slice(b"abc");
    seeds.push(("curve_client", "handshake-and-messages", s));
    let mut s = vec![5, 0];
    s.extend_from_slice(&[0x42; 96]);
    s.extend_from_slice(&[0, 1, 1, 4]);
    s.extend_from_slice(b"\x03400");
    s.push(0);
    seeds.push(("curve_client", "error", s));

    // zap_reply: mechanism, then the reply's frames.
    let reply = |status: &[u8], version: &[u8]| {
        let mut s = vec![1];
        for f in [b"".as_slice(), version, b"1", status, b"OK", b"alice", &properties(&[(b"X-Role", b"admin")])] {
            chunk(&mut s, f);
        }
        s
    };
    seeds.push(("zap_reply", "plain-200", reply(b"200", b"1.0")));
    seeds.push(("zap_reply", "plain-400", reply(b"400", b"1.0")));
    let mut null = reply(b"200", b"1.0");
    null[0] = 0;
    seeds.push(("zap_reply", "null-200", null));
    seeds.push(("zap_reply", "bad-version", reply(b"200", b"2.0")));

    // metadata: our socket type, then a command body / property list.
    seeds.push(("metadata", "ready", cat(&[&[5], &ready(b"ROUTER")])));
    seeds.push(("metadata", "properties", cat(&[&[6], &properties(&[(b"Socket-Type", b"DEALER"), (b"X-A", b"b\0c")])])));
    seeds.push(("metadata", "error", cat(&[&[0], b"\x05ERROR\x03abc"])));
    seeds.push(("metadata", "ping", cat(&[&[0], b"\x04PING\x00\x01context"])));

    // endpoint: options, then the endpoint.
    for (name, opts, ep) in [
        ("tcp-v4", 0u8, "tcp://127.0.0.1:5555"),
        ("tcp-v6-wildcard", 1, "tcp://[::1]:*"),
        ("tcp-source", 0, "tcp://lo;127.0.0.1:1"),
        ("tcp-zone", 1, "tcp://[fe80::1%lo]:5"),
        ("ipc-abstract", 0, "ipc://@name"),
        ("mask", 0, "10.0.0.0/8"),
        ("inproc", 0, "inproc://x"),
    ] {
        seeds.push(("endpoint", name, cat(&[&[opts], ep.as_bytes()])));
    }

    // z85: text (or bytes to encode).
    seeds.push(("z85", "rfc32", b"HelloWorld".to_vec()));
    seeds.push(("z85", "curve-key", b"Yne@$w-vo<fVvi]a<NY6T1ed:M$fCG*[IaLV{hID".to_vec()));
    seeds.push(("z85", "bytes", vec![0x86, 0x4F, 0xD2, 0x6F, 0xB5, 0x59, 0xF7, 0x5B]));

    // subscriptions: XPUB options, then (op, topic) steps.
    let mut s = vec![1];
    for (op, topic) in [(4u8, b"A".as_slice()), (6, b"AB"), (3, b"\x01B"), (6, b"B1"), (5, b"A"), (0, b"x"), (0, b"x"), (2, b"xy"), (1, b"x"), (3, b"\x00B")] {
        s.push(op);
        chunk(&mut s, topic);
    }
    seeds.push(("subscriptions", "mixed", s));
    seeds.push(("subscriptions", "manual", vec![4, 4, 1, b'A', 7 | 0x10, 1, b'A', 6, 2, b'A', b'1']));

    for (target, name, data) in seeds {
        let dir = root.join(target);
        fs::create_dir_all(&dir).unwrap();
        fs::write(dir.join(name), data).unwrap();
    }
}
