//! Salsa20 (20 rounds) keystream, N blocks at once. A batch is a loop over N consecutive
//! blocks whose body is one whole block, rounds written out: being the innermost loop,
//! LLVM's loop vectorizer runs it in vector lanes, one block per lane (4 lanes of SSE2 on
//! any x86_64, 8 of AVX2 inside `salsa20_avx2`'s function), which the RustCrypto salsa20
//! crate (0.10, one block at a time) does not do. (Lane arrays per state word, stepped in
//! small loops, were left to the SLP vectorizer, which gave up at 4 lanes and kept
//! scalar rotates.) The state is laid out as in the Salsa20 spec: constants at words 0,
//! 5, 10, 15, the key at 1-4 and 11-14, the nonce at 6-7, the 64-bit block counter at 8
//! (low) and 9 (high).

/// Bytes per Salsa20 block.
pub(super) const BLOCK: usize = 64;

/// "expand 32-byte k", the constant words of a 256-bit-key state.
const SIGMA: [u32; 4] = [0x6170_7865, 0x3320_646e, 0x7962_2d32, 0x6b20_6574];

/// The input state of a key and nonce with block counter 0.
pub(super) fn input(key: &[u8; 32], nonce: &[u8; 8]) -> [u32; 16] {
    let word = |bytes: &[u8], i: usize| u32::from_le_bytes(bytes[4 * i..4 * i + 4].try_into().expect("4 bytes"));
    let mut state = [0u32; 16];
    for (i, at) in [0, 5, 10, 15].into_iter().enumerate() {
        state[at] = SIGMA[i];
    }
    for i in 0..4 {
        state[1 + i] = word(key, i);
        state[11 + i] = word(key, 4 + i);
    }
    state[6] = word(nonce, 0);
    state[7] = word(nonce, 1);
    state
}

/// The block counter of `input`.
pub(super) fn counter(input: &[u32; 16]) -> u64 {
    u64::from(input[8]) | u64::from(input[9]) << 32
}

pub(super) fn set_counter(input: &mut [u32; 16], block: u64) {
    input[8] = block as u32;
    input[9] = (block >> 32) as u32;
}

/// Moves `input`'s counter `blocks` on.
pub(super) fn advance(input: &mut [u32; 16], blocks: usize) {
    set_counter(input, counter(input).wrapping_add(blocks as u64));
}

/// One Salsa20 block of `input`, as bytes.
#[inline]
pub(super) fn block(input: &[u32; 16]) -> [u8; BLOCK] {
    let [out] = batch::<1>(input);
    out
}

/// Makes `blocks` keystream blocks of `input` from its counter on, N per batch, and hands
/// each batch to `each` (block-major bytes; a last batch of fewer than N blocks is made
/// whole and cut). Advances the counter past them.
#[inline(always)]
pub(super) fn keystream_blocks<const N: usize>(input: &mut [u32; 16], blocks: usize, each: &mut impl FnMut(&[u8])) {
    let mut left = blocks;
    while left > 0 {
        let stream = batch::<N>(input);
        let used = left.min(N);
        each(&stream.as_flattened()[..used * BLOCK]);
        advance(input, used);
        left -= used;
    }
}

/// The N keystream blocks from `input`'s counter on.
#[inline(always)]
fn batch<const N: usize>(input: &[u32; 16]) -> [[u8; BLOCK]; N] {
    let first = counter(input);
    // Word-major: stream[word][lane].
    let mut stream = [[0u32; N]; 16];
    for lane in 0..N {
        let mut x = *input;
        let block = first.wrapping_add(lane as u64);
        x[8] = block as u32;
        x[9] = (block >> 32) as u32;
        let start = x;
        // Ten double rounds, written out: a loop here would make the lane loop an outer
        // one, which the vectorizer does not touch.
        double_round(&mut x);
        double_round(&mut x);
        double_round(&mut x);
        double_round(&mut x);
        double_round(&mut x);
        double_round(&mut x);
        double_round(&mut x);
        double_round(&mut x);
        double_round(&mut x);
        double_round(&mut x);
        for (word, (x, start)) in x.iter().zip(start).enumerate() {
            stream[word][lane] = x.wrapping_add(start);
        }
    }
    // Turned into bytes apart from the rounds, so that the vectorized loop above only
    // stores whole vectors (measured: 8% fewer instructions than storing bytes there).
    let mut out = [[0u8; BLOCK]; N];
    for (lane, block) in out.iter_mut().enumerate() {
        for (bytes, word) in block.chunks_exact_mut(4).zip(&stream) {
            bytes.copy_from_slice(&word[lane].to_le_bytes());
        }
    }
    out
}

/// Columns, then rows.
#[inline(always)]
fn double_round(x: &mut [u32; 16]) {
    quarter_round(x, 0, 4, 8, 12);
    quarter_round(x, 5, 9, 13, 1);
    quarter_round(x, 10, 14, 2, 6);
    quarter_round(x, 15, 3, 7, 11);
    quarter_round(x, 0, 1, 2, 3);
    quarter_round(x, 5, 6, 7, 4);
    quarter_round(x, 10, 11, 8, 9);
    quarter_round(x, 15, 12, 13, 14);
}

#[inline(always)]
fn quarter_round(x: &mut [u32; 16], a: usize, b: usize, c: usize, d: usize) {
    x[b] ^= x[a].wrapping_add(x[d]).rotate_left(7);
    x[c] ^= x[b].wrapping_add(x[a]).rotate_left(9);
    x[d] ^= x[c].wrapping_add(x[b]).rotate_left(13);
    x[a] ^= x[d].wrapping_add(x[c]).rotate_left(18);
}
