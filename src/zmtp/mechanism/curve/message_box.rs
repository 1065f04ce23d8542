//! The boxes of MESSAGE commands: NaCl's crypto_secretbox under the connection's
//! precomputed key, put together here from our Salsa20 keystream (`keystream`) and
//! RustCrypto's Poly1305 instead of taken from `crypto_secretbox`, which has no say in
//! four costs per message:
//! - Salsa20 itself. RustCrypto's salsa20 0.10 makes one block at a time in scalar code;
//!   `keystream` makes 8 at a time with AVX2 (4 with SSE2), a fifth of the instructions.
//! - HSalsa20. A box's 24-byte nonce is a fixed 16-byte prefix per direction
//!   ("CurveZMQMESSAGEC"/"S") and the 8-byte short nonce, and XSalsa20 under such a
//!   nonce is Salsa20 under HSalsa20(key, prefix) with the short nonce: that subkey is
//!   made once per direction (`PrefixBoxes`), not per box (~1,100 instructions each).
//! - Poly1305's backend. crypto_secretbox's poly1305 (0.8) takes AVX2 at run time when
//!   the CPU has it: the cheapest per byte, but its setup costs ~3,000 instructions per
//!   box. Boxes shorter than `SOFT_MAX` go to poly1305 0.9, built soft-only (Cargo.toml,
//!   .cargo/config.toml), longer ones to 0.8.
//! - Copies. `open_split` checks the MAC on the frame as it came and decrypts straight
//!   into the two places the plaintext goes (the flags byte, the message buffer);
//!   `seal_split` encrypts straight from those two into the outgoing frame.
//! The bytes are crypto_secretbox's (tests compare every length up to a few KiB with it):
//! keystream block 0's first 32 bytes are the Poly1305 key, the rest of the keystream
//! encrypts, and the MAC covers the ciphertext.

use salsa20::cipher::consts::U10;
use salsa20::hsalsa;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use super::boxes::MAC_LEN;
use super::keys::cipher;
use super::keystream::Keystream;

/// Ciphertexts shorter than this get the soft Poly1305. Measured here (one MAC, warm
/// loop): soft 121 ns at 64 B, 1.1 us at 1 KiB, 5.2 us at 4 KiB; AVX2 2.3 us at 64 B,
/// 2.9 us at 1 KiB, 3.7 us at 4 KiB: they cross between 2 and 3 KiB. (In instructions
/// they cross near 640 B: AVX2's setup is ~3,000 of them, run at a low rate.)
const SOFT_MAX: usize = 2048;

/// Poly1305 reads its input in blocks of this many bytes.
const POLY1305_BLOCK: usize = 16;

/// The box key of one connection: crypto_box_beforenm(C', S'), made once by the handshake.
pub(super) struct MessageKey(Zeroizing<[u8; 32]>);

impl MessageKey {
    pub(super) fn new(key: Zeroizing<[u8; 32]>) -> MessageKey {
        MessageKey(key)
    }

    /// The same key as a crypto_secretbox cipher, for the boxes that are not MESSAGEs.
    pub(super) fn secretbox(&self) -> crypto_secretbox::XSalsa20Poly1305 {
        cipher(&self.0)
    }

    /// The boxes under this key whose nonces start with `prefix`.
    pub(super) fn with_prefix(&self, prefix: &[u8; 16]) -> PrefixBoxes {
        PrefixBoxes(Zeroizing::new(hsalsa::<U10>(&(*self.0).into(), prefix.into()).into()))
    }
}

/// Boxes under one key whose nonces are one prefix and an 8-byte tail; holds the
/// HSalsa20 subkey of that key and prefix.
pub(super) struct PrefixBoxes(Zeroizing<[u8; 32]>);

