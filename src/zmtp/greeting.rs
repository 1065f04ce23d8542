//! The greeting exchange and version negotiation (RFC 23 §"Version Negotiation", RFC 15).
//!
//! Our greeting goes out in three parts, as libzmq sends it, because what follows the
//! signature depends on who the peer turns out to be:
//!
//! 1. at once, the 10-byte signature `FF <8 bytes> 7F`. The 8 bytes are the big-endian
//!    length of our routing id + 1, so that to a ZMTP 1.0 peer (which sends no greeting)
//!    the signature reads as the header of an identity message: 0xFF escape, 64-bit
//!    length, flags 0x7F;
//! 2. once the peer's signature is in, the major version (3);
//! 3. once the peer's major version is in: for a 1.0/2.0 peer (revision 0 or 1) our
//!    socket type, ending a 12-byte 2.0 greeting; otherwise minor version 1, the mechanism
//!    name, as-server and filler, ending the 64-byte 3.x greeting.
//!
//! The peer's greeting is read as it arrives, in any pieces. Only its byte 0 (0xFF) and
//! bit 0 of byte 9 tell a versioned peer; the padding in between is never checked (libzmq
//! fills it with its routing id length), nor is as-server for NULL.

use super::codec::Framing;

pub const SIGNATURE_LEN: usize = 10;
const V2_GREETING_LEN: usize = 12;
pub const V3_GREETING_LEN: usize = 64;
const REVISION_POS: usize = 10;
const MINOR_POS: usize = 11;
const MECHANISM_POS: usize = 12;
pub const MECHANISM_LEN: usize = 20;
const AS_SERVER_POS: usize = 32;

/// The protocol both sides settled on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// ZMTP 1.0 with no greeting at all (libzmq 2.x): identity message first.
    V1Unversioned,
    /// A versioned greeting with revision 0, then ZMTP 1.0 framing.
    V1,
    /// ZMTP 2.0 (revision 1: libzmq 3.x, JeroMQ 0.3): identity frame first.
    V2,
    /// ZMTP 3.0 (libzmq 4.0/4.1): security handshake; subscriptions are messages.
    V3_0,
    /// ZMTP 3.1: adds PING/PONG and SUBSCRIBE/CANCEL commands.
    V3_1,
}

impl Protocol {
    pub fn framing(self) -> Framing {
        match self {
            Protocol::V1Unversioned | Protocol::V1 => Framing::V1,
            _ => Framing::V2,
        }
    }

    /// ZMTP 3.x: a security mechanism handshake and command frames.
    pub fn is_v3(self) -> bool {
        matches!(self, Protocol::V3_0 | Protocol::V3_1)
    }
}

/// What we announce.
#[derive(Debug, Clone)]
pub struct OurGreeting {
    pub socket_type: u8,
    pub routing_id_len: usize,
    /// The mechanism name, e.g. b"NULL".
    pub mechanism: &'static [u8],
    pub as_server: bool,
    /// Behave as a ZMTP 2.0 peer (revision 1), as libzmq 3.x does.
    pub zmtp2_only: bool,
}

/// What the peer's greeting told us.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerGreeting {
    pub protocol: Protocol,
    /// The socket-type byte of a 1.0/2.0 greeting.
    pub socket_type: Option<u8>,
    /// The zero-padded mechanism name of a 3.x greeting.
    pub mechanism: [u8; MECHANISM_LEN],
    pub as_server: bool,
    /// For an unversioned peer: the bytes read so far, which are the start of its first
    /// frame and must be decoded before the rest of the stream.
    pub replay: Vec<u8>,
}

/// Reads the peer's greeting and releases the parts of ours that depend on it.
pub struct GreetingExchange {
    ours: OurGreeting,
    recv: [u8; V3_GREETING_LEN],
    received: usize,
    /// 12 until the peer's revision says 3.x, then 64.
    expected: usize,
    sent_major: bool,
    sent_rest: bool,
}

