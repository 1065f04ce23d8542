//! Connection properties attached to received messages (zmq_msg_gets): the peer's ZMTP
//! READY properties plus "Peer-Address" and, with ZAP, "User-Id". Values are kept
//! NUL-terminated so the C layer can hand out pointers that live as long as the message.

use std::ffi::{CStr, CString};

#[derive(Debug, Default, Clone)]
pub struct Metadata {
    props: Vec<(String, CString)>,
}

impl Metadata {
    pub fn new() -> Metadata {
        Metadata::default()
    }

    /// Add or replace a property. Interior NULs in the value truncate it.
    pub fn set(&mut self, name: &str, value: &[u8]) {
        let end = value.iter().position(|&b| b == 0).unwrap_or(value.len());
        let value = CString::new(&value[..end]).expect("NULs removed above");
        match self.props.iter_mut().find(|(n, _)| n == name) {
            Some(slot) => slot.1 = value,
            None => self.props.push((name.to_string(), value)),
        }
    }

    /// Look a property up. libzmq matches names case-sensitively.
    pub fn get(&self, name: &str) -> Option<&CStr> {
        self.props.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_c_str())
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &CStr)> {
        self.props.iter().map(|(n, v)| (n.as_str(), v.as_c_str()))
    }
}
