//! Connection properties attached to received messages (zmq_msg_gets): the peer's ZMTP
//! READY properties plus "Peer-Address" and, with ZAP, "User-Id". Values are kept
//! NUL-terminated so the C layer can hand out pointers that live as long as the message.

use std::ffi::{CStr, CString};

#[derive(Debug, Default, Clone)]
pub struct Metadata {
    props: Vec<(String, CString)>,
    /// A message's RADIO/DISH group too long to be kept in the message (see group.rs).
    group: Option<CString>,
}

impl Metadata {
    pub fn new() -> Metadata {
        Metadata::default()
    }

    /// Add or replace a property. Interior NULs in the value truncate it.
    pub fn set(&mut self, name: &str, value: &[u8]) {
        let value = c_value(value);
        match self.props.iter_mut().find(|(n, _)| n == name) {
            Some(slot) => slot.1 = value,
            None => self.props.push((name.to_string(), value)),
        }
    }

    /// Properties in order, the first of each name winning (libzmq's property map keeps the
    /// first too). Linear in their number: a peer's READY may carry tens of thousands, and
    /// a `get` + `set` per property made that quadratic (seconds of an I/O thread each).
    pub fn first_wins<'a>(props: impl IntoIterator<Item = (&'a str, &'a [u8])>) -> Metadata {
        let mut seen = std::collections::HashSet::new();
        let mut md = Metadata::new();
        for (name, value) in props {
            if seen.insert(name) {
                md.props.push((name.to_string(), c_value(value)));
            }
        }
        md
    }

    pub(super) fn group(&self) -> Option<&CStr> {
        self.group.as_deref()
    }

    pub(super) fn set_group(&mut self, group: &[u8]) {
        self.group = Some(c_value(group));
    }

    /// Look a property up. libzmq matches names case-sensitively.
    pub fn get(&self, name: &str) -> Option<&CStr> {
        self.props.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_c_str())
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &CStr)> {
        self.props.iter().map(|(n, v)| (n.as_str(), v.as_c_str()))
    }
}

/// A value as C sees it: up to its first NUL.
fn c_value(value: &[u8]) -> CString {
    let end = value.iter().position(|&b| b == 0).unwrap_or(value.len());
    CString::new(&value[..end]).expect("cut at the first NUL")
}
