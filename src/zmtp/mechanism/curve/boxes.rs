//! NaCl boxes as CurveZMQ lays them out: 24-byte nonces made of a command's prefix and a
//! counter or random tail, and a box that is a 16-byte MAC then the ciphertext.

use crypto_box::aead::rand_core::RngCore;
use crypto_box::aead::{AeadInPlace, Nonce, OsRng};

pub(super) const MAC_LEN: usize = 16;

/// N bytes from the OS's generator: fresh key material and nonce tails.
pub(super) fn random<const N: usize>() -> [u8; N] {
    let mut out = [0u8; N];
    OsRng.fill_bytes(&mut out);
    out
}

/// A 24-byte nonce: a command's prefix, then its short nonce or random tail.
pub(super) fn nonce(prefix: &[u8], tail: &[u8]) -> [u8; 24] {
    let mut n = [0u8; 24];
    n[..prefix.len()].copy_from_slice(prefix);
    n[prefix.len()..].copy_from_slice(tail);
    n
}

/// MAC + ciphertext of `plain`.
pub(super) fn seal<A: AeadInPlace>(cipher: &A, nonce: &[u8; 24], plain: &[u8]) -> Vec<u8> {
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
pub(super) fn open<A: AeadInPlace>(cipher: &A, nonce: &[u8; 24], sealed: &[u8]) -> Option<Vec<u8>> {
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

