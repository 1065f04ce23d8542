//! The queue inside each pipe direction: one writer, one reader, unbounded, lock-free,
//! safe Rust over crossbeam's SegQueue.
//!
//! The writer stages items and `publish` hands them over as one batch: a single item as
//! it is (no allocation), several as one Vec, so a session that decoded a whole read pays
//! one queue operation for all of it. A shared counter of published items is what the
//! reader checks (and what the pipe's wake-up handshake orders against, see
//! `Pipe::flush`); the reader looks at it only when it has taken everything it saw before.
//!
//! Ownership enforces the single writer / single reader rule: `channel` returns one
//! `Producer` and one `Consumer`, and only they touch their side.

use crossbeam_queue::SegQueue;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

enum Batch<T> {
    One(T),
    Many(Vec<T>),
}

struct Shared<T> {
    batches: SegQueue<Batch<T>>,
    /// Items published so far (only grows). Aligned to its own cache line: the writer
    /// stores it on every publish, the reader loads it when it runs dry.
    published: Padded<AtomicUsize>,
}

#[repr(align(64))]
struct Padded<T>(T);

pub struct Producer<T> {
    shared: Arc<Shared<T>>,
    /// Pushed, not yet published.
    staged: Vec<T>,
    written: usize,
}

pub struct Consumer<T> {
    shared: Arc<Shared<T>>,
    /// The rest of a batch taken from the queue.
    ready: VecDeque<T>,
    taken: usize,
    /// The writer's count as we last saw it: items up to here can be taken without
    /// looking at the shared counter.
    seen: usize,
}

pub fn channel<T: Send>() -> (Producer<T>, Consumer<T>) {
    let shared = Arc::new(Shared { batches: SegQueue::new(), published: Padded(AtomicUsize::new(0)) });
    (
        Producer { shared: shared.clone(), staged: Vec::new(), written: 0 },
        Consumer { shared, ready: VecDeque::new(), taken: 0, seen: 0 },
    )
}

impl<T> Producer<T> {
    /// Append an item; the reader sees it after the next `publish`.
    pub fn push(&mut self, item: T) {
        self.staged.push(item);
        self.written += 1;
    }

    /// Make every item pushed so far visible to the reader. SeqCst: the pipe's wake-up
    /// handshake relies on it (see `Pipe::flush`).
    pub fn publish(&mut self) {
        match self.staged.len() {
            0 => return,
            // The common case (an application send) keeps the staging Vec's buffer.
            1 => self.shared.batches.push(Batch::One(self.staged.pop().expect("one staged item"))),
            _ => self.shared.batches.push(Batch::Many(std::mem::take(&mut self.staged))),
        }
        self.shared.published.0.store(self.written, Ordering::SeqCst);
    }
}

impl<T> Consumer<T> {
    /// Take the oldest item, if one was published.
    pub fn pop(&mut self) -> Option<T> {
        if self.taken >= self.seen {
            self.seen = self.shared.published.0.load(Ordering::SeqCst);
            if self.taken >= self.seen {
                return None;
            }
        }
        let item = match self.ready.pop_front() {
            Some(item) => item,
            // The batch was pushed before the count that covers it was stored.
            None => match self.shared.batches.pop()? {
                Batch::One(item) => item,
                Batch::Many(items) => {
                    self.ready = items.into();
                    self.ready.pop_front()?
                }
            },
        };
        self.taken += 1;
        Some(item)
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
