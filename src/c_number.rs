//! C's number parsing, which libzmq applies to ports, zones, mask widths and the thread
//! name prefix: the same junk and overflow rules make the same values (and errnos).

/// C's strtol(s, NULL, 10) on a 64-bit long: leading whitespace, a sign, digits, junk
/// ignored, saturating. (atoi is this cast to int.)
pub fn strtol(b: &[u8]) -> i64 {
    let mut i = b.iter().take_while(|c| matches!(c, b' ' | b'\t'..=b'\r')).count();
    let negative = b.get(i) == Some(&b'-');
    if matches!(b.get(i), Some(b'+' | b'-')) {
        i += 1;
    }
    let mut v: i64 = 0;
    for &c in b[i..].iter().take_while(|c| c.is_ascii_digit()) {
        let d = (c - b'0') as i64;
        v = if negative { v.saturating_mul(10).saturating_sub(d) } else { v.saturating_mul(10).saturating_add(d) };
    }
    v
}

/// C's atoi on glibc: `(int) strtol(s, NULL, 10)`.
pub fn atoi(b: &[u8]) -> i32 {
    strtol(b) as i32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strtol_and_atoi_follow_c() {
        assert_eq!(strtol(b"  42xyz"), 42);
        assert_eq!(strtol(b"+7"), 7);
        assert_eq!(strtol(b"-7"), -7);
        assert_eq!(strtol(b"x"), 0);
        assert_eq!(strtol(b"99999999999999999999"), i64::MAX);
        assert_eq!(strtol(b"99999999999999999999") as i32 as u16, 65535);
        assert_eq!(strtol(b"-99999999999999999999"), i64::MIN);
        assert_eq!(atoi(b" 12ab"), 12);
        assert_eq!(atoi(b"4294967297"), 1);
        assert_eq!(atoi(b"-99999999999999999999"), 0);
    }
}
