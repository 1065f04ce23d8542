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
//! Crypto: NaCl's crypto_box (X25519 + XSalsa20-Poly1305) is RustCrypto's `SalsaBox`
//! (whose `new` is crypto_box_beforenm) and crypto_secretbox is `XSalsa20Poly1305`; both
//! lay a box out as NaCl does once its zero padding is stripped: 16-byte MAC, ciphertext.

use crate::constants::*;
use crypto_box::aead::rand_core::RngCore;
use crypto_box::aead::{AeadInPlace, KeyInit, Nonce, OsRng};
use crypto_box::{PublicKey, SalsaBox, SecretKey};
use crypto_secretbox::XSalsa20Poly1305;
use curve25519_dalek::montgomery::MontgomeryPoint;

use super::super::commands::{self, Command};
use super::super::failure::Failure;
use super::{apply_peer_metadata, basic_properties, error_received, LocalInfo, Mechanism, PeerInfo, Status, ZapReply, ZapRequest};
use crate::msg::{flags, Msg};

pub const KEY_LEN: usize = 32;
const MAC_LEN: usize = 16;

const HELLO_LEN: usize = 200;
const WELCOME_LEN: usize = 168;
/// Name, cookie (16-byte nonce + 80-byte box), short nonce, then the box: at least
/// C + vouch nonce + vouch box (128 bytes) and its MAC.
const INITIATE_MIN_LEN: usize = 9 + 96 + 8 + 128 + MAC_LEN;
const READY_MIN_LEN: usize = 6 + 8 + MAC_LEN;
const MESSAGE_NAME: &[u8] = b"\x07MESSAGE";
/// Name, short nonce, MAC, flags.
const MESSAGE_MIN_LEN: usize = MESSAGE_NAME.len() + 8 + MAC_LEN + 1;

/// A fresh key pair (libsodium's crypto_box_keypair): (public, secret).
pub fn keypair() -> ([u8; KEY_LEN], [u8; KEY_LEN]) {
    let secret = SecretKey::generate(&mut OsRng);
    (secret.public_key().to_bytes(), secret.to_bytes())
}

/// The public key of a secret key (crypto_scalarmult_base).
pub fn public_key(secret: &[u8; KEY_LEN]) -> [u8; KEY_LEN] {
    SecretKey::from_bytes(*secret).public_key().to_bytes()
}

fn random<const N: usize>() -> [u8; N] {
    let mut out = [0u8; N];
    OsRng.fill_bytes(&mut out);
    out
}

fn nonce(prefix: &[u8], tail: &[u8]) -> [u8; 24] {
    let mut n = [0u8; 24];
    n[..prefix.len()].copy_from_slice(prefix);
    n[prefix.len()..].copy_from_slice(tail);
    n
}

fn salsa_box(their_public: &[u8; KEY_LEN], our_secret: &[u8; KEY_LEN]) -> SalsaBox {
    SalsaBox::new(&PublicKey::from_bytes(*their_public), &SecretKey::from_bytes(*our_secret))
}

/// `salsa_box`, refusing a key of low order (the shared point is then zero, and anyone
/// can make the box): libsodium's crypto_box fails there, and so do libzmq's handshakes.
fn checked_box(their_public: &[u8; KEY_LEN], our_secret: &[u8; KEY_LEN]) -> Result<SalsaBox, Failure> {
    if MontgomeryPoint(*their_public).mul_clamped(*our_secret).0 == [0; KEY_LEN] {
        return Err(crypto_failure("low-order CURVE key"));
    }
    Ok(salsa_box(their_public, our_secret))
}

/// MAC + ciphertext of `plain`.
fn seal<A: AeadInPlace>(cipher: &A, nonce: &[u8; 24], plain: &[u8]) -> Vec<u8> {
    let mut out = vec![0u8; MAC_LEN + plain.len()];
    out[MAC_LEN..].copy_from_slice(plain);
    seal_in_place(cipher, nonce, &mut out);
    out
}

