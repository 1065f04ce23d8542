//! A value alone on its cache line(s). The two ends of a pipe run on different threads:
//! a field one end writes often must not share a line with fields the other end reads on
//! every message, or each write makes the other core fetch the line again (false sharing).

use std::ops::Deref;

#[repr(align(64))]
#[derive(Default)]
pub struct CacheLine<T>(pub T);

impl<T> Deref for CacheLine<T> {
    type Target = T;
    #[inline]
    fn deref(&self) -> &T {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn neighbours_land_on_different_lines() {
        struct Two {
            a: CacheLine<u8>,
            b: CacheLine<u8>,
        }
        let two = Two { a: CacheLine(1), b: CacheLine(2) };
        let (a, b) = (&two.a as *const _ as usize, &two.b as *const _ as usize);
        assert_eq!(a % 64, 0);
        assert!(a.abs_diff(b) >= 64);
        assert_eq!(*two.a + *two.b, 3);
    }
}
