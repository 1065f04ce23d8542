//! Frame encoding and decoding.
//!
//! ZMTP 2.0 and 3.x frames: `flags` (bit 0 MORE, bit 1 LONG, bit 2 COMMAND), then the body
//! length in 1 byte, or in 8 big-endian bytes when LONG is set, then the body.
//!
//! ZMTP 1.0 frames: the length of flags + body in 1 byte, or 0xFF and 8 big-endian bytes,
//! then `flags` (bit 0 MORE), then the body.
//!
//! The decoder is incremental: it accepts input split at any byte and returns one frame
//! at a time, so the engine can act on each frame (a handshake command changes how the
//! next one is read). Bodies that arrive whole are copied once from the input into the
//! message, or shared with it (`decode_from`, see `msg::ReadBuf`); others are assembled
//! in the buffer that becomes the message's own (`body.rs`), and the rest of a large one
//! may be read from the socket straight into it (`body_tail`).

use crate::msg::{flags, Msg, ReadBuf};

use super::body::{out_of_memory, PartialBody};
use super::failure::Failure;
use std::sync::OnceLock;

/// How frames are laid out on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// ZMTP 1.0.
    V1,
    /// ZMTP 2.0 and 3.x.
    V2,
}

/// Wire flag bits of a ZMTP 2.0/3.x frame.
pub const FLAG_MORE: u8 = 0x01;
pub const FLAG_LONG: u8 = 0x02;
pub const FLAG_COMMAND: u8 = 0x04;

/// The longest frame header (ZMTP 1.0 long form: 0xFF, 8 length bytes, flags).
pub const MAX_HEADER: usize = 10;

/// The longest command a ZMTP 3.x security handshake may carry. The handshake commands
/// (HELLO, WELCOME, INITIATE, READY, ERROR) are a few hundred bytes: fixed-size keys and
/// boxes, names and passwords of at most 255 bytes, an identity of at most 255, and the
/// socket's ZMQ_METADATA properties, which are short strings in practice. 64 KiB leaves
/// two orders of magnitude for application metadata, and bounds what a peer that never
/// finishes its handshake can make us hold. (Commands after the handshake are bounded like
/// messages: SUBSCRIBE carries a topic of any length, CURVE's MESSAGE a whole message.)
pub const MAX_HANDSHAKE_COMMAND: u64 = 64 << 10;

/// The longest body this process could ever hold: beyond isize::MAX no allocation can
/// exist, and beyond the machine's RAM and swap (what Linux's overcommit heuristic refuses
/// to malloc, which is how libzmq ends up refusing such frames) it could never be filled.
/// A frame announcing more is refused at its header, before any byte of it is buffered.
pub fn longest_possible_frame() -> u64 {
    static LONGEST: OnceLock<u64> = OnceLock::new();
    *LONGEST.get_or_init(|| {
        let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
        let kib = |key: &str| -> Option<u64> {
            let line = meminfo.lines().find(|l| l.starts_with(key))?;
            line[key.len()..].trim().trim_end_matches("kB").trim().parse().ok()
        };
        let address_space = isize::MAX as u64;
        match (kib("MemTotal:"), kib("SwapTotal:")) {
            (Some(ram), swap) => ram.saturating_add(swap.unwrap_or(0)).saturating_mul(1024).min(address_space),
            (None, _) => address_space,
        }
    })
}

pub struct Decoder {
    framing: Framing,
    /// Largest body accepted; negative for no limit (ZMQ_MAXMSGSIZE).
    max_msg_size: i64,
    /// In a ZMTP 3.x handshake every frame is taken for a command (as libzmq does, whatever
    /// its flags say), so none may exceed MAX_HANDSHAKE_COMMAND bytes.
    handshake: bool,
    header: [u8; MAX_HEADER],
    header_len: usize,
    /// The frame whose body is being read, once its header is complete.
    body: Option<PartialBody>,
}

/// A message of a whole body found in the input.
fn body_msg(source: Option<&ReadBuf>, body: &[u8]) -> Msg {
    match source {
        Some(buf) => buf.message(body),
        None => Msg::from_slice(body),
    }
}

impl Decoder {
    pub fn new(framing: Framing, max_msg_size: i64) -> Decoder {
        Decoder { framing, max_msg_size, handshake: false, header: [0; MAX_HEADER], header_len: 0, body: None }
    }

