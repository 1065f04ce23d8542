//! The queue inside each pipe direction: one writer, one reader, unbounded, lock-free.
//!
//! Items live in rings of slots that the writer fills once, front to back, and the reader
//! empties behind it (`Ring`). The writer pushes items and `publish` makes everything
//! pushed so far visible at once, with one SeqCst store of a shared count: that count is
//! all the two ends share per message (and what the pipe's wake-up handshake orders
//! against, see `Pipe::flush`); the reader looks at it only when it has taken everything
//! it saw before. So a session that decoded a whole read hands it over in one step, and a
//! push or a pop touches only its own end's state and the slot. (The `rtrb` rings used
//! before kept a head and a tail index, stored by the reader on every pop and by the
//! writer on every push: two more lines crossing between the cores per message, which a
//! fan-out to 100 subscribers paid on every pipe.)
//!
//! Unbounded: when the writer's ring is full it starts the next one (twice as large, up
//! to `MAX_RING`) and hands it to the reader through a side queue, touched once per ring;
//! the reader moves on when it has emptied its ring and more is published. A slot is
//! written once per fill, so the writer needs no view of the reader's progress.
//!
//! Rings are recycled, as libzmq's queue keeps a spare chunk: the reader hands a ring it
//! emptied back through a second side queue, and the writer fills it again instead of
//! allocating. A queue that floods and drains thus cycles through a few hot rings, not
//! fresh memory (page faults, and cache misses when one socket feeds hundreds of pipes).
//! At most `MAX_SPARE` rings wait for reuse, so a burst's memory is freed once it drains.
//!
//! Ownership enforces the single writer / single reader rule: `channel` returns one
//! `Producer` and one `Consumer`, and only they touch their side. The one `unsafe` part is
//! `Ring`'s slots; the protocol that keeps the two ends off each other's slots is the
//! safety argument there.

use super::cache_line::CacheLine;
use crossbeam_queue::SegQueue;
use std::cell::UnsafeCell;
use std::mem::MaybeUninit;
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

/// Slots that one writer fills once, in order, and one reader empties in order.
///
/// The protocol (kept by `Producer` and `Consumer`, the only users):
/// - the writer writes slot `i` once per fill, and only while the ring is its current one
///   and `i` is past every slot it wrote in this fill;
/// - the reader reads slot `i` once, after the writer published it (the SeqCst store of
///   `Shared::published` follows the write; the reader's SeqCst load precedes the read),
///   and only slots of the fill the writer published;
/// - a ring is filled again only after the reader emptied it and gave it back (through a
///   `SegQueue`, which orders the reader's last read before the writer's reuse), and the
///   writer then holds the only reference (`Arc::get_mut`, in `reset`);
/// - slots `emptied..filled` hold items when the ring is dropped: each end records its
///   position when it leaves the ring or goes away, and the drop comes after both did
///   (the last `Arc`).
struct Ring<T> {
    slots: Box<[Slot<T>]>,
    /// Slots the writer wrote, as of when it left this ring or went away (see `Drop`).
    filled: AtomicUsize,
    /// Slots the reader took, as of when it left this ring or went away.
    emptied: AtomicUsize,
}

/// A slot starts a cache line (a pipe's item is one 64-byte message: one line each). A
/// slot straddling two lines would share one with its neighbour, and a reader right
/// behind the writer would pull that line away from the writer at every message.
#[repr(align(64))]
struct Slot<T>(UnsafeCell<MaybeUninit<T>>);

// SAFETY: the slots are shared by the two ends of one queue, each slot owned by one of
// them at a time as described on `Ring`: an item is moved in by the writer's thread and
// out by the reader's, never touched by both at once. That needs `T: Send`, not `T: Sync`.
unsafe impl<T: Send> Sync for Ring<T> {}

impl<T> Ring<T> {
    fn new(capacity: usize) -> Ring<T> {
        Ring {
            slots: (0..capacity).map(|_| Slot(UnsafeCell::new(MaybeUninit::uninit()))).collect(),
            filled: AtomicUsize::new(0),
            emptied: AtomicUsize::new(0),
        }
    }

    #[inline]
    fn capacity(&self) -> usize {
        self.slots.len()
    }

