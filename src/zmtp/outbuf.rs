//! The engine's output: bytes waiting to be written to the socket.
//!
//! Headers and small bodies are batched into one buffer, so many small messages leave in
//! one write. Large bodies are not copied: the queue holds a reference to the message and
//! the caller writes straight from it (write the chunks one by one with `front`, or all
//! at once with `io_slices` and writev).

use std::collections::VecDeque;
use std::io::IoSlice;

use super::codec;
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
    /// What goes before `batch`, in order: earlier batch buffers and referenced bodies.
    chunks: VecDeque<Chunk>,
    /// The last piece, where new bytes go: kept apart so that queuing a small frame
    /// touches one Vec and nothing else.
    batch: Vec<u8>,
    /// Bytes of the first piece (the front chunk, else `batch`) already written.
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
    #[inline]
    pub fn push_with(&mut self, write: impl FnOnce(&mut Vec<u8>)) {
        let before = self.batch.len();
        write(&mut self.batch);
        self.len += self.batch.len() - before;
    }

    pub fn push_bytes(&mut self, bytes: &[u8]) {
        self.push_with(|buf| buf.extend_from_slice(bytes));
    }

    /// Appends a frame: `header`, then the body, copied if small, referenced if large.
    /// One reservation for both, so a small message costs two copies and no other work.
    #[inline]
    pub fn push_frame(&mut self, header: &[u8], msg: &Msg) {
        let body = msg.data();
        if body.len() >= ZERO_COPY_MIN {
            self.push_bytes(header);
            self.push_body(msg);
            return;
        }
        let buf = &mut self.batch;
        buf.reserve(header.len() + body.len());
        buf.extend_from_slice(header);
        buf.extend_from_slice(body);
        self.len += header.len() + body.len();
    }

    /// Appends `msg` as a ZMTP 2.0+ frame if its body is short (under 256 bytes: a
    /// two-byte header); false (nothing queued) otherwise. `commands`: the COMMAND flag
    /// is sent (ZMTP 3.x). The common small message's whole encoding, with no header
    /// built apart (see `codec::Header` for the general case).
    #[inline]
    pub fn push_short_frame(&mut self, msg: &Msg, commands: bool) -> bool {
        let body = msg.data();
        if body.len() > u8::MAX as usize {
            return false;
        }
        let flags = codec::v2_flags(msg.more(), commands && msg.is_command());
        let buf = &mut self.batch;
        buf.reserve(2 + body.len());
        buf.extend_from_slice(&[flags, body.len() as u8]);
        buf.extend_from_slice(body);
        self.len += 2 + body.len();
        true
    }

    /// Appends a message body: copied if small, referenced if large.
    pub fn push_body(&mut self, msg: &Msg) {
        if msg.len() < ZERO_COPY_MIN {
            self.push_bytes(msg.data());
            return;
        }
        // The bytes batched so far go first, in a piece of their own (unless none are
        // unwritten: a drained batch buffer stays for reuse).
        if self.batch.len() > self.batch_head() {
            let full = std::mem::replace(&mut self.batch, Vec::with_capacity(ZERO_COPY_MIN));
            self.chunks.push_back(Chunk::Bytes(full));
        } else if self.chunks.is_empty() {
            self.batch.clear();
            self.head = 0;
        }
        self.len += msg.len();
        self.chunks.push_back(Chunk::Body(msg.clone()));
    }

    /// The next contiguous bytes to write (empty when nothing is queued).
    pub fn front(&self) -> &[u8] {
        self.pieces().next().unwrap_or(&[])
    }

    /// Fills `out` with the queued bytes in order, at most `limit` of them, for writev;
    /// returns how many slices.
    pub fn io_slices<'a>(&'a self, out: &mut [IoSlice<'a>], limit: usize) -> usize {
        let mut n = 0;
        let mut left = limit;
        for (slot, bytes) in out.iter_mut().zip(self.pieces()) {
            if left == 0 {
                break;
            }
            let bytes = &bytes[..bytes.len().min(left)];
            left -= bytes.len();
            *slot = IoSlice::new(bytes);
            n += 1;
        }
        n
    }

    /// Bytes of `batch` already written (non-zero only when it is the first piece).
    fn batch_head(&self) -> usize {
        if self.chunks.is_empty() {
            self.head
        } else {
            0
        }
    }

    /// The unwritten, non-empty pieces in order.
    fn pieces(&self) -> impl Iterator<Item = &[u8]> {
        let batch = &self.batch[self.batch_head()..];
        self.chunks
            .iter()
            .enumerate()
            .map(|(i, c)| if i == 0 { &c.bytes()[self.head..] } else { c.bytes() })
            .chain(std::iter::once(batch))
            .filter(|b| !b.is_empty())
    }

    /// Drops the first `n` queued bytes (they were written). `n` past the end is clamped.
    pub fn consume(&mut self, mut n: usize) {
        n = n.min(self.len);
        self.len -= n;
        self.written += n as u64;
        while n > 0 {
            let Some(front) = self.chunks.front() else {
                self.head += n;
                break;
            };
            let left = front.bytes().len() - self.head;
            if n < left {
                self.head += n;
                return;
            }
            n -= left;
            self.head = 0;
            self.chunks.pop_front();
        }
        if self.len == 0 {
            // Everything went: the batch buffer is reused from its start (unless a burst
            // grew it too large to keep).
            if self.batch.capacity() > KEEP_CAPACITY {
                self.batch = Vec::new();
            }
            self.batch.clear();
            self.head = 0;
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
        q.push_bytes(b"cd");
        q.push_body(&Msg::from_slice(b"ef"));
        assert_eq!(q.len(), 6 + ZERO_COPY_MIN);
        let mut slices = [IoSlice::new(&[]); 8];
        assert_eq!(q.io_slices(&mut slices, usize::MAX), 3);
        assert_eq!(slices[1].as_ptr(), big.data().as_ptr(), "large body queued by reference");
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

    #[test]
    fn slices_stop_at_the_limit_mid_piece() {
        let mut q = OutQueue::default();
        q.push_bytes(b"abc");
        let big = Msg::from_slice(&[5; ZERO_COPY_MIN]);
        q.push_body(&big);
        q.push_bytes(b"de");
        let mut slices = [IoSlice::new(&[]); 8];
        let n = q.io_slices(&mut slices, 10);
        assert_eq!(n, 2);
        assert_eq!(&*slices[0], b"abc");
        assert_eq!(slices[1].len(), 7, "the body cut where the limit falls");
        assert_eq!(q.io_slices(&mut slices, 3), 1, "a limit ending a piece takes no empty slice");
        assert_eq!(q.io_slices(&mut slices, 0), 0);
        let all = q.io_slices(&mut slices, usize::MAX);
        assert_eq!(slices[..all].iter().map(|s| s.len()).sum::<usize>(), q.len());
    }

    #[test]
    fn frames_and_bodies_keep_their_order_across_partial_writes() {
        let mut q = OutQueue::default();
        let big = Msg::from_slice(&[9; ZERO_COPY_MIN]);
        let mut expect = Vec::new();
        let mut got = Vec::new();
        for round in 0..3u8 {
            q.push_frame(&[round, 2], &Msg::from_slice(b"ab"));
            expect.extend_from_slice(&[round, 2, b'a', b'b']);
            // Part of the batch goes out before a large body is queued behind it.
            let f = q.front()[..1].to_vec();
            got.extend_from_slice(&f);
            q.consume(1);
            q.push_frame(&[round, 0x99], &big);
            expect.extend_from_slice(&[round, 0x99]);
            expect.extend_from_slice(big.data());
            q.push_frame(&[round], &Msg::from_slice(b"z"));
            expect.extend_from_slice(&[round, b'z']);
            assert_eq!(q.end_offset() as usize, expect.len());
            let mut slices = [IoSlice::new(&[]); 8];
            let n = q.io_slices(&mut slices, usize::MAX);
            assert_eq!(n, 3, "rest of the batch, the body, the new batch");
            let all: Vec<u8> = slices[..n].iter().flat_map(|s| s.iter().copied()).collect();
            assert_eq!(all.len(), q.len());
            got.extend(drain(&mut q, 7 + round as usize * 1000));
        }
        assert_eq!(got, expect);
        assert!(q.is_empty());
        assert_eq!(q.written() as usize, expect.len());
        assert!(!big.is_shared(), "written bodies are let go");
    }

    #[test]
    fn short_frames_encode_as_the_general_header_does() {
        use crate::msg::flags;
        for (len, flag_bits, v3) in [(0, 0, true), (1, flags::MORE, true), (255, flags::COMMAND, true), (3, flags::COMMAND, false), (256, 0, true)] {
            let mut msg = Msg::from_slice(&vec![5; len]);
            msg.set_flags(flag_bits);
            let (mut fast, mut general) = (OutQueue::default(), OutQueue::default());
            let command = msg.is_command() && v3;
            general.push_frame(codec::Header::new(codec::Framing::V2, len, msg.more(), command).bytes(), &msg);
            if !fast.push_short_frame(&msg, v3) {
                assert!(len > 255 && fast.is_empty(), "only long bodies are left to the general path");
                continue;
            }
            assert_eq!(fast.len(), general.len());
            assert_eq!(drain(&mut fast, 1000), drain(&mut general, 1000));
        }
    }

    #[test]
    fn an_overgrown_batch_buffer_is_not_kept() {
        let mut q = OutQueue::default();
        q.push_bytes(&vec![1; KEEP_CAPACITY + 1]);
        q.consume(usize::MAX);
        assert!(q.is_empty() && q.batch.capacity() == 0);
        q.push_bytes(b"small");
        q.consume(5);
        assert!(q.batch.capacity() > 0, "a normal one is reused");
    }
}
