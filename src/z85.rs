//! Z85 (ZeroMQ RFC 32) encoding, as libzmq's zmq_z85_encode / zmq_z85_decode do it.
//! CURVE keys are given and returned as 40-character Z85 text.

const ALPHABET: &[u8; 85] =
    b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";

/// Digit value of a Z85 character, None if it is not one.
fn digit(c: u8) -> Option<u32> {
    ALPHABET.iter().position(|&a| a == c).map(|p| p as u32)
}

/// Encodes `data` (length a multiple of 4) into Z85 text; None otherwise (libzmq: EINVAL).
pub fn encode(data: &[u8]) -> Option<String> {
    if !data.len().is_multiple_of(4) {
        return None;
    }
    let mut out = String::with_capacity(data.len() / 4 * 5);
    for chunk in data.chunks(4) {
        let mut value = u32::from_be_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
        let mut digits = [0u8; 5];
        for d in digits.iter_mut().rev() {
            *d = ALPHABET[(value % 85) as usize];
            value /= 85;
        }
        out.extend(digits.iter().map(|&d| d as char));
    }
    Some(out)
}

/// Decodes Z85 text into `dest`, returning the number of bytes written, or None for
/// invalid input (libzmq: EINVAL).
///
/// Like zmq_z85_decode, `text` ends at its first NUL byte, its length must be a non-zero
/// multiple of 5, and bytes are written as each 5-character group is decoded: a group
/// that turns out invalid leaves the groups before it written. That matters for CURVE
/// key options, where libzmq decodes straight into the stored key.
pub fn decode_into(dest: &mut [u8], text: &[u8]) -> Option<usize> {
    let text = match text.iter().position(|&b| b == 0) {
        Some(nul) => &text[..nul],
        None => text,
    };
    if text.len() < 5 || text.len() % 5 != 0 || dest.len() < text.len() / 5 * 4 {
        return None;
    }
    let mut written = 0;
    for group in text.chunks(5) {
        let mut value: u32 = 0;
        for &c in group {
            // Overflow checks as libzmq: the group must represent at most 0xffffffff.
            if u32::MAX / 85 < value {
                return None;
            }
            value *= 85;
            let d = digit(c)?;
            if d > u32::MAX - value {
                return None;
            }
            value += d;
        }
        dest[written..written + 4].copy_from_slice(&value.to_be_bytes());
        written += 4;
    }
    Some(written)
}

/// Decodes Z85 text into a new vector (None if invalid).
pub fn decode(text: &[u8]) -> Option<Vec<u8>> {
    let mut out = vec![0u8; text.len() / 5 * 4];
    let n = decode_into(&mut out, text)?;
    out.truncate(n);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    // The test vector from ZeroMQ RFC 32.
    const RFC_BIN: [u8; 8] = [0x86, 0x4F, 0xD2, 0x6F, 0xB5, 0x59, 0xF7, 0x5B];
    const RFC_TXT: &str = "HelloWorld";

    #[test]
    fn rfc_vector_round_trips() {
        assert_eq!(encode(&RFC_BIN).unwrap(), RFC_TXT);
        assert_eq!(decode(RFC_TXT.as_bytes()).unwrap(), RFC_BIN);
    }

    #[test]
    fn encode_needs_multiple_of_four() {
        assert!(encode(&[1, 2, 3]).is_none());
        assert_eq!(encode(&[]).unwrap(), "");
        assert_eq!(encode(&[0; 32]).unwrap(), "0".repeat(40));
    }

    #[test]
    fn decode_rejects_bad_lengths_and_characters() {
        assert!(decode(b"").is_none());
        assert!(decode(b"Hell").is_none());
        assert!(decode(b"HelloWorl").is_none());
        assert!(decode(b"Hell\"").is_none()); // '"' is not in the alphabet
        assert!(decode(b"Hell\x7f").is_none());
        assert!(decode(b"#####").is_none()); // 85^5-1 > u32::MAX
        assert_eq!(decode(b"%nSc0").unwrap(), [0xff; 4]); // largest valid group
    }

    #[test]
    fn decode_stops_at_nul_and_writes_progressively() {
        assert_eq!(decode(b"Hello\0World").unwrap(), &RFC_BIN[..4]);
        let mut dest = [0xAAu8; 8];
        assert!(decode_into(&mut dest, b"Hello\"orld").is_none());
        assert_eq!(dest[..4], RFC_BIN[..4]); // first group was already written
        assert_eq!(dest[4..], [0xAA; 4]);
    }
}
