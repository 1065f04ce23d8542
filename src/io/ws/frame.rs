//! ZWS 2.0 framing (rfc.zeromq.org 45, over RFC 6455 frames), as a translation between
//! WebSocket frames and the ZMTP 3 frames the engine speaks, so the engine runs unchanged:
//!
//! - one ZMTP frame = one binary WebSocket message (FIN set), whose first payload byte
//!   carries the ZMTP flags as MORE = 1, COMMAND = 2 (the length is the frame's);
//! - frames a client sends are masked, frames a server sends are not (RFC 6455 §5.1:
//!   a frame masked the wrong way closes the connection);
//! - control frames (ping, pong, close) are the transport's own: libzmq heartbeats over ws
//!   with WebSocket pings, not ZMTP PING commands.
//!
//! Both directions stream: a frame's body is translated as its bytes come, never
//! gathered whole, so a large message costs no extra buffer.

use std::collections::VecDeque;

const FIN: u8 = 0x80;
const RSV: u8 = 0x70;
const MASKED: u8 = 0x80;
pub const OP_BINARY: u8 = 0x2;
pub const OP_CLOSE: u8 = 0x8;
pub const OP_PING: u8 = 0x9;
pub const OP_PONG: u8 = 0xA;

/// ZWS flags (first payload byte).
const ZWS_MORE: u8 = 1;
const ZWS_COMMAND: u8 = 2;
/// ZMTP flags (RFC 23).
const ZMTP_MORE: u8 = 1;
const ZMTP_LONG: u8 = 2;
const ZMTP_COMMAND: u8 = 4;

/// A control frame received.
#[derive(Debug, PartialEq, Eq)]
pub enum Control {
    Ping(Vec<u8>),
    Pong,
    Close,
}

#[derive(Debug)]
enum RxState {
    /// Gathering a frame header (2 to 14 bytes).
    Header,
    /// In a binary frame's payload; `flags_pending` until its first (flags) byte is in.
    Data { left: u64, flags_pending: bool },
    /// In a control frame's payload (at most 125 bytes).
    Control { opcode: u8, left: usize, body: Vec<u8> },
}

/// WebSocket bytes in, ZMTP bytes out.
#[derive(Debug)]
pub struct Decoder {
    /// Frames must be masked (we are the server) or must not be (we are the client).
    expect_masked: bool,
    state: RxState,
    header: Vec<u8>,
    mask: [u8; 4],
    mask_pos: usize,
}

impl Decoder {
    pub fn new(expect_masked: bool) -> Decoder {
        Decoder { expect_masked, state: RxState::Header, header: Vec::with_capacity(14), mask: [0; 4], mask_pos: 0 }
    }

    /// Translates `input` entirely: ZMTP bytes are appended to `out`, control frames to
    /// `controls`. Err on anything ZWS does not allow (the connection must close).
    pub fn feed(&mut self, mut input: &[u8], out: &mut Vec<u8>, controls: &mut VecDeque<Control>) -> Result<(), ()> {
        while !input.is_empty() {
            match &mut self.state {
                RxState::Header => {
                    let need = self.header_len().saturating_sub(self.header.len()).max(1);
                    let take = need.min(input.len());
                    self.header.extend_from_slice(&input[..take]);
                    input = &input[take..];
                    if self.header.len() == self.header_len() {
                        if let Some(c) = self.start_frame()? {
                            controls.push_back(c);
                        }
                    }
                }
                RxState::Data { left, flags_pending } => {
                    if *flags_pending {
                        let flags = input[0] ^ self.mask[self.mask_pos % 4];
                        self.mask_pos += 1;
                        input = &input[1..];
                        *left -= 1;
                        *flags_pending = false;
                        zmtp_header(flags, *left, out);
                    }
                    let take = (*left).min(input.len() as u64) as usize;
                    let start = out.len();
                    out.extend_from_slice(&input[..take]);
                    unmask(&mut out[start..], self.mask, &mut self.mask_pos);
                    input = &input[take..];
                    *left -= take as u64;
                    if *left == 0 {
                        self.state = RxState::Header;
                    }
                }
                RxState::Control { opcode, left, body } => {
                    let take = (*left).min(input.len());
                    let start = body.len();
                    body.extend_from_slice(&input[..take]);
                    unmask(&mut body[start..], self.mask, &mut self.mask_pos);
                    input = &input[take..];
                    *left -= take;
                    if *left == 0 {
                        controls.push_back(control(*opcode, std::mem::take(body)));
                        self.state = RxState::Header;
                    }
                }
            }
        }
        Ok(())
    }