impl GreetingExchange {
    /// Starts the exchange; `out` receives the first part of our greeting (the signature).
    pub fn new(ours: OurGreeting, out: &mut Vec<u8>) -> GreetingExchange {
        out.push(0xFF);
        out.extend_from_slice(&(ours.routing_id_len as u64 + 1).to_be_bytes());
        out.push(0x7F);
        GreetingExchange {
            ours,
            recv: [0; V3_GREETING_LEN],
            received: 0,
            expected: V2_GREETING_LEN,
            sent_major: false,
            sent_rest: false,
        }
    }

    /// Consumes greeting bytes from `data`, appending what we must send next to `out`.
    /// Returns how many bytes were consumed (never past the greeting) and, once complete,
    /// the peer's greeting.
    pub fn feed(&mut self, data: &[u8], out: &mut Vec<u8>) -> (usize, Option<PeerGreeting>) {
        let mut used = 0;
        while self.received < self.expected && used < data.len() {
            // Copy up to the next byte whose arrival changes what we do.
            let stop = match self.received {
                0 => 1,
                1..=9 => SIGNATURE_LEN,
                10 => REVISION_POS + 1,
                _ => self.expected,
            };
            let n = (stop - self.received).min(data.len() - used);
            self.recv[self.received..self.received + n].copy_from_slice(&data[used..used + n]);
            self.received += n;
            used += n;

            // libzmq's 1.0 detection: no 0xFF escape, or flags byte bit 0 clear.
            if self.recv[0] != 0xFF || (self.received >= SIGNATURE_LEN && self.recv[9] & 1 == 0) {
                return (used, Some(self.unversioned()));
            }
            if self.received >= SIGNATURE_LEN && !self.sent_major {
                out.push(if self.ours.zmtp2_only { 1 } else { 3 });
                self.sent_major = true;
            }
            if self.received > REVISION_POS && !self.sent_rest {
                self.send_rest(out);
                self.sent_rest = true;
            }
        }
        if self.received == self.expected {
            (used, Some(self.versioned()))
        } else {
            (used, None)
        }
    }

    fn send_rest(&mut self, out: &mut Vec<u8>) {
        let revision = self.recv[REVISION_POS];
        if self.ours.zmtp2_only || revision <= 1 {
            // Talk ZMTP 2.0 to older peers: the 12-byte greeting ends with our type.
            out.push(self.ours.socket_type);
            self.expected = V2_GREETING_LEN;
        } else {
            out.push(1); // minor version
            let mut mechanism = [0u8; MECHANISM_LEN];
            mechanism[..self.ours.mechanism.len()].copy_from_slice(self.ours.mechanism);
            out.extend_from_slice(&mechanism);
            out.push(self.ours.as_server as u8);
            out.extend_from_slice(&[0; 31]);
            self.expected = V3_GREETING_LEN;
        }
    }

    fn unversioned(&self) -> PeerGreeting {
        PeerGreeting {
            protocol: Protocol::V1Unversioned,
            socket_type: None,
            mechanism: [0; MECHANISM_LEN],
            as_server: false,
            replay: self.recv[..self.received].to_vec(),
        }
    }

