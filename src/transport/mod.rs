//! Addresses of the transports (tcp, ipc, ws, udp): parsing, resolution and the rules
//! libzmq applies to them. No I/O threads here: `io/bind_connect.rs` uses these to hand
//! listeners and connecters to an I/O thread; `inproc://` needs no transport at all.

pub mod endpoint;
mod ip_resolver;
mod ipc;
mod tcp;
mod tcp_mask;
pub mod udp;
mod ws;
