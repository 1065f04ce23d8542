//! A Salsa20 keystream applied piece by piece, as RustCrypto's `StreamCipher` is, but
//! with whole blocks made several at a time (`salsa20_avx2`, `salsa20_lanes`): a 64 KiB
//! MESSAGE costs a fifth of the instructions salsa20 0.10's one-block-at-a-time code
//! takes. A partial block's unused keystream is kept for the next piece.

use zeroize::Zeroize;

use super::salsa20_avx2::keystream_blocks;
use super::salsa20_lanes::{advance, block, input, BLOCK};
#[cfg(test)]
use super::salsa20_lanes::set_counter;

pub(super) struct Keystream {
    /// Key, nonce and the counter of the next block to make.
    input: [u32; 16],
    /// The last block made; `spare[used..]` is not used yet.
    spare: [u8; BLOCK],
    used: usize,
}

impl Keystream {
    /// Salsa20/20 under `key` and `nonce`, from byte 0.
    pub(super) fn new(key: &[u8; 32], nonce: &[u8; 8]) -> Keystream {
        Keystream { input: input(key, nonce), spare: [0; BLOCK], used: BLOCK }
    }

    /// The same from the start of block `first`.
    #[cfg(test)]
    pub(super) fn at_block(key: &[u8; 32], nonce: &[u8; 8], first: u64) -> Keystream {
        let mut stream = Keystream::new(key, nonce);
        set_counter(&mut stream.input, first);
        stream
    }

    /// XORs `data` with the next `data.len()` keystream bytes.
    pub(super) fn apply(&mut self, data: &mut [u8]) {
        self.run(data.len(), |at, stream| xor(&mut data[at..at + stream.len()], stream));
    }

    /// Writes `from` XOR the next `from.len()` keystream bytes into `to`, as long: a copy
    /// and `apply` in one pass.
    pub(super) fn apply_to(&mut self, from: &[u8], to: &mut [u8]) {
        assert_eq!(from.len(), to.len(), "keystream source and destination differ in length");
        self.run(from.len(), |at, stream| {
            let end = at + stream.len();
            for ((to, from), key) in to[at..end].iter_mut().zip(&from[at..end]).zip(stream) {
                *to = from ^ key;
            }
        });
    }

    /// Hands the next `len` keystream bytes, piece by piece, to `use_piece` with their
    /// offset from the first.
    #[inline(always)]
    fn run(&mut self, len: usize, mut use_piece: impl FnMut(usize, &[u8])) {
        let kept = (BLOCK - self.used).min(len);
        use_piece(0, &self.spare[self.used..self.used + kept]);
        self.used += kept;
        let mut at = kept;
        let whole = (len - at) / BLOCK;
        if whole > 0 {
            keystream_blocks(&mut self.input, whole, &mut |stream: &[u8]| {
                use_piece(at, stream);
                at += stream.len();
            });
        }
        if at < len {
            self.spare = block(&self.input);
            advance(&mut self.input, 1);
            self.used = len - at;
            use_piece(at, &self.spare[..self.used]);
        }
    }
}

impl Drop for Keystream {
    fn drop(&mut self) {
        self.input.zeroize();
        self.spare.zeroize();
    }
}

fn xor(data: &mut [u8], stream: &[u8]) {
    for (byte, key) in data.iter_mut().zip(stream) {
        *byte ^= key;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use salsa20::cipher::{KeyIvInit, StreamCipher, StreamCipherSeek};
    use salsa20::{Salsa20, XSalsa20};

    fn bytes<const L: usize>(seed: u8) -> [u8; L] {
        std::array::from_fn(|i| (i as u8).wrapping_mul(37).wrapping_add(seed))
    }

    fn lengths() -> impl Iterator<Item = usize> {
        (0..=300).chain([511, 512, 513, 4095, 4096, 4097, 65535, 65536, 65537, 1 << 20])
    }

    /// XSalsa20 is Salsa20 under HSalsa20(key, nonce[..16]) with nonce[16..]: ours agrees
    /// with the salsa20 crate's XSalsa20 for every length, in one piece and in pieces.
    #[test]
    fn is_the_salsa20_crates_xsalsa20() {
        for seed in [0u8, 1, 0xa5] {
            let (key, nonce) = (bytes::<32>(seed), bytes::<24>(seed ^ 0x3c));
            let subkey: [u8; 32] =
                salsa20::hsalsa::<salsa20::cipher::consts::U10>(&key.into(), nonce[..16].try_into().unwrap()).into();
            let tail: [u8; 8] = nonce[16..].try_into().unwrap();
            for len in lengths() {
                let plain: Vec<u8> = (0..len).map(|i| (i * 7 + len) as u8).collect();
                let mut expected = plain.clone();
                XSalsa20::new(&key.into(), &nonce.into()).apply_keystream(&mut expected);
                let mut ours = plain.clone();
                Keystream::new(&subkey, &tail).apply(&mut ours);
                assert!(ours == expected, "seed {seed} length {len}");
                let mut pieces = plain.clone();
                let mut stream = Keystream::new(&subkey, &tail);
                let (mut at, mut step) = (0, 1);
                while at < len {
                    let end = (at + step).min(len);
                    stream.apply(&mut pieces[at..end]);
                    (at, step) = (end, step * 3 % 1031);
                }
                assert!(pieces == expected, "seed {seed} length {len} in pieces");
                let mut copied = vec![0u8; len];
                Keystream::new(&subkey, &tail).apply_to(&plain, &mut copied);
                assert!(copied == expected, "seed {seed} length {len} copied");
            }
        }
    }

    /// The 64-bit block counter carries from word 8 into word 9 as the crate's does.
    #[test]
    fn counts_blocks_past_two_to_the_32() {
        let (key, nonce) = (bytes::<32>(3), bytes::<8>(4));
        for first in [u64::from(u32::MAX) - 9, u64::from(u32::MAX), u64::from(u32::MAX) + 1] {
            for len in [1, 64, 100, 700, 1300] {
                let mut expected = vec![0x11; len];
                let mut reference = Salsa20::new(&key.into(), &nonce.into());
                reference.seek(first * BLOCK as u64);
                reference.apply_keystream(&mut expected);
                let mut ours = vec![0x11; len];
                Keystream::at_block(&key, &nonce, first).apply(&mut ours);
                assert!(ours == expected, "first block {first} length {len}");
            }
        }
    }
}
