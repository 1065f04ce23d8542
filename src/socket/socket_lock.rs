//! The lock every C call on a socket takes (see `shared`): std's `Mutex`, minus the
//! atomic swap on unlock.
//!
//! std's futex mutex unlocks with an atomic swap, to learn whether a thread sleeps on the
//! futex and must be woken. That is a second locked instruction per call (~20 cycles, on
//! every zmq_send and zmq_recv). This lock unlocks with a plain release store, then looks
//! at a count of waiters, which is zero unless another thread is waiting (a socket used
//! from two threads, a close racing a call): only then does it wake one.
//!
//! Without a barrier between that store and that load, an unlock can miss a waiter that
//! is just going to sleep (each side's write still in its store buffer). The kernel
//! checks the lock word again before sleeping, which closes the window in practice, and
//! a waiter sleeps at most `MAX_SLEEP` before looking again, which bounds it.
//!
//! The `unsafe` here: handing out the protected value to the thread that holds the lock,
//! and the futex system calls.

use std::cell::UnsafeCell;
use std::ops::{Deref, DerefMut};
use std::sync::atomic::{AtomicU32, Ordering};

const UNLOCKED: u32 = 0;
const LOCKED: u32 = 1;

#[derive(Default)]
pub struct SocketLock<T> {
    state: AtomicU32,
    /// Threads in `lock_contended` past their spinning.
    waiters: AtomicU32,
    value: UnsafeCell<T>,
}

// SAFETY: the value is reached only through a `Guard`, and at most one guard exists at a
// time (`state`, taken with Acquire and given back with Release, orders every access to
// the value after the previous holder's), so sharing the lock shares no unsynchronised
// access; T must be Send because the value is used from whichever thread holds it.
unsafe impl<T: Send> Sync for SocketLock<T> {}

/// Tries before sleeping (a holder keeps the lock for one short attempt).
const SPINS: u32 = 100;
/// The longest sleep before looking again (see the module doc).
const MAX_SLEEP: libc::timespec = libc::timespec { tv_sec: 0, tv_nsec: 1_000_000 };

impl<T> SocketLock<T> {
    pub fn new(value: T) -> SocketLock<T> {
        SocketLock { state: AtomicU32::new(UNLOCKED), waiters: AtomicU32::new(0), value: UnsafeCell::new(value) }
    }

    #[inline]
    fn try_take(&self) -> bool {
        self.state.compare_exchange(UNLOCKED, LOCKED, Ordering::Acquire, Ordering::Relaxed).is_ok()
    }

    #[inline]
    pub fn lock(&self) -> Guard<'_, T> {
        if !self.try_take() {
            self.lock_contended();
        }
        Guard { lock: self, _not_send: std::marker::PhantomData }
    }

    #[cold]
    fn lock_contended(&self) {
        for _ in 0..SPINS {
            std::hint::spin_loop();
            if self.state.load(Ordering::Relaxed) == UNLOCKED && self.try_take() {
                return;
            }
        }
        self.waiters.fetch_add(1, Ordering::SeqCst);
        while !self.try_take() {
            // SAFETY: FUTEX_WAIT on an aligned u32 of ours, with a valid timeout; it
            // returns at once if the word is no longer LOCKED.
            unsafe {
                libc::syscall(libc::SYS_futex, self.state.as_ptr(), libc::FUTEX_WAIT | libc::FUTEX_PRIVATE_FLAG, LOCKED, &MAX_SLEEP as *const libc::timespec);
            }
        }
        self.waiters.fetch_sub(1, Ordering::SeqCst);
    }

    #[cold]
    fn wake_one(&self) {
        // SAFETY: FUTEX_WAKE on an aligned u32 of ours.
        unsafe {
            libc::syscall(libc::SYS_futex, self.state.as_ptr(), libc::FUTEX_WAKE | libc::FUTEX_PRIVATE_FLAG, 1);
        }
    }
}

/// The lock, held: the value is the holder's until it drops (also when unwinding, so a
/// panic caught at the C boundary leaves the socket usable).
pub struct Guard<'a, T> {
    lock: &'a SocketLock<T>,
    /// As std's MutexGuard: not Send (it stays with the thread that took the lock), and
    /// Sync only when T is (a shared guard hands out `&T`).
    _not_send: std::marker::PhantomData<*const ()>,
}

// SAFETY: sharing `&Guard` shares only `&T`, which is safe across threads when T is Sync.
unsafe impl<T: Sync> Sync for Guard<'_, T> {}

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
        self.lock.state.store(UNLOCKED, Ordering::Release);
        if self.lock.waiters.load(Ordering::Relaxed) != 0 {
            self.lock.wake_one();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn threads_take_turns_and_no_increment_is_lost() {
        // More threads than cores: holders are preempted while waiters queue.
        let lock = Arc::new(SocketLock::new(0u64));
        let threads: Vec<_> = (0..8)
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
        assert_eq!(*lock.lock(), 400_000);
    }

    #[test]
    fn a_waiter_gets_the_lock_after_a_long_hold() {
        let lock = Arc::new(SocketLock::new(Vec::<u32>::new()));
        let held = lock.lock();
        let waiter = {
            let lock = lock.clone();
            std::thread::spawn(move || lock.lock().push(2))
        };
        std::thread::sleep(std::time::Duration::from_millis(30));
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
