//! Key pairs, the precomputed box key of two of them, and the check every key from the
//! wire gets.

use crypto_box::aead::OsRng;
use crypto_box::SecretKey;
use crypto_secretbox::{KeyInit, XSalsa20Poly1305};
use curve25519_dalek::montgomery::MontgomeryPoint;
use salsa20::cipher::consts::U10;
use salsa20::hsalsa;
use zeroize::Zeroizing;

use super::super::super::failure::Failure;
use super::crypto_failure;

pub const KEY_LEN: usize = 32;

/// A fresh key pair (libsodium's crypto_box_keypair): (public, secret).
pub fn keypair() -> ([u8; KEY_LEN], [u8; KEY_LEN]) {
    let secret = SecretKey::generate(&mut OsRng);
    (secret.public_key().to_bytes(), secret.to_bytes())
}

/// The public key of a secret key (crypto_scalarmult_base).
pub fn public_key(secret: &[u8; KEY_LEN]) -> [u8; KEY_LEN] {
    SecretKey::from_bytes(*secret).public_key().to_bytes()
}

/// The X25519 point of their public and our secret key.
fn shared_point(their_public: &[u8; KEY_LEN], our_secret: &[u8; KEY_LEN]) -> Zeroizing<[u8; KEY_LEN]> {
    Zeroizing::new(MontgomeryPoint(*their_public).mul_clamped(*our_secret).0)
}

/// HSalsa20 of the point with a zero input: the key crypto_box_beforenm makes (and
/// crypto_box's `SalsaBox::new` keeps inside).
fn key_of_point(point: &[u8; KEY_LEN]) -> Zeroizing<[u8; KEY_LEN]> {
    Zeroizing::new(hsalsa::<U10>(point.into(), &Default::default()).into())
}

/// The box key of their public and our secret key (crypto_box_beforenm), as bytes: the
/// MESSAGE boxes take it (see `message_box`).
pub(super) fn box_key(their_public: &[u8; KEY_LEN], our_secret: &[u8; KEY_LEN]) -> Zeroizing<[u8; KEY_LEN]> {
    key_of_point(&shared_point(their_public, our_secret))
}

/// A crypto_box cipher under a box key (crypto_box_afternm and its open).
pub(super) fn cipher(key: &[u8; KEY_LEN]) -> XSalsa20Poly1305 {
    XSalsa20Poly1305::new(key.into())
}

/// The crypto_box of their public and our secret key.
pub(super) fn salsa_box(their_public: &[u8; KEY_LEN], our_secret: &[u8; KEY_LEN]) -> XSalsa20Poly1305 {
    cipher(&box_key(their_public, our_secret))
}

/// `box_key`, refusing a key of low order (the shared point is then zero, and anyone can
/// make the box): libsodium's crypto_box fails there, and so do libzmq's handshakes.
pub(super) fn checked_box_key(their_public: &[u8; KEY_LEN], our_secret: &[u8; KEY_LEN]) -> Result<Zeroizing<[u8; KEY_LEN]>, Failure> {
    let point = shared_point(their_public, our_secret);
    if *point == [0; KEY_LEN] {
        return Err(crypto_failure("low-order CURVE key"));
    }
    Ok(key_of_point(&point))
}

/// `salsa_box` with `checked_box_key`'s refusal.
pub(super) fn checked_box(their_public: &[u8; KEY_LEN], our_secret: &[u8; KEY_LEN]) -> Result<XSalsa20Poly1305, Failure> {
    Ok(cipher(&*checked_box_key(their_public, our_secret)?))
}
