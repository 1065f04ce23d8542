//! The queue inside each pipe direction: one writer, one reader, unbounded, lock-free,
//! safe Rust over `rtrb` ring buffers (a well-kept single-producer/single-consumer ring:
//! a push or pop is a slot write and one release store, no allocation).
//!
//! Unbounded: when the writer's ring is full it starts a ring twice as large (up to
//! `MAX_RING`) and hands it to the reader through a side queue, touched once per ring; the
//! reader moves to the next ring once its ring is empty while published items remain.
//!
//! The writer pushes items and `publish` makes everything pushed so far visible at once,
//! with one SeqCst store of a shared count: what the reader checks (and what the pipe's
//! wake-up handshake orders against, see `Pipe::flush`); the reader looks at it only when
//! it has taken everything it saw before. So a session that decoded a whole read hands it
//! over in one step, and the reader never sees part of what was not published.
//!
//! Ownership enforces the single writer / single reader rule: `channel` returns one
//! `Producer` and one `Consumer`, and only they touch their side.

use crossbeam_queue::SegQueue;
use rtrb::RingBuffer;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// The first ring's size: most pipes carry a few messages at a time.
const FIRST_RING: usize = 32;
/// Rings grow by doubling up to this many items; beyond, the queue is a chain of them.
const MAX_RING: usize = 8192;

struct Shared<T> {
    /// Rings the writer started, oldest first, for the reader to move to.
    next_rings: SegQueue<rtrb::Consumer<T>>,
    /// Items published so far (only grows). Aligned to its own cache line: the writer
    /// stores it on every publish, the reader loads it when it runs dry.
    published: Padded<AtomicUsize>,
}

#[repr(align(64))]
struct Padded<T>(T);

pub struct Producer<T> {
    shared: Arc<Shared<T>>,
    ring: rtrb::Producer<T>,
    /// Items pushed, published or not.
    written: usize,
}

pub struct Consumer<T> {
    shared: Arc<Shared<T>>,
    ring: rtrb::Consumer<T>,
    taken: usize,
    /// The writer's count as we last saw it: items up to here can be taken without
    /// looking at the shared counter.
    seen: usize,
}

pub fn channel<T: Send>() -> (Producer<T>, Consumer<T>) {
    let shared = Arc::new(Shared { next_rings: SegQueue::new(), published: Padded(AtomicUsize::new(0)) });
    let (tx, rx) = RingBuffer::new(FIRST_RING);
    (Producer { shared: shared.clone(), ring: tx, written: 0 }, Consumer { shared, ring: rx, taken: 0, seen: 0 })
}

impl<T> Producer<T> {
    /// Append an item; the reader sees it after the next `publish`.
    #[inline]
    pub fn push(&mut self, item: T) {
        match self.ring.push(item) {
            Ok(()) => self.written += 1,
            Err(rtrb::PushError::Full(item)) => self.push_to_new_ring(item),
        }
    }

    /// Full: continue in a larger ring, which the reader reaches after this one.
    #[cold]
    fn push_to_new_ring(&mut self, item: T) {
        let size = (self.ring.buffer().capacity() * 2).min(MAX_RING);
        let (tx, rx) = RingBuffer::new(size);
        self.shared.next_rings.push(rx);
        self.ring = tx;
        if self.ring.push(item).is_err() {
            unreachable!("a new ring has room");
        }
        self.written += 1;
    }

    /// Make every item pushed so far visible to the reader. SeqCst: the pipe's wake-up
    /// handshake relies on it (see `Pipe::flush`).
    #[inline]
    pub fn publish(&mut self) {
        if self.shared.published.0.load(Ordering::Relaxed) != self.written {
            self.shared.published.0.store(self.written, Ordering::SeqCst);
        }
    }
}

impl<T> Consumer<T> {
    /// Take the oldest item, if one was published.
    #[inline]
    pub fn pop(&mut self) -> Option<T> {
        if self.taken >= self.seen {
            self.seen = self.shared.published.0.load(Ordering::SeqCst);
            if self.taken >= self.seen {
                return None;
            }
        }
        if let Ok(item) = self.ring.pop() {
            self.taken += 1;
            return Some(item);
        }
        self.pop_from_next_ring()
    }

    /// A published item is in a later ring when this one is empty: the writer moved on
    /// only after filling this ring, and queued the next ring before publishing anything
    /// it holds.
    #[cold]
    fn pop_from_next_ring(&mut self) -> Option<T> {
        loop {
            self.ring = self.shared.next_rings.pop()?;
            if let Ok(item) = self.ring.pop() {
                self.taken += 1;
                return Some(item);
            }
        }
    }

    /// How many published items are left to take.
    pub fn queued(&self) -> usize {
        self.shared.published.0.load(Ordering::SeqCst) - self.taken
    }

    /// Nothing published is left to take.
    pub fn is_empty(&self) -> bool {
        self.taken >= self.shared.published.0.load(Ordering::SeqCst)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fifo_across_batches_and_nothing_before_publish() {
        let (mut tx, mut rx) = channel::<Box<usize>>();
        assert!(rx.pop().is_none());
        tx.push(Box::new(0));
        assert!(rx.pop().is_none() && rx.is_empty(), "unpublished items stay hidden");
        tx.publish();
        for i in 1..300 {
            tx.push(Box::new(i));
            if i % 3 == 0 {
                tx.publish();
            }
        }
        tx.publish();
        for i in 0..200 {
            assert_eq!(*rx.pop().unwrap(), i);
        }
        assert!(!rx.is_empty());
        // The rest is freed with the queue.
        drop(tx);
        drop(rx);
    }

    #[test]
    fn two_threads_keep_order() {
        let (mut tx, mut rx) = channel::<usize>();
        const N: usize = 200_000;
        let w = std::thread::spawn(move || {
            for i in 0..N {
                tx.push(i);
                if i % 7 == 0 {
                    tx.publish();
                }
            }
            tx.publish();
        });
        let mut next = 0;
        while next < N {
            if let Some(v) = rx.pop() {
                assert_eq!(v, next);
                next += 1;
            } else {
                std::hint::spin_loop();
            }
        }
        w.join().unwrap();
        assert!(rx.is_empty());
    }
}
