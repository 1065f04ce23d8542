//! ZAP (RFC 27) messages, sans-IO: the request a server-side mechanism's `ZapRequest`
//! becomes, and the checks libzmq applies to the handler's reply (each failure has its
//! ZMQ_PROTOCOL_ERROR_ZAP_* code). The I/O layer moves them over an inproc pipe to the
//! socket bound at inproc://zeromq.zap.01.

use crate::constants::*;
use super::commands;
use super::mechanism::{ZapReply, ZapRequest};
use crate::msg::Msg;

/// The inproc name (after "inproc://") ZAP handlers bind to.
pub const HANDLER_NAME: &str = "zeromq.zap.01";

const VERSION: &[u8] = b"1.0";
/// libzmq sends one request per connection at a time and always uses id "1".
const REQUEST_ID: &[u8] = b"1";

/// The request's frames, MORE set on all but the last: an empty delimiter (handlers are
/// REP or ROUTER sockets), version, request id, domain, address, our routing id,
/// mechanism, then the mechanism's credentials.
pub fn request_frames(req: &ZapRequest, domain: &[u8], address: &[u8], routing_id: &[u8]) -> Vec<Msg> {
    let fixed: [&[u8]; 7] = [b"", VERSION, REQUEST_ID, domain, address, routing_id, req.mechanism];
    let mut frames: Vec<Msg> = fixed.into_iter().chain(req.credentials.iter().map(|c| &c[..])).map(Msg::from_slice).collect();
    let last = frames.len() - 1;
    for (i, f) in frames.iter_mut().enumerate() {
        f.set_more(i < last);
    }
    frames
}

/// Checks a complete reply (delimiter, version, request id, status code, status text,
/// user id, metadata) in libzmq's order; Err is the ZMQ_PROTOCOL_ERROR_ZAP_* code.
pub fn parse_reply(frames: &[Msg]) -> Result<ZapReply, i32> {
    // Exactly seven frames: fewer or more is malformed.
    if frames.len() != 7 {
        return Err(ZMQ_PROTOCOL_ERROR_ZAP_MALFORMED_REPLY);
    }
    if !frames[0].data().is_empty() {
        return Err(ZMQ_PROTOCOL_ERROR_ZAP_UNSPECIFIED);
    }
    if frames[1].data() != VERSION {
        return Err(ZMQ_PROTOCOL_ERROR_ZAP_BAD_VERSION);
    }
    if frames[2].data() != REQUEST_ID {
        return Err(ZMQ_PROTOCOL_ERROR_ZAP_BAD_REQUEST_ID);
    }
    let reply = ZapReply {
        status_code: frames[3].data().to_vec(),
        status_text: frames[4].data().to_vec(),
        user_id: frames[5].data().to_vec(),
        metadata: frames[6].data().to_vec(),
    };
    if reply.status() == 0 {
        return Err(ZMQ_PROTOCOL_ERROR_ZAP_INVALID_STATUS_CODE);
    }
    if commands::parse_properties(&reply.metadata).is_none() {
        return Err(ZMQ_PROTOCOL_ERROR_ZAP_INVALID_METADATA);
    }
    Ok(reply)
}

/// The properties a reply adds to the peer's messages: User-Id, then the reply's metadata.
pub fn reply_properties(reply: &ZapReply) -> Vec<(String, Vec<u8>)> {
    let mut props = vec![("User-Id".to_string(), reply.user_id.clone())];
    for (name, value) in commands::parse_properties(&reply.metadata).unwrap_or_default() {
        props.push((String::from_utf8_lossy(name).into_owned(), value.to_vec()));
    }
    props
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frames(parts: &[&[u8]]) -> Vec<Msg> {
        parts.iter().map(|p| Msg::from_slice(p)).collect()
    }

    #[test]
    fn request() {
        let req = ZapRequest { mechanism: b"PLAIN", credentials: vec![b"u".to_vec(), b"p".to_vec()] };
        let f = request_frames(&req, b"dom", b"127.0.0.1", b"IDENT");
        let data: Vec<&[u8]> = f.iter().map(|m| m.data()).collect();
        assert_eq!(data, [&b""[..], b"1.0", b"1", b"dom", b"127.0.0.1", b"IDENT", b"PLAIN", b"u", b"p"]);
        assert!(f[..8].iter().all(Msg::more) && !f[8].more());
        let null = request_frames(&ZapRequest { mechanism: b"NULL", credentials: vec![] }, b"", b"", b"");
        assert_eq!(null.len(), 7);
        assert!(!null[6].more());
    }

    #[test]
    fn reply() {
        let mut md = Vec::new();
        commands::write_property(&mut md, b"Hello", b"World");
        let ok = parse_reply(&frames(&[b"", b"1.0", b"1", b"200", b"OK", b"anonymous", &md])).unwrap();
        assert_eq!(ok.status(), 200);
        assert_eq!(
            reply_properties(&ok),
            vec![("User-Id".to_string(), b"anonymous".to_vec()), ("Hello".to_string(), b"World".to_vec())]
        );
        let bad = |parts: &[&[u8]]| parse_reply(&frames(parts)).unwrap_err();
        assert_eq!(bad(&[b"", b"1.0", b"1", b"200", b"OK", b"u"]), ZMQ_PROTOCOL_ERROR_ZAP_MALFORMED_REPLY);
        assert_eq!(bad(&[b"", b"1.0", b"1", b"200", b"OK", b"u", b"", b""]), ZMQ_PROTOCOL_ERROR_ZAP_MALFORMED_REPLY);
        assert_eq!(bad(&[b"x", b"1.0", b"1", b"200", b"OK", b"u", b""]), ZMQ_PROTOCOL_ERROR_ZAP_UNSPECIFIED);
        assert_eq!(bad(&[b"", b"invalid_version", b"1", b"200", b"OK", b"u", b""]), ZMQ_PROTOCOL_ERROR_ZAP_BAD_VERSION);
        assert_eq!(bad(&[b"", b"1.0", b"invalid_request_id", b"200", b"OK", b"u", b""]), ZMQ_PROTOCOL_ERROR_ZAP_BAD_REQUEST_ID);
        assert_eq!(bad(&[b"", b"1.0", b"1", b"invalid_status", b"OK", b"u", b""]), ZMQ_PROTOCOL_ERROR_ZAP_INVALID_STATUS_CODE);
        assert_eq!(bad(&[b"", b"1.0", b"1", b"201", b"OK", b"u", b""]), ZMQ_PROTOCOL_ERROR_ZAP_INVALID_STATUS_CODE);
        assert_eq!(bad(&[b"", b"1.0", b"1", b"200", b"OK", b"u", b"\x05Hel"]), ZMQ_PROTOCOL_ERROR_ZAP_INVALID_METADATA);
    }
}
