//! MESSAGE commands: every frame after the handshake, boxed under the session key.

use crate::constants::*;
use super::super::super::failure::Failure;
use super::boxes::MAC_LEN;
use super::message_box::{MessageKey, PrefixBoxes};
use super::{check_command_structure, crypto_failure, unexpected_command};
use crate::msg::{flags, Msg};

const MESSAGE_NAME: &[u8] = b"\x07MESSAGE";
/// Name, short nonce, MAC, flags.
const MESSAGE_MIN_LEN: usize = MESSAGE_NAME.len() + 8 + MAC_LEN + 1;

/// The MESSAGE boxes of an established connection, one direction each.
pub(super) struct Channel {
    /// The session key, which also seals the server's READY.
    pub(super) key: MessageKey,
    send: PrefixBoxes,
    recv: PrefixBoxes,
    /// Our next short nonce.
    next_nonce: u64,
    /// The peer's last short nonce; the next must be larger.
    peer_nonce: u64,
}

impl Channel {
    /// The channel of the client or the server side: `next_nonce` is our next short nonce
    /// (the client has used 1 and 2 in the handshake), `peer_nonce` the peer's last.
    pub(super) fn new(key: MessageKey, as_server: bool, next_nonce: u64, peer_nonce: u64) -> Channel {
        let (server, client) = (key.with_prefix(b"CurveZMQMESSAGES"), key.with_prefix(b"CurveZMQMESSAGEC"));
        let (send, recv) = if as_server { (server, client) } else { (client, server) };
        Channel { key, send, recv, next_nonce, peer_nonce }
    }

    pub(super) fn take_nonce(&mut self) -> u64 {
        let n = self.next_nonce;
        self.next_nonce += 1;
        n
    }

    /// MESSAGE = name, short nonce, Box[flags + frame]. The wire frame itself carries no
    /// flags: libzmq 4.3 sends it as a single-frame message and reads MORE and COMMAND
    /// from the box only.
    pub(super) fn encode(&mut self, msg: &Msg) -> Msg {
        let short = self.take_nonce().to_be_bytes();
        let head = MESSAGE_NAME.len() + 8;
        let len = head + MAC_LEN + 1 + msg.len();
        // A fresh (or recycled) buffer of ours: unique, so data_mut cannot fail.
        let mut out = Msg::with_size_unfilled(len).unwrap_or_else(|| Msg::with_size(len));
        let buf = out.data_mut().expect("a new message is ours alone");
        buf[..MESSAGE_NAME.len()].copy_from_slice(MESSAGE_NAME);
        buf[MESSAGE_NAME.len()..head].copy_from_slice(&short);
        let box_flags = [msg.flags() & (flags::MORE | flags::COMMAND)];
        self.send.seal_split(&short, &box_flags, msg.data(), &mut buf[head..]);
        out
    }

    pub(super) fn decode(&mut self, frame: &Msg) -> Result<Msg, Failure> {
        let body = frame.data();
        check_command_structure(body)?;
        if !body.starts_with(MESSAGE_NAME) {
            return Err(unexpected_command());
        }
        if body.len() < MESSAGE_MIN_LEN {
            return Err(Failure::handshake(ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_MESSAGE, "short MESSAGE"));
        }
        let head = MESSAGE_NAME.len() + 8;
        let short: &[u8; 8] = body[MESSAGE_NAME.len()..head].try_into().expect("8 bytes");
        let n = u64::from_be_bytes(*short);
        if n <= self.peer_nonce {
            return Err(Failure::handshake(ZMQ_PROTOCOL_ERROR_ZMTP_INVALID_SEQUENCE, "MESSAGE nonce not increasing"));
        }
        // libzmq moves the nonce on before it knows the box is genuine; so do we (a bad
        // box ends the connection anyway).
        self.peer_nonce = n;
        let len = body.len() - MESSAGE_MIN_LEN;
        let mut msg = Msg::with_size_unfilled(len).unwrap_or_else(|| Msg::with_size(len));
        let mut box_flags = [0u8];
        let data = msg.data_mut().expect("a new message is ours alone");
        if !self.recv.open_split(short, &body[head..], &mut box_flags, data) {
            return Err(crypto_failure("MESSAGE box does not open"));
        }
        msg.set_flags(box_flags[0] & (flags::MORE | flags::COMMAND));
        Ok(msg)
    }
}