    /// Frames from now on belong to a ZMTP 3.x handshake (true) or follow it (false).
    pub fn set_handshake(&mut self, handshake: bool) {
        self.handshake = handshake;
    }

    /// Decodes at most one frame from the front of `data`. Returns the number of bytes
    /// consumed (all of `data` unless a frame ended earlier) and the frame, if one was
    /// completed: a `Msg` with flags::MORE and flags::COMMAND set from the wire.
    pub fn decode(&mut self, data: &[u8]) -> Result<(usize, Option<Msg>), Failure> {
        self.decode_from(data, None)
    }

    /// [`decode`](Self::decode) of bytes that lie in `source`: a frame whose body is all
    /// there becomes a message referring to it (see `msg::ReadBuf`), not a copy.
    pub fn decode_from(&mut self, data: &[u8], source: Option<&ReadBuf>) -> Result<(usize, Option<Msg>), Failure> {
        // Fast path: a whole short 2.0/3.x frame at the front of the input, as small
        // messages arrive (no header assembly; the checks of `parse_header` that a
        // length under 256 can fail are the max_msg_size one).
        if self.header_len == 0 && self.body.is_none() && self.framing == Framing::V2 {
            if let [wire_flags, len, rest @ ..] = data {
                let len = *len as usize;
                if wire_flags & FLAG_LONG == 0 && len <= rest.len() && (self.max_msg_size < 0 || len as i64 <= self.max_msg_size) {
                    let mut msg = body_msg(source, &rest[..len]);
                    msg.set_flags(msg_flags_of(*wire_flags & FLAG_MORE != 0, *wire_flags & FLAG_COMMAND != 0));
                    return Ok((2 + len, Some(msg)));
                }
            }
        }
        let mut used = 0;
        if self.body.is_none() {
            loop {
                let need = self.header_needed();
                if self.header_len == need {
                    break;
                }
                if used == data.len() {
                    return Ok((used, None));
                }
                let n = (need - self.header_len).min(data.len() - used);
                self.header[self.header_len..self.header_len + n].copy_from_slice(&data[used..used + n]);
                self.header_len += n;
                used += n;
                // A 1.0 size counts the flags byte, so 0 is invalid: fail at once, as libzmq.
                if self.framing == Framing::V1 && self.header[0] == 0 {
                    return Err(Failure::protocol("ZMTP 1.0 frame of size 0"));
                }
            }
            let (len, msg_flags) = self.parse_header()?;
            self.header_len = 0;
            let rest = &data[used..];
            if rest.len() >= len {
                // The whole body is here: shared, or one copy straight into the message.
                let mut msg = body_msg(source, &rest[..len]);
                msg.set_flags(msg_flags);
                return Ok((used + len, Some(msg)));
            }
            self.body = Some(PartialBody::new(len, msg_flags)?);
        }

        let body = self.body.as_mut().expect("reading a body");
        let n = body.remaining().min(data.len() - used);
        body.extend(&data[used..used + n])?;
        used += n;
        if body.remaining() == 0 {
            let msg = self.body.take().expect("reading a body").into_msg();
            return Ok((used, Some(msg)));
        }
        Ok((used, None))
    }

    /// The unfilled rest of the body being read, if its frame is at least `min_len` bytes
    /// long: the caller may read from the socket straight into it and report with
    /// `body_read`. What follows the body goes through `decode` as usual.
    pub fn body_tail(&mut self, min_len: usize) -> Option<&mut [u8]> {
        self.body.as_mut().filter(|b| b.len() >= min_len)?.tail()
    }

    /// `n` bytes were read into what `body_tail` returned. Returns the frame once complete.
    pub fn body_read(&mut self, n: usize) -> Option<Msg> {
        let body = self.body.as_mut().expect("body_read follows body_tail");
        body.filled_by_read(n);
        if body.remaining() > 0 {
            return None;
        }
        self.body.take().map(PartialBody::into_msg)
    }

    /// Whether the decoder is between frames (no partial frame buffered).
    pub fn at_frame_boundary(&self) -> bool {
        self.header_len == 0 && self.body.is_none()
    }

    /// Header length, as far as the bytes read so far tell.
    fn header_needed(&self) -> usize {
        if self.header_len == 0 {
            return 1;
        }
        match self.framing {
            Framing::V2 if self.header[0] & FLAG_LONG != 0 => 9,
            Framing::V2 => 2,
            Framing::V1 if self.header[0] == 0xFF => 10,
            Framing::V1 => 2,
        }
    }