/// Encrypts `buf[MAC_LEN..]` in place and writes the MAC into `buf[..MAC_LEN]`.
fn seal_in_place<A: AeadInPlace>(cipher: &A, nonce: &[u8; 24], buf: &mut [u8]) {
    let (mac, body) = buf.split_at_mut(MAC_LEN);
    let tag = cipher
        .encrypt_in_place_detached(Nonce::<A>::from_slice(nonce), b"", body)
        .expect("XSalsa20 takes any length below 2^64 bytes");
    mac.copy_from_slice(&tag);
}

/// The plaintext of a MAC + ciphertext box, None if it does not authenticate.
fn open<A: AeadInPlace>(cipher: &A, nonce: &[u8; 24], sealed: &[u8]) -> Option<Vec<u8>> {
    let (mac, body) = sealed.split_at_checked(MAC_LEN)?;
    let mut plain = body.to_vec();
    open_into(cipher, nonce, mac, &mut plain)?;
    Some(plain)
}

/// Decrypts `buf` in place if `mac` authenticates it.
fn open_into<A: AeadInPlace>(cipher: &A, nonce: &[u8; 24], mac: &[u8], buf: &mut [u8]) -> Option<()> {
    let tag = crypto_box::aead::Tag::<A>::from_slice(mac);
    cipher.decrypt_in_place_detached(Nonce::<A>::from_slice(nonce), b"", buf, tag).ok()
}

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

/// The MESSAGE boxes of an established connection, one direction each.
struct Channel {
    key: SalsaBox,
    send_prefix: &'static [u8; 16],
    recv_prefix: &'static [u8; 16],
    /// Our next short nonce.
    next_nonce: u64,
    /// The peer's last short nonce; the next must be larger.
    peer_nonce: u64,
}

impl Channel {
    fn take_nonce(&mut self) -> u64 {
        let n = self.next_nonce;
        self.next_nonce += 1;
        n
    }

    /// MESSAGE = name, short nonce, Box[flags + frame]. The wire frame itself carries no
    /// flags: libzmq 4.3 sends it as a single-frame message and reads MORE and COMMAND
    /// from the box only.
    fn encode(&mut self, msg: &Msg) -> Msg {
        let short = self.take_nonce().to_be_bytes();
        let head = MESSAGE_NAME.len() + 8;
        let mut buf = Vec::with_capacity(head + MAC_LEN + 1 + msg.len());
        buf.extend_from_slice(MESSAGE_NAME);
        buf.extend_from_slice(&short);
        buf.extend_from_slice(&[0; MAC_LEN]);
        buf.push(msg.flags() & (flags::MORE | flags::COMMAND));
        buf.extend_from_slice(msg.data());
        seal_in_place(&self.key, &nonce(self.send_prefix, &short), &mut buf[head..]);
        Msg::from_vec(buf)
    }

    fn decode(&mut self, frame: &Msg) -> Result<Msg, Failure> {
        let body = frame.data();
        check_command_structure(body)?;
        if !body.starts_with(MESSAGE_NAME) {
            return Err(unexpected_command());
        }
        if body.len() < MESSAGE_MIN_LEN {
            return Err(Failure::handshake(ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_MESSAGE, "short MESSAGE"));
        }
        let head = MESSAGE_NAME.len() + 8;
        let short = &body[MESSAGE_NAME.len()..head];
        let n = u64::from_be_bytes(short.try_into().expect("8 bytes"));
        if n <= self.peer_nonce {
            return Err(Failure::handshake(ZMQ_PROTOCOL_ERROR_ZMTP_INVALID_SEQUENCE, "MESSAGE nonce not increasing"));
        }
        // libzmq moves the nonce on before it knows the box is genuine; so do we (a bad
        // box ends the connection anyway).
        self.peer_nonce = n;
        let (mac, sealed) = body[head..].split_at(MAC_LEN);
        let mut plain = sealed.to_vec();
        open_into(&self.key, &nonce(self.recv_prefix, short), mac, &mut plain)
            .ok_or_else(|| crypto_failure("MESSAGE box does not open"))?;
        let mut msg = Msg::from_slice(&plain[1..]);
        msg.set_flags(plain[0] & (flags::MORE | flags::COMMAND));
        Ok(msg)
    }
}

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
pub struct CurveClient {
    local: LocalInfo,
    public: [u8; KEY_LEN],
    secret: [u8; KEY_LEN],
    server: [u8; KEY_LEN],
    /// Short-term pair (C', c').
    cn_public: [u8; KEY_LEN],
    cn_secret: [u8; KEY_LEN],
    /// From WELCOME: S' and the cookie to echo.
    cn_server: [u8; KEY_LEN],
    cookie: [u8; 96],
    state: ClientState,
    /// HELLO and INITIATE take short nonces 1 and 2; MESSAGEs go on from there.
    next_nonce: u64,
    channel: Option<Channel>,
    peer: PeerInfo,
}

