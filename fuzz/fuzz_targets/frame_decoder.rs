//! The frame decoder alone (ZMTP 1.0 framing and 2.0/3.x framing), fed in pieces.
//! Input: byte 0 picks the framing (bit 0) and ZMQ_MAXMSGSIZE (bits 1-2: none, 0, byte 1,
//! 256 * byte 1); byte 2 is the piece size (0 = everything at once); the rest is the wire.
//! Checks: progress on every call, frames within the size limit, and the same frames
//! whatever the piece size (compared with one-byte pieces).
#![no_main]

use fuzz_support::Input;
use libfuzzer_sys::fuzz_target;
use zmq::zmtp::codec::{Decoder, Framing};

/// Frames (flags, body) until the wire ends or an error (true if it ended in one).
fn decode(framing: Framing, max: i64, wire: &[u8], piece: usize) -> (Vec<(u8, Vec<u8>)>, bool) {
    let mut d = Decoder::new(framing, max);
    let mut frames = Vec::new();
    for part in wire.chunks(piece.max(1)) {
        let mut pos = 0;
        while pos < part.len() {
            match d.decode(&part[pos..]) {
                Ok((used, msg)) => {
                    assert!(used <= part.len() - pos, "consumed more than given");
                    assert!(used > 0 || msg.is_some(), "no progress");
                    pos += used;
                    if let Some(m) = msg {
                        if max >= 0 {
                            assert!(m.len() as i64 <= max, "frame over max_msg_size");
                        }
                        frames.push((m.flags(), m.data().to_vec()));
                    }
                }
                Err(_) => return (frames, true),
            }
        }
    }
    // An empty frame may complete with no further input.
    if let Ok((_, Some(m))) = d.decode(&[]) {
        frames.push((m.flags(), m.data().to_vec()));
    }
    (frames, false)
}

fuzz_target!(|data: &[u8]| {
    let mut input = Input::new(data);
    let mode = input.u8();
    let limit = input.u8() as i64;
    let piece = input.u8() as usize;
    let framing = if mode & 1 == 0 { Framing::V2 } else { Framing::V1 };
    let max = match (mode >> 1) & 3 {
        0 => -1,
        1 => 0,
        2 => limit,
        _ => limit * 256,
    };
    let wire = input.rest();
    let whole = decode(framing, max, wire, if piece == 0 { wire.len() } else { piece });
    let bytewise = decode(framing, max, wire, 1);
    assert_eq!(whole, bytewise, "frames depend on how the input was split");
});