    /// Moves `item` into slot `i`.
    /// Safety: the writer's, for a slot not yet written in this fill (see `Ring`).
    #[inline]
    unsafe fn put(&self, i: usize, item: T) {
        // SAFETY: the caller owns slot `i` now (the reader reads it only once published),
        // and it holds no item, so nothing is overwritten without being dropped.
        unsafe { (*self.slots[i].0.get()).write(item) };
    }

    /// The item in slot `i`, left there.
    /// Safety: the reader's, for a published slot it has not taken yet (see `Ring`); the
    /// reference must be gone before the reader takes the slot.
    #[inline]
    unsafe fn get(&self, i: usize) -> &T {
        // SAFETY: as for `take`: written and published, so initialized; the writer does
        // not touch a published slot, and the caller does not take it meanwhile.
        unsafe { (*self.slots[i].0.get()).assume_init_ref() }
    }

    /// Moves the item out of slot `i`.
    /// Safety: the reader's, for a published slot it has not taken yet (see `Ring`).
    #[inline]
    unsafe fn take(&self, i: usize) -> T {
        // SAFETY: the slot was written and published (so the write happened before this
        // read), and is read once: it holds an initialized item nobody else touches.
        unsafe { (*self.slots[i].0.get()).assume_init_read() }
    }

    /// Ready to be filled again: every slot was taken and nobody else holds the ring.
    fn reset(&mut self) {
        *self.filled.get_mut() = 0;
        *self.emptied.get_mut() = 0;
    }
}

impl<T> Drop for Ring<T> {
    fn drop(&mut self) {
        let (from, to) = (*self.emptied.get_mut(), *self.filled.get_mut());
        for slot in &mut self.slots[from..to] {
            // SAFETY: slots from the reader's last position to the writer's were written
            // and never taken (see `Ring`); `&mut self`: nobody else holds the ring.
            unsafe { slot.0.get_mut().assume_init_drop() };
        }
    }
}

struct Shared<T> {
    /// Rings the writer started, oldest first, for the reader to move to.
    next_rings: SegQueue<Arc<Ring<T>>>,
    /// Items published so far (only grows). Aligned to its own cache line: the writer
    /// stores it on every publish, the reader loads it when it runs dry.
    published: CacheLine<AtomicUsize>,
    /// Rings the reader emptied and gave back, oldest first, for the writer to reuse.
    free_rings: SegQueue<Arc<Ring<T>>>,
    /// How many are in `free_rings` (only the reader adds, so it never passes MAX_SPARE).
    free_count: AtomicUsize,
}

pub struct Producer<T> {
    shared: Arc<Shared<T>>,
    ring: Arc<Ring<T>>,
    /// The next slot of `ring` to write.
    pos: usize,
    /// Items pushed, published or not.
    written: usize,
    /// Rings allocated so far (tests check that a draining queue reuses them).
    #[cfg(test)]
    rings_made: usize,
}

pub struct Consumer<T> {
    shared: Arc<Shared<T>>,
    ring: Arc<Ring<T>>,
    /// The next slot of `ring` to take.
    pos: usize,
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
    let ring = Arc::new(Ring::new(FIRST_RING));
    let producer = Producer {
        shared: shared.clone(),
        ring: ring.clone(),
        pos: 0,
        written: 0,
        #[cfg(test)]
        rings_made: 1,
    };
    (producer, Consumer { shared, ring, pos: 0, taken: 0, seen: 0 })
}

impl<T> Producer<T> {
    /// Append an item; the reader sees it after the next `publish`.
    #[inline]
    pub fn push(&mut self, item: T) {
        if self.pos == self.ring.capacity() {
            self.next_ring();
        }
        // SAFETY: `pos` is past every slot written in this fill of our current ring.
        unsafe { self.ring.put(self.pos, item) };
        self.pos += 1;
        self.written += 1;
    }

