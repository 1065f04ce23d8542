//! The connecting side of CURVE: HELLO, then INITIATE once WELCOME has come.

use crate::constants::*;
use super::super::super::commands::{self, Command};
use super::super::super::failure::Failure;
use super::super::{apply_peer_metadata, basic_properties, error_received, LocalInfo, PeerInfo, Status};
use super::boxes::{nonce, open, random, seal, MAC_LEN};
use super::keys::{checked_box, checked_box_key, keypair, salsa_box, KEY_LEN};
use super::message_box::MessageKey;
use super::message::Channel;
use super::{crypto_failure, unexpected_command, HELLO_LEN, WELCOME_LEN};

const READY_MIN_LEN: usize = 6 + 8 + MAC_LEN;

/// An ERROR from the server ends the handshake; one whose reason does not fit the
/// command is malformed.
fn peer_error(body: &[u8]) -> Failure {
    match commands::parse(body) {
        Ok(Command::Error(reason)) => error_received(reason),
        _ => Failure::handshake(ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_ERROR, "malformed ERROR"),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ClientState {
    SendHello,
    ExpectWelcome,
    SendInitiate,
    ExpectReady,
    Connected,
    Failed,
}

/// The connecting side, which knows the server's long-term public key.
pub(super) struct Client {
    pub(super) local: LocalInfo,
    public: [u8; KEY_LEN],
    secret: [u8; KEY_LEN],
    server: [u8; KEY_LEN],
    /// Short-term pair (C', c').
    pub(super) cn_public: [u8; KEY_LEN],
    cn_secret: [u8; KEY_LEN],
    /// From WELCOME: S' and the cookie to echo.
    cn_server: [u8; KEY_LEN],
    cookie: [u8; 96],
    /// From WELCOME: the C'/S' box key (its low-order check done there), which seals
    /// INITIATE, opens READY and becomes the MESSAGE channel's.
    session_key: Option<MessageKey>,
    state: ClientState,
    /// HELLO and INITIATE take short nonces 1 and 2; MESSAGEs go on from there.
    next_nonce: u64,
}

impl Client {
    pub(super) fn new(local: LocalInfo, public: [u8; KEY_LEN], secret: [u8; KEY_LEN], server: [u8; KEY_LEN]) -> Client {
        let (cn_public, cn_secret) = keypair();
        Client {
            local,
            public,
            secret,
            server,
            cn_public,
            cn_secret,
            cn_server: [0; KEY_LEN],
            cookie: [0; 96],
            session_key: None,
            state: ClientState::SendHello,
            next_nonce: 1,
        }
    }

    fn take_nonce(&mut self) -> [u8; 8] {
        let n = self.next_nonce;
        self.next_nonce += 1;
        n.to_be_bytes()
    }

    fn hello(&mut self) -> Vec<u8> {
        let short = self.take_nonce();
        let signature = seal(&salsa_box(&self.server, &self.cn_secret), &nonce(b"CurveZMQHELLO---", &short), &[0; 64]);
        let mut out = Vec::with_capacity(HELLO_LEN);
        out.extend_from_slice(b"\x05HELLO\x01\x00");
        out.extend_from_slice(&[0; 72]); // anti-amplification padding
        out.extend_from_slice(&self.cn_public);
        out.extend_from_slice(&short);
        out.extend_from_slice(&signature);
        out
    }

    fn process_welcome(&mut self, body: &[u8]) -> Result<(), Failure> {
        // libzmq reports any bad WELCOME, short ones included, as cryptographic.
        if body.len() != WELCOME_LEN {
            return Err(crypto_failure("WELCOME has the wrong size"));
        }
        let plain = open(&checked_box(&self.server, &self.cn_secret)?, &nonce(b"WELCOME-", &body[8..24]), &body[24..])
            .ok_or_else(|| crypto_failure("WELCOME box does not open (wrong server key?)"))?;
        self.cn_server.copy_from_slice(&plain[..32]);
        // S' is used for the session key and for the vouch when INITIATE is made.
        self.session_key = Some(MessageKey::new(checked_box_key(&self.cn_server, &self.cn_secret)?));
        self.cookie.copy_from_slice(&plain[32..128]);
        self.state = ClientState::SendInitiate;
        Ok(())
    }

    fn initiate(&mut self) -> Vec<u8> {
        let vouch_nonce: [u8; 16] = random();
        let mut vouch_plain = [0u8; 64];
        vouch_plain[..32].copy_from_slice(&self.cn_public);
        vouch_plain[32..].copy_from_slice(&self.server);
        let vouch = seal(&salsa_box(&self.cn_server, &self.secret), &nonce(b"VOUCH---", &vouch_nonce), &vouch_plain);

        let mut plain = Vec::with_capacity(128 + 64);
        plain.extend_from_slice(&self.public);
        plain.extend_from_slice(&vouch_nonce);
        plain.extend_from_slice(&vouch);
        plain.extend_from_slice(&basic_properties(&self.local));

        let short = self.take_nonce();
        let key = self.session_key.as_ref().expect("INITIATE follows WELCOME").secretbox();
        let sealed = seal(&key, &nonce(b"CurveZMQINITIATE", &short), &plain);
        let mut out = Vec::with_capacity(113 + sealed.len());
        out.extend_from_slice(b"\x08INITIATE");
        out.extend_from_slice(&self.cookie);
        out.extend_from_slice(&short);
        out.extend_from_slice(&sealed);
        out
    }

    fn process_ready(&mut self, body: &[u8], peer: &mut PeerInfo, channel: &mut Option<Channel>) -> Result<(), Failure> {
        if body.len() < READY_MIN_LEN {
            return Err(Failure::handshake(ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_READY, "short READY"));
        }
        let short = &body[6..14];
        // Before WELCOME there is no key yet and the box cannot open (libzmq's key is
        // then that of a zero S', under which it fails the same way).
        let plain = (self.session_key.as_ref())
            .and_then(|key| open(&key.secretbox(), &nonce(b"CurveZMQREADY---", short), &body[14..]))
            .ok_or_else(|| crypto_failure("READY box does not open"))?;
        apply_peer_metadata(self.local.socket_type, &plain, peer)
            .map_err(|_| Failure::handshake(ZMQ_PROTOCOL_ERROR_ZMTP_INVALID_METADATA, "invalid metadata in READY"))?;
        let peer_nonce = u64::from_be_bytes(short.try_into().expect("8 bytes"));
        let key = self.session_key.take().expect("the READY box opened under it");
        *channel = Some(Channel::new(key, false, self.next_nonce, peer_nonce));
        self.state = ClientState::Connected;
        Ok(())
    }

    /// One command from the server; READY fills in `peer` and opens `channel`.
    pub(super) fn process(&mut self, body: &[u8], peer: &mut PeerInfo, channel: &mut Option<Channel>) -> Result<(), Failure> {
        let name = body.get(1..).and_then(|rest| rest.get(..body[0] as usize));
        match (name, self.state) {
            (Some(b"WELCOME"), ClientState::ExpectWelcome) => self.process_welcome(body),
            // libzmq opens a READY whenever it comes: before WELCOME its box fails (or
            // it is too short), which is the event it reports.
            (Some(b"READY"), ClientState::ExpectReady | ClientState::ExpectWelcome) => self.process_ready(body, peer, channel),
            (Some(b"ERROR"), ClientState::ExpectWelcome | ClientState::ExpectReady) => Err(peer_error(body)),
            _ => Err(unexpected_command()),
        }
    }
}

impl Client {
    pub(super) fn next_command(&mut self) -> Option<Vec<u8>> {
        match self.state {
            ClientState::SendHello => {
                self.state = ClientState::ExpectWelcome;
                Some(self.hello())
            }
            ClientState::SendInitiate => {
                self.state = ClientState::ExpectReady;
                Some(self.initiate())
            }
            _ => None,
        }
    }

    /// After a command that broke the handshake.
    pub(super) fn fail(&mut self) {
        self.state = ClientState::Failed;
    }

    pub(super) fn status(&self) -> Status {
        match self.state {
            ClientState::Connected => Status::Ready,
            ClientState::Failed => Status::Error,
            _ => Status::Handshaking,
        }
    }
}
