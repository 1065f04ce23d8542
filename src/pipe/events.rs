//! How pipes are named (ids, and maps keyed by them) and how a pipe tells the owner of
//! an end what happened (events, through the owner's `Notify`).

use std::sync::Arc;

pub type PipeId = u64;

/// Pipe ids are unique counters: a multiplicative hash spreads them well and costs far
/// less than SipHash on every message's pipe lookup.
#[derive(Default, Clone, Copy)]
pub struct PipeIdHasher(u64);

impl std::hash::Hasher for PipeIdHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ b as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }

    fn write_u64(&mut self, id: u64) {
        self.0 = id.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

/// A map keyed by pipe id.
pub type PipeMap<V> = std::collections::HashMap<PipeId, V, std::hash::BuildHasherDefault<PipeIdHasher>>;

/// What a pipe tells the owner of one of its ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PipeEvent {
    /// Messages arrived on a pipe whose reader was asleep.
    Readable(PipeId),
    /// Space freed on a pipe whose writer was blocked by the HWM.
    Writable(PipeId),
    /// The peer closed its end.
    Closed(PipeId),
    /// The connection behind the pipe was re-established (the peer may have lost state,
    /// e.g. a publisher that restarted needs the subscriptions again).
    Hiccup(PipeId),
}

/// Whoever owns a pipe end: a socket's mailbox or an I/O thread's session.
pub trait Notify: Send + Sync {
    fn notify(&self, ev: PipeEvent);
}

/// Where to send events for one end: the owner and the id that end has there.
#[derive(Clone)]
pub struct Notifier {
    pub target: Arc<dyn Notify>,
    pub id: PipeId,
}