impl PrefixBoxes {
    /// Salsa20 for the nonce ending in `tail`, moved past the 32 keystream bytes that key
    /// Poly1305, and that key.
    fn start(&self, tail: &[u8; 8]) -> (Keystream, Zeroizing<[u8; 32]>) {
        let mut cipher = Keystream::new(&self.0, tail);
        let mut mac_key = Zeroizing::new([0u8; 32]);
        cipher.apply(&mut *mac_key);
        (cipher, mac_key)
    }

    /// Seals the plaintext `head` then `tail` into `sealed` (MAC, then ciphertext), which
    /// is MAC_LEN bytes longer than the two.
    pub(super) fn seal_split(&self, nonce_tail: &[u8; 8], head: &[u8], tail: &[u8], sealed: &mut [u8]) {
        let (mac, body) = sealed.split_at_mut(MAC_LEN);
        let (body_head, body_tail) = body.split_at_mut(head.len());
        let (mut cipher, mac_key) = self.start(nonce_tail);
        cipher.apply_to(head, body_head);
        cipher.apply_to(tail, body_tail);
        mac.copy_from_slice(&poly1305(&mac_key, body));
    }

    /// Opens `sealed` (MAC, then ciphertext) into `head` and `tail`, which together are as
    /// long as the ciphertext. False, with nothing written, if the MAC does not match.
    pub(super) fn open_split(&self, nonce_tail: &[u8; 8], sealed: &[u8], head: &mut [u8], tail: &mut [u8]) -> bool {
        let (mac, body) = sealed.split_at(MAC_LEN);
        debug_assert_eq!(body.len(), head.len() + tail.len());
        let (mut cipher, mac_key) = self.start(nonce_tail);
        if !tags_match(&poly1305(&mac_key, body), mac) {
            return false;
        }
        let (body_head, body_tail) = body.split_at(head.len());
        cipher.apply_to(body_head, head);
        cipher.apply_to(body_tail, tail);
        true
    }
}

/// Whether a MAC is `expected`, in constant time: two 64-bit compares (subtle's slice
/// compare goes byte by byte).
fn tags_match(expected: &[u8; MAC_LEN], mac: &[u8]) -> bool {
    let word = |tag: &[u8], i: usize| u64::from_le_bytes(tag[8 * i..8 * i + 8].try_into().expect("8 bytes"));
    bool::from(word(expected, 0).ct_eq(&word(mac, 0)) & word(expected, 1).ct_eq(&word(mac, 1)))
}

/// Poly1305 of `data` under the one-time `key`, with the backend that suits its length.
/// Long data's whole blocks go in as one slice (`update_padded` pads nothing there): the
/// AVX2 backend then takes four blocks per call, where `compute_unpadded` alone feeds it
/// one block at a time through its dispatch and a copy.
fn poly1305(key: &[u8; 32], data: &[u8]) -> [u8; MAC_LEN] {
    use poly1305::universal_hash::{KeyInit as _, UniversalHash as _};
    use poly1305_soft::universal_hash::KeyInit as _;
    if data.len() < SOFT_MAX {
        poly1305_soft::Poly1305::new(&(*key).into()).compute_unpadded(data).into()
    } else {
        let (whole, rest) = data.split_at(data.len() / POLY1305_BLOCK * POLY1305_BLOCK);
        let mut mac = poly1305::Poly1305::new(key.into());
        mac.update_padded(whole);
        mac.compute_unpadded(rest).into()
    }
}

#[cfg(test)]
mod tests {
    use super::super::boxes::{nonce, open, random, seal};
    use super::super::keys::{box_key, keypair};
    use super::*;
    use crypto_box::{PublicKey, SalsaBox, SecretKey};

    /// A key pair's MessageKey and crypto_box's own SalsaBox of the same pair (made by
    /// crypto_box, not by `keys`, so that it checks `box_key` too).
    fn keys() -> (MessageKey, SalsaBox) {
        let (public, _) = keypair();
        let (_, secret) = keypair();
        let salsa = SalsaBox::new(&PublicKey::from_bytes(public), &SecretKey::from_bytes(secret));
        (MessageKey::new(box_key(&public, &secret)), salsa)
    }

