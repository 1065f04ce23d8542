//! ZMQ_TCP_ACCEPT_FILTER entries, as libzmq's tcp_address_mask_t.

use std::net::{IpAddr, SocketAddr};

use super::ip_resolver::{ip_resolve, ResolverOpts};
use crate::c_number::strtol;
use crate::error::{Error, Result};

/// A ZMQ_TCP_ACCEPT_FILTER entry: "address" or "address/bits".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TcpAddressMask {
    pub network: IpAddr,
    pub bits: u32,
}

impl TcpAddressMask {
    /// libzmq's tcp_address_mask_t::resolve: a numeric address (IPv4-mapped when `ipv6`,
    /// IPv4 only otherwise), optional "/bits" with 0..=32 or 0..=128 (strtol rules);
    /// EINVAL for anything else, including an empty mask after '/'.
    pub fn resolve(text: &str, ipv6: bool) -> Result<TcpAddressMask> {
        let (addr, mask) = match text.rfind('/') {
            Some(pos) => (&text[..pos], Some(&text[pos + 1..])),
            None => (text, None),
        };
        let opts = ResolverOpts { bindable: false, allow_dns: false, allow_nic: false, ipv6, expect_port: false };
        let network = ip_resolve(addr, opts)?.ip();
        let full = if network.is_ipv6() { 128 } else { 32 };
        let bits = match mask {
            None => full,
            Some("") => return Err(Error::INVAL),
            Some("0") => 0,
            Some(m) => match strtol(m.as_bytes()) {
                v if v >= 1 && v <= full as i64 => v as u32,
                _ => return Err(Error::INVAL),
            },
        };
        Ok(TcpAddressMask { network, bits })
    }

    /// Whether a peer address passes this filter (same family, first `bits` bits equal).
    pub fn matches(&self, peer: &SocketAddr) -> bool {
        let (ours, theirs): (Vec<u8>, Vec<u8>) = match (self.network, peer.ip()) {
            (IpAddr::V4(a), IpAddr::V4(b)) => (a.octets().to_vec(), b.octets().to_vec()),
            (IpAddr::V6(a), IpAddr::V6(b)) => (a.octets().to_vec(), b.octets().to_vec()),
            _ => return false,
        };
        let bits = (self.bits as usize).min(ours.len() * 8);
        let full = bits / 8;
        if ours[..full] != theirs[..full] {
            return false;
        }
        let rest = bits % 8;
        rest == 0 || {
            let m = 0xffu8 << (8 - rest);
            ours[full] & m == theirs[full] & m
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_filter_masks() {
        let m = TcpAddressMask::resolve("127.0.0.1", false).unwrap();
        assert_eq!(m.bits, 32);
        assert!(m.matches(&"127.0.0.1:1".parse().unwrap()));
        assert!(!m.matches(&"127.0.0.2:1".parse().unwrap()));
        let m = TcpAddressMask::resolve("10.0.0.0/8", false).unwrap();
        assert!(m.matches(&"10.200.1.1:1".parse().unwrap()));
        assert!(!m.matches(&"11.0.0.1:1".parse().unwrap()));
        assert!(!m.matches(&"[::ffff:10.0.0.1]:1".parse().unwrap()));
        let m = TcpAddressMask::resolve("192.168.1.0/23", false).unwrap();
        assert!(m.matches(&"192.168.0.7:1".parse().unwrap()));
        assert!(!m.matches(&"192.168.2.7:1".parse().unwrap()));
        let m = TcpAddressMask::resolve("1.2.3.4/0", false).unwrap();
        assert!(m.matches(&"9.9.9.9:1".parse().unwrap()));
        assert!(!m.matches(&"[::1]:1".parse().unwrap()));
        let m = TcpAddressMask::resolve("127.0.0.1/8", true).unwrap(); // v4-mapped with ipv6
        assert_eq!(m.network, "::ffff:127.0.0.1".parse::<IpAddr>().unwrap());
        assert_eq!(TcpAddressMask::resolve("::1", true).unwrap().bits, 128);
        assert_eq!(TcpAddressMask::resolve("8abc", false).map(|m| m.bits), Err(Error::INVAL));
        assert_eq!(TcpAddressMask::resolve("1.2.3.4/8x", false).unwrap().bits, 8);
        for bad in ["::1", "1.2.3.4/", "1.2.3.4/33", "1.2.3.4/-1", "1.2.3.4/x", "localhost", "", "*"] {
            assert_eq!(TcpAddressMask::resolve(bad, false), Err(Error::INVAL), "{bad}");
        }
        assert_eq!(TcpAddressMask::resolve("::1/129", true), Err(Error::INVAL));
    }
}