    /// Body length and message flags of a complete header.
    fn parse_header(&self) -> Result<(usize, u8), Failure> {
        let h = &self.header;
        let long = |bytes: &[u8]| u64::from_be_bytes(bytes.try_into().expect("8 bytes"));
        let (len, more, command) = match self.framing {
            Framing::V2 => {
                let len = if h[0] & FLAG_LONG != 0 { long(&h[1..9]) } else { h[1] as u64 };
                (len, h[0] & FLAG_MORE != 0, h[0] & FLAG_COMMAND != 0)
            }
            Framing::V1 => {
                let (size, wire_flags) = if h[0] == 0xFF { (long(&h[1..9]), h[9]) } else { (h[0] as u64, h[1]) };
                // The size counts the flags byte, so it is at least 1.
                if size == 0 {
                    return Err(Failure::protocol("ZMTP 1.0 frame of size 0"));
                }
                (size - 1, wire_flags & FLAG_MORE != 0, false)
            }
        };
        // No monitor event: libzmq reports none for a frame it cannot take.
        if self.handshake && len > MAX_HANDSHAKE_COMMAND {
            return Err(Failure::protocol("handshake command too long"));
        }
        if self.max_msg_size >= 0 && len > self.max_msg_size as u64 {
            return Err(Failure::protocol("frame larger than max_msg_size").with_errno(libc::EMSGSIZE));
        }
        if len > longest_possible_frame() {
            return Err(out_of_memory());
        }
        let len = usize::try_from(len).map_err(|_| out_of_memory())?;
        Ok((len, msg_flags_of(more, command)))
    }
}

/// A message's flags from a frame's MORE and COMMAND bits.
#[inline]
fn msg_flags_of(more: bool, command: bool) -> u8 {
    let mut msg_flags = 0;
    if more {
        msg_flags |= flags::MORE;
    }
    if command {
        msg_flags |= flags::COMMAND;
    }
    msg_flags
}

/// Appends the header of a frame with a `len`-byte body to `out`.
/// `command` is only meaningful for ZMTP 3.x (there is no such flag in 1.0).
pub fn write_header(framing: Framing, out: &mut Vec<u8>, len: usize, more: bool, command: bool) {
    out.extend_from_slice(Header::new(framing, len, more, command).bytes());
}

/// The flags byte of a ZMTP 2.0+ frame header (without FLAG_LONG). `command` is only
/// meaningful for ZMTP 3.x.
#[inline]
pub fn v2_flags(more: bool, command: bool) -> u8 {
    (more as u8 * FLAG_MORE) | (command as u8 * FLAG_COMMAND)
}

/// A frame's header, built on the stack: the encoder copies it into its batch with the
/// body in one go rather than growing the batch byte by byte.
pub struct Header {
    buf: [u8; 10],
    len: u8,
}

impl Header {
    /// The header of a frame with a `len`-byte body (see `write_header`).
    #[inline]
    pub fn new(framing: Framing, len: usize, more: bool, command: bool) -> Header {
        let mut buf = [0u8; 10];
        let n = match framing {
            Framing::V2 => {
                let flags = v2_flags(more, command);
                if len > u8::MAX as usize {
                    buf[0] = flags | FLAG_LONG;
                    buf[1..9].copy_from_slice(&(len as u64).to_be_bytes());
                    9
                } else {
                    buf[0] = flags;
                    buf[1] = len as u8;
                    2
                }
            }
            Framing::V1 => {
                let size = len as u64 + 1; // counts the flags byte
                if size < 0xFF {
                    buf[0] = size as u8;
                    buf[1] = more as u8;
                    2
                } else {
                    buf[0] = 0xFF;
                    buf[1..9].copy_from_slice(&size.to_be_bytes());
                    buf[9] = more as u8;
                    10
                }
            }
        };
        Header { buf, len: n }
    }