    /// Full: continue in the next ring, which the reader reaches after this one. It is
    /// queued before anything in it is published, so a reader that sees more published
    /// than its ring holds finds it. A ring given back if there is one, else a new one
    /// twice as large as this (up to MAX_RING).
    ///
    /// A ring given back is reused whatever its size: a reader that keeps up gives rings
    /// back as fast as the writer fills them, and the queue then cycles through two small
    /// rings. The memory a pipe keeps hot is that pair, since every slot of a ring is
    /// written once per fill: with 500 subscribers' pipes, reusing only rings of 128
    /// slots or more (pairs of 128 and 256) ran fan-out 10-15% slower (5.6-6.2M vs
    /// 6.2-6.6M deliveries/s). Only a reader that lags, and gives nothing back in time,
    /// makes the rings grow.
    #[cold]
    fn next_ring(&mut self) {
        let size = (self.ring.capacity() * 2).min(MAX_RING);
        let next = match self.reuse_ring() {
            Some(ring) => ring,
            None => {
                #[cfg(test)]
                {
                    self.rings_made += 1;
                }
                Arc::new(Ring::new(size))
            }
        };
        self.ring.filled.store(self.pos, Ordering::Relaxed);
        self.shared.next_rings.push(next.clone());
        self.ring = next;
        self.pos = 0;
    }

