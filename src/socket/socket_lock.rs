//! The lock every C call on a socket takes (see `shared`): std's `Mutex`, minus the
//! atomic swap on unlock.
//!
//! std's futex mutex unlocks with an atomic swap, to learn whether a thread sleeps on the
//! futex and must be woken. That is a second locked instruction per call (~20 cycles, on
//! every zmq_send and zmq_recv; measured in `ci/perf`'s small-message rows). This lock
//! unlocks with a plain release store. The price is that a waiter cannot be woken: it
//! spins, then yields, then sleeps in short naps until the lock is free. Calls hold the
//! lock only for one non-blocking attempt (a blocking call sleeps with it released), so
//! waiting is rare (a socket used from two threads, a close racing a call) and short.
//!
//! The one `unsafe` here hands out the protected value to the thread that holds the lock.

use std::cell::UnsafeCell;
use std::ops::{Deref, DerefMut};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

#[derive(Default)]
pub struct SocketLock<T> {
    locked: AtomicBool,
    value: UnsafeCell<T>,
}

// SAFETY: the value is reached only through a `Guard`, and at most one guard exists at a
// time (`locked`, taken with Acquire and given back with Release, orders every access to
// the value after the previous holder's), so sharing the lock shares no unsynchronised
// access; T must be Send because the value is used from whichever thread holds it.
unsafe impl<T: Send> Sync for SocketLock<T> {}

/// Spins before yielding, and yields before napping, while the lock is taken.
const SPINS: u32 = 100;
const YIELDS: u32 = 100;
const NAP: Duration = Duration::from_micros(50);

impl<T> SocketLock<T> {
    pub fn new(value: T) -> SocketLock<T> {
        SocketLock { locked: AtomicBool::new(false), value: UnsafeCell::new(value) }
    }

    #[inline]
    pub fn lock(&self) -> Guard<'_, T> {
        if self.locked.compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed).is_err() {
            self.lock_contended();
        }
        Guard { lock: self }
    }

    #[cold]
    fn lock_contended(&self) {
        let mut tries = 0u32;
        loop {
            if !self.locked.load(Ordering::Relaxed)
                && self.locked.compare_exchange_weak(false, true, Ordering::Acquire, Ordering::Relaxed).is_ok()
            {
                return;
            }
            tries = tries.saturating_add(1);
            if tries < SPINS {
                std::hint::spin_loop();
            } else if tries < SPINS + YIELDS {
                std::thread::yield_now();
            } else {
                std::thread::sleep(NAP);
            }
        }
    }
}

/// The lock, held: the value is the holder's until it drops (also when unwinding, so a
/// panic caught at the C boundary leaves the socket usable).
pub struct Guard<'a, T> {
    lock: &'a SocketLock<T>,
}

impl<T> Deref for Guard<'_, T> {
    type Target = T;
    #[inline]
    fn deref(&self) -> &T {
        // SAFETY: this guard is the only one (see `Sync` above).
        unsafe { &*self.lock.value.get() }
    }
}

impl<T> DerefMut for Guard<'_, T> {
    #[inline]
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: this guard is the only one, and `&mut self` makes this the only borrow.
        unsafe { &mut *self.lock.value.get() }
    }
}

impl<T> Drop for Guard<'_, T> {
    #[inline]
    fn drop(&mut self) {
        self.lock.locked.store(false, Ordering::Release);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn threads_take_turns_and_no_increment_is_lost() {
        let lock = Arc::new(SocketLock::new(0u64));
        let threads: Vec<_> = (0..4)
            .map(|_| {
                let lock = lock.clone();
                std::thread::spawn(move || {
                    for _ in 0..50_000 {
                        // A read-modify-write split in two: lost updates show a race.
                        let mut g = lock.lock();
                        let v = *g;
                        std::hint::black_box(&v);
                        *g = v + 1;
                    }
                })
            })
            .collect();
        threads.into_iter().for_each(|t| t.join().unwrap());
        assert_eq!(*lock.lock(), 200_000);
    }

    #[test]
    fn a_waiter_gets_the_lock_after_a_long_hold() {
        let lock = Arc::new(SocketLock::new(Vec::<u32>::new()));
        let held = lock.lock();
        let waiter = {
            let lock = lock.clone();
            std::thread::spawn(move || lock.lock().push(2))
        };
        std::thread::sleep(Duration::from_millis(30));
        drop(held);
        waiter.join().unwrap();
        lock.lock().push(3);
        assert_eq!(*lock.lock(), [2, 3]);
    }

    #[test]
    fn a_panic_while_held_releases_the_lock() {
        let lock = SocketLock::new(1);
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let mut g = lock.lock();
            *g = 2;
            panic!("inside a call");
        }));
        assert!(r.is_err());
        assert_eq!(*lock.lock(), 2);
    }
}
