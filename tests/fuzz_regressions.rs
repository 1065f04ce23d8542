//! Inputs the fuzz targets in fuzz/ found, each kept as a test once fixed (see
//! fuzz/README.md and ci/baseline/fuzz.md).

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
