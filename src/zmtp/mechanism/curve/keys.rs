//! Key pairs, the precomputed box key of two of them, and the check every key from the
//! wire gets.

use crypto_box::aead::OsRng;
use crypto_box::{PublicKey, SalsaBox, SecretKey};
use curve25519_dalek::montgomery::MontgomeryPoint;

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

/// The box key of their public and our secret key (crypto_box_beforenm).
pub(super) fn salsa_box(their_public: &[u8; KEY_LEN], our_secret: &[u8; KEY_LEN]) -> SalsaBox {
    SalsaBox::new(&PublicKey::from_bytes(*their_public), &SecretKey::from_bytes(*our_secret))
}

/// `salsa_box`, refusing a key of low order (the shared point is then zero, and anyone
/// can make the box): libsodium's crypto_box fails there, and so do libzmq's handshakes.
pub(super) fn checked_box(their_public: &[u8; KEY_LEN], our_secret: &[u8; KEY_LEN]) -> Result<SalsaBox, Failure> {
    if MontgomeryPoint(*their_public).mul_clamped(*our_secret).0 == [0; KEY_LEN] {
        return Err(crypto_failure("low-order CURVE key"));
    }
    Ok(salsa_box(their_public, our_secret))
}
