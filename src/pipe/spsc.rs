//! The queue inside each pipe direction: one writer, one reader, unbounded, lock-free.
//!
//! Items live in chunks of `CHUNK` slots linked into a list (the layout of libzmq's
//! yqueue). The only shared word on the message path is `published`, the number of items
//! written: the writer stores it once per item, the reader loads it only when it has
//! consumed everything it saw last time, so a reader catching up on a burst pays one
//! cross-core load for the whole burst. A consumed chunk is kept as a spare for the writer
//! (no allocation in steady state).
//!
//! Ownership enforces the single writer / single reader rule: `channel` returns one
//! `Producer` and one `Consumer`, and only they touch their side's cursor.

use std::cell::UnsafeCell;
use std::mem::MaybeUninit;
use std::ptr;
use std::sync::atomic::{AtomicPtr, AtomicUsize, Ordering};
use std::sync::Arc;

const CHUNK: usize = 128;

struct Chunk<T> {
    slots: [UnsafeCell<MaybeUninit<T>>; CHUNK],
    /// Set by the writer before any item of the next chunk is published.
    next: AtomicPtr<Chunk<T>>,
}

impl<T> Chunk<T> {
    fn alloc() -> *mut Chunk<T> {
        Box::into_raw(Box::new(Chunk {
            // SAFETY: an array of MaybeUninit needs no initialisation.
            slots: unsafe { MaybeUninit::uninit().assume_init() },
            next: AtomicPtr::new(ptr::null_mut()),
        }))
    }
}

/// A position in the chunk list: the chunk and the slot index within it.
struct Cursor<T> {
    chunk: *mut Chunk<T>,
    index: usize,
}

/// Keeps the two sides' hot words on separate cache lines.
#[repr(align(128))]
struct Padded<T>(T);

struct Shared<T> {
    /// Writer's cursor (next slot to fill). Touched only by the Producer.
    tail: Padded<UnsafeCell<Cursor<T>>>,
    /// Reader's cursor (next slot to take) and how many items it has taken. Touched only
    /// by the Consumer.
    head: Padded<UnsafeCell<(Cursor<T>, usize)>>,
    /// Items written so far (published with Release after the slot is filled).
    published: Padded<AtomicUsize>,
    /// A consumed chunk handed back by the reader for the writer to reuse.
    spare: AtomicPtr<Chunk<T>>,
}

// SAFETY: the cursors are only used through the unique Producer / Consumer (or by Drop,
// which has exclusive access); items cross threads, hence T: Send.
unsafe impl<T: Send> Send for Shared<T> {}
unsafe impl<T: Send> Sync for Shared<T> {}

pub struct Producer<T> {
    shared: Arc<Shared<T>>,
    /// Our own count of items written (the shared counter is published from it).
    written: usize,
}

pub struct Consumer<T> {
    shared: Arc<Shared<T>>,
    /// The writer's count as we last saw it: items up to here can be taken without
    /// looking at the shared counter.
    seen: usize,
}

pub fn channel<T: Send>() -> (Producer<T>, Consumer<T>) {
    let first = Chunk::alloc();
    let shared = Arc::new(Shared {
        tail: Padded(UnsafeCell::new(Cursor { chunk: first, index: 0 })),
        head: Padded(UnsafeCell::new((Cursor { chunk: first, index: 0 }, 0))),
        published: Padded(AtomicUsize::new(0)),
        spare: AtomicPtr::new(ptr::null_mut()),
    });
    (Producer { shared: shared.clone(), written: 0 }, Consumer { shared, seen: 0 })
}

impl<T> Producer<T> {
    /// Append an item; the reader sees it after the next `publish`.
    pub fn push(&mut self, item: T) {
        // SAFETY: only this Producer uses the tail cursor.
        let tail = unsafe { &mut *self.shared.tail.0.get() };
        // SAFETY: the slot at the tail is beyond what was published, so the reader does
        // not look at it; the chunk is live (the reader frees only consumed chunks).
        unsafe { (*(*tail.chunk).slots[tail.index].get()).write(item) };
        tail.index += 1;
        if tail.index == CHUNK {
            // Link the next chunk before publishing this chunk's last item, so the reader
            // always finds it when it moves on.
            let mut next = self.shared.spare.swap(ptr::null_mut(), Ordering::Acquire);
            if next.is_null() {
                next = Chunk::alloc();
            }
            // SAFETY: `next` is ours alone (fresh or taken from the spare slot).
            unsafe { (*next).next.store(ptr::null_mut(), Ordering::Relaxed) };
            // SAFETY: our tail chunk is live.
            unsafe { (*tail.chunk).next.store(next, Ordering::Release) };
            tail.chunk = next;
            tail.index = 0;
        }
        self.written += 1;
    }

