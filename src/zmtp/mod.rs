//! ZMTP, the ZeroMQ wire protocol: a sans-IO engine for one connection.
//!
//! The engine owns no socket and reads no clock. The I/O layer feeds it the bytes it reads,
//! writes the bytes it queues, and calls it on timers. It speaks ZMTP 3.1 (RFC 37) and, as
//! libzmq 4.3 does, falls back to whatever an older peer speaks: ZMTP 3.0 (RFC 23), 2.0
//! (RFC 15: libzmq 3.x, JeroMQ 0.3) and 1.0 (RFC 13: libzmq 2.x, with or without a
//! greeting). Security mechanisms: NULL, PLAIN and CURVE, with ZAP requests surfaced as
//! Event::ZapRequest for the I/O layer to answer.
//!
//! # Driving an engine
//!
//! ```text
//! let mut e = Engine::new(cfg);                 // our greeting's first part is queued
//! loop {
//!     // writable (or after anything that may have queued output: new, on_read, send, tick):
//!     while e.wants_write() {
//!         match sock.write(e.out_bytes()) {     // or writev with e.out_slices(..)
//!             Ok(n) => e.consume_out(n),
//!             Err(WouldBlock) => { wait for POLLOUT; break }
//!             Err(_) => close,
//!         }
//!     }
//!     // readable:
//!     let n = sock.read(&mut buf)?;             // n == 0: peer closed (caller's business)
//!     let failed = e.on_read(&buf[..n]).is_err();
//!     // or, in a large frame's body: readv into [e.body_tail(min)?, buf], then
//!     // e.on_body_read(into the tail) and e.on_read(the rest, in buf)
//!     while let Some(ev) = e.poll_event() { ... } // HandshakeDone / Message / Subscribe /
//!                                                 // Cancel / Error (last; then close)
//!     deadline = e.tick(Instant::now());        // arms timers started by what was read
//!     // timer fired: deadline = e.tick(now); poll events (a timeout is an Error event); write.
//!     // sending, once HandshakeDone was seen:
//!     while e.out_len() < 8192 { let m = pipe.read()?; e.send(&m)?; } // batch, then write
//! }
//! ```
//!
//! - `on_read` decodes everything it is given and queues one event per frame; the caller
//!   applies back-pressure by not reading from the socket (or not polling events) while its
//!   pipe to the socket is full. `on_read_into` hands application messages to a
//!   `MessageSink` instead, while no other event waits (an I/O session's pipe).
//! - `tick` must follow `on_read` (a received PING's TTL and the first heartbeat interval
//!   are armed there) and be called again at the deadline it returns.
//! - The handshake timeout (ZMQ_HANDSHAKE_IVL), EOF and I/O errors are the caller's: if
//!   `handshake_done()` is still false when it expires, close the connection.
//! - On Event::Error, emit `failure.event` to the monitor if set, then close. Its `kind`
//!   (Protocol / Timeout) is libzmq's `error_reason_t` for reconnect decisions.
//! - On Event::ZapRequest (server side of PLAIN/CURVE, NULL with a ZAP domain), ask the
//!   ZAP handler (`zap::request_frames`, `zap::parse_reply`) and call `zap_reply`, or
//!   `zap_bypassed` when libzmq's rules say go on without one; then poll events again.
//!
//! # Subscriptions
//!
//! A ZMTP 3.1 peer sends SUBSCRIBE/CANCEL commands, delivered as Event::Subscribe/Cancel
//! (`commands::subscription_message` makes them the 3.0 form for an XPUB). Older peers send
//! messages starting with 1 (subscribe) or 0 (cancel), delivered as ordinary messages: the
//! socket layer tells them apart. `Engine::send_subscription` picks the form for the peer;
//! XSUB may also just `send` 1/0-prefixed messages, which every libzmq accepts.
//!
//! # Files
//!
//! - `greeting.rs`: greeting exchange and version negotiation;
//! - `codec.rs`: frame decoding/encoding (1.0 and 2.0/3.x framing); `body.rs`: the body
//!   being received, assembled in the message's own buffer;
//! - `commands.rs`: command bodies (READY, ERROR, PING, PONG, SUBSCRIBE, CANCEL) and
//!   metadata properties;
//! - `mechanism/`: the security handshake seam and the NULL, PLAIN and CURVE mechanisms;
//! - `zap.rs`: ZAP request frames and reply checks;
//! - `heartbeat.rs`: PING/PONG timers; `outbuf.rs`: the output queue;
//! - `socket_type.rs`: socket type names and libzmq's compatibility table;
//! - `failure.rs`: why a connection failed, and the monitor event for it;
//! - `engine.rs`: ties them together; `sink.rs`: where it may put decoded messages
//!   directly (an I/O session's pipe) instead of its event queue.

mod body;
pub mod codec;
pub mod commands;
mod config;
pub mod engine;
pub mod failure;
pub mod greeting;
pub mod heartbeat;
pub mod mechanism;
pub mod outbuf;
mod sink;
pub mod socket_type;
pub mod zap;

#[cfg(test)]
mod tests;

pub use config::Config;
pub use engine::{Engine, Event, Handshake, MessageSink};
pub use failure::{Failure, FailureKind, MonitorEvent};
pub use greeting::Protocol;
pub use mechanism::MechanismConfig;
