//! A bounded multi-producer/multi-consumer queue of message buffers that lives in a
//! `static` with no heap allocation of its own.
//!
//! Why not crossbeam's `ArrayQueue`: it allocates its slots, and the recycling pool is
//! process-wide, so that block stayed allocated after the last `zmq_ctx_term` (valgrind's
//! "still reachable"; a program that ends its contexts must leave nothing of ours behind,
//! as with libzmq). Here the slots are part of the static itself: draining the queue frees
//! everything, and it is ready again for the next context with nothing to re-create.
//!
//! The algorithm is the classic bounded ring with a sequence number per slot (D. Vyukov).
//! `tail` counts pushes, `head` pops. Position `pos` uses slot `pos % N`. A push may fill
//! that slot when its sequence is `pos` (the previous lap's pop is done with it) and then
//! sets it to `pos + 1`; a pop may empty it when its sequence is `pos + 1` and then sets it
//! to `pos + N`, handing it to the push one lap later. A compare-exchange on `tail` (`head`)
//! gives each position to exactly one pusher (popper), so each stored buffer is taken out
//! exactly once. The sequence store (Release) and load (Acquire) order the slot's content
//! between them. A thread half-way between winning a position and updating the sequence
//! is waited for briefly (`MAX_SPINS`); one stalled there (preempted) makes others see the
//! queue full or empty meanwhile, which a pool shrugs off (the buffer is freed, or a fresh
//! one allocated).
//!
//! The one `unsafe`: a stored buffer is the address and length of `Arc::into_raw`, kept in
//! two atomics, and turned back into the `Arc` by the pop that owns the position.

use std::sync::atomic::{AtomicPtr, AtomicUsize, Ordering};
use std::sync::Arc;

pub(super) struct BufRing<const N: usize> {
    /// Next position to pop (on its own cache line: poppers and pushers are other threads).
    head: Padded,
    /// Next position to push.
    tail: Padded,
    slots: [Slot; N],
}

#[repr(align(128))]
struct Padded(AtomicUsize);

/// How long a push (pop) waits for another thread that is half-way through handing a
/// slot on before it calls the queue full (empty): a few instructions' worth, never a
/// wait on a thread that was preempted there.
const MAX_SPINS: u32 = 64;

struct Slot {
    seq: AtomicUsize,
    /// `Arc::into_raw` of the buffer held, split in two: only the position's owner (see
    /// the module doc) touches these, so Relaxed suffices.
    addr: AtomicPtr<u8>,
    len: AtomicUsize,
}

impl<const N: usize> BufRing<N> {
    const POWER_OF_TWO: () = assert!(N.is_power_of_two(), "positions map to slots by masking");

    pub(super) const fn new() -> Self {
        #[allow(clippy::let_unit_value)]
        let () = Self::POWER_OF_TWO;
        const EMPTY: Slot = Slot { seq: AtomicUsize::new(0), addr: AtomicPtr::new(std::ptr::null_mut()), len: AtomicUsize::new(0) };
        let mut slots = [EMPTY; N];
        let mut i = 0;
        while i < N {
            slots[i].seq = AtomicUsize::new(i);
            i += 1;
        }
        BufRing { head: Padded(AtomicUsize::new(0)), tail: Padded(AtomicUsize::new(0)), slots }
    }

