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

mod boxes;
mod client;
mod keys;
mod message;
mod server;
#[cfg(test)]
mod tests;

pub use client::CurveClient;
pub use keys::{keypair, public_key, KEY_LEN};
pub use server::CurveServer;

use super::super::failure::{protocol_error, Failure};

/// HELLO and WELCOME have fixed sizes; both sides build one and check the other.
const HELLO_LEN: usize = 200;
const WELCOME_LEN: usize = 168;

/// A box that does not open, or a key that must not be used.
fn crypto_failure(detail: &'static str) -> Failure {
    Failure::handshake(protocol_error::ZMTP_CRYPTOGRAPHIC, detail)
}

fn unexpected_command() -> Failure {
    Failure::handshake(protocol_error::ZMTP_UNEXPECTED_COMMAND, "unexpected command")
}

/// libzmq's first check of HELLO, INITIATE and MESSAGE: a name and something after it.
fn check_command_structure(body: &[u8]) -> Result<(), Failure> {
    if body.len() <= 1 || body.len() <= body[0] as usize {
        return Err(Failure::handshake(protocol_error::ZMTP_MALFORMED_COMMAND_UNSPECIFIED, "malformed command"));
    }
    Ok(())
}

