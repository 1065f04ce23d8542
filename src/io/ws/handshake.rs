//! The WebSocket opening handshake (RFC 6455 §4) as ZWS 2.0 uses it: an HTTP/1.1
//! upgrade whose Sec-WebSocket-Protocol names the security mechanism. What libzmq 4.3.4
//! offers (checked on the wire against Debian's libzmq5): "ZWS2.0/NULL,ZWS2.0" for NULL,
//! "ZWS2.0/PLAIN" and "ZWS2.0/CURVE"; a server picks the first offer that is its own
//! mechanism and answers 400 if there is none. The bare "ZWS2.0" (no ZMTP handshake at
//! all) is never chosen here; libzmq also picks "ZWS2.0/NULL" when both are offered.

use crate::constants::{ZMQ_CURVE, ZMQ_PLAIN};
use sha1::{Digest, Sha1};

/// RFC 6455 §1.3: appended to the client's key before hashing.
const ACCEPT_GUID: &str = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
/// A request or response head longer than this is refused.
pub const MAX_HEAD: usize = 8192;
pub const BAD_REQUEST: &[u8] = b"HTTP/1.1 400 Bad Request\r\n\r\n";

/// The subprotocol for a ZMQ_MECHANISM value.
pub fn protocol_for(mechanism: i32) -> &'static str {
    match mechanism {
        ZMQ_PLAIN => "ZWS2.0/PLAIN",
        ZMQ_CURVE => "ZWS2.0/CURVE",
        _ => "ZWS2.0/NULL",
    }
}

/// The client's request. `key` is 16 random bytes.
pub fn request(host: &str, path: &str, mechanism: i32, key: &[u8; 16]) -> (Vec<u8>, String) {
    let key = base64(key);
    let offer = match mechanism {
        ZMQ_PLAIN | ZMQ_CURVE => protocol_for(mechanism).to_string(),
        _ => "ZWS2.0/NULL,ZWS2.0".to_string(),
    };
    let text = format!(
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Protocol: {offer}\r\nSec-WebSocket-Version: 13\r\n\r\n"
    );
    (text.into_bytes(), key)
}

/// The length of the head in `buf` (up to and including the blank line), once complete.
pub fn head_len(buf: &[u8]) -> Option<usize> {
    buf.windows(4).position(|w| w == b"\r\n\r\n").map(|p| p + 4)
}

/// The server's answer to a request head: Ok(101 response) or Err(()) (answer
/// [`BAD_REQUEST`] and close).
pub fn answer(head: &[u8], mechanism: i32) -> Result<Vec<u8>, ()> {
    let head = std::str::from_utf8(head).map_err(|_| ())?;
    let mut lines = head.split("\r\n");
    let request_line = lines.next().ok_or(())?;
    if !request_line.starts_with("GET ") || !request_line.ends_with(" HTTP/1.1") {
        return Err(());
    }
    let headers = Headers(lines.collect());
    if !headers.is("upgrade", "websocket") || !headers.has_token("connection", "upgrade") {
        return Err(());
    }
    let key = headers.get("sec-websocket-key").filter(|k| !k.is_empty()).ok_or(())?;
    let ours = protocol_for(mechanism);
    let offered = headers.get("sec-websocket-protocol").ok_or(())?;
    if !offered.split(',').any(|p| p.trim() == ours) {
        return Err(());
    }
    Ok(format!(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Accept: {}\r\nSec-WebSocket-Protocol: {ours}\r\n\r\n",
        accept_key(key)
    )
    .into_bytes())
}

/// Whether the server's response head accepts our request (sent with `key`).
pub fn accepted(head: &[u8], key: &str, mechanism: i32) -> bool {
    let Ok(head) = std::str::from_utf8(head) else { return false };
    let mut lines = head.split("\r\n");
    let status = lines.next().unwrap_or("");
    if !status.starts_with("HTTP/1.1 101") {
        return false;
    }
    let headers = Headers(lines.collect());
    headers.is("upgrade", "websocket")
        && headers.has_token("connection", "upgrade")
        && headers.get("sec-websocket-accept") == Some(accept_key(key).as_str())
        && headers.get("sec-websocket-protocol") == Some(protocol_for(mechanism))
}