    /// Appends `buf`, or hands it back when the queue is full.
    pub(super) fn push(&self, buf: Arc<[u8]>) -> Result<(), Arc<[u8]>> {
        let (mut pos, mut spins) = (self.tail.0.load(Ordering::Relaxed), 0);
        loop {
            let slot = &self.slots[pos % N];
            let seq = slot.seq.load(Ordering::Acquire);
            match (seq.wrapping_sub(pos) as isize).signum() {
                0 => match self.tail.0.compare_exchange_weak(pos, pos.wrapping_add(1), Ordering::Relaxed, Ordering::Relaxed) {
                    Ok(_) => {
                        let raw = Arc::into_raw(buf);
                        slot.addr.store(raw as *const u8 as *mut u8, Ordering::Relaxed);
                        slot.len.store(raw.len(), Ordering::Relaxed);
                        slot.seq.store(pos.wrapping_add(1), Ordering::Release);
                        return Ok(());
                    }
                    Err(now) => pos = now,
                },
                // The slot still holds the buffer pushed one lap ago: full, unless a pop
                // has taken that position and is about to hand the slot on.
                -1 => {
                    if self.head.0.load(Ordering::Relaxed).wrapping_add(N) == pos || spins == MAX_SPINS {
                        return Err(buf);
                    }
                    spins += 1;
                    std::hint::spin_loop();
                    pos = self.tail.0.load(Ordering::Relaxed);
                }
                // Another push took this position meanwhile.
                _ => pos = self.tail.0.load(Ordering::Relaxed),
            }
        }
    }

    /// Takes the oldest buffer, if any.
    pub(super) fn pop(&self) -> Option<Arc<[u8]>> {
        let (mut pos, mut spins) = (self.head.0.load(Ordering::Relaxed), 0);
        loop {
            let slot = &self.slots[pos % N];
            let seq = slot.seq.load(Ordering::Acquire);
            match (seq.wrapping_sub(pos.wrapping_add(1)) as isize).signum() {
                0 => match self.head.0.compare_exchange_weak(pos, pos.wrapping_add(1), Ordering::Relaxed, Ordering::Relaxed) {
                    Ok(_) => {
                        let addr = slot.addr.load(Ordering::Relaxed);
                        let len = slot.len.load(Ordering::Relaxed);
                        // SAFETY: the push that won position `pos` stored `Arc::into_raw` of
                        // a buffer there and published it with its Release store of
                        // `pos + 1`, which our Acquire load saw; winning `head` at `pos`
                        // makes this the only pop of it, and the slot is not written again
                        // until we hand it on below. So this rebuilds that Arc exactly once.
                        let buf = unsafe { Arc::from_raw(std::ptr::slice_from_raw_parts(addr as *const u8, len)) };
                        slot.seq.store(pos.wrapping_add(N), Ordering::Release);
                        return Some(buf);
                    }
                    Err(now) => pos = now,
                },
                // Nothing pushed at this position yet: empty, unless a push has taken
                // the position and is about to fill the slot.
                -1 => {
                    if self.tail.0.load(Ordering::Relaxed) == pos || spins == MAX_SPINS {
                        return None;
                    }
                    spins += 1;
                    std::hint::spin_loop();
                    pos = self.head.0.load(Ordering::Relaxed);
                }
                // Another pop took this position meanwhile.
                _ => pos = self.head.0.load(Ordering::Relaxed),
            }
        }
    }

    /// Appends `buf`; when the queue is full its oldest buffer is freed to make room (if
    /// other threads fill it again meanwhile, `buf` is freed instead).
    pub(super) fn force_push(&self, buf: Arc<[u8]>) {
        if let Err(buf) = self.push(buf) {
            drop(self.pop());
            drop(self.push(buf));
        }
    }

    /// Frees every buffer held.
    pub(super) fn clear(&self) {
        while self.pop().is_some() {}
    }
}

