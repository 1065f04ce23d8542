//! A socket read buffer whose bytes become messages without being copied.
//!
//! Why: copying every received frame into an allocation of its own cost a malloc on the
//! I/O thread and a free on the application thread per message: about 260 of the 1,450
//! instructions a 64-byte tcp message cost on the receiving side, most of it glibc's
//! free of memory another thread allocated. Here a frame that lies whole in the buffer
//! becomes a message that refers to its range of the buffer (one reference count
//! increment, the decrement when the message goes); the buffer is freed (or recycled,
//! see `recycle`) when the last of those messages is gone. The session reads into the
//! buffer again only when no message refers to it any more; otherwise it starts a new one.
//!
//! The I/O thread takes all its references while it decodes a read, before the pipe
//! publishes the messages, and the application thread drops them afterwards: the count
//! changes hands between the threads about once per read, not once per message.
//!
//! Whether a read is shared this way is the session's choice (`ZERO_COPY_MIN` there):
//! a buffer is worth starting anew only when it carries many messages.

use super::recycle::{self, OwnedBuf};
use super::{unfilled_buf, Body, Msg, INLINE_MAX};
use std::sync::Arc;

pub struct ReadBuf {
    buf: OwnedBuf,
}

impl ReadBuf {
    pub fn new(len: usize) -> ReadBuf {
        // Only what a read wrote is ever looked at, so the bytes need no zeroing (that
        // cost as much as a tenth of a 1 KiB message's receive: 64 KiB per buffer).
        let buf = recycle::take(len).unwrap_or_else(|| unfilled_buf(len));
        ReadBuf { buf: OwnedBuf::new(buf) }
    }

    pub fn len(&self) -> usize {
        self.buf.len()
    }

    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// The bytes to read into: this buffer if no message refers to it, else a new one.
    pub fn writable(&mut self) -> &mut [u8] {
        if Arc::get_mut(&mut self.buf).is_none() {
            *self = ReadBuf::new(self.len());
        }
        Arc::get_mut(&mut self.buf).expect("a buffer no message refers to")
    }

    pub fn bytes(&self) -> &[u8] {
        &self.buf
    }

    /// A message holding `part`, which must lie within `bytes()`: inline when small
    /// (a copy), else a reference to its range of this buffer. A `part` from elsewhere is
    /// copied.
    pub fn message(&self, part: &[u8]) -> Msg {
        let start = self.buf.as_ptr() as usize;
        let off = (part.as_ptr() as usize).wrapping_sub(start);
        if part.len() <= INLINE_MAX || off > self.len() || part.len() > self.len() - off {
            return Msg::from_slice(part);
        }
        let body = Body::Slice { buf: OwnedBuf::new(Arc::clone(&self.buf)), off: off as u32, len: part.len() as u32 };
        Msg::with_body(body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_share_the_buffer_until_it_is_reused() {
        let mut rb = ReadBuf::new(4096);
        rb.writable()[..200].copy_from_slice(&[7u8; 200]);
        rb.writable()[100..150].copy_from_slice(&[9u8; 50]);
        let first = rb.buf.as_ptr();
        let small = rb.message(&rb.bytes()[10..20]);
        let mut big = rb.message(&rb.bytes()[100..150]);
        assert_eq!(small.data(), &[7u8; 10][..]);
        assert_eq!(big.data(), &[9u8; 50][..]);
        assert!(!big.is_shared(), "as libzmq: not shared until copied");
        assert!(big.data_mut().is_none(), "the buffer is the reader's and other messages' too");
        big.mark_copied();
        let copy = big.clone();
        assert!(big.is_shared() && copy.is_shared());
        // A message refers to the buffer: the next read goes to a new one, and the
        // message keeps its bytes.
        rb.writable().fill(1);
        assert_ne!(rb.buf.as_ptr(), first);
        assert_eq!(copy.data(), &[9u8; 50][..]);
        drop((big, copy, small));
        // Nothing refers to the new buffer: it is read into again.
        let second = rb.buf.as_ptr();
        rb.writable();
        assert_eq!(rb.buf.as_ptr(), second);
    }

    #[test]
    fn the_last_message_alone_may_write_its_range() {
        let mut rb = ReadBuf::new(1024);
        rb.writable()[..64].copy_from_slice(&[3u8; 64]);
        let mut m = rb.message(&rb.bytes()[..64]);
        rb.writable(); // the reader moves on to a new buffer
        m.data_mut().expect("sole owner").fill(4);
        assert_eq!(m.data(), &[4u8; 64][..]);
        assert_eq!(m.len(), 64);
    }

    #[test]
    fn writing_through_one_message_leaves_its_neighbours_alone() {
        let mut rb = ReadBuf::new(1024);
        rb.writable()[..200].copy_from_slice(&[1u8; 200]);
        let mut a = rb.message(&rb.bytes()[..100]);
        let b = rb.message(&rb.bytes()[100..200]);
        // What zmq_msg_data hands C: a pointer to this message's own range.
        let p = a.data_ptr();
        // SAFETY: p points to a's 100 bytes, alive while a is.
        unsafe { std::ptr::write_bytes(p, 2, 100) };
        assert_eq!(a.data(), &[2u8; 100][..]);
        assert_eq!(b.data(), &[1u8; 100][..]);
    }

    #[test]
    fn parts_from_elsewhere_are_copied() {
        let rb = ReadBuf::new(256);
        let outside = vec![5u8; 100];
        let m = rb.message(&outside);
        assert_eq!(m.data(), &outside[..]);
        assert_eq!(Arc::strong_count(&rb.buf), 1, "no reference taken");
        let tail = &rb.bytes()[200..];
        assert_eq!(rb.message(tail).len(), 56, "a range ending at the buffer's end is fine");
    }
}
