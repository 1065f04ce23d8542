//! The accepting side of CURVE: WELCOME with a cookie, then INITIATE checked against it,
//! the ZAP question, and READY or ERROR.

use crate::constants::*;
use crypto_box::aead::KeyInit;
use crypto_secretbox::XSalsa20Poly1305;

use super::super::super::commands;
use super::super::super::failure::Failure;
use super::super::{apply_peer_metadata, basic_properties, judge_zap_reply, LocalInfo, PeerInfo, Status, ZapReply, ZapRequest};
use super::boxes::{nonce, open, random, seal, MAC_LEN};
use super::keys::{checked_box, checked_box_key, keypair, salsa_box, KEY_LEN};
use super::message_box::MessageKey;
use super::message::Channel;
use super::{check_command_structure, crypto_failure, unexpected_command, HELLO_LEN, WELCOME_LEN};

/// Name, cookie (16-byte nonce + 80-byte box), short nonce, then the box: at least
/// C + vouch nonce + vouch box (128 bytes) and its MAC.
const INITIATE_MIN_LEN: usize = 9 + 96 + 8 + 128 + MAC_LEN;

#[derive(Debug, Clone, PartialEq, Eq)]
enum ServerState {
    ExpectHello,
    SendWelcome,
    ExpectInitiate,
    /// The ZAP request is ready to be taken, then answered.
    ZapPending,
    WaitZapReply,
    SendReady,
    /// The ZAP handler refused with this status code (400 or 500).
    SendError(Vec<u8>),
    Ready,
    /// ERROR sent, or a 300 reply (temporary failure: disconnect without ERROR), or the
    /// client broke the protocol.
    Failed,
}

/// The accepting side (ZMQ_CURVE_SERVER): knows only its own long-term key pair.
pub(super) struct Server {
    local: LocalInfo,
    secret: [u8; KEY_LEN],
    cn_public: [u8; KEY_LEN],
    cn_secret: [u8; KEY_LEN],
    /// From HELLO: C'.
    cn_client: [u8; KEY_LEN],
    /// Seals the cookie; made for this connection's WELCOME.
    cookie_key: [u8; KEY_LEN],
    /// From INITIATE: C, for the ZAP request.
    client_key: [u8; KEY_LEN],
    state: ServerState,
    /// The client's last short nonce, taken from HELLO and INITIATE.
    peer_nonce: u64,
}

impl Server {
    pub(super) fn new(local: LocalInfo, secret: [u8; KEY_LEN]) -> Server {
        let (cn_public, cn_secret) = keypair();
        Server {
            local,
            secret,
            cn_public,
            cn_secret,
            cn_client: [0; KEY_LEN],
            cookie_key: [0; KEY_LEN],
            client_key: [0; KEY_LEN],
            state: ServerState::ExpectHello,
            peer_nonce: 1,
        }
    }

    fn process_hello(&mut self, body: &[u8]) -> Result<(), Failure> {
        check_command_structure(body)?;
        if !body.starts_with(b"\x05HELLO") {
            return Err(unexpected_command());
        }
        if body.len() != HELLO_LEN || body[6..8] != [1, 0] {
            return Err(Failure::handshake(ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_HELLO, "malformed HELLO"));
        }
        self.cn_client.copy_from_slice(&body[80..112]);
        let short = &body[112..120];
        self.peer_nonce = u64::from_be_bytes(short.try_into().expect("8 bytes"));
        open(&checked_box(&self.cn_client, &self.secret)?, &nonce(b"CurveZMQHELLO---", short), &body[120..200])
            .ok_or_else(|| crypto_failure("HELLO box does not open (client has the wrong server key?)"))?;
        self.state = ServerState::SendWelcome;
        Ok(())
    }

    fn welcome(&mut self) -> Vec<u8> {
        self.cookie_key = random();
        let cookie_nonce: [u8; 16] = random();
        let mut cookie_plain = [0u8; 64];
        cookie_plain[..32].copy_from_slice(&self.cn_client);
        cookie_plain[32..].copy_from_slice(&self.cn_secret);
        let cookie_cipher = XSalsa20Poly1305::new(&self.cookie_key.into());
        let cookie = seal(&cookie_cipher, &nonce(b"COOKIE--", &cookie_nonce), &cookie_plain);

        let mut plain = Vec::with_capacity(128);
        plain.extend_from_slice(&self.cn_public);
        plain.extend_from_slice(&cookie_nonce);
        plain.extend_from_slice(&cookie);
        let welcome_nonce: [u8; 16] = random();
        let sealed = seal(&salsa_box(&self.cn_client, &self.secret), &nonce(b"WELCOME-", &welcome_nonce), &plain);
        let mut out = Vec::with_capacity(WELCOME_LEN);
        out.extend_from_slice(b"\x07WELCOME");
        out.extend_from_slice(&welcome_nonce);
        out.extend_from_slice(&sealed);
        out
    }