impl<const N: usize> Drop for BufRing<N> {
    fn drop(&mut self) {
        self.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicBool;

    fn buf(fill: u8, len: usize) -> Arc<[u8]> {
        Arc::from(vec![fill; len])
    }

    #[test]
    fn fifo_bounded_and_oldest_makes_room() {
        let ring = BufRing::<4>::new();
        assert!(ring.pop().is_none());
        for lap in 0..3u8 {
            for i in 0..4 {
                assert!(ring.push(buf(lap * 10 + i, 40 + i as usize)).is_ok());
            }
            assert_eq!(ring.push(buf(99, 1)).unwrap_err()[0], 99, "full: handed back");
            for i in 0..4 {
                let b = ring.pop().expect("pushed");
                assert_eq!((b[0], b.len()), (lap * 10 + i, 40 + i as usize));
                assert_eq!(Arc::strong_count(&b), 1);
            }
            assert!(ring.pop().is_none());
        }
        for fill in 0..6 {
            ring.force_push(buf(fill, 8));
        }
        let kept: Vec<u8> = std::iter::from_fn(|| ring.pop()).map(|b| b[0]).collect();
        assert_eq!(kept, [2, 3, 4, 5], "the oldest made room");
    }

    #[test]
    fn a_static_ring_frees_what_it_holds_when_cleared() {
        static RING: BufRing<2> = BufRing::new();
        let b = buf(1, 100);
        let weak = Arc::downgrade(&b);
        RING.force_push(b);
        assert!(weak.upgrade().is_some());
        RING.clear();
        assert!(weak.upgrade().is_none(), "freed");
        RING.force_push(buf(2, 3));
        assert_eq!(RING.pop().expect("usable again")[0], 2);
    }

    #[test]
    fn dropping_a_ring_frees_its_buffers() {
        let ring = BufRing::<8>::new();
        let b = buf(1, 50);
        let weak = Arc::downgrade(&b);
        ring.force_push(b);
        drop(ring);
        assert!(weak.upgrade().is_none());
    }

    /// Threads pushing and popping at once: every buffer comes out at most once, intact;
    /// with plain pushes, exactly the accepted ones come out; in any case every buffer is
    /// freed in the end (none leaked).
    fn hammer(force: bool) {
        const PER_THREAD: u64 = 20_000;
        let ring = BufRing::<32>::new();
        let stop = AtomicBool::new(false);
        let id = |b: &[u8]| (b[0], u64::from_le_bytes(b[8..16].try_into().unwrap()));
        let (accepted, popped, weaks) = std::thread::scope(|s| {
            let pushers: Vec<_> = (0..3u8)
                .map(|t| {
                    let ring = &ring;
                    s.spawn(move || {
                        let (mut accepted, mut weaks) = (0, Vec::new());
                        for i in 0..PER_THREAD {
                            let mut v = vec![t; 16];
                            v[8..16].copy_from_slice(&i.to_le_bytes());
                            let b: Arc<[u8]> = Arc::from(v);
                            weaks.push(Arc::downgrade(&b));
                            if force {
                                ring.force_push(b);
                            } else if ring.push(b).is_ok() {
                                accepted += 1;
                            }
                        }
                        (accepted, weaks)
                    })
                })
                .collect();
            let poppers: Vec<_> = (0..2)
                .map(|_| {
                    let (ring, stop) = (&ring, &stop);
                    s.spawn(move || {
                        let mut seen = Vec::new();
                        while !stop.load(Ordering::Relaxed) {
                            if let Some(b) = ring.pop() {
                                assert_eq!(Arc::strong_count(&b), 1);
                                assert!(b[..8].iter().all(|&x| x == b[0]), "intact");
                                seen.push(id(&b));
                            }
                        }
                        seen
                    })
                })
                .collect();
            let (mut accepted, mut weaks) = (0, Vec::new());
            for h in pushers {
                let (a, w) = h.join().unwrap();
                accepted += a;
                weaks.extend(w);
            }
            stop.store(true, Ordering::Relaxed);
            let mut popped: Vec<(u8, u64)> = poppers.into_iter().flat_map(|h| h.join().unwrap()).collect();
            popped.extend(std::iter::from_fn(|| ring.pop()).map(|b| id(&b)));
            (accepted, popped, weaks)
        });
        let mut unique = popped.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), popped.len(), "no buffer came out twice");
        if !force {
            assert_eq!(popped.len(), accepted, "every accepted buffer came out");
        }
        assert!(weaks.iter().all(|w| w.upgrade().is_none()), "every buffer was freed");
    }

    #[test]
    fn concurrent_pushes_and_pops_lose_and_duplicate_nothing() {
        hammer(false);
    }

    #[test]
    fn concurrent_force_pushes_and_pops_duplicate_and_leak_nothing() {
        hammer(true);
    }
}