    /// The whole header's length, as far as the bytes in tell.
    fn header_len(&self) -> usize {
        let Some(&b1) = self.header.get(1) else { return 2 };
        let ext = match b1 & 0x7F {
            126 => 2,
            127 => 8,
            _ => 0,
        };
        2 + ext + if b1 & MASKED != 0 { 4 } else { 0 }
    }

    /// The header is complete: set up for the payload. An empty control frame is
    /// complete already and is returned.
    fn start_frame(&mut self) -> Result<Option<Control>, ()> {
        let h = &self.header;
        let (b0, b1) = (h[0], h[1]);
        let opcode = b0 & 0x0F;
        // No extensions were negotiated, and ZWS messages are never fragmented.
        if b0 & RSV != 0 || b0 & FIN == 0 || (b1 & MASKED != 0) != self.expect_masked {
            return Err(());
        }
        let (len, at) = match b1 & 0x7F {
            126 => (u16::from_be_bytes([h[2], h[3]]) as u64, 4),
            127 => (u64::from_be_bytes([h[2], h[3], h[4], h[5], h[6], h[7], h[8], h[9]]), 10),
            n => (n as u64, 2),
        };
        self.mask = if self.expect_masked { [h[at], h[at + 1], h[at + 2], h[at + 3]] } else { [0; 4] };
        self.mask_pos = 0;
        self.header.clear();
        self.state = match opcode {
            // A ZWS message has at least its flags byte; the top bit of a 64-bit length
            // must be 0 (RFC 6455 §5.2).
            OP_BINARY if len >= 1 && len < 1 << 63 => RxState::Data { left: len, flags_pending: true },
            OP_PING | OP_PONG | OP_CLOSE if len == 0 => {
                self.state = RxState::Header;
                return Ok(Some(control(opcode, Vec::new())));
            }
            OP_PING | OP_PONG | OP_CLOSE if len <= 125 => {
                RxState::Control { opcode, left: len as usize, body: Vec::with_capacity(len as usize) }
            }
            _ => return Err(()),
        };
        Ok(None)
    }
}

fn control(opcode: u8, body: Vec<u8>) -> Control {
    match opcode {
        OP_PING => Control::Ping(body),
        OP_PONG => Control::Pong,
        _ => Control::Close,
    }
}

/// The ZMTP header of a frame of `size` bytes with ZWS `flags`.
fn zmtp_header(flags: u8, size: u64, out: &mut Vec<u8>) {
    let mut f = 0;
    if flags & ZWS_MORE != 0 {
        f |= ZMTP_MORE;
    }
    if flags & ZWS_COMMAND != 0 {
        f |= ZMTP_COMMAND;
    }
    if size > 255 {
        out.push(f | ZMTP_LONG);
        out.extend_from_slice(&size.to_be_bytes());
    } else {
        out.push(f);
        out.push(size as u8);
    }
}

/// XORs `data` with the mask, continuing at `*pos` (RFC 6455 §5.3).
fn unmask(data: &mut [u8], mask: [u8; 4], pos: &mut usize) {
    if mask == [0; 4] {
        *pos += data.len();
        return;
    }
    // Eight bytes at a time with the key turned to start at `pos`, then the tail.
    let k = *pos % 4;
    let turned = [mask[k], mask[(k + 1) % 4], mask[(k + 2) % 4], mask[(k + 3) % 4]];
    let word = u64::from_ne_bytes([turned[0], turned[1], turned[2], turned[3], turned[0], turned[1], turned[2], turned[3]]);
    let mut chunks = data.chunks_exact_mut(8);
    for c in &mut chunks {
        let v = u64::from_ne_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]) ^ word;
        c.copy_from_slice(&v.to_ne_bytes());
    }
    for (i, b) in chunks.into_remainder().iter_mut().enumerate() {
        *b ^= turned[i % 4];
    }
    *pos += data.len();
}

#[derive(Debug)]
enum TxState {
    /// Gathering a ZMTP frame header (2 or 9 bytes).
    Header,
    /// Copying a frame's body.
    Body { left: u64 },
}

/// ZMTP bytes in (what the engine writes), WebSocket bytes out.
#[derive(Debug)]
pub struct Encoder {
    /// We are the client: every frame is masked with a fresh key.
    mask_frames: bool,
    /// Our ZMTP greeting, which ZWS does not send (the WebSocket handshake replaces it).
    greeting_left: usize,
    state: TxState,
    header: Vec<u8>,
    mask: [u8; 4],
    mask_pos: usize,
    rng: u64,
    /// Control frames to send once the frame being written is complete.
    controls: Vec<(u8, Vec<u8>)>,
}

