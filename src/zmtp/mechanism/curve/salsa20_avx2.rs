//! Runs `salsa20_lanes` 8 blocks at a time with AVX2 when the CPU has it, 4 at a time
//! with x86_64's baseline SSE2 (or whatever the target vectorizes) otherwise. The AVX2
//! function is the same safe lane code compiled with the feature on; calling it is this
//! module's one `unsafe`, made sound by the run-time detection in front of it.

use super::salsa20_lanes::xor_blocks as lanes;

/// `salsa20_lanes::xor_blocks` with the widest lanes this CPU runs.
pub(super) fn xor_blocks(input: &mut [u32; 16], data: &mut [u8]) {
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("avx2") {
        // SAFETY: the one requirement of calling a `target_feature(enable = "avx2")`
        // function is that the CPU runs AVX2 instructions, which was detected just above.
        unsafe { xor_blocks_avx2(input, data) };
        return;
    }
    lanes::<4>(input, data);
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn xor_blocks_avx2(input: &mut [u32; 16], data: &mut [u8]) {
    lanes::<8>(input, data);
}

#[cfg(test)]
mod tests {
    use super::super::salsa20_lanes::{input, set_counter, xor_blocks as lanes, BLOCK};

    /// The AVX2 path, the 4-lane path and the one-block code give the same bytes, from
    /// any counter, for any number of blocks (whole batches and cut ones).
    #[test]
    fn every_width_gives_the_same_stream() {
        let start = input(&[7; 32], &[9; 8]);
        for first in [0, 5, u64::from(u32::MAX) - 6, u64::MAX - 40] {
            for blocks in [1, 3, 4, 5, 7, 8, 9, 16, 17, 31] {
                let data: Vec<u8> = (0..blocks * BLOCK).map(|i| (i * 31) as u8).collect();
                let mut outputs = Vec::new();
                for width in 0..3 {
                    let mut state = start;
                    set_counter(&mut state, first);
                    let mut out = data.clone();
                    match width {
                        0 => super::xor_blocks(&mut state, &mut out),
                        1 => lanes::<4>(&mut state, &mut out),
                        _ => lanes::<1>(&mut state, &mut out),
                    }
                    outputs.push((out, state));
                }
                assert!(outputs.windows(2).all(|w| w[0] == w[1]), "first {first} blocks {blocks}");
            }
        }
    }
}