    /// A ring the reader emptied and gave back, ready to fill.
    fn reuse_ring(&mut self) -> Option<Arc<Ring<T>>> {
        while let Some(mut ring) = self.shared.free_rings.pop() {
            self.shared.free_count.fetch_sub(1, Ordering::Relaxed);
            // The reader gave it up, so ours is the only reference; if not, it is not
            // ours to refill: let it go.
            if let Some(r) = Arc::get_mut(&mut ring) {
                r.reset();
                return Some(ring);
            }
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

impl<T> Drop for Producer<T> {
    /// The ring's items, published or not, are dropped with it (see `Ring`).
    fn drop(&mut self) {
        self.ring.filled.store(self.pos, Ordering::Relaxed);
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
        if self.pos == self.ring.capacity() {
            self.next_ring();
        }
        // SAFETY: item number `taken` is published (taken < seen) and sits at `pos` of
        // our ring (the writer fills rings in the order it queues them, each to the end
        // before the next), and we have not taken it before.
        let item = unsafe { self.ring.take(self.pos) };
        self.pos += 1;
        self.taken += 1;
        Some(item)
    }

    /// The oldest item already seen published, left in place; None if there is none or
    /// it is in the next ring (a look ahead, not a read: it does not load the count).
    #[inline]
    pub fn peek(&self) -> Option<&T> {
        if self.taken >= self.seen || self.pos == self.ring.capacity() {
            return None;
        }
        // SAFETY: item `taken` is published and sits at `pos` of our ring (as in `pop`);
        // taking it needs `&mut self`, so it stays while this borrow lives.
        Some(unsafe { self.ring.get(self.pos) })
    }

    /// Our ring is empty and more is published: the writer left it, after queueing the next.
    #[cold]
    fn next_ring(&mut self) {
        let Some(next) = self.shared.next_rings.pop() else {
            unreachable!("the writer queues its next ring before publishing what it holds")
        };
        let emptied = std::mem::replace(&mut self.ring, next);
        emptied.emptied.store(self.pos, Ordering::Relaxed);
        self.pos = 0;
        // Hand it to the writer for reuse, or free it if enough wait already.
        if self.shared.free_count.load(Ordering::Relaxed) < MAX_SPARE {
            self.shared.free_count.fetch_add(1, Ordering::Relaxed);
            self.shared.free_rings.push(emptied);
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

impl<T> Drop for Consumer<T> {
    /// Items not taken are dropped with the ring (see `Ring`).
    fn drop(&mut self) {
        self.ring.emptied.store(self.pos, Ordering::Relaxed);
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
    fn peek_shows_the_next_item_seen_without_taking_it() {
        let (mut tx, mut rx) = channel::<Box<usize>>();
        assert!(rx.peek().is_none());
        tx.push(Box::new(0));
        tx.publish();
        assert!(rx.peek().is_none(), "a look ahead does not load the published count");
        for i in 1..200 {
            tx.push(Box::new(i));
        }
        tx.publish();
        for i in 0..200 {
            let seen = rx.peek().map(|b| **b);
            let taken = *rx.pop().unwrap();
            assert_eq!(taken, i);
            // At a ring's end the next item is in the next ring: not shown.
            assert!(seen.is_none() || seen == Some(i), "peeked {seen:?} before taking {i}");
        }
        assert!(rx.peek().is_none());
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
        // Later bursts reuse the rings given back (at most MAX_SPARE wait) instead of
        // allocating a fresh one for every switch: a burst of ten rings' worth starts in
        // the ring the last one ended in, so it switches ten times (190 in all).
        let later = tx.rings_made - made_after_first_flood;
        assert!(later <= 19 * (10 - MAX_SPARE + 1), "{later} rings allocated over 19 bursts of 10 rings");
        assert!(rx.shared.free_count.load(Ordering::Relaxed) <= MAX_SPARE);
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

    /// Counts drops of its values, to check that every item is dropped exactly once.
    struct Counted(Arc<AtomicUsize>);

    impl Drop for Counted {
        fn drop(&mut self) {
            self.0.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// `n` items pushed (published every `every`), `take` of them popped, then the two
    /// ends dropped in the given order: every item is dropped once, taken or not.
    fn drop_count(n: usize, every: usize, take: usize, reader_first: bool) -> usize {
        let drops = Arc::new(AtomicUsize::new(0));
        let (mut tx, mut rx) = channel::<Counted>();
        for i in 0..n {
            tx.push(Counted(drops.clone()));
            if (i + 1) % every == 0 {
                tx.publish();
            }
        }
        for _ in 0..take {
            drop(rx.pop().expect("published"));
        }
        if reader_first {
            drop(rx);
            // The writer goes on after the reader left; those are dropped too.
            tx.push(Counted(drops.clone()));
            tx.publish();
            drop(tx);
            assert_eq!(drops.load(Ordering::Relaxed), n + 1);
        } else {
            drop(tx);
            drop(rx);
        }
        drops.load(Ordering::Relaxed)
    }

    #[test]
    fn every_item_is_dropped_once_whoever_goes_first() {
        // Within the first ring, across several rings, with unpublished items left, with
        // everything taken, with a ring switch just done.
        for &(n, every, take) in &[(0, 1, 0), (5, 1, 2), (5, 3, 3), (40, 7, 35), (3000, 10, 1500), (3000, 1, 3000), (FIRST_RING + 1, 1, FIRST_RING), (FIRST_RING, 1, FIRST_RING)] {
            for reader_first in [false, true] {
                let extra = usize::from(reader_first);
                assert_eq!(drop_count(n, every, take, reader_first), n + extra, "n {n} every {every} take {take} reader_first {reader_first}");
            }
        }
    }

    #[test]
    fn reused_rings_drop_only_what_they_hold() {
        let drops = Arc::new(AtomicUsize::new(0));
        let (mut tx, mut rx) = channel::<Counted>();
        let mut pushed = 0;
        for round in 0..10 {
            for _ in 0..(3 * MAX_RING + round) {
                tx.push(Counted(drops.clone()));
                pushed += 1;
            }
            tx.publish();
            let mut taken = 0;
            while let Some(c) = rx.pop() {
                drop(c);
                taken += 1;
            }
            assert_eq!(drops.load(Ordering::Relaxed), pushed, "round {round}: {taken} taken, all dropped once");
        }
        // Some left in a reused ring when both ends go.
        for _ in 0..(MAX_RING + 3) {
            tx.push(Counted(drops.clone()));
            pushed += 1;
        }
        tx.publish();
        drop(rx.pop());
        drop(rx);
        drop(tx);
        assert_eq!(drops.load(Ordering::Relaxed), pushed);
    }

    #[test]
    fn two_threads_drop_everything_once() {
        let drops = Arc::new(AtomicUsize::new(0));
        let (mut tx, mut rx) = channel::<Counted>();
        const N: usize = 100_000;
        let d = drops.clone();
        let w = std::thread::spawn(move || {
            for i in 0..N {
                tx.push(Counted(d.clone()));
                if i % 5 == 0 {
                    tx.publish();
                }
            }
            tx.publish();
            // Dropped while the reader may still be reading.
        });
        let mut taken = 0;
        while taken < N / 2 {
            if rx.pop().is_some() {
                taken += 1;
            } else {
                std::hint::spin_loop();
            }
        }
        w.join().unwrap();
        drop(rx);
        assert_eq!(drops.load(Ordering::Relaxed), N);
    }
}
