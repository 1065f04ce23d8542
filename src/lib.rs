//! zmq-oxide: a memory-safe drop-in replacement for libzmq 4.3.
//!
//! Layers, top to bottom (see docs/architecture.md):
//! - `ffi`: the only `extern "C"` code; validates handles and sizes, maps errors to errno.
//! - `ctx`: contexts, I/O thread pool, the inproc endpoint registry.
//! - `socket`: the socket core and one file per socket pattern.
//! - `pipe`: lock-free message queues between a socket and its peers, with HWM.
//! - `io`: the mio I/O threads that own connections.
//! - `transport`: endpoint parsing, tcp/ipc listeners and connecters.
//! - `zmtp`: the wire protocol codec and handshake.
//! - `msg`: the message type.

pub mod error;
pub mod msg;
pub mod ctx;
pub mod io;
pub mod options;
pub mod pipe;
pub mod socket;
pub mod transport;
pub mod poll;
pub mod proxy;
pub mod ffi;
pub mod zmtp;
pub mod ctx_options;
pub mod z85;
pub mod thread;
mod c_number;