impl CurveClient {
    pub fn new(local: LocalInfo, public: [u8; KEY_LEN], secret: [u8; KEY_LEN], server: [u8; KEY_LEN]) -> CurveClient {
        let (cn_public, cn_secret) = keypair();
        CurveClient {
            local,
            public,
            secret,
            server,
            cn_public,
            cn_secret,
            cn_server: [0; KEY_LEN],
            cookie: [0; 96],
            state: ClientState::SendHello,
            next_nonce: 1,
            channel: None,
            peer: PeerInfo::default(),
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
        // S' is used for the session key below and for the vouch when INITIATE is made.
        checked_box(&self.cn_server, &self.cn_secret)?;
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
        let key = salsa_box(&self.cn_server, &self.cn_secret);
        let sealed = seal(&key, &nonce(b"CurveZMQINITIATE", &short), &plain);
        let mut out = Vec::with_capacity(113 + sealed.len());
        out.extend_from_slice(b"\x08INITIATE");
        out.extend_from_slice(&self.cookie);
        out.extend_from_slice(&short);
        out.extend_from_slice(&sealed);
        out
    }

    fn process_ready(&mut self, body: &[u8]) -> Result<(), Failure> {
        if body.len() < READY_MIN_LEN {
            return Err(Failure::handshake(ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_READY, "short READY"));
        }
        let key = salsa_box(&self.cn_server, &self.cn_secret);
        let short = &body[6..14];
        let plain = open(&key, &nonce(b"CurveZMQREADY---", short), &body[14..])
            .ok_or_else(|| crypto_failure("READY box does not open"))?;
        apply_peer_metadata(self.local.socket_type, &plain, &mut self.peer)
            .map_err(|_| Failure::handshake(ZMQ_PROTOCOL_ERROR_ZMTP_INVALID_METADATA, "invalid metadata in READY"))?;
        self.channel = Some(Channel {
            key,
            send_prefix: b"CurveZMQMESSAGEC",
            recv_prefix: b"CurveZMQMESSAGES",
            next_nonce: self.next_nonce,
            peer_nonce: u64::from_be_bytes(short.try_into().expect("8 bytes")),
        });
        self.state = ClientState::Connected;
        Ok(())
    }

    fn process(&mut self, body: &[u8]) -> Result<(), Failure> {
        let name = body.get(1..).and_then(|rest| rest.get(..body[0] as usize));
        match (name, self.state) {
            (Some(b"WELCOME"), ClientState::ExpectWelcome) => self.process_welcome(body),
            // libzmq opens a READY whenever it comes: before WELCOME its box fails (or
            // it is too short), which is the event it reports.
            (Some(b"READY"), ClientState::ExpectReady | ClientState::ExpectWelcome) => self.process_ready(body),
            (Some(b"ERROR"), ClientState::ExpectWelcome | ClientState::ExpectReady) => Err(peer_error(body)),
            _ => Err(unexpected_command()),
        }
    }
}

impl Mechanism for CurveClient {
    fn next_handshake_command(&mut self) -> Option<Vec<u8>> {
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

    fn process_handshake_command(&mut self, body: &[u8]) -> Result<(), Failure> {
        let result = self.process(body);
        if result.is_err() {
            self.state = ClientState::Failed;
        }
        result
    }

    fn status(&self) -> Status {
        match self.state {
            ClientState::Connected => Status::Ready,
            ClientState::Failed => Status::Error,
            _ => Status::Handshaking,
        }
    }

    fn peer(&self) -> &PeerInfo {
        &self.peer
    }

    fn wraps_messages(&self) -> bool {
        true
    }

    fn encode(&mut self, msg: &Msg) -> Result<Msg, Failure> {
        let channel = self.channel.as_mut().ok_or_else(|| Failure::protocol("CURVE message before READY"))?;
        Ok(channel.encode(msg))
    }

    fn decode(&mut self, frame: Msg) -> Result<Msg, Failure> {
        let channel = self.channel.as_mut().ok_or_else(|| Failure::protocol("CURVE message before READY"))?;
        channel.decode(&frame)
    }
}

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
pub struct CurveServer {
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
    channel: Option<Channel>,
    peer: PeerInfo,
}

impl CurveServer {
    pub fn new(local: LocalInfo, secret: [u8; KEY_LEN]) -> CurveServer {
        let (cn_public, cn_secret) = keypair();
        CurveServer {
            local,
            secret,
            cn_public,
            cn_secret,
            cn_client: [0; KEY_LEN],
            cookie_key: [0; KEY_LEN],
            client_key: [0; KEY_LEN],
            state: ServerState::ExpectHello,
            peer_nonce: 1,
            channel: None,
            peer: PeerInfo::default(),
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

    fn process_initiate(&mut self, body: &[u8]) -> Result<(), Failure> {
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
        let key = checked_box(&self.cn_client, &self.cn_secret)?;
        let plain = open(&key, &nonce(b"CurveZMQINITIATE", short), &body[113..])
            .ok_or_else(|| crypto_failure("INITIATE box does not open"))?;
        let client_key: [u8; KEY_LEN] = plain[..32].try_into().expect("32 bytes");
        let vouch = open(&checked_box(&client_key, &self.cn_secret)?, &nonce(b"VOUCH---", &plain[32..48]), &plain[48..128])
            .ok_or_else(|| crypto_failure("INITIATE vouch does not open"))?;
        // libzmq checks only C' in the vouch, not S.
        if vouch[..32] != self.cn_client {
            return Err(Failure::handshake(ZMQ_PROTOCOL_ERROR_ZMTP_KEY_EXCHANGE, "vouch is for another connection"));
        }
        apply_peer_metadata(self.local.socket_type, &plain[128..], &mut self.peer)?;
        self.client_key = client_key;
        self.channel = Some(Channel {
            key,
            send_prefix: b"CurveZMQMESSAGES",
            recv_prefix: b"CurveZMQMESSAGEC",
            next_nonce: 1,
            peer_nonce: self.peer_nonce,
        });
        self.state = ServerState::ZapPending;
        Ok(())
    }

    fn ready(&mut self) -> Vec<u8> {
        let channel = self.channel.as_mut().expect("READY follows INITIATE");
        let short = channel.take_nonce().to_be_bytes();
        let sealed = seal(&channel.key, &nonce(b"CurveZMQREADY---", &short), &basic_properties(&self.local));
        let mut out = Vec::with_capacity(14 + sealed.len());
        out.extend_from_slice(b"\x05READY");
        out.extend_from_slice(&short);
        out.extend_from_slice(&sealed);
        out
    }
}

impl Mechanism for CurveServer {
    fn next_handshake_command(&mut self) -> Option<Vec<u8>> {
        match &self.state {
            ServerState::SendWelcome => {
                self.state = ServerState::ExpectInitiate;
                Some(self.welcome())
            }
            ServerState::SendReady => {
                self.state = ServerState::Ready;
                Some(self.ready())
            }
            ServerState::SendError(code) => {
                let error = commands::error(code);
                self.state = ServerState::Failed;
                Some(error)
            }
            _ => None,
        }
    }

    fn process_handshake_command(&mut self, body: &[u8]) -> Result<(), Failure> {
        let result = match self.state {
            ServerState::ExpectHello => self.process_hello(body),
            ServerState::ExpectInitiate => self.process_initiate(body),
            _ => Err(Failure::handshake(ZMQ_PROTOCOL_ERROR_ZMTP_UNSPECIFIED, "command out of turn")),
        };
        if result.is_err() {
            self.state = ServerState::Failed;
        }
        result
    }

    fn status(&self) -> Status {
        match self.state {
            ServerState::Ready => Status::Ready,
            ServerState::Failed => Status::Error,
            _ => Status::Handshaking,
        }
    }

    fn peer(&self) -> &PeerInfo {
        &self.peer
    }

    fn wraps_messages(&self) -> bool {
        true
    }

    fn encode(&mut self, msg: &Msg) -> Result<Msg, Failure> {
        match (&self.state, self.channel.as_mut()) {
            (ServerState::Ready, Some(channel)) => Ok(channel.encode(msg)),
            _ => Err(Failure::protocol("CURVE message before READY")),
        }
    }

    fn decode(&mut self, frame: Msg) -> Result<Msg, Failure> {
        match (&self.state, self.channel.as_mut()) {
            (ServerState::Ready, Some(channel)) => channel.decode(&frame),
            _ => Err(Failure::protocol("CURVE message before READY")),
        }
    }

    fn take_zap_request(&mut self) -> Option<ZapRequest> {
        if self.state != ServerState::ZapPending {
            return None;
        }
        self.state = ServerState::WaitZapReply;
        Some(ZapRequest { mechanism: b"CURVE", credentials: vec![self.client_key.to_vec()] })
    }

    /// The User-Id goes into the peer info; the handler's metadata is the engine's business.
    /// A refusal queues ERROR (except for 300, a temporary failure, which the RFC wants
    /// answered by a silent disconnect) and fails with HANDSHAKE_FAILED_AUTH.
    fn zap_reply(&mut self, reply: &ZapReply) -> Result<(), Failure> {
        if self.state != ServerState::WaitZapReply {
            return Err(Failure::protocol("ZAP reply without a request"));
        }
        self.peer.user_id = Some(reply.user_id.clone());
        let status = reply.status();
        self.state = match status {
            200 => {
                self.state = ServerState::SendReady;
                return Ok(());
            }
            300 => ServerState::Failed,
            _ => ServerState::SendError(reply.status_code.clone()),
        };
        Err(Failure::auth(status, "ZAP handler refused the client"))
    }

    /// No handler: encryption without authentication (libzmq's "Stonehouse"), no User-Id.
    fn zap_bypassed(&mut self) -> Result<(), Failure> {
        if self.state != ServerState::WaitZapReply {
            return Err(Failure::protocol("ZAP bypass without a request"));
        }
        self.state = ServerState::SendReady;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::super::failure::MonitorEvent;
    use crate::constants::{ZMQ_DEALER, ZMQ_ROUTER};
    use super::*;

    fn local(socket_type: i32, as_server: bool) -> LocalInfo {
        LocalInfo { socket_type, routing_id: b"id".to_vec(), app_metadata: vec![("X-Hello".into(), b"World".to_vec())], as_server }
    }

    struct Pair {
        client: CurveClient,
        server: CurveServer,
        client_public: [u8; 32],
    }

    fn pair_with_server_key(server_key_for_client: Option<[u8; 32]>) -> Pair {
        let (spub, ssec) = keypair();
        let (cpub, csec) = keypair();
        let client = CurveClient::new(local(ZMQ_DEALER, false), cpub, csec, server_key_for_client.unwrap_or(spub));
        Pair { client, server: CurveServer::new(local(ZMQ_ROUTER, true), ssec), client_public: cpub }
    }

    /// Runs the handshake; answers ZAP with `zap_status`. Returns the first failure.
    fn handshake(p: &mut Pair, zap_status: &[u8]) -> Result<(), Failure> {
        for _ in 0..10 {
            while let Some(cmd) = p.client.next_handshake_command() {
                p.server.process_handshake_command(&cmd)?;
            }
            if let Some(req) = p.server.take_zap_request() {
                assert_eq!(req.mechanism, b"CURVE");
                assert_eq!(req.credentials, vec![p.client_public.to_vec()]);
                p.server.zap_reply(&ZapReply { status_code: zap_status.to_vec(), user_id: b"alice".to_vec(), ..Default::default() })?;
            }
            while let Some(cmd) = p.server.next_handshake_command() {
                p.client.process_handshake_command(&cmd)?;
            }
            if p.client.status() == Status::Ready && p.server.status() == Status::Ready {
                return Ok(());
            }
        }
        panic!("handshake did not finish");
    }

    fn event(f: &Failure) -> Option<MonitorEvent> {
        f.event
    }

    #[test]
    fn keys() {
        let (public, secret) = keypair();
        assert_eq!(public_key(&secret), public);
        assert_ne!(keypair().1, secret);
        // RFC 7748 §6.1 (Alice): X25519(a, 9).
        let hex = |s: &str| -> [u8; 32] {
            (0..32).map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap()).collect::<Vec<_>>().try_into().unwrap()
        };
        let a = hex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
        assert_eq!(public_key(&a), hex("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a"));
    }

    #[test]
    fn sizes_and_layout() {
        let mut p = pair_with_server_key(None);
        let hello = p.client.next_handshake_command().unwrap();
        assert_eq!(hello.len(), 200);
        assert_eq!(&hello[..8], b"\x05HELLO\x01\x00");
        assert_eq!(&hello[112..120], &1u64.to_be_bytes());
        p.server.process_handshake_command(&hello).unwrap();
        let welcome = p.server.next_handshake_command().unwrap();
        assert_eq!(welcome.len(), 168);
        p.client.process_handshake_command(&welcome).unwrap();
        let initiate = p.client.next_handshake_command().unwrap();
        assert_eq!(&initiate[..9], b"\x08INITIATE");
        assert_eq!(&initiate[105..113], &2u64.to_be_bytes());
        assert_eq!(initiate.len(), 113 + 128 + 16 + basic_properties(&p.client.local).len());
        assert_eq!(p.server.next_handshake_command(), None);
    }

    #[test]
    fn handshake_and_messages() {
        let mut p = pair_with_server_key(None);
        handshake(&mut p, b"200").unwrap();
        assert_eq!(p.server.peer().socket_type, Some(ZMQ_DEALER));
        assert_eq!(p.server.peer().routing_id, b"id");
        assert_eq!(p.server.peer().user_id.as_deref(), Some(&b"alice"[..]));
        assert!(p.server.peer().properties.iter().any(|(n, v)| n == "X-Hello" && v == b"World"));
        assert_eq!(p.client.peer().socket_type, Some(ZMQ_ROUTER));

        let mut m = Msg::from_slice(b"hello");
        m.set_more(true);
        let wire = p.client.encode(&m).unwrap();
        assert_eq!(wire.flags(), 0);
        assert_eq!(&wire.data()[..8], b"\x07MESSAGE");
        assert_eq!(&wire.data()[8..16], &3u64.to_be_bytes());
        assert_eq!(wire.len(), 8 + 8 + 16 + 1 + 5);
        let got = p.server.decode(wire.clone()).unwrap();
        assert_eq!((got.data(), got.more(), got.is_command()), (&b"hello"[..], true, false));
        // A replay (same nonce) is refused.
        let err = p.server.decode(wire).unwrap_err();
        assert_eq!(event(&err), Some(MonitorEvent::HandshakeFailedProtocol(ZMQ_PROTOCOL_ERROR_ZMTP_INVALID_SEQUENCE)));

        // Commands travel inside boxes too, with the COMMAND flag.
        let mut ping = Msg::from_vec(commands::ping(10, b""));
        ping.set_flags(flags::COMMAND);
        let big = Msg::from_vec(vec![7u8; 100_000]);
        for msg in [ping, big, Msg::new()] {
            let back = p.client.decode(p.server.encode(&msg).unwrap()).unwrap();
            assert_eq!((back.data(), back.is_command(), back.more()), (msg.data(), msg.is_command(), false));
        }
    }

    #[test]
    fn tampered_message_fails() {
        let mut p = pair_with_server_key(None);
        handshake(&mut p, b"200").unwrap();
        let wire = p.client.encode(&Msg::from_slice(b"secret")).unwrap();
        let mut bad = wire.data().to_vec();
        *bad.last_mut().unwrap() ^= 1;
        let err = p.server.decode(Msg::from_vec(bad)).unwrap_err();
        assert_eq!(event(&err), Some(MonitorEvent::HandshakeFailedProtocol(ZMQ_PROTOCOL_ERROR_ZMTP_CRYPTOGRAPHIC)));

        let check = |body: &[u8], code: i32| {
            let mut p = pair_with_server_key(None);
            handshake(&mut p, b"200").unwrap();
            let err = p.server.decode(Msg::from_slice(body)).unwrap_err();
            assert_eq!(event(&err), Some(MonitorEvent::HandshakeFailedProtocol(code)), "{body:?}");
        };
        check(b"\x07MESSAGE\0\0\0\0\0\0\0\x05short", ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_MESSAGE);
        check(b"\x07MESSAGX0123456789", ZMQ_PROTOCOL_ERROR_ZMTP_UNEXPECTED_COMMAND);
        check(b"\x07", ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_UNSPECIFIED);
        check(&[b"\x07MESSAGE".as_slice(), &1u64.to_be_bytes(), &[0; 20]].concat(), ZMQ_PROTOCOL_ERROR_ZMTP_INVALID_SEQUENCE);
    }

    #[test]
    fn wrong_server_key_fails() {
        let (other, _) = keypair();
        let mut p = pair_with_server_key(Some(other));
        let err = handshake(&mut p, b"200").unwrap_err();
        assert_eq!(event(&err), Some(MonitorEvent::HandshakeFailedProtocol(ZMQ_PROTOCOL_ERROR_ZMTP_CRYPTOGRAPHIC)));
        assert_eq!(p.server.status(), Status::Error);
    }

    #[test]
    fn low_order_keys_are_refused() {
        // A client whose short-term key is zero: anyone could make its HELLO box.
        let mut p = pair_with_server_key(None);
        p.client.cn_public = [0; 32];
        let hello = p.client.next_handshake_command().unwrap();
        let err = p.server.process_handshake_command(&hello).unwrap_err();
        assert_eq!(event(&err), Some(MonitorEvent::HandshakeFailedProtocol(ZMQ_PROTOCOL_ERROR_ZMTP_CRYPTOGRAPHIC)));
        // A client with a zero long-term key (what test_security_curve's null key sets).
        let (spub, ssec) = keypair();
        let (_, csec) = keypair();
        let mut client = CurveClient::new(local(ZMQ_DEALER, false), [0; 32], csec, spub);
        let mut server = CurveServer::new(local(ZMQ_ROUTER, true), ssec);
        server.process_handshake_command(&client.next_handshake_command().unwrap()).unwrap();
        client.process_handshake_command(&server.next_handshake_command().unwrap()).unwrap();
        let err = server.process_handshake_command(&client.next_handshake_command().unwrap()).unwrap_err();
        assert_eq!(event(&err), Some(MonitorEvent::HandshakeFailedProtocol(ZMQ_PROTOCOL_ERROR_ZMTP_CRYPTOGRAPHIC)));
    }

    /// Client and server up to the server's ZAP request, taken.
    fn up_to_zap(p: &mut Pair) {
        p.server.process_handshake_command(&p.client.next_handshake_command().unwrap()).unwrap();
        p.client.process_handshake_command(&p.server.next_handshake_command().unwrap()).unwrap();
        p.server.process_handshake_command(&p.client.next_handshake_command().unwrap()).unwrap();
        assert_eq!(p.server.status(), Status::Handshaking);
        assert_eq!(p.server.next_handshake_command(), None, "nothing before the ZAP reply");
        p.server.take_zap_request().unwrap();
        assert!(p.server.take_zap_request().is_none());
    }

    #[test]
    fn zap_refusal_sends_error() {
        let mut p = pair_with_server_key(None);
        up_to_zap(&mut p);
        let err = p.server.zap_reply(&ZapReply { status_code: b"400".to_vec(), ..Default::default() }).unwrap_err();
        assert_eq!(event(&err), Some(MonitorEvent::HandshakeFailedAuth(400)));
        let error = p.server.next_handshake_command().unwrap();
        assert_eq!(error, commands::error(b"400"));
        assert_eq!(p.server.status(), Status::Error);
        let err = p.client.process_handshake_command(&error).unwrap_err();
        assert_eq!(event(&err), Some(MonitorEvent::HandshakeFailedAuth(400)));
        assert_eq!(p.client.status(), Status::Error);

        // 300: no ERROR at all, the server just gives up.
        let mut p = pair_with_server_key(None);
        up_to_zap(&mut p);
        let err = p.server.zap_reply(&ZapReply { status_code: b"300".to_vec(), ..Default::default() }).unwrap_err();
        assert_eq!(event(&err), Some(MonitorEvent::HandshakeFailedAuth(300)));
        assert_eq!(p.server.next_handshake_command(), None);
        assert_eq!(p.server.status(), Status::Error);
    }

    #[test]
    fn without_zap_handler() {
        let mut p = pair_with_server_key(None);
        up_to_zap(&mut p);
        p.server.zap_bypassed().unwrap();
        p.client.process_handshake_command(&p.server.next_handshake_command().unwrap()).unwrap();
        assert_eq!((p.client.status(), p.server.status()), (Status::Ready, Status::Ready));
        assert_eq!(p.server.peer().user_id, None);
        assert!(p.server.zap_bypassed().is_err(), "only once, after a request");
    }

    #[test]
    fn bad_handshake_commands() {
        let server_fails = |f: &dyn Fn(&mut Vec<u8>), code: i32| {
            let mut p = pair_with_server_key(None);
            let mut hello = p.client.next_handshake_command().unwrap();
            f(&mut hello);
            let err = p.server.process_handshake_command(&hello).unwrap_err();
            assert_eq!(event(&err), Some(MonitorEvent::HandshakeFailedProtocol(code)));
        };
        server_fails(&|h| h[6] = 2, ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_HELLO);
        server_fails(&|h| h.truncate(199), ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_HELLO);
        server_fails(&|h| h[1] = b'J', ZMQ_PROTOCOL_ERROR_ZMTP_UNEXPECTED_COMMAND);
        server_fails(&|h| h[150] ^= 1, ZMQ_PROTOCOL_ERROR_ZMTP_CRYPTOGRAPHIC);

        // A tampered cookie or INITIATE box.
        for at in [20, 50, 150] {
            let mut p = pair_with_server_key(None);
            p.server.process_handshake_command(&p.client.next_handshake_command().unwrap()).unwrap();
            p.client.process_handshake_command(&p.server.next_handshake_command().unwrap()).unwrap();
            let mut initiate = p.client.next_handshake_command().unwrap();
            initiate[at] ^= 1;
            let err = p.server.process_handshake_command(&initiate).unwrap_err();
            assert_eq!(event(&err), Some(MonitorEvent::HandshakeFailedProtocol(ZMQ_PROTOCOL_ERROR_ZMTP_CRYPTOGRAPHIC)));
        }

        // The client: a READY before WELCOME (short, then with a box that cannot open, as
        // libzmq reports them), a malformed ERROR.
        let mut p = pair_with_server_key(None);
        p.client.next_handshake_command();
        let err = p.client.process_handshake_command(b"\x05READY").unwrap_err();
        assert_eq!(event(&err), Some(MonitorEvent::HandshakeFailedProtocol(ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_READY)));
        let mut p = pair_with_server_key(None);
        p.client.next_handshake_command();
        let err = p.client.process_handshake_command(&[&b"\x05READY"[..], &[0; 30]].concat()).unwrap_err();
        assert_eq!(event(&err), Some(MonitorEvent::HandshakeFailedProtocol(ZMQ_PROTOCOL_ERROR_ZMTP_CRYPTOGRAPHIC)));
        let mut p = pair_with_server_key(None);
        p.client.next_handshake_command();
        let err = p.client.process_handshake_command(b"\x05ERROR\x05500").unwrap_err();
        assert_eq!(event(&err), Some(MonitorEvent::HandshakeFailedProtocol(ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_ERROR)));
        let mut p = pair_with_server_key(None);
        p.client.next_handshake_command();
        let err = p.client.process_handshake_command(b"\x05ERROR\x03500").unwrap_err();
        assert_eq!(event(&err), Some(MonitorEvent::HandshakeFailedAuth(500)));
    }
}