impl Encoder {
    /// `greeting_len`: how many leading bytes of the engine's output to drop.
    pub fn new(mask_frames: bool, greeting_len: usize, seed: u64) -> Encoder {
        Encoder {
            mask_frames,
            greeting_left: greeting_len,
            state: TxState::Header,
            header: Vec::with_capacity(9),
            mask: [0; 4],
            mask_pos: 0,
            rng: seed | 1,
            controls: Vec::new(),
        }
    }

    /// Translates all of `input` (the engine's ZMTP output) into WebSocket frames.
    pub fn feed(&mut self, mut input: &[u8], out: &mut Vec<u8>) {
        while !input.is_empty() {
            if self.greeting_left > 0 {
                let skip = self.greeting_left.min(input.len());
                self.greeting_left -= skip;
                input = &input[skip..];
                continue;
            }
            match &mut self.state {
                TxState::Header => {
                    let need = if self.header.first().is_some_and(|f| f & ZMTP_LONG != 0) { 9 } else { 2 };
                    let take = (need - self.header.len()).min(input.len());
                    self.header.extend_from_slice(&input[..take]);
                    input = &input[take..];
                    let long = self.header[0] & ZMTP_LONG != 0;
                    if self.header.len() == 2 && !long || self.header.len() == 9 {
                        let size = if long {
                            u64::from_be_bytes(self.header[1..9].try_into().unwrap_or_default())
                        } else {
                            self.header[1] as u64
                        };
                        let f = self.header[0];
                        self.header.clear();
                        let mut zws = 0;
                        if f & ZMTP_MORE != 0 {
                            zws |= ZWS_MORE;
                        }
                        if f & ZMTP_COMMAND != 0 {
                            zws |= ZWS_COMMAND;
                        }
                        self.frame_header(OP_BINARY, size + 1, out);
                        out.push(zws);
                        self.mask_tail(out, 1);
                        self.state = TxState::Body { left: size };
                        self.end_of_body(out);
                    }
                }
                TxState::Body { left } => {
                    let take = (*left).min(input.len() as u64) as usize;
                    *left -= take as u64;
                    out.extend_from_slice(&input[..take]);
                    input = &input[take..];
                    self.mask_tail(out, take);
                    self.end_of_body(out);
                }
            }
        }
    }

    /// Queues a control frame: at once between frames, else after the current one.
    pub fn control(&mut self, opcode: u8, payload: &[u8], out: &mut Vec<u8>) {
        if matches!(self.state, TxState::Header) && self.header.is_empty() {
            self.write_control(opcode, payload, out);
        } else {
            self.controls.push((opcode, payload.to_vec()));
        }
    }

    fn end_of_body(&mut self, out: &mut Vec<u8>) {
        if let TxState::Body { left: 0 } = self.state {
            self.state = TxState::Header;
            for (op, payload) in std::mem::take(&mut self.controls) {
                self.write_control(op, &payload, out);
            }
        }
    }

    fn write_control(&mut self, opcode: u8, payload: &[u8], out: &mut Vec<u8>) {
        let payload = &payload[..payload.len().min(125)];
        self.frame_header(opcode, payload.len() as u64, out);
        out.extend_from_slice(payload);
        self.mask_tail(out, payload.len());
    }

    /// A frame header with FIN set; picks this frame's mask key when we mask.
    fn frame_header(&mut self, opcode: u8, len: u64, out: &mut Vec<u8>) {
        out.push(FIN | opcode);
        let m = if self.mask_frames { MASKED } else { 0 };
        if len < 126 {
            out.push(m | len as u8);
        } else if len <= u16::MAX as u64 {
            out.push(m | 126);
            out.extend_from_slice(&(len as u16).to_be_bytes());
        } else {
            out.push(m | 127);
            out.extend_from_slice(&len.to_be_bytes());
        }
        if self.mask_frames {
            // xorshift64: keys a proxy cannot predict from the traffic (RFC 6455 §10.3);
            // the seed comes from the system's random source.
            self.rng ^= self.rng << 13;
            self.rng ^= self.rng >> 7;
            self.rng ^= self.rng << 17;
            self.mask = (self.rng as u32).to_be_bytes();
            out.extend_from_slice(&self.mask);
        } else {
            self.mask = [0; 4];
        }
        self.mask_pos = 0;
    }

