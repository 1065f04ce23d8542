//! A message's RADIO/DISH group (zmq_msg_set_group / zmq_msg_group), kept without making
//! `Msg` any larger: groups of up to `SHORT_MAX` bytes live in the 7 bytes of padding at
//! the end of `Msg` (NUL-terminated, so zmq_msg_group can hand out a pointer into the
//! message, as libzmq does for its short groups); longer ones (up to 255 bytes) ride
//! with the message's metadata, one allocation shared by every copy. A message without a
//! group costs nothing: the tail is zeroes, which reads as the empty group.

use crate::constants::ZMQ_GROUP_MAX_LENGTH;
use std::ffi::CStr;

/// ZMQ_GROUP_MAX_LENGTH as a length.
const MAX: usize = ZMQ_GROUP_MAX_LENGTH as usize;

/// Bytes a group may have and still be stored in the message itself.
pub(super) const SHORT_MAX: usize = 6;

/// The inline group: its bytes then a NUL; all zeroes for "no group". A long group is
/// marked by `LONG` in the first byte, its text being in the metadata.
#[derive(Clone, Copy, Default)]
#[repr(C)]
pub(super) struct ShortGroup([u8; SHORT_MAX + 1]);

/// First byte of a `ShortGroup` whose group lives in the metadata. No C string starts
/// with it that a caller could confuse: a stored group never contains 0xff as its first
/// byte inline, because such groups go to the long form (see `ShortGroup::new`).
const LONG: u8 = 0xff;

impl ShortGroup {
    pub(super) const EMPTY: ShortGroup = ShortGroup([0; SHORT_MAX + 1]);

    /// The inline form of `group`, or None if it must be stored long.
    pub(super) fn new(group: &[u8]) -> Option<ShortGroup> {
        if group.len() > SHORT_MAX || group.first() == Some(&LONG) {
            return None;
        }
        let mut b = [0u8; SHORT_MAX + 1];
        b[..group.len()].copy_from_slice(group);
        Some(ShortGroup(b))
    }

    pub(super) fn long() -> ShortGroup {
        let mut b = [0u8; SHORT_MAX + 1];
        b[0] = LONG;
        ShortGroup(b)
    }

    pub(super) fn is_long(&self) -> bool {
        self.0[0] == LONG
    }

    pub(super) fn as_c_str(&self) -> &CStr {
        CStr::from_bytes_until_nul(&self.0).expect("the last byte is always NUL")
    }
}

/// What zmq_msg_set_group stores for `group`: C's view (up to its first NUL), cut to
/// ZMQ_GROUP_MAX_LENGTH bytes as libzmq's strnlen does.
pub fn clamp(group: &[u8]) -> &[u8] {
    let end = group.iter().position(|&b| b == 0).unwrap_or(group.len());
    &group[..end.min(MAX)]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_groups_are_inline_and_nul_terminated() {
        let g = ShortGroup::new(b"Movies").unwrap();
        assert_eq!(g.as_c_str().to_bytes(), b"Movies");
        assert!(!g.is_long());
        assert_eq!(ShortGroup::default().as_c_str().to_bytes(), b"");
        assert!(ShortGroup::new(b"Movies!").is_none());
        assert!(ShortGroup::new(b"\xffx").is_none());
        assert!(ShortGroup::long().is_long());
    }

    #[test]
    fn clamp_cuts_at_nul_and_max_length() {
        assert_eq!(clamp(b"ab\0cd"), b"ab");
        assert_eq!(clamp(&[b'a'; 300]).len(), MAX);
    }
}
