//! Recycling of message buffers.
//!
//! Why: a large message is allocated by the sending thread and freed by the receiving
//! one, and glibc gives the freed memory back to the sender's arena. When the receiver
//! catches up with a sender that ran ahead (up to the HWM), it frees the newest buffers
//! last, everything above the oldest one merges with the arena's top, and glibc hands
//! it back to the kernel (madvise): the sender then page-faults every fresh page again,
//! is slowed down, the receiver runs dry more often, and both end up sleeping and waking
//! every few messages. libzmq escapes this by accident (its pipe keeps the last chunk
//! alive as a spare). Here the most recently freed buffers are kept in a small bounded
//! pool and handed to the next messages of the same size: the newest allocations stay
//! live, so the top never gets trimmed under a busy pipe, and a steady stream of one
//! size skips malloc/free altogether.
//!
//! The pool is a bounded queue in a static (`buf_ring`: no heap of its own): when full,
//! the oldest buffer is freed to make room (so what stays is always the most recent). At
//! most `SLOTS` buffers of at most `MAX_LEN` bytes each are held, a few MiB at worst, and
//! only while a context is alive: the last `zmq_ctx_term` frees them all, and buffers
//! released after it are freed at once, so a program that ends its contexts leaves nothing
//! of ours allocated (as with libzmq); the next context starts recycling again.

use super::buf_ring::BufRing;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// Buffers up to this size are recycled (larger ones come from mmap in glibc anyway).
const MAX_LEN: usize = 64 * 1024;
/// Smaller buffers are left to malloc: glibc keeps them in its per-thread cache and fast
/// bins, which never merge with the arena's top (so the trimming above cannot happen),
/// and a malloc/free pair costs less than the pool's atomics (measured: inproc 64 B).
const MIN_LEN: usize = 128;
/// How many freed buffers are kept.
const SLOTS: usize = 32;

static POOL: BufRing<SLOTS> = BufRing::new();

/// Contexts alive (`context_started` minus `context_ended`): buffers are kept only then.
static CONTEXTS: AtomicUsize = AtomicUsize::new(0);

/// A context starts: freed buffers are kept for reuse from now on.
pub fn context_started() {
    CONTEXTS.fetch_add(1, Ordering::SeqCst);
}

/// A context has ended; after the last one every pooled buffer is freed and buffers
/// released later are not kept. (A buffer released by another thread at the very moment
/// the last context ends may still slip in: only a program racing its own zmq_ctx_term
/// could see it.)
pub fn context_ended() {
    if CONTEXTS.fetch_sub(1, Ordering::SeqCst) == 1 {
        POOL.clear();
    }
}

/// Whether a context is alive (memory is kept for reuse only then).
pub(super) fn contexts_alive() -> bool {
    CONTEXTS.load(Ordering::Relaxed) != 0
}

/// A recycled buffer of exactly `len` bytes (its content is an earlier message's).
pub(super) fn take(len: usize) -> Option<Arc<[u8]>> {
    take_from(&POOL, len)
}

fn take_from<const N: usize>(pool: &BufRing<N>, len: usize) -> Option<Arc<[u8]>> {
    if !(MIN_LEN..=MAX_LEN).contains(&len) {
        return None;
    }
    // Another size at the head means the traffic is mixed: freeing it is what malloc
    // would have done with it anyway.
    pool.pop().filter(|buf| buf.len() == len)
}

/// Keep `buf` if it is the last reference to a small enough buffer; when the pool is
/// full its oldest buffer is freed instead.
fn give_to<const N: usize>(pool: &BufRing<N>, mut buf: Arc<[u8]>) {
    // Only the last copy may recycle (get_mut: no other strong or weak reference).
    // Two last copies dropped at once both see the other and just free: harmless.
    // The plain load of the count first: most drops are of one of many messages sharing
    // a read buffer, and get_mut's compare-and-swap would be a second locked operation
    // (besides the drop's decrement) on a line the I/O thread is writing.
    if (MIN_LEN..=MAX_LEN).contains(&buf.len()) && Arc::strong_count(&buf) == 1 && Arc::get_mut(&mut buf).is_some() {
        pool.force_push(buf);
    }
}

/// A shared message buffer that goes back to the pool when its last copy drops. The
/// Option is only None inside `drop`.
pub(super) struct OwnedBuf(Option<Arc<[u8]>>);

impl OwnedBuf {
    pub(super) fn new(buf: Arc<[u8]>) -> OwnedBuf {
        OwnedBuf(Some(buf))
    }
}

impl std::ops::Deref for OwnedBuf {
    type Target = Arc<[u8]>;
    fn deref(&self) -> &Arc<[u8]> {
        self.0.as_ref().expect("OwnedBuf holds its buffer until dropped")
    }
}

impl std::ops::DerefMut for OwnedBuf {
    fn deref_mut(&mut self) -> &mut Arc<[u8]> {
        self.0.as_mut().expect("OwnedBuf holds its buffer until dropped")
    }
}

impl Drop for OwnedBuf {
    fn drop(&mut self) {
        if let Some(buf) = self.0.take() {
            if contexts_alive() {
                give_to(&POOL, buf);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_unshared_buffers_of_the_asked_size_come_back() {
        // A private pool: the process-wide one is in use by other tests.
        let pool = BufRing::<2>::new();
        let a: Arc<[u8]> = Arc::from(&[1u8; 200][..]);
        let copy = Arc::clone(&a);
        give_to(&pool, a);
        assert!(pool.pop().is_none(), "a buffer still shared must not be recycled");
        give_to(&pool, copy);
        let kept = pool.pop().expect("the last copy is kept");
        assert_eq!(&kept[..], &[1u8; 200][..]);
        give_to(&pool, kept);
        assert!(take_from(&pool, 199).is_none(), "wrong size: not handed out");
        assert!(pool.pop().is_none(), "but freed");
        give_to(&pool, Arc::from(&[2u8; 200][..]));
        assert_eq!(&take_from(&pool, 200).expect("recycled")[..], &[2u8; 200][..]);
        give_to(&pool, Arc::from(vec![0u8; MAX_LEN + 1]));
        assert!(pool.pop().is_none(), "large buffers are not kept");
        give_to(&pool, Arc::from(vec![0u8; MIN_LEN - 1]));
        assert!(pool.pop().is_none(), "small buffers are left to malloc");
        for fill in 3..6 {
            give_to(&pool, Arc::from(&[fill; 200][..]));
        }
        assert_eq!(take_from(&pool, 200).expect("recycled")[0], 4, "the oldest made room");
        assert_eq!(take_from(&pool, 200).expect("recycled")[0], 5);
        assert!(pool.pop().is_none());
    }

    #[test]
    fn messages_recycle_through_the_pool() {
        let big = crate::msg::Msg::from_slice(&[9u8; 1000]);
        let copy = big.clone();
        drop(big);
        assert_eq!(copy.data(), &[9u8; 1000][..], "a shared buffer stays intact");
        let again = crate::msg::Msg::from_slice(&[8u8; 1000]);
        assert_eq!(again.data(), &[8u8; 1000][..]);
    }
}