    /// Make every item pushed so far visible to the reader. SeqCst: the pipe's wake-up
    /// handshake relies on it (see `Pipe::flush`).
    pub fn publish(&mut self) {
        self.shared.published.0.store(self.written, Ordering::SeqCst);
    }
}

impl<T> Consumer<T> {
    /// Take the oldest item, if one was published.
    pub fn pop(&mut self) -> Option<T> {
        if !self.available() {
            return None;
        }
        // SAFETY: only this Consumer uses the head cursor.
        let (head, taken) = unsafe { &mut *self.shared.head.0.get() };
        // SAFETY: the slot was filled and published (checked above); we take it once.
        let item = unsafe { (*(*head.chunk).slots[head.index].get()).assume_init_read() };
        *taken += 1;
        head.index += 1;
        if head.index == CHUNK {
            let done = head.chunk;
            // SAFETY: the writer linked the next chunk before publishing the last item
            // of this one, which we just took (Acquire on `published` ordered it).
            head.chunk = unsafe { (*done).next.load(Ordering::Acquire) };
            head.index = 0;
            // Give the emptied chunk to the writer; free an older spare.
            let old = self.shared.spare.swap(done, Ordering::Release);
            if !old.is_null() {
                // SAFETY: a spare chunk has no live items and nobody else holds it.
                drop(unsafe { Box::from_raw(old) });
            }
        }
        Some(item)
    }

    /// Whether an item can be taken now. Reads the shared counter only when everything
    /// seen before was taken.
    fn available(&mut self) -> bool {
        // SAFETY: only this Consumer uses the head cursor.
        let taken = unsafe { (*self.shared.head.0.get()).1 };
        if taken < self.seen {
            return true;
        }
        self.seen = self.shared.published.0.load(Ordering::SeqCst);
        taken < self.seen
    }

    /// Nothing published is left to take (usable through a shared reference: it only
    /// reads our own cursor and the shared counter).
    pub fn is_empty(&self) -> bool {
        // SAFETY: only this Consumer writes the head cursor, and that needs `&mut self`.
        let taken = unsafe { (*self.shared.head.0.get()).1 };
        taken >= self.shared.published.0.load(Ordering::SeqCst)
    }
}

impl<T> Drop for Shared<T> {
    fn drop(&mut self) {
        let published = *self.published.0.get_mut();
        let (head, taken) = self.head.0.get_mut();
        let first = head.chunk;
        let mut chunk = head.chunk;
        let mut index = head.index;
        // Drop the items never taken.
        for _ in *taken..published {
            // SAFETY: published and not taken: initialised, dropped once here.
            unsafe { (*(*chunk).slots[index].get()).assume_init_drop() };
            index += 1;
            if index == CHUNK {
                // SAFETY: linked by the writer before this chunk's last item was published.
                chunk = unsafe { (*chunk).next.load(Ordering::Acquire) };
                index = 0;
            }
        }
        // Free the chunks from the head on (the tail chunk is the last one).
        chunk = first;
        while !chunk.is_null() {
            // SAFETY: every chunk from head to tail is ours now; freed once.
            let next = unsafe { (*chunk).next.load(Ordering::Acquire) };
            drop(unsafe { Box::from_raw(chunk) });
            chunk = next;
        }
        let spare = *self.spare.get_mut();
        if !spare.is_null() {
            // SAFETY: the spare chunk holds no items.
            drop(unsafe { Box::from_raw(spare) });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fifo_across_chunks_and_drop_frees_rest() {
        let (mut tx, mut rx) = channel::<Box<usize>>();
        assert!(rx.pop().is_none());
        for i in 0..CHUNK * 3 + 5 {
            tx.push(Box::new(i));
        }
        tx.publish();
        for i in 0..CHUNK * 2 {
            assert_eq!(*rx.pop().unwrap(), i);
        }
        // The rest (in two chunks) is freed by Drop; leaks would show under valgrind/miri.
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
