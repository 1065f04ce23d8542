//! Runs `salsa20_lanes` 8 blocks at a time with AVX2 when the CPU has it, 4 at a time
//! with x86_64's baseline SSE2 (or whatever the target vectorizes) otherwise. The AVX2
//! function is the same safe lane code compiled with the feature on; calling it is this
//! module's one `unsafe`, made sound by the run-time detection in front of it.

use super::salsa20_lanes::keystream_blocks as lanes;

/// `salsa20_lanes::keystream_blocks` with the widest lanes this CPU runs. `each` is
/// compiled into the AVX2 function too, so what it does with the keystream (an XOR) is
/// AVX2 code as well.
pub(super) fn keystream_blocks(input: &mut [u32; 16], blocks: usize, each: &mut impl FnMut(&[u8])) {
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("avx2") {
        // SAFETY: the one requirement of calling a `target_feature(enable = "avx2")`
        // function is that the CPU runs AVX2 instructions, which was detected just above.
        unsafe { keystream_blocks_avx2(input, blocks, each) };
        return;
    }
    lanes::<4>(input, blocks, each);
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn keystream_blocks_avx2(input: &mut [u32; 16], blocks: usize, each: &mut impl FnMut(&[u8])) {
    lanes::<8>(input, blocks, each);
}

#[cfg(test)]
mod tests {
    use super::super::salsa20_lanes::{input, keystream_blocks as lanes, set_counter};

    /// The AVX2 path, the 4-lane path and the one-block code give the same bytes, from
    /// any counter, for any number of blocks (whole batches and cut ones).
    #[test]
    fn every_width_gives_the_same_stream() {
        let start = input(&[7; 32], &[9; 8]);
        for first in [0, 5, u64::from(u32::MAX) - 6, u64::MAX - 40] {
            for blocks in [1, 3, 4, 5, 7, 8, 9, 16, 17, 31] {
                let mut outputs = Vec::new();
                for width in 0..3 {
                    let mut state = start;
                    set_counter(&mut state, first);
                    let mut out = Vec::new();
                    let mut keep = |stream: &[u8]| out.extend_from_slice(stream);
                    match width {
                        0 => super::keystream_blocks(&mut state, blocks, &mut keep),
                        1 => lanes::<4>(&mut state, blocks, &mut keep),
                        _ => lanes::<1>(&mut state, blocks, &mut keep),
                    }
                    outputs.push((out, state));
                }
                assert!(outputs.windows(2).all(|w| w[0] == w[1]), "first {first} blocks {blocks}");
            }
        }
    }
}
