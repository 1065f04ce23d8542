//! The body of a frame being received, assembled where the message will live.
//!
//! Bytes come two ways: copied from the engine's read buffer (`extend`: the start of a
//! body that arrived behind its header, short bodies), or read by the I/O layer from the
//! socket straight into the unfilled tail (`tail` then `filled`: the rest of a large body,
//! one kernel copy and no other, as libzmq does). Either way the finished buffer becomes
//! the message as is.

use crate::msg::{Msg, INLINE_MAX};

use super::failure::Failure;

/// A body up to this size is allocated whole, as the message, at its header (uninitialised
/// like libzmq's malloc: every byte is written before the message is handed on). Beyond
/// it the buffer grows as bytes actually arrive, so a peer announcing a huge frame cannot
/// make us commit memory it never sends (with max_msg_size unlimited, as by default).
const RESERVE_AHEAD: usize = 8 << 20;

/// For a body beyond RESERVE_AHEAD, how far ahead of the bytes received `tail` prepares
/// (zero-filled) room for a direct read: the memory a lying peer can make us commit
/// beyond what it sent.
const TAIL_WINDOW: usize = 4 << 20;

pub(super) struct PartialBody {
    len: usize,
    msg_flags: u8,
    buf: BodyBuf,
}

enum BodyBuf {
    /// Short bodies, in the decoder (no allocation), with the bytes filled.
    Small([u8; INLINE_MAX], usize),
    /// The message itself, allocated whole at the header, with the bytes filled.
    Whole(Msg, usize),
    /// Huge bodies: `Vec::len()` bytes are initialised (filled ones, then zeroes that
    /// `tail` prepared), the first `usize` of them filled.
    Growing(Vec<u8>, usize),
}

pub(super) fn out_of_memory() -> Failure {
    Failure::protocol("cannot allocate frame").with_errno(libc::ENOMEM)
}

impl PartialBody {
    pub(super) fn new(len: usize, msg_flags: u8) -> Result<PartialBody, Failure> {
        let buf = if len <= INLINE_MAX {
            BodyBuf::Small([0; INLINE_MAX], 0)
        } else if len <= RESERVE_AHEAD {
            // Recycled when a buffer of this size was just freed (see msg/recycle.rs).
            BodyBuf::Whole(Msg::with_size_unfilled(len).ok_or_else(out_of_memory)?, 0)
        } else {
            let mut v = Vec::new();
            v.try_reserve_exact(RESERVE_AHEAD).map_err(|_| out_of_memory())?;
            BodyBuf::Growing(v, 0)
        };
        Ok(PartialBody { len, msg_flags, buf })
    }

    /// The body's announced length.
    pub(super) fn len(&self) -> usize {
        self.len
    }

    fn filled(&self) -> usize {
        match &self.buf {
            BodyBuf::Small(_, n) | BodyBuf::Whole(_, n) | BodyBuf::Growing(_, n) => *n,
        }
    }

    pub(super) fn remaining(&self) -> usize {
        self.len - self.filled()
    }

    /// Appends bytes copied from the input (at most `remaining()`).
    pub(super) fn extend(&mut self, bytes: &[u8]) -> Result<(), Failure> {
        match &mut self.buf {
            BodyBuf::Small(buf, n) => {
                buf[*n..*n + bytes.len()].copy_from_slice(bytes);
                *n += bytes.len();
            }
            BodyBuf::Whole(msg, n) => {
                whole_data(msg)[*n..*n + bytes.len()].copy_from_slice(bytes);
                *n += bytes.len();
            }
            BodyBuf::Growing(v, n) => {
                // Room prepared for a direct read and not used: drop it, append instead.
                v.truncate(*n);
                grow(v, self.len, v.len() + bytes.len())?;
                v.extend_from_slice(bytes);
                *n = v.len();
            }
        }
        Ok(())
    }

    /// The unfilled rest of the body (a part of it for a huge one), for the caller to
    /// read into and report with `filled`. None if memory for it cannot be had (the
    /// caller then reads into its own buffer, and `extend` reports the failure).
    pub(super) fn tail(&mut self) -> Option<&mut [u8]> {
        match &mut self.buf {
            BodyBuf::Small(buf, n) => Some(&mut buf[*n..self.len]),
            BodyBuf::Whole(msg, n) => Some(&mut whole_data(msg)[*n..]),
            BodyBuf::Growing(v, n) => {
                if v.len() == *n {
                    let target = n.saturating_add(TAIL_WINDOW).min(self.len);
                    grow(v, self.len, target).ok()?;
                    v.resize(target, 0);
                }
                Some(&mut v[*n..])
            }
        }
    }