    fn process_initiate(&mut self, body: &[u8], peer: &mut PeerInfo, channel: &mut Option<Channel>) -> Result<(), Failure> {
        check_command_structure(body)?;
        if !body.starts_with(b"\x08INITIATE") {
            return Err(unexpected_command());
        }
        if body.len() < INITIATE_MIN_LEN {
            return Err(Failure::handshake(ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_INITIATE, "short INITIATE"));
        }
        // The cookie must be the one we made: Box[C' + s'](t).
        let cookie_cipher = XSalsa20Poly1305::new(&self.cookie_key.into());
        let cookie = open(&cookie_cipher, &nonce(b"COOKIE--", &body[9..25]), &body[25..105])
            .ok_or_else(|| crypto_failure("INITIATE cookie does not open"))?;
        if cookie[..32] != self.cn_client || cookie[32..] != self.cn_secret {
            return Err(crypto_failure("INITIATE cookie is not ours"));
        }

        let short = &body[105..113];
        self.peer_nonce = u64::from_be_bytes(short.try_into().expect("8 bytes"));
        let key = MessageKey::new(checked_box_key(&self.cn_client, &self.cn_secret)?);
        let plain = open(&key.secretbox(), &nonce(b"CurveZMQINITIATE", short), &body[113..])
            .ok_or_else(|| crypto_failure("INITIATE box does not open"))?;
        let client_key: [u8; KEY_LEN] = plain[..32].try_into().expect("32 bytes");
        let vouch = open(&checked_box(&client_key, &self.cn_secret)?, &nonce(b"VOUCH---", &plain[32..48]), &plain[48..128])
            .ok_or_else(|| crypto_failure("INITIATE vouch does not open"))?;
        // libzmq checks only C' in the vouch, not S.
        if vouch[..32] != self.cn_client {
            return Err(Failure::handshake(ZMQ_PROTOCOL_ERROR_ZMTP_KEY_EXCHANGE, "vouch is for another connection"));
        }
        apply_peer_metadata(self.local.socket_type, &plain[128..], peer)?;
        self.client_key = client_key;
        *channel = Some(Channel::new(key, true, 1, self.peer_nonce));
        self.state = ServerState::ZapPending;
        Ok(())
    }

    fn ready(&mut self, channel: &mut Option<Channel>) -> Vec<u8> {
        let channel = channel.as_mut().expect("READY follows INITIATE");
        let short = channel.take_nonce().to_be_bytes();
        let sealed = seal(&channel.key.secretbox(), &nonce(b"CurveZMQREADY---", &short), &basic_properties(&self.local));
        let mut out = Vec::with_capacity(14 + sealed.len());
        out.extend_from_slice(b"\x05READY");
        out.extend_from_slice(&short);
        out.extend_from_slice(&sealed);
        out
    }
}

impl Server {
    /// The channel INITIATE opened seals READY, the first box of our MESSAGE direction.
    pub(super) fn next_command(&mut self, channel: &mut Option<Channel>) -> Option<Vec<u8>> {
        match &self.state {
            ServerState::SendWelcome => {
                self.state = ServerState::ExpectInitiate;
                Some(self.welcome())
            }
            ServerState::SendReady => {
                self.state = ServerState::Ready;
                Some(self.ready(channel))
            }
            ServerState::SendError(code) => {
                let error = commands::error(code);
                self.state = ServerState::Failed;
                Some(error)
            }
            _ => None,
        }
    }

    /// One command from the client; INITIATE fills in `peer` and opens `channel`.
    pub(super) fn process(&mut self, body: &[u8], peer: &mut PeerInfo, channel: &mut Option<Channel>) -> Result<(), Failure> {
        match self.state {
            ServerState::ExpectHello => self.process_hello(body),
            ServerState::ExpectInitiate => self.process_initiate(body, peer, channel),
            _ => Err(Failure::handshake(ZMQ_PROTOCOL_ERROR_ZMTP_UNSPECIFIED, "command out of turn")),
        }
    }

    /// After a command that broke the handshake.
    pub(super) fn fail(&mut self) {
        self.state = ServerState::Failed;
    }

    pub(super) fn status(&self) -> Status {
        match self.state {
            ServerState::Ready => Status::Ready,
            ServerState::Failed => Status::Error,
            _ => Status::Handshaking,
        }
    }

    pub(super) fn take_zap_request(&mut self) -> Option<ZapRequest> {
        if self.state != ServerState::ZapPending {
            return None;
        }
        self.state = ServerState::WaitZapReply;
        Some(ZapRequest { mechanism: b"CURVE", credentials: vec![self.client_key.to_vec()] })
    }

    /// By `judge_zap_reply`: a refusal queues ERROR (unless 300) and fails with
    /// HANDSHAKE_FAILED_AUTH. The handler's metadata is the engine's business.
    pub(super) fn zap_reply(&mut self, reply: &ZapReply, peer: &mut PeerInfo) -> Result<(), Failure> {
        if self.state != ServerState::WaitZapReply {
            return Err(Failure::protocol("ZAP reply without a request"));
        }
        let judged = judge_zap_reply(reply, peer);
        self.state = match &judged {
            Ok(()) => ServerState::SendReady,
            Err(refusal) => refusal.error_reason.clone().map_or(ServerState::Failed, ServerState::SendError),
        };
        judged.map_err(|refusal| refusal.failure)
    }

    /// No handler: encryption without authentication (libzmq's "Stonehouse"), no User-Id.
    pub(super) fn zap_bypassed(&mut self) -> Result<(), Failure> {
        if self.state != ServerState::WaitZapReply {
            return Err(Failure::protocol("ZAP bypass without a request"));
        }
        self.state = ServerState::SendReady;
        Ok(())
    }
}

