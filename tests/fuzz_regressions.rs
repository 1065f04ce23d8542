//! Inputs the fuzz targets in fuzz/ found, each kept as a test once fixed (see
//! fuzz/README.md and ci/baseline/fuzz.md).

use zmq::constants::*;
use zmq::zmtp::mechanism::ZapReply;
use zmq::zmtp::{Config, Engine, Event};

/// A ZMTP 3.1 NULL greeting.
fn null_greeting() -> Vec<u8> {
    let mut g = vec![0u8; 64];
    g[0] = 0xFF;
    g[8] = 1;
    g[9] = 0x7F;
    g[10] = 3;
    g[11] = 1;
    g[12..16].copy_from_slice(b"NULL");
    g
}

fn events(e: &mut Engine) -> Vec<Event> {
    std::iter::from_fn(|| e.poll_event()).collect()
}

/// null_mechanism: `zap_bypassed` with no ZAP request outstanding was accepted by NULL
/// (PLAIN and CURVE refused it), so a repeated or stray bypass could mark a peer
/// authenticated that no handler was asked about. It must be refused, like a stray
/// `zap_reply`.
#[test]
fn null_refuses_a_zap_bypass_without_a_request() {
    // No ZAP domain: NULL never asks, so there is nothing to bypass.
    let mut e = Engine::new(Config::default());
    e.on_read(&null_greeting()).unwrap();
    assert!(events(&mut e).is_empty());
    assert!(e.zap_bypassed().is_err());
    assert!(matches!(events(&mut e).as_slice(), [Event::Error(_)]));

    // With a domain: the one request may be bypassed once; a second bypass, or a reply
    // after it, is out of turn.
    let mut e = Engine::new(Config { zap_domain: b"global".to_vec(), ..Config::default() });
    e.on_read(&null_greeting()).unwrap();
    assert!(matches!(events(&mut e).as_slice(), [Event::ZapRequest(_)]));
    e.zap_bypassed().unwrap();
    assert!(events(&mut e).is_empty());
    assert!(e.zap_bypassed().is_err());

    let mut e = Engine::new(Config { zap_domain: b"global".to_vec(), ..Config::default() });
    e.on_read(&null_greeting()).unwrap();
    assert!(matches!(events(&mut e).as_slice(), [Event::ZapRequest(_)]));
    e.zap_bypassed().unwrap();
    assert!(e.zap_reply(&ZapReply { status_code: b"200".to_vec(), ..ZapReply::default() }).is_err());
}

/// ci/abuse metadata_flood: a READY carrying 40000 properties (about 1 MiB) took seconds
/// of the I/O thread (metadata was built with a lookup per property, quadratic), so 16
/// such peers kept a server from answering anyone for half a minute. The handshake must
/// take time linear in the properties.
#[test]
fn a_ready_with_many_properties_is_linear() {
    // As many properties as a handshake command may hold (MAX_HANDSHAKE_COMMAND caps
    // it, since the hostile-peer work; a quadratic build was seconds at 40,000).
    let prop = |name: &[u8], value: &[u8]| {
        let mut p = vec![name.len() as u8];
        p.extend_from_slice(name);
        p.extend_from_slice(&(value.len() as u32).to_be_bytes());
        p.extend_from_slice(value);
        p
    };
    let mut ready = b"\x05READY".to_vec();
    ready.extend(prop(b"Socket-Type", b"DEALER"));
    let duplicate = prop(b"X-000000", b"a later duplicate is ignored");
    let mut n = 0;
    loop {
        let p = prop(format!("X-{n:06}").as_bytes(), b"v");
        if (ready.len() + p.len() + duplicate.len()) as u64 > zmq::zmtp::codec::MAX_HANDSHAKE_COMMAND {
            break;
        }
        ready.extend(p);
        n += 1;
    }
    ready.extend(duplicate);
    assert!(ready.len() as u64 <= zmq::zmtp::codec::MAX_HANDSHAKE_COMMAND);
    let mut wire = null_greeting();
    wire.push(0x06); // long command frame
    wire.extend_from_slice(&(ready.len() as u64).to_be_bytes());
    wire.extend_from_slice(&ready);

    let start = std::time::Instant::now();
    let mut e = Engine::new(Config { socket_type: ZMQ_ROUTER, ..Config::default() });
    e.on_read(&wire).unwrap();
    let elapsed = start.elapsed();
    let evs = events(&mut e);
    let [Event::HandshakeDone(h)] = evs.as_slice() else { panic!("{evs:?}") };
    assert!(n > 4000, "{n} properties");
    assert_eq!(h.metadata.iter().count(), n + 1);
    assert_eq!(h.metadata.get("X-000000").unwrap().to_bytes(), b"v");
    assert!(elapsed < std::time::Duration::from_secs(2), "{n} properties took {elapsed:?}");
}
