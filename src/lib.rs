//! zmq-oxide: a memory-safe drop-in replacement for libzmq 4.3.
//!
//! Layers, top to bottom; each uses only those below it (docs/architecture.md has the
//! picture, ci/check-layers enforces it):
//! - `ffi`: the only `extern "C"` code; validates handles and sizes, maps errors to errno.
//! - `poll`, `proxy`: zmq_poll and zmq_proxy over sockets.
//! - `socket`: the socket core and one file per socket pattern.
//! - `io`: the mio I/O threads that own tcp/ipc connections; bind and connect for them.
//! - `zmtp`: the wire protocol codec and handshake (sans-IO).
//! - `ctx`: contexts, socket mailboxes, the inproc registry, monitor slots.
//! - `pipe`: lock-free message queues between a socket and its peers, with HWM.
//! - `options`: socket and context options with libzmq's rules.
//! - `transport`: tcp/ipc addresses: parsing and resolution.
//! - leaves: `msg` (the message type), `constants` (zmq.h's, defined once), `error`,
//!   `z85`, `thread`, `c_number`.

pub mod ffi;
pub mod poll;
pub mod proxy;
pub mod socket;
pub mod io;
pub mod zmtp;
pub mod ctx;
pub mod pipe;
pub mod options;
pub mod transport;
pub mod msg;
pub mod constants;
pub mod error;
pub mod z85;
pub mod thread;
mod c_number;
