//! The engine's output: bytes waiting to be written to the socket.
//!
//! Headers and small bodies are batched into one buffer, so many small messages leave in
//! one write. Large bodies are not copied: the queue holds a reference to the message and
//! the caller writes straight from it (write the chunks one by one with `front`, or all
//! at once with `io_slices` and writev).

use std::collections::VecDeque;
use std::io::IoSlice;

use crate::msg::Msg;

/// Bodies at least this large are queued by reference instead of copied.
pub const ZERO_COPY_MIN: usize = 8192;

/// A batch buffer that grew past this is not kept for reuse once drained.
const KEEP_CAPACITY: usize = 256 << 10;

enum Chunk {
    Bytes(Vec<u8>),
    Body(Msg),
}

impl Chunk {
    fn bytes(&self) -> &[u8] {
        match self {
            Chunk::Bytes(v) => v,
            Chunk::Body(m) => m.data(),
        }
    }
}

#[derive(Default)]
pub struct OutQueue {
    chunks: VecDeque<Chunk>,
    /// Bytes of the front chunk already written.
    head: usize,
    len: usize,
    /// Bytes written since the start, so callers can tell whether something they queued
    /// (ending at `end_offset()` back then) has gone out.
    written: u64,
}

impl OutQueue {
    /// Bytes waiting to be written.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Bytes written (consumed) since the queue was created.
    pub fn written(&self) -> u64 {
        self.written
    }

    /// The offset, counted like `written`, just past the last queued byte.
    pub fn end_offset(&self) -> u64 {
        self.written + self.len as u64
    }

    /// Appends whatever `write` puts into the batch buffer.
    pub fn push_with(&mut self, write: impl FnOnce(&mut Vec<u8>)) {
        let buf = self.batch();
        let before = buf.len();
        write(buf);
        let added = buf.len() - before;
        self.len += added;
    }

    pub fn push_bytes(&mut self, bytes: &[u8]) {
        self.push_with(|buf| buf.extend_from_slice(bytes));
    }

    /// Appends a message body: copied if small, referenced if large.
    pub fn push_body(&mut self, msg: &Msg) {
        if msg.len() >= ZERO_COPY_MIN {
            self.len += msg.len();
            self.chunks.push_back(Chunk::Body(msg.clone()));
        } else {
            self.push_bytes(msg.data());
        }
    }

    /// The next contiguous bytes to write (empty when nothing is queued).
    pub fn front(&self) -> &[u8] {
        self.pieces().next().unwrap_or(&[])
    }

    /// Fills `out` with the queued bytes in order, for writev; returns how many slices.
    pub fn io_slices<'a>(&'a self, out: &mut [IoSlice<'a>]) -> usize {
        let mut n = 0;
        for (slot, bytes) in out.iter_mut().zip(self.pieces()) {
            *slot = IoSlice::new(bytes);
            n += 1;
        }
        n
    }

    /// The unwritten, non-empty pieces in order (a drained batch buffer may sit in front).
    fn pieces(&self) -> impl Iterator<Item = &[u8]> {
        self.chunks
            .iter()
            .enumerate()
            .map(|(i, c)| if i == 0 { &c.bytes()[self.head..] } else { c.bytes() })
            .filter(|b| !b.is_empty())
    }

    /// Drops the first `n` queued bytes (they were written). `n` past the end is clamped.
    pub fn consume(&mut self, mut n: usize) {
        n = n.min(self.len);
        self.len -= n;
        self.written += n as u64;
        while n > 0 {
            let last = self.chunks.len() == 1;
            let Some(front) = self.chunks.front_mut() else { break };
            let left = front.bytes().len() - self.head;
            if n < left {
                self.head += n;
                return;
            }
            n -= left;
            self.head = 0;
            // Keep the last batch buffer for reuse rather than reallocating it.
            match front {
                Chunk::Bytes(v) if last && v.capacity() <= KEEP_CAPACITY => v.clear(),
                _ => {
                    self.chunks.pop_front();
                }
            }
        }
    }

    /// The buffer new bytes go into: the last chunk if it is a batch buffer.
    fn batch(&mut self) -> &mut Vec<u8> {
        if !matches!(self.chunks.back(), Some(Chunk::Bytes(_))) {
            self.chunks.push_back(Chunk::Bytes(Vec::with_capacity(ZERO_COPY_MIN)));
        }
        match self.chunks.back_mut() {
            Some(Chunk::Bytes(v)) => v,
            _ => unreachable!("a batch buffer was just pushed"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drain(q: &mut OutQueue, step: usize) -> Vec<u8> {
        let mut out = Vec::new();
        while !q.is_empty() {
            let f = q.front();
            let n = f.len().min(step);
            out.extend_from_slice(&f[..n]);
            q.consume(n);
        }
        out
    }

    #[test]
    fn batches_and_references() {
        let mut q = OutQueue::default();
        q.push_bytes(b"ab");
        let big = Msg::from_slice(&[7; ZERO_COPY_MIN]);
        q.push_body(&big);
        assert!(big.is_shared(), "large body queued by reference");
        q.push_bytes(b"cd");
        q.push_body(&Msg::from_slice(b"ef"));
        assert_eq!(q.len(), 6 + ZERO_COPY_MIN);
        let mut slices = [IoSlice::new(&[]); 8];
        assert_eq!(q.io_slices(&mut slices), 3);
        let mut expect = b"ab".to_vec();
        expect.extend_from_slice(&[7; ZERO_COPY_MIN]);
        expect.extend_from_slice(b"cdef");
        assert_eq!(drain(&mut q, 3), expect);
        assert_eq!(q.front(), b"");
        // The buffer is reused.
        q.push_bytes(b"x");
        q.consume(100);
        assert!(q.is_empty());
        // A drained buffer in front of a referenced body is skipped.
        q.push_body(&big);
        assert_eq!(q.front().len(), ZERO_COPY_MIN);
        assert_eq!(drain(&mut q, 1000).len(), ZERO_COPY_MIN);
    }
}