struct Headers<'a>(Vec<&'a str>);

impl<'a> Headers<'a> {
    /// A header's value (names are case-insensitive), trimmed.
    fn get(&self, name: &str) -> Option<&'a str> {
        self.0.iter().find_map(|line| {
            let (n, v) = line.split_once(':')?;
            n.trim().eq_ignore_ascii_case(name).then(|| v.trim())
        })
    }

    fn is(&self, name: &str, value: &str) -> bool {
        self.get(name).is_some_and(|v| v.eq_ignore_ascii_case(value))
    }

    /// A comma-separated header lists `token` ("Connection: keep-alive, Upgrade").
    fn has_token(&self, name: &str, token: &str) -> bool {
        self.get(name).is_some_and(|v| v.split(',').any(|t| t.trim().eq_ignore_ascii_case(token)))
    }
}

/// Sec-WebSocket-Accept for a key: base64(SHA-1(key + GUID)).
pub fn accept_key(key: &str) -> String {
    let mut h = Sha1::new();
    h.update(key.as_bytes());
    h.update(ACCEPT_GUID.as_bytes());
    base64(&h.finalize())
}

/// Standard base64 with padding (RFC 4648 §4); only ever encodes 16 or 20 bytes here.
fn base64(data: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut s = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (b[0] as u32) << 16 | (b[1] as u32) << 8 | b[2] as u32;
        for i in 0..4 {
            if i <= chunk.len() {
                s.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                s.push('=');
            }
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::constants::ZMQ_NULL;

    #[test]
    fn rfc6455_accept_key() {
        // The example of RFC 6455 §1.3.
        assert_eq!(accept_key("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
    }

    #[test]
    fn request_and_answer() {
        let (req, key) = request("127.0.0.1", "/x", ZMQ_NULL, &[7; 16]);
        let n = head_len(&req).unwrap();
        assert_eq!(n, req.len());
        let resp = answer(&req[..n], ZMQ_NULL).unwrap();
        assert!(accepted(&resp, &key, ZMQ_NULL));
        assert!(!accepted(&resp, "AAAAAAAAAAAAAAAAAAAAAA==", ZMQ_NULL));
        // A PLAIN server refuses a NULL client, and the other way round.
        assert_eq!(answer(&req, ZMQ_PLAIN), Err(()));
        let (req, _) = request("h", "/", ZMQ_PLAIN, &[1; 16]);
        assert_eq!(answer(&req, ZMQ_NULL), Err(()));
        assert!(answer(&req, ZMQ_PLAIN).is_ok());
    }

    #[test]
    fn bad_requests() {
        assert_eq!(answer(b"POST / HTTP/1.1\r\n\r\n", ZMQ_NULL), Err(()));
        assert_eq!(answer(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", ZMQ_NULL), Err(()));
        let no_key = b"GET / HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Protocol: ZWS2.0/NULL\r\n\r\n";
        assert_eq!(answer(no_key, ZMQ_NULL), Err(()));
        let bare = b"GET / HTTP/1.1\r\nupgrade: WebSocket\r\nconnection: keep-alive, upgrade\r\nsec-websocket-key: abc\r\nSec-WebSocket-Protocol: ZWS2.0\r\n\r\n";
        assert_eq!(answer(bare, ZMQ_NULL), Err(()));
        let ok = b"GET / HTTP/1.1\r\nupgrade: WebSocket\r\nconnection: keep-alive, upgrade\r\nsec-websocket-key: abc\r\nSec-WebSocket-Protocol: ZWS2.0, ZWS2.0/NULL\r\n\r\n";
        assert!(answer(ok, ZMQ_NULL).is_ok());
        assert_eq!(answer(&[0xFF; 40], ZMQ_NULL), Err(()));
    }
}
