//! The queue inside each pipe direction: one writer, one reader, unbounded, lock-free,
//! safe Rust over `rtrb` ring buffers (a well-kept single-producer/single-consumer ring:
//! a push or pop is a slot write and one release store, no allocation).
//!
//! Unbounded: when the writer's ring is full it starts a ring twice as large (up to
//! `MAX_RING`) and hands it to the reader through a side queue, touched once per ring; the
//! reader moves to the next ring once its ring is empty while published items remain.
//!
//! Rings are recycled, as libzmq's queue keeps a spare chunk: the reader hands a ring it
//! emptied back through a second side queue, and the writer, which kept that ring's
//! writing half, starts its next ring there instead of allocating. A queue that floods
//! and drains thus cycles through a few hot rings, not fresh memory (page faults, and
//! cache misses when one socket feeds hundreds of pipes). At most `MAX_SPARE` rings wait
//! for reuse, so a burst's memory is freed once it drains.
//!
//! The writer pushes items and `publish` makes everything pushed so far visible at once,
//! with one SeqCst store of a shared count: what the reader checks (and what the pipe's
//! wake-up handshake orders against, see `Pipe::flush`); the reader looks at it only when
//! it has taken everything it saw before. So a session that decoded a whole read hands it
//! over in one step, and the reader never sees part of what was not published.
//!
//! Ownership enforces the single writer / single reader rule: `channel` returns one
//! `Producer` and one `Consumer`, and only they touch their side.

use super::cache_line::CacheLine;
use crossbeam_queue::SegQueue;
use rtrb::RingBuffer;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// The first ring's size: most pipes carry a few messages at a time.
const FIRST_RING: usize = 32;
/// Rings grow by doubling up to this many items; beyond, the queue is a chain of them.
/// Small enough that a pipe cycling through recycled rings stays in cache (512 slots of
/// one 64-byte message each), large enough that switching rings is rare.
const MAX_RING: usize = 512;
/// Emptied rings kept for reuse, per queue.
const MAX_SPARE: usize = 4;

struct Shared<T> {
    /// Rings the writer started, oldest first, for the reader to move to.
    next_rings: SegQueue<rtrb::Consumer<T>>,
    /// Items published so far (only grows). Aligned to its own cache line: the writer
    /// stores it on every publish, the reader loads it when it runs dry.
    published: CacheLine<AtomicUsize>,
    /// Rings the reader emptied and gave back, oldest first, for the writer to reuse.
    free_rings: SegQueue<rtrb::Consumer<T>>,
    /// How many are in `free_rings` (only the reader adds, so it never passes MAX_SPARE).
    free_count: AtomicUsize,
}


pub struct Producer<T> {
    shared: Arc<Shared<T>>,
    ring: rtrb::Producer<T>,
    /// Items pushed, published or not.
    written: usize,
    /// Writing halves of rings this writer left, for when their reading halves come back.
    spare: VecDeque<rtrb::Producer<T>>,
    /// Rings allocated so far (tests check that a draining queue reuses them).
    #[cfg(test)]
    rings_made: usize,
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
    let shared = Arc::new(Shared {
        next_rings: SegQueue::new(),
        published: CacheLine(AtomicUsize::new(0)),
        free_rings: SegQueue::new(),
        free_count: AtomicUsize::new(0),
    });
    let (tx, rx) = RingBuffer::new(FIRST_RING);
    let producer = Producer {
        shared: shared.clone(),
        ring: tx,
        written: 0,
        spare: VecDeque::new(),
        #[cfg(test)]
        rings_made: 1,
    };
    (producer, Consumer { shared, ring: rx, taken: 0, seen: 0 })
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
        let (tx, rx) = match self.reuse_ring(size) {
            Some(pair) => pair,
            None => {
                #[cfg(test)]
                {
                    self.rings_made += 1;
                }
                RingBuffer::new(size)
            }
        };
        self.shared.next_rings.push(rx);
        let left = std::mem::replace(&mut self.ring, tx);
        // Keep the writing half of the ring just left, unless the reader dropped its half
        // (it keeps at most MAX_SPARE for reuse) or enough are kept already.
        self.spare.retain(|p| !p.is_abandoned());
        if self.spare.len() < MAX_SPARE {
            self.spare.push_back(left);
        }
        if self.ring.push(item).is_err() {
            unreachable!("a new ring has room");
        }
        self.written += 1;
    }

    /// A ring the reader emptied and gave back, of at least `size` slots, with its writing
    /// half. It is empty and the reader no longer reads it: the reader gives a ring back
    /// only after moving on to the next one, and this writer stopped writing it before
    /// queueing that next one.
    fn reuse_ring(&mut self, size: usize) -> Option<(rtrb::Producer<T>, rtrb::Consumer<T>)> {
        while let Some(rx) = self.shared.free_rings.pop() {
            self.shared.free_count.fetch_sub(1, Ordering::Relaxed);
            let Some(i) = self.spare.iter().position(|p| std::ptr::eq(p.buffer(), rx.buffer())) else { continue };
            let tx = self.spare.remove(i).expect("index from position");
            if rx.buffer().capacity() >= size {
                return Some((tx, rx));
            }
            // Smaller than the ring we would start now: let it go.
        }
        None
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
            let next = self.shared.next_rings.pop()?;
            let emptied = std::mem::replace(&mut self.ring, next);
            self.give_back(emptied);
            if let Ok(item) = self.ring.pop() {
                self.taken += 1;
                return Some(item);
            }
        }
    }

    /// Hand an emptied ring to the writer for reuse, or free it if enough wait already.
    fn give_back(&mut self, ring: rtrb::Consumer<T>) {
        if self.shared.free_count.load(Ordering::Relaxed) < MAX_SPARE {
            self.shared.free_count.fetch_add(1, Ordering::Relaxed);
            self.shared.free_rings.push(ring);
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

    #[test]
    fn a_queue_that_floods_and_drains_reuses_its_rings() {
        let (mut tx, mut rx) = channel::<usize>();
        let mut next_out = 0;
        let mut next_in = 0;
        let mut made_after_first_flood = 0;
        for round in 0..20 {
            // A burst of ten full rings, published in pieces, then drained.
            for _ in 0..10 * MAX_RING {
                tx.push(next_in);
                next_in += 1;
                if next_in % 100 == 0 {
                    tx.publish();
                }
            }
            tx.publish();
            while let Some(v) = rx.pop() {
                assert_eq!(v, next_out);
                next_out += 1;
            }
            assert_eq!(next_out, next_in, "everything published comes out, in order");
            if round == 0 {
                made_after_first_flood = tx.rings_made;
            }
        }
        // Later bursts reuse the rings given back (at most MAX_SPARE per ring switch)
        // instead of allocating a fresh one for every switch.
        let later = tx.rings_made - made_after_first_flood;
        assert!(later <= 19 * (10 - MAX_SPARE), "{later} rings allocated over 19 bursts of 10 rings");
        assert!(rx.shared.free_count.load(Ordering::Relaxed) <= MAX_SPARE);
        assert!(tx.spare.len() <= MAX_SPARE);
    }

    #[test]
    fn a_reader_that_keeps_up_cycles_through_the_same_rings() {
        let (mut tx, mut rx) = channel::<usize>();
        for i in 0..100 * MAX_RING {
            tx.push(i);
            if i % 300 == 0 {
                tx.publish();
                while let Some(v) = rx.pop() {
                    assert!(v <= i);
                }
            }
        }
        // Growth 32..MAX_RING takes a handful of rings; after that, reuse.
        assert!(tx.rings_made <= 12, "{} rings for a reader that keeps up", tx.rings_made);
    }
}