    /// `n` bytes were written at the start of what `tail` returned.
    pub(super) fn filled_by_read(&mut self, n: usize) {
        match &mut self.buf {
            BodyBuf::Small(_, filled) | BodyBuf::Whole(_, filled) => *filled += n,
            BodyBuf::Growing(v, filled) => {
                *filled += n;
                assert!(*filled <= v.len(), "more filled than `tail` offered");
            }
        }
        assert!(self.filled() <= self.len, "more filled than `tail` offered");
    }

    /// The finished message (all `len` bytes filled).
    pub(super) fn into_msg(self) -> Msg {
        debug_assert_eq!(self.remaining(), 0);
        let mut msg = match self.buf {
            BodyBuf::Small(buf, n) => Msg::from_slice(&buf[..n]),
            BodyBuf::Whole(msg, _) => msg,
            BodyBuf::Growing(v, _) => Msg::from_vec(v),
        };
        msg.set_flags(self.msg_flags);
        msg
    }
}

/// The writable bytes of a message the body owns alone.
fn whole_data(msg: &mut Msg) -> &mut [u8] {
    msg.data_mut().expect("a body's message is not shared before it is complete")
}

/// Makes room in `v` for `needed` bytes, growing geometrically, never past `len` (the
/// announced length), so the final buffer is exactly the message's and `Msg::from_vec`
/// need not reallocate.
fn grow(v: &mut Vec<u8>, len: usize, needed: usize) -> Result<(), Failure> {
    if needed > v.capacity() {
        let target = needed.max(v.capacity().saturating_mul(2)).min(len);
        v.try_reserve_exact(target - v.len()).map_err(|_| out_of_memory())?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Fills a body of `len` bytes, alternating copies of `copy` bytes and direct reads of
    /// at most `read` bytes; returns the message.
    fn assemble(len: usize, copy: usize, read: usize) -> Msg {
        let wire: Vec<u8> = (0..len).map(|i| (i * 7 + i / 251) as u8).collect();
        let mut body = PartialBody::new(len, crate::msg::flags::MORE).unwrap();
        let mut pos = 0;
        while body.remaining() > 0 {
            let n = copy.min(body.remaining());
            body.extend(&wire[pos..pos + n]).unwrap();
            pos += n;
            let tail = body.tail().expect("memory for the tail");
            assert_eq!(tail.len().min(len - pos), tail.len(), "tail within the body");
            let n = read.min(tail.len());
            tail[..n].copy_from_slice(&wire[pos..pos + n]);
            body.filled_by_read(n);
            pos += n;
        }
        let msg = body.into_msg();
        assert_eq!(msg.data(), &wire[..], "len {len} copy {copy} read {read}");
        assert!(msg.more());
        msg
    }

    #[test]
    fn bodies_completed_by_direct_reads() {
        for len in [0, 1, INLINE_MAX, INLINE_MAX + 1, 1000, 65536, 1 << 20] {
            for (copy, read) in [(0, usize::MAX), (0, 1), (17, 4096), (1, 65536), (4096, 0), (65536, 3)] {
                if copy == 0 && read == 0 {
                    continue;
                }
                if len >= 65536 && (copy.max(read) < 1000) {
                    continue; // slow and adds nothing
                }
                assemble(len, copy, read);
            }
        }
    }

    #[test]
    fn huge_bodies_prepare_a_window_at_a_time() {
        let len = RESERVE_AHEAD + TAIL_WINDOW + 123;
        let mut body = PartialBody::new(len, 0).unwrap();
        body.extend(&[5; 10]).unwrap();
        let tail = body.tail().unwrap();
        assert_eq!(tail.len(), TAIL_WINDOW, "a window ahead, not the whole announced length");
        tail[..100].fill(6);
        body.filled_by_read(100);
        assert_eq!(body.tail().unwrap().len(), TAIL_WINDOW - 100, "the prepared room is offered until used");
        // A copy after a direct read drops the prepared zeroes, not the filled bytes.
        body.extend(&[7; 3]).unwrap();
        assert_eq!(body.remaining(), len - 113);
        while body.remaining() > 0 {
            let tail = body.tail().unwrap();
            tail.fill(8);
            let n = tail.len();
            body.filled_by_read(n);
        }
        let msg = body.into_msg();
        assert_eq!(msg.len(), len);
        assert_eq!((&msg.data()[..10], &msg.data()[10..110], &msg.data()[110..113]), (&[5; 10][..], &[6; 100][..], &[7; 3][..]));
        assert!(msg.data()[113..].iter().all(|&b| b == 8));
    }
}
