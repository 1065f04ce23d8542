//! The other side of a CURVE handshake (RFC 26), written from the RFC for the fuzz targets:
//! fixed long-term and short-term keys, so every box the target sends opens and the
//! engine gets past its cryptography to the parsing behind it (metadata, vouch, MESSAGE
//! flags and commands). Boxes are laid out as on the wire: 16-byte MAC, then ciphertext.

use crypto_box::aead::{AeadInPlace, Nonce};
use crypto_box::{PublicKey, SalsaBox, SecretKey};

use super::{frame, Driver, Input};
use zmq::msg::{flags, Msg};

pub const MAC_LEN: usize = 16;

/// A key pair from a fixed secret: (public, secret). Computed once per seed: scalar
/// multiplications are most of a CURVE target's time.
pub fn keypair(seed: u8) -> ([u8; 32], [u8; 32]) {
    static PAIRS: std::sync::OnceLock<Vec<([u8; 32], [u8; 32])>> = std::sync::OnceLock::new();
    PAIRS.get_or_init(|| {
        (0..=8u8)
            .map(|s| {
                let secret = SecretKey::from_bytes([s; 32]);
                (secret.public_key().to_bytes(), secret.to_bytes())
            })
            .collect()
    })[seed as usize]
}

pub fn salsa(their_public: &[u8; 32], our_secret: &[u8; 32]) -> SalsaBox {
    SalsaBox::new(&PublicKey::from_bytes(*their_public), &SecretKey::from_bytes(*our_secret))
}

pub fn nonce(prefix: &[u8], tail: &[u8]) -> [u8; 24] {
    let mut n = [0u8; 24];
    n[..prefix.len()].copy_from_slice(prefix);
    n[prefix.len()..].copy_from_slice(tail);
    n
}

pub fn seal(key: &SalsaBox, nonce: &[u8; 24], plain: &[u8]) -> Vec<u8> {
    let mut body = plain.to_vec();
    let tag = key.encrypt_in_place_detached(Nonce::<SalsaBox>::from_slice(nonce), b"", &mut body).expect("seal");
    let mut out = tag.to_vec();
    out.extend_from_slice(&body);
    out
}

pub fn open(key: &SalsaBox, nonce: &[u8; 24], sealed: &[u8]) -> Option<Vec<u8>> {
    let (mac, body) = sealed.split_at_checked(MAC_LEN)?;
    let mut plain = body.to_vec();
    let tag = crypto_box::aead::Tag::<SalsaBox>::from_slice(mac);
    key.decrypt_in_place_detached(Nonce::<SalsaBox>::from_slice(nonce), b"", &mut plain, tag).ok()?;
    Some(plain)
}

/// Flips the byte at a position chosen by the input (if the mutation byte asks for it),
/// so targets can reach each "box does not open" / "wrong field" branch on purpose.
pub fn maybe_corrupt(input: &mut Input, data: &mut [u8]) {
    let how = input.u8();
    if how & 0x80 != 0 && !data.is_empty() {
        let pos = input.u16() as usize % data.len();
        data[pos] ^= how | 1;
    }
}

/// An established CURVE channel as seen by the target's side.
pub struct Channel {
    pub key: SalsaBox,
    /// Prefix of the nonces on MESSAGEs we send / the engine sends.
    pub ours: &'static [u8; 16],
    pub theirs: &'static [u8; 16],
    pub next_nonce: u64,
    pub last_theirs: u64,
}

impl Channel {
    /// MESSAGE = "\x07MESSAGE", short nonce, Box[flags + data].
    pub fn message(&mut self, nonce_value: u64, msg_flags: u8, data: &[u8]) -> Vec<u8> {
        let short = nonce_value.to_be_bytes();
        let mut plain = vec![msg_flags];
        plain.extend_from_slice(data);
        let mut body = b"\x07MESSAGE".to_vec();
        body.extend_from_slice(&short);
        body.extend_from_slice(&seal(&self.key, &nonce(self.ours, &short), &plain));
        body
    }

    /// Checks a frame the engine wrote: a MESSAGE whose nonce increases and whose box opens.
    pub fn check_engine_frame(&mut self, f: &Msg) -> Vec<u8> {
        let body = f.data();
        assert!(body.starts_with(b"\x07MESSAGE") && body.len() >= 8 + 8 + MAC_LEN + 1, "engine wrote a bad MESSAGE");
        let short: [u8; 8] = body[8..16].try_into().unwrap();
        let n = u64::from_be_bytes(short);
        assert!(n > self.last_theirs, "engine reused a MESSAGE nonce");
        self.last_theirs = n;
        open(&self.key, &nonce(self.theirs, &short), &body[16..]).expect("engine's MESSAGE box does not open")
    }

    /// The message phase, driven by the input: boxed messages and commands (PING,
    /// SUBSCRIBE, ... inside the box), bad nonces, raw frames, and sends from the engine.
    pub fn run(&mut self, d: &mut Driver, input: &mut Input) {
        while !input.is_empty() && !d.failed {
            match input.u8() % 6 {
                0 | 1 => {
                    let msg_flags = input.u8() & (flags::MORE | flags::COMMAND);
                    let n = self.next_nonce;
                    self.next_nonce += 1;
                    let mut body = self.message(n, msg_flags, input.chunk());
                    maybe_corrupt(input, &mut body);
                    d.feed(&frame(&body, false, input.u8() & 1 != 0));
                }
                2 => {
                    // A nonce of the input's choosing (replays, jumps).
                    let n = u64::from(input.u16());
                    let body = self.message(n, input.u8() & 3, input.chunk());
                    d.feed(&frame(&body, false, true));
                }
                3 => d.feed(&frame(input.chunk(), false, true)),
                4 => {
                    let more = input.u8() & 1 != 0;
                    d.send(input.chunk(), more);
                }
                _ => {
                    let subscribe = input.u8() & 1 != 0;
                    let _ = d.engine.send_subscription(subscribe, input.chunk());
                    d.drain();
                }
            }
            for f in d.take_output() {
                self.check_engine_frame(&f);
            }
        }
    }
}
