//! udp addresses, as libzmq's udp_address_t: "host:port" or "iface;host:port" (the part
//! after "udp://"), for a DISH or DGRAM binding and a RADIO connecting.
//!
//! Bind: "*:port" or "ip:port" is where to receive (an interface name works too); a
//! multicast group "group:port" means: bind the any address at that port and join the
//! group. Connect: the destination (DNS allowed), unicast or a multicast group.
//! "iface;group:port" names the interface for a multicast group (EINVAL if the target is
//! not multicast or the source is); IPv6 multicast needs an interface (else ENODEV, as
//! libzmq, since joins need the interface index). Unresolvable hosts: EINVAL on connect,
//! ENODEV on bind.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use super::ip_resolver::{if_nametoindex, ip_resolve, ResolverOpts};
use crate::error::{Error, Result};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UdpEndpoint {
    /// Where datagrams go (connect) or the address given (bind).
    pub target: SocketAddr,
    /// What the socket binds to: the target for a unicast bind, else the any address
    /// at the target's port, or the interface's address with "iface;".
    pub bind: SocketAddr,
    pub multicast: bool,
    /// The interface for multicast: its index (0 = the system's choice).
    pub interface: u32,
}

pub fn resolve_udp(address: &str, bind: bool, ipv6: bool) -> Result<UdpEndpoint> {
    let mut source = None;
    let mut interface = 0;
    // "addr;group": an address, not an interface name; no index to join IPv6 groups with.
    let mut no_index = false;
    let mut name = address;
    if let Some(pos) = address.rfind(';') {
        let src = &address[..pos];
        let opts = ResolverOpts { bindable: true, allow_dns: false, allow_nic: true, ipv6, expect_port: false };
        let a = ip_resolve(src, opts)?;
        if a.ip().is_multicast() {
            return Err(Error::INVAL);
        }
        if src != "*" {
            interface = if_nametoindex(src);
            no_index = interface == 0;
        }
        source = Some(a);
        name = &address[pos + 1..];
    }
    let opts = ResolverOpts { bindable: bind, allow_dns: !bind, allow_nic: bind, ipv6, expect_port: true };
    let target = ip_resolve(name, opts)?;
    let multicast = is_multicast(target.ip());
    let bind_addr = match source {
        Some(mut s) if multicast => {
            s.set_port(target.port());
            s
        }
        Some(_) => return Err(Error::INVAL),
        None if multicast || !bind => any_like(target),
        None => target,
    };
    if bind_addr.is_ipv4() != target.is_ipv4() {
        return Err(Error::INVAL);
    }
    if multicast && ipv6 && no_index {
        return Err(Error::NODEV);
    }
    Ok(UdpEndpoint { target, bind: bind_addr, multicast, interface })
}

/// Multicast, also an IPv4 group seen IPv4-mapped (ZMQ_IPV6 sockets).
pub fn is_multicast(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V6(v6) => v6.is_multicast() || v6.to_ipv4_mapped().is_some_and(|v4| v4.is_multicast()),
        IpAddr::V4(v4) => v4.is_multicast(),
    }
}

fn any_like(a: SocketAddr) -> SocketAddr {
    let ip = if a.is_ipv4() { IpAddr::V4(Ipv4Addr::UNSPECIFIED) } else { IpAddr::V6(Ipv6Addr::UNSPECIFIED) };
    SocketAddr::new(ip, a.port())
}

/// A DGRAM destination frame: "ip:port" (IPv4), or "[ip6]:port"; numeric only, as
/// libzmq. None for anything else (the datagram is dropped).
pub fn parse_dgram_address(text: &[u8]) -> Option<SocketAddr> {
    std::str::from_utf8(text).ok()?.parse().ok()
}

/// The address frame a DGRAM socket receives with each datagram: "ip:port".
pub fn dgram_address_text(from: &SocketAddr) -> String {
    match from {
        SocketAddr::V6(v6) => match v6.ip().to_ipv4_mapped() {
            Some(v4) => format!("{v4}:{}", v6.port()),
            None => format!("[{}]:{}", v6.ip(), v6.port()),
        },
        SocketAddr::V4(_) => from.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unicast_and_multicast_addresses() {
        let b = resolve_udp("*:5556", true, false).unwrap();
        assert_eq!((b.bind, b.multicast), ("0.0.0.0:5556".parse().unwrap(), false));
        let b = resolve_udp("127.0.0.1:5556", true, false).unwrap();
        assert_eq!(b.bind, "127.0.0.1:5556".parse().unwrap());
        let m = resolve_udp("239.0.0.1:5555", true, false).unwrap();
        assert_eq!((m.bind, m.multicast), ("0.0.0.0:5555".parse().unwrap(), true));
        let c = resolve_udp("127.0.0.1:5556", false, false).unwrap();
        assert_eq!((c.target, c.multicast), ("127.0.0.1:5556".parse().unwrap(), false));
        let i = resolve_udp("127.0.0.1;239.0.0.1:5558", false, false).unwrap();
        assert_eq!((i.bind, i.multicast), ("127.0.0.1:5558".parse().unwrap(), true));
        let v6 = resolve_udp("[::1]:5556", false, true).unwrap();
        assert_eq!(v6.target, "[::1]:5556".parse().unwrap());
    }

    #[test]
    fn bad_addresses() {
        assert_eq!(resolve_udp("127.0.0.1", false, false), Err(Error::INVAL));
        assert_eq!(resolve_udp("127.0.0.1;127.0.0.2:5", false, false), Err(Error::INVAL));
        assert_eq!(resolve_udp("239.0.0.1;239.0.0.2:5", false, false), Err(Error::INVAL));
        assert_eq!(resolve_udp("*:5", false, false), Err(Error::INVAL));
    }

    #[test]
    fn dgram_addresses() {
        assert_eq!(parse_dgram_address(b"127.0.0.1:5559"), Some("127.0.0.1:5559".parse().unwrap()));
        assert_eq!(parse_dgram_address(b"nonsense"), None);
        assert_eq!(dgram_address_text(&"127.0.0.1:5560".parse().unwrap()), "127.0.0.1:5560");
        assert_eq!(dgram_address_text(&"[::ffff:127.0.0.1]:7".parse().unwrap()), "127.0.0.1:7");
    }
}
