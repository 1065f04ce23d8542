//! Waiting for events on sockets and plain file descriptors: zmq_poll (`items.rs`, one
//! array per call) and zmq_poller (`poller.rs`, a registered set), both over one
//! look-then-sleep loop (`wait.rs`).

mod items;
pub mod poller;
mod readiness;
mod wait;

pub use items::{poll, PollItem};
pub use poller::{Event, Poller};

#[cfg(test)]
mod tests;