    /// Lengths around every Salsa20 block boundary, both sides of SOFT_MAX and of the
    /// keystream's 8-block batches, and long boxes.
    fn lengths() -> impl Iterator<Item = usize> {
        (0..=300)
            .chain((SOFT_MAX - 70..SOFT_MAX + 70).step_by(3))
            .chain([511, 512, 513, 4095, 4096, 4097, 65535, 65536, 65537, 1 << 20])
    }

    #[test]
    fn seals_as_crypto_box_does() {
        for _ in 0..3 {
            seals_as_crypto_box_does_under(keys());
        }
    }

    fn seals_as_crypto_box_does_under((key, salsa): (MessageKey, SalsaBox)) {
        let prefix = random::<16>();
        let boxes = key.with_prefix(&prefix);
        for len in lengths() {
            let tail = random::<8>();
            let nonce = nonce(&prefix, &tail);
            let plain: Vec<u8> = (0..len).map(|i| (i * 7 + len) as u8).collect();
            for split in [0, 1, len / 2, len].into_iter().filter(|&s| s <= len) {
                let mut ours = vec![0u8; MAC_LEN + len];
                boxes.seal_split(&tail, &plain[..split], &plain[split..], &mut ours);
                assert_eq!(ours, seal(&salsa, &nonce, &plain), "length {len} split {split}");
                assert_eq!(open(&key.secretbox(), &nonce, &ours).as_deref(), Some(&plain[..]), "length {len}");
            }
        }
    }

    #[test]
    fn opens_what_crypto_box_seals_split_anywhere() {
        let (key, salsa) = keys();
        let prefix = random::<16>();
        let boxes = key.with_prefix(&prefix);
        for len in lengths() {
            let nonce_tail = random::<8>();
            let plain: Vec<u8> = (0..len).map(|i| (i * 13 + 5) as u8).collect();
            let sealed = seal(&salsa, &nonce(&prefix, &nonce_tail), &plain);
            for split in [0, 1, len / 2, len].into_iter().filter(|&s| s <= len) {
                let (mut head, mut tail) = (vec![0u8; split], vec![0u8; len - split]);
                assert!(boxes.open_split(&nonce_tail, &sealed, &mut head, &mut tail), "length {len}");
                head.extend_from_slice(&tail);
                assert_eq!(head, plain, "length {len} split {split}");
            }
        }
    }

    #[test]
    fn refuses_any_changed_byte_and_writes_nothing() {
        let (key, salsa) = keys();
        let prefix = random::<16>();
        let boxes = key.with_prefix(&prefix);
        for len in [0, 1, 64, SOFT_MAX - 1, SOFT_MAX, 3000] {
            let nonce_tail = random::<8>();
            let sealed = seal(&salsa, &nonce(&prefix, &nonce_tail), &vec![0x5a; len]);
            for at in [0, MAC_LEN - 1, MAC_LEN, sealed.len() - 1].into_iter().filter(|&at| at < sealed.len()) {
                let mut bad = sealed.clone();
                bad[at] ^= 0x01;
                let (mut head, mut tail) = ([0u8; 0], vec![0u8; len]);
                assert!(!boxes.open_split(&nonce_tail, &bad, &mut head, &mut tail), "length {len} byte {at}");
                assert!(tail.iter().all(|&b| b == 0), "length {len}: wrote before authenticating");
            }
            let mut other_tail = nonce_tail;
            other_tail[7] ^= 1;
            assert!(!boxes.open_split(&other_tail, &sealed, &mut [], &mut vec![0u8; len]), "length {len}");
            let mut other_prefix = prefix;
            other_prefix[0] ^= 1;
            let other = key.with_prefix(&other_prefix);
            assert!(!other.open_split(&nonce_tail, &sealed, &mut [], &mut vec![0u8; len]), "length {len}");
        }
    }
}