    fn versioned(&self) -> PeerGreeting {
        let revision = self.recv[REVISION_POS];
        let protocol = match revision {
            0 => Protocol::V1,
            _ if self.ours.zmtp2_only || revision == 1 => Protocol::V2,
            // libzmq: revision 3 minor 0 is 3.0; anything newer is handled as 3.1.
            3 if self.recv[MINOR_POS] == 0 => Protocol::V3_0,
            _ => Protocol::V3_1,
        };
        let mut mechanism = [0u8; MECHANISM_LEN];
        let (socket_type, as_server) = if protocol.is_v3() {
            mechanism.copy_from_slice(&self.recv[MECHANISM_POS..MECHANISM_POS + MECHANISM_LEN]);
            (None, self.recv[AS_SERVER_POS] != 0)
        } else {
            (Some(self.recv[MINOR_POS]), false)
        };
        PeerGreeting { protocol, socket_type, mechanism, as_server, replay: Vec::new() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ours() -> OurGreeting {
        OurGreeting { socket_type: 5, routing_id_len: 3, mechanism: b"NULL", as_server: false, zmtp2_only: false }
    }

    fn v3_greeting(minor: u8) -> Vec<u8> {
        let mut g = vec![0xFF, 1, 2, 3, 4, 5, 6, 7, 8, 0x7F, 3, minor];
        g.extend_from_slice(b"NULL");
        g.resize(64, 0);
        g
    }

    #[test]
    fn sends_greeting_in_parts() {
        let mut out = Vec::new();
        let mut g = GreetingExchange::new(ours(), &mut out);
        assert_eq!(out, [0xFF, 0, 0, 0, 0, 0, 0, 0, 4, 0x7F]);
        out.clear();
        let peer = v3_greeting(1);
        assert_eq!(g.feed(&peer[..9], &mut out), (9, None));
        assert!(out.is_empty(), "nothing more before the peer's signature is complete");
        assert_eq!(g.feed(&peer[9..10], &mut out), (1, None));
        assert_eq!(out, [3]);
        assert_eq!(g.feed(&peer[10..11], &mut out), (1, None));
        assert_eq!(out.len(), 1 + 53);
        assert_eq!(&out[1..6], &[1, b'N', b'U', b'L', b'L']);
        // The rest, plus trailing frame bytes that must not be consumed.
        let mut rest = peer[11..].to_vec();
        rest.extend_from_slice(&[4, 0]);
        let (used, done) = g.feed(&rest, &mut out);
        assert_eq!(used, 53);
        let done = done.unwrap();
        assert_eq!(done.protocol, Protocol::V3_1);
        assert_eq!(&done.mechanism[..5], b"NULL\0");
    }

    #[test]
    fn versions() {
        let detect = |bytes: &[u8]| {
            let mut out = Vec::new();
            let mut g = GreetingExchange::new(ours(), &mut out);
            g.feed(bytes, &mut out).1.map(|p| p.protocol)
        };
        assert_eq!(detect(&v3_greeting(0)), Some(Protocol::V3_0));
        assert_eq!(detect(&v3_greeting(1)), Some(Protocol::V3_1));
        assert_eq!(detect(&v3_greeting(7)), Some(Protocol::V3_1));
        let mut g4 = v3_greeting(0);
        g4[10] = 4;
        assert_eq!(detect(&g4), Some(Protocol::V3_1));
        assert_eq!(detect(&[0xFF, 0, 0, 0, 0, 0, 0, 0, 1, 0x7F, 1, 5]), Some(Protocol::V2));
        assert_eq!(detect(&[0xFF, 0, 0, 0, 0, 0, 0, 0, 1, 0x7F, 0, 5]), Some(Protocol::V1));
        assert_eq!(detect(&[3, 0, b'a', b'b']), Some(Protocol::V1Unversioned));
        assert_eq!(detect(&[0xFF, 0, 0, 0, 0, 0, 0, 0, 1, 0x00]), Some(Protocol::V1Unversioned));
    }

    #[test]
    fn unversioned_replays_what_was_read() {
        let mut out = Vec::new();
        let mut g = GreetingExchange::new(ours(), &mut out);
        out.clear();
        let (used, peer) = g.feed(&[3, 0, b'i', b'd'], &mut out);
        let peer = peer.unwrap();
        assert_eq!((used, peer.replay), (1, vec![3]));
        assert!(out.is_empty(), "no version byte for a 1.0 peer");
    }

    #[test]
    fn answers_v2_peer_with_socket_type() {
        let mut out = Vec::new();
        let mut g = GreetingExchange::new(ours(), &mut out);
        out.clear();
        let (used, peer) = g.feed(&[0xFF, 9, 9, 9, 9, 9, 9, 9, 9, 0x7F, 1, 6, 0, 0], &mut out);
        assert_eq!(used, 12);
        assert_eq!(out, [3, 5]);
        let peer = peer.unwrap();
        assert_eq!((peer.protocol, peer.socket_type), (Protocol::V2, Some(6)));
    }
}