    #[inline]
    pub fn bytes(&self) -> &[u8] {
        &self.buf[..self.len as usize]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frame_headers_for_each_framing() {
        let h = |f, len, more, cmd| Header::new(f, len, more, cmd).bytes().to_vec();
        assert_eq!(h(Framing::V2, 0, false, false), [0, 0]);
        assert_eq!(h(Framing::V2, 255, true, false), [FLAG_MORE, 255]);
        assert_eq!(h(Framing::V2, 5, false, true), [FLAG_COMMAND, 5]);
        let mut long = vec![FLAG_LONG | FLAG_MORE];
        long.extend_from_slice(&256u64.to_be_bytes());
        assert_eq!(h(Framing::V2, 256, true, false), long);
        // ZMTP 1.0: the length counts the flags byte, which follows it.
        assert_eq!(h(Framing::V1, 0, true, false), [1, 1]);
        assert_eq!(h(Framing::V1, 253, false, false), [254, 0]);
        let mut long = vec![0xFF];
        long.extend_from_slice(&255u64.to_be_bytes());
        long.push(1);
        assert_eq!(h(Framing::V1, 254, true, false), long);
        let mut out = vec![7];
        write_header(Framing::V2, &mut out, 3, false, false);
        assert_eq!(out, [7, 0, 3]);
    }

    fn frame(framing: Framing, body: &[u8], more: bool, command: bool) -> Vec<u8> {
        let mut out = Vec::new();
        write_header(framing, &mut out, body.len(), more, command);
        out.extend_from_slice(body);
        out
    }

    /// Decodes `wire` fed in pieces of `step` bytes.
    fn decode_all(framing: Framing, wire: &[u8], step: usize, max: i64) -> Result<Vec<Msg>, Failure> {
        let mut d = Decoder::new(framing, max);
        let mut out = Vec::new();
        for chunk in wire.chunks(step.max(1)) {
            let mut pos = 0;
            while pos < chunk.len() {
                let (n, msg) = d.decode(&chunk[pos..])?;
                pos += n;
                out.extend(msg);
            }
        }
        // A trailing empty frame completes with no further input.
        if let (_, Some(msg)) = d.decode(&[])? {
            out.push(msg);
        }
        assert!(d.at_frame_boundary());
        Ok(out)
    }

    fn sample(framing: Framing) -> (Vec<u8>, Vec<(Vec<u8>, u8)>) {
        let bodies: Vec<(Vec<u8>, bool, bool)> = vec![
            (b"hello".to_vec(), true, false),
            (Vec::new(), true, false),
            (vec![7; 32], false, false),
            (vec![8; 33], false, framing == Framing::V2),
            (vec![9; 254], true, false),
            (vec![1; 255], true, false),
            (vec![2; 256], false, false),
            (vec![3; 70_000], false, false),
            (Vec::new(), false, false),
        ];
        let mut wire = Vec::new();
        let mut expect = Vec::new();
        for (b, more, cmd) in bodies {
            wire.extend(frame(framing, &b, more, cmd));
            let mut f = 0;
            if more {
                f |= flags::MORE;
            }
            if cmd {
                f |= flags::COMMAND;
            }
            expect.push((b, f));
        }
        (wire, expect)
    }

    #[test]
    fn split_at_every_byte() {
        for framing in [Framing::V1, Framing::V2] {
            let (wire, expect) = sample(framing);
            for step in [1, 2, 3, 7, 9, 10, 11, 64, 255, 4096, wire.len()] {
                let got = decode_all(framing, &wire, step, -1).unwrap();
                let got: Vec<_> = got.iter().map(|m| (m.data().to_vec(), m.flags())).collect();
                assert_eq!(got, expect, "{framing:?} step {step}");
            }
            // Every single split point of the whole stream into two reads.
            for cut in 0..wire.len() {
                let mut d = Decoder::new(framing, -1);
                let mut n = 0;
                for part in [&wire[..cut], &wire[cut..]] {
                    let mut pos = 0;
                    while pos < part.len() {
                        let (used, msg) = d.decode(&part[pos..]).unwrap();
                        pos += used;
                        n += msg.is_some() as usize;
                    }
                }
                n += d.decode(&[]).unwrap().1.is_some() as usize;
                assert_eq!(n, expect.len(), "{framing:?} cut {cut}");
            }
        }
    }

    /// Decodes `wire` as the I/O layer does: a large body's rest read straight into it
    /// (`direct` bytes at most per read, `spill` more into the input), the rest fed in
    /// pieces of `step` bytes.
    fn decode_direct(framing: Framing, wire: &[u8], min_len: usize, direct: usize, spill: usize, step: usize) -> Vec<Msg> {
        let mut d = Decoder::new(framing, -1);
        let mut out = Vec::new();
        let mut pos = 0;
        while pos < wire.len() {
            let mut input = &wire[pos..(pos + step).min(wire.len())];
            if let Some(tail) = d.body_tail(min_len) {
                let n = tail.len().min(direct).min(wire.len() - pos);
                tail[..n].copy_from_slice(&wire[pos..pos + n]);
                pos += n;
                out.extend(d.body_read(n));
                input = &wire[pos..(pos + spill).min(wire.len())];
            }
            pos += input.len();
            while !input.is_empty() {
                let (n, msg) = d.decode(input).unwrap();
                input = &input[n..];
                out.extend(msg);
            }
        }
        out.extend(d.decode(&[]).unwrap().1);
        assert!(d.at_frame_boundary());
        out
    }

    #[test]
    fn bodies_completed_by_direct_reads() {
        for framing in [Framing::V1, Framing::V2] {
            let (mut wire, mut expect) = sample(framing);
            for (len, more) in [(1 << 20, true), (3 << 20, true), (17, false), (65536, false), (65536 + 9, true), (33, false)] {
                let body: Vec<u8> = (0..len).map(|i: usize| (i ^ (i >> 9)) as u8).collect();
                wire.extend(frame(framing, &body, more, false));
                expect.push((body, if more { flags::MORE } else { 0 }));
            }
            for (min_len, direct, spill, step) in [(65536, usize::MAX, 4096, 65536), (65536, 1000, 0, 65536), (0, 7, 3, 11), (1, 100_000, 4096, 8192), (usize::MAX, 0, 0, 65536)] {
                let got = decode_direct(framing, &wire, min_len, direct, spill, step);
                let got: Vec<_> = got.iter().map(|m| (m.data().to_vec(), m.flags())).collect();
                assert!(got == expect, "{framing:?} min_len {min_len} direct {direct} spill {spill} step {step}");
            }
        }
    }

    #[test]
    fn no_body_tail_between_frames_or_for_short_frames() {
        let mut d = Decoder::new(Framing::V2, -1);
        assert!(d.body_tail(0).is_none());
        let wire = frame(Framing::V2, &[1; 70_000], false, false);
        d.decode(&wire[..100]).unwrap();
        assert!(d.body_tail(70_001).is_none(), "a frame shorter than asked");
        assert_eq!(d.body_tail(70_000).map(|t| t.len()), Some(70_000 - 91));
        // The header is refused before any body exists, as without direct reads.
        let mut d = Decoder::new(Framing::V2, 65535);
        assert_eq!(d.decode(&wire[..100]).unwrap_err().errno.0, libc::EMSGSIZE);
        assert!(d.body_tail(0).is_none());
    }

    #[test]
    fn header_forms() {
        assert_eq!(frame(Framing::V2, &[0; 255], false, false)[..2], [0, 255]);
        assert_eq!(frame(Framing::V2, &[0; 256], true, false)[..9], [3, 0, 0, 0, 0, 0, 0, 1, 0]);
        assert_eq!(frame(Framing::V2, b"x", false, true)[..2], [4, 1]);
        assert_eq!(frame(Framing::V1, &[0; 253], true, false)[..2], [254, 1]);
        assert_eq!(frame(Framing::V1, &[0; 254], false, false)[..10], [0xFF, 0, 0, 0, 0, 0, 0, 0, 255, 0]);
        // A long header may carry a short length.
        let msgs = decode_all(Framing::V2, &[2, 0, 0, 0, 0, 0, 0, 0, 1, b'z'], 1, -1).unwrap();
        assert_eq!(msgs[0].data(), b"z");
    }

    #[test]
    fn max_msg_size() {
        let wire = frame(Framing::V2, &[0; 100], false, false);
        assert!(decode_all(Framing::V2, &wire, 5, 100).is_ok());
        let err = decode_all(Framing::V2, &wire, 5, 99).unwrap_err();
        assert_eq!(err.errno.0, libc::EMSGSIZE);
        // 0 admits only empty frames, as in libzmq.
        assert!(decode_all(Framing::V2, &[0, 0], 1, 0).is_ok());
        assert!(decode_all(Framing::V1, &frame(Framing::V1, b"a", false, false), 1, 0).is_err());
    }

    #[test]
    fn huge_length_does_not_allocate_it() {
        for framing in [Framing::V1, Framing::V2] {
            let hdr: &[u8] = match framing {
                // 1 GiB: possible, but we hold only what arrives.
                Framing::V2 => &[2, 0, 0, 0, 0, 0x40, 0, 0, 0, 1, 2, 3],
                Framing::V1 => &[0xFF, 0, 0, 0, 0, 0x40, 0, 0, 1, 0, 1, 2, 3],
            };
            let mut d = Decoder::new(framing, -1);
            let (n, msg) = d.decode(hdr).unwrap();
            assert_eq!((n, msg.is_none()), (hdr.len(), true));
            assert!(!d.at_frame_boundary());
        }
    }

    #[test]
    fn impossible_lengths_fail_at_the_header() {
        let longest = longest_possible_frame();
        assert!(longest <= isize::MAX as u64 && longest >= 1 << 20, "{longest}");
        for len in [longest + 1, 1 << 40, isize::MAX as u64 + 1, u64::MAX - 1] {
            if len <= longest {
                continue;
            }
            let mut v2 = vec![FLAG_LONG];
            v2.extend_from_slice(&len.to_be_bytes());
            let mut v1 = vec![0xFF];
            v1.extend_from_slice(&(len + 1).to_be_bytes());
            v1.push(0);
            for (framing, hdr) in [(Framing::V2, v2.clone()), (Framing::V1, v1)] {
                let f = Decoder::new(framing, -1).decode(&hdr).unwrap_err();
                assert_eq!(f.errno.0, libc::ENOMEM, "{framing:?} {len}");
            }
            // A command too (ZMTP 3.x, after the handshake), and with a MAXMSGSIZE set, that wins.
            v2[0] |= FLAG_COMMAND;
            assert_eq!(Decoder::new(Framing::V2, -1).decode(&v2).unwrap_err().errno.0, libc::ENOMEM);
            assert_eq!(Decoder::new(Framing::V2, 1000).decode(&v2).unwrap_err().errno.0, libc::EMSGSIZE);
        }
    }

    #[test]
    fn handshake_takes_short_commands_only() {
        let mut d = Decoder::new(Framing::V2, -1);
        d.set_handshake(true);
        let ok = frame(Framing::V2, &vec![7; MAX_HANDSHAKE_COMMAND as usize], false, true);
        let (n, msg) = d.decode(&ok).unwrap();
        assert_eq!((n, msg.map(|m| m.len())), (ok.len(), Some(MAX_HANDSHAKE_COMMAND as usize)));
        let mut hdr = vec![FLAG_LONG | FLAG_COMMAND];
        hdr.extend_from_slice(&(MAX_HANDSHAKE_COMMAND + 1).to_be_bytes());
        let f = d.decode(&hdr).unwrap_err();
        assert_eq!((f.event, f.errno.0), (None, libc::EPROTO));
        // A message frame is held to the same bound.
        hdr[0] = FLAG_LONG;
        assert!(Decoder::new(Framing::V2, -1).decode(&hdr).is_ok());
        let mut d = Decoder::new(Framing::V2, -1);
        d.set_handshake(true);
        assert!(d.decode(&hdr).is_err());
        hdr[0] |= FLAG_COMMAND;
        // After the handshake the same header only waits for its body.
        let mut d = Decoder::new(Framing::V2, -1);
        d.set_handshake(true);
        d.set_handshake(false);
        let (n, msg) = d.decode(&hdr).unwrap();
        assert_eq!((n, msg.is_none()), (hdr.len(), true));
    }

    #[test]
    fn v1_zero_size_is_an_error() {
        assert!(decode_all(Framing::V1, &[0], 1, -1).is_err());
        assert!(decode_all(Framing::V1, &[0xFF, 0, 0, 0, 0, 0, 0, 0, 0, 0], 1, -1).is_err());
    }

    #[test]
    fn random_input_never_panics() {
        let mut seed = 0x2545_F491_4F6C_DD1Du64;
        let mut rand = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for round in 0..2000 {
            let framing = if round % 2 == 0 { Framing::V1 } else { Framing::V2 };
            let len = (rand() % 300) as usize;
            let data: Vec<u8> = (0..len).map(|_| rand() as u8).collect();
            let max = if round % 3 == 0 { -1 } else { (rand() % 1000) as i64 };
            let mut d = Decoder::new(framing, max);
            let mut pos = 0;
            'feed: while pos < data.len() {
                let step = 1 + (rand() % 40) as usize;
                let end = (pos + step).min(data.len());
                let mut chunk = &data[pos..end];
                while !chunk.is_empty() {
                    match d.decode(chunk) {
                        Ok((n, _)) => chunk = &chunk[n..],
                        Err(_) => break 'feed,
                    }
                }
                pos = end;
            }
        }
    }
}
