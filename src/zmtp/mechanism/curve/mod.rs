//! The CURVE mechanism: CurveZMQ (RFC 26) inside ZMTP 3.x (RFC 37 §"The CURVE Security
//! Mechanism"), byte-compatible with libzmq 4.3.
//!
//! ```text
//! client                                       server
//! HELLO    C', Box[64 zeros](C'->S)       ->
//!                                         <-   WELCOME  Box[S' + cookie](S->C')
//! INITIATE cookie, Box[C + vouch + metadata](C'->S')   (vouch = Box[C' + S](C->S'))
//!                                         ->
//!                                              (ZAP request with C; wait for the reply)
//!                                         <-   READY    Box[metadata](S'->C')  or ERROR
//! MESSAGE  Box[flags + frame](C'<->S') both ways, every frame, commands included
//! ```
//!
//! The cookie is Box[C' + s'] under a key only this connection's server state knows, so a
//! server keeps nothing per client between WELCOME and INITIATE beyond that key. Every
//! box after WELCOME uses the precomputed C'/S' key; short nonces count up from 1 per
//! direction and a MESSAGE whose nonce does not increase is rejected.
//!
//! Crypto: NaCl's crypto_box (X25519 + XSalsa20-Poly1305) is crypto_box_beforenm (X25519
//! by curve25519-dalek, HSalsa20 by salsa20: `keys`), then crypto_secretbox under that key
//! (`XSalsa20Poly1305`); a box is laid out as NaCl's once its zero padding is stripped:
//! 16-byte MAC, ciphertext. MESSAGE boxes, the only ones per message, are made and opened
//! by `message_box`: the same bytes, with the Poly1305 backend chosen by length and fewer
//! copies.

mod boxes;
mod client;
mod keys;
mod keystream;
mod message;
mod message_box;
mod salsa20_avx2;
mod salsa20_lanes;
mod server;
#[cfg(test)]
mod tests;

pub use keys::{keypair, public_key, KEY_LEN};

use crate::constants::*;
use super::super::failure::Failure;
use super::{LocalInfo, Mechanism, PeerInfo, Status, ZapReply, ZapRequest};
use crate::msg::Msg;
use client::Client;
use message::Channel;
use server::Server;

/// What the engine sees of a CURVE connection: one side's handshake, and what both sides
/// keep alike: the peer as the handshake learnt it and the MESSAGE channel.
pub struct Curve {
    side: Side,
    peer: PeerInfo,
    /// Opened by READY on the client, by INITIATE on the server (whose READY is its first
    /// box); frames pass through it once the handshake is done.
    channel: Option<Channel>,
}

enum Side {
    Client(Client),
    Server(Server),
}

impl Curve {
    /// The connecting side, which knows the server's long-term public key.
    pub fn client(local: LocalInfo, public: [u8; KEY_LEN], secret: [u8; KEY_LEN], server: [u8; KEY_LEN]) -> Curve {
        Curve::with(Side::Client(Client::new(local, public, secret, server)))
    }

    /// The accepting side (ZMQ_CURVE_SERVER): knows only its own long-term key pair.
    pub fn server(local: LocalInfo, secret: [u8; KEY_LEN]) -> Curve {
        Curve::with(Side::Server(Server::new(local, secret)))
    }

    fn with(side: Side) -> Curve {
        Curve { side, peer: PeerInfo::default(), channel: None }
    }

    fn ready_channel(&mut self) -> Result<&mut Channel, Failure> {
        match (self.status(), self.channel.as_mut()) {
            (Status::Ready, Some(channel)) => Ok(channel),
            _ => Err(Failure::protocol("CURVE message before READY")),
        }
    }
}

impl Mechanism for Curve {
    fn next_handshake_command(&mut self) -> Option<Vec<u8>> {
        match &mut self.side {
            Side::Client(client) => client.next_command(),
            Side::Server(server) => server.next_command(&mut self.channel),
        }
    }

    fn process_handshake_command(&mut self, body: &[u8]) -> Result<(), Failure> {
        let (peer, channel) = (&mut self.peer, &mut self.channel);
        let result = match &mut self.side {
            Side::Client(client) => client.process(body, peer, channel),
            Side::Server(server) => server.process(body, peer, channel),
        };
        if result.is_err() {
            match &mut self.side {
                Side::Client(client) => client.fail(),
                Side::Server(server) => server.fail(),
            }
        }
        result
    }

    fn status(&self) -> Status {
        match &self.side {
            Side::Client(client) => client.status(),
            Side::Server(server) => server.status(),
        }
    }

    fn peer(&self) -> &PeerInfo {
        &self.peer
    }

    fn wraps_messages(&self) -> bool {
        true
    }

    fn encode(&mut self, msg: &Msg) -> Result<Msg, Failure> {
        Ok(self.ready_channel()?.encode(msg))
    }

    fn decode(&mut self, frame: Msg) -> Result<Msg, Failure> {
        self.ready_channel()?.decode(&frame)
    }

    /// Only a server asks ZAP; a client is never asked for a reply (and answers Ok, as the
    /// trait's defaults do).
    fn take_zap_request(&mut self) -> Option<ZapRequest> {
        match &mut self.side {
            Side::Server(server) => server.take_zap_request(),
            Side::Client(_) => None,
        }
    }

    fn zap_reply(&mut self, reply: &ZapReply) -> Result<(), Failure> {
        match &mut self.side {
            Side::Server(server) => server.zap_reply(reply, &mut self.peer),
            Side::Client(_) => Ok(()),
        }
    }

    fn zap_bypassed(&mut self) -> Result<(), Failure> {
        match &mut self.side {
            Side::Server(server) => server.zap_bypassed(),
            Side::Client(_) => Ok(()),
        }
    }
}

/// HELLO and WELCOME have fixed sizes; both sides build one and check the other.
const HELLO_LEN: usize = 200;
const WELCOME_LEN: usize = 168;

/// A box that does not open, or a key that must not be used.
fn crypto_failure(detail: &'static str) -> Failure {
    Failure::handshake(ZMQ_PROTOCOL_ERROR_ZMTP_CRYPTOGRAPHIC, detail)
}

fn unexpected_command() -> Failure {
    Failure::handshake(ZMQ_PROTOCOL_ERROR_ZMTP_UNEXPECTED_COMMAND, "unexpected command")
}

/// libzmq's first check of HELLO, INITIATE and MESSAGE: a name and something after it.
fn check_command_structure(body: &[u8]) -> Result<(), Failure> {
    if body.len() <= 1 || body.len() <= body[0] as usize {
        return Err(Failure::handshake(ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_UNSPECIFIED, "malformed command"));
    }
    Ok(())
}