    /// Masks the last `n` bytes of `out` (in place: the engine's buffers are never touched).
    fn mask_tail(&mut self, out: &mut [u8], n: usize) {
        let len = out.len();
        unmask(&mut out[len - n..], self.mask, &mut self.mask_pos);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// ZMTP frames as the engine writes them (after a 64-byte greeting).
    fn zmtp(frames: &[(u8, &[u8])]) -> Vec<u8> {
        let mut v = vec![0xAA; 64];
        for (flags, body) in frames {
            if body.len() > 255 {
                v.push(flags | ZMTP_LONG);
                v.extend_from_slice(&(body.len() as u64).to_be_bytes());
            } else {
                v.push(*flags);
                v.push(body.len() as u8);
            }
            v.extend_from_slice(body);
        }
        v
    }

    #[test]
    fn round_trip_in_any_pieces() {
        let big = vec![0x5A; 70_000];
        let mid = vec![1; 300];
        let frames: [(u8, &[u8]); 5] = [(ZMTP_COMMAND, b"\x05READY"), (ZMTP_MORE, b""), (ZMTP_MORE, &mid), (0, &big), (0, b"x")];
        let input = zmtp(&frames);
        for masked in [true, false] {
            for piece in [1, 3, 7, 4096, input.len()] {
                let mut enc = Encoder::new(masked, 64, 12345);
                let mut wire = Vec::new();
                for chunk in input.chunks(piece) {
                    enc.feed(chunk, &mut wire);
                }
                let mut dec = Decoder::new(masked);
                let (mut out, mut controls) = (Vec::new(), VecDeque::new());
                for chunk in wire.chunks(piece) {
                    dec.feed(chunk, &mut out, &mut controls).unwrap();
                }
                assert_eq!(out, input[64..], "masked {masked}, pieces of {piece}");
                assert!(controls.is_empty());
            }
        }
    }

    #[test]
    fn wire_format() {
        let mut enc = Encoder::new(false, 64, 1);
        let mut wire = Vec::new();
        enc.feed(&zmtp(&[(ZMTP_MORE | ZMTP_COMMAND, b"ab")]), &mut wire);
        // FIN + binary, length 3 (flags byte + body), ZWS flags MORE|COMMAND.
        assert_eq!(wire, [0x82, 3, 3, b'a', b'b']);
        let mut enc = Encoder::new(true, 0, 1);
        let mut wire = Vec::new();
        enc.feed(&[0, 0], &mut wire);
        assert_eq!((wire[0], wire[1], wire.len()), (0x82, 0x81, 2 + 4 + 1));
        assert_eq!(wire[6] ^ wire[2], 0, "the flags byte is masked with the frame's key");
    }

    #[test]
    fn controls_wait_for_the_frame_in_progress() {
        let mut enc = Encoder::new(false, 0, 1);
        let mut wire = Vec::new();
        enc.feed(&[0, 3, b'a'], &mut wire);
        enc.control(OP_PONG, b"p", &mut wire);
        assert_eq!(wire, [0x82, 4, 0, b'a']);
        enc.feed(b"bc", &mut wire);
        assert_eq!(wire, [0x82, 4, 0, b'a', b'b', b'c', 0x8A, 1, b'p']);
        let mut dec = Decoder::new(false);
        let (mut out, mut controls) = (Vec::new(), VecDeque::new());
        dec.feed(&[0x89, 0, 0x8A, 1, b'q', 0x88, 0], &mut out, &mut controls).unwrap();
        assert_eq!(Vec::from(controls), vec![Control::Ping(Vec::new()), Control::Pong, Control::Close]);
        assert!(out.is_empty());
    }

    #[test]
    fn refused_frames() {
        let bad: [(&[u8], bool); 7] = [
            (&[0x82, 0x01, 0], true),            // unmasked frame from a client
            (&[0x82, 0x81, 0, 0, 0, 0, 0], false), // masked frame from a server
            (&[0x02, 0x01, 0], false),           // not FIN: fragmented
            (&[0x81, 0x01, 0], false),           // text
            (&[0xC2, 0x01, 0], false),           // RSV1 without an extension
            (&[0x82, 0x00], false),              // no flags byte
            (&[0x89, 126, 0, 126], false),       // control frame over 125 bytes
        ];
        for (frame, expect_masked) in bad {
            let mut dec = Decoder::new(expect_masked);
            let r = dec.feed(frame, &mut Vec::new(), &mut VecDeque::new());
            assert_eq!(r, Err(()), "{frame:?}");
        }
    }
}
