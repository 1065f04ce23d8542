//! tcp addresses, as libzmq's tcp_address_t: resolving "host:port" (and "src;dest") for
//! bind and connect, zmq_connect's syntax check, and the ZMQ_LAST_ENDPOINT text.

use std::ffi::CStr;
use std::net::SocketAddr;

use socket2::SockAddr;

use super::ip_resolver::{ip_resolve, ResolverOpts};
use crate::error::{Error, Result};

/// A resolved tcp address, with the optional source address of "tcp://src;dest".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TcpEndpoint {
    pub addr: SocketAddr,
    /// Bind the connecting socket here first (with SO_REUSEADDR), as libzmq does.
    pub source: Option<SocketAddr>,
}

/// libzmq's tcp_address_t::resolve. `address` is what follows "tcp://".
///
/// `local = true` is the bind side: "*" is the any address (`[::]`, dual stack, when
/// `ipv6`), interface names resolve to their first address of the wanted family, no DNS;
/// unresolvable hosts give ENODEV. `local = false` is the connect side: DNS is used and
/// unresolvable hosts give EINVAL. Either way: a missing port or a port of 0 after C's
/// atoi (so "abc" but also "65536") is EINVAL, except that "0" is allowed and "*" is
/// allowed on the bind side; larger numbers wrap modulo 65536 as in libzmq
/// ("70000" is port 4464). Without `ipv6` only IPv4 addresses resolve; with it IPv4
/// addresses come back IPv4-mapped ("::ffff:127.0.0.1"). "[addr%zone]" sets the scope id
/// (EINVAL for an unknown interface). A source address ("src;dest", split at the last
/// ';') is always resolved bind-style.
pub fn resolve_tcp(address: &str, local: bool, ipv6: bool) -> Result<TcpEndpoint> {
    let (source, dest) = match address.rfind(';') {
        Some(pos) => {
            let opts = ResolverOpts { bindable: true, allow_dns: false, allow_nic: true, ipv6, expect_port: true };
            (Some(ip_resolve(&address[..pos], opts)?), &address[pos + 1..])
        }
        None => (None, address),
    };
    let opts = ResolverOpts { bindable: local, allow_dns: !local, allow_nic: local, ipv6, expect_port: true };
    Ok(TcpEndpoint { addr: ip_resolve(dest, opts)?, source })
}

/// zmq_connect's quick syntax check of a tcp address (resolution happens later):
/// a host of letters, digits and ".-:%;[]_*", starting with a letter, digit, '[' or ':',
/// and a port after the last ':' starting with a digit (so "*" is EINVAL on connect).
pub fn check_tcp_connect_address(address: &str) -> Result<()> {
    let b = address.as_bytes();
    let mut i = 0;
    if let Some(&first) = b.first() {
        if first.is_ascii_alphanumeric() || first == b'[' || first == b':' {
            i = 1;
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b".-:%;[]_*".contains(&b[i])) {
                i += 1;
            }
        }
    }
    if i != b.len() {
        return Err(Error::INVAL);
    }
    let port = &address[address.rfind(':').ok_or(Error::INVAL)? + 1..];
    match port.as_bytes().first() {
        Some(c) if c.is_ascii_digit() => Ok(()),
        _ => Err(Error::INVAL),
    }
}

/// "tcp://1.2.3.4:5", "tcp://[::1]:5", "tcp://[fe80::1%eth0]:5": libzmq's
/// tcp_address_t::to_string (getnameinfo with NI_NUMERICHOST).
pub fn tcp_endpoint_string(addr: &SocketAddr) -> String {
    match addr {
        SocketAddr::V4(_) => format!("tcp://{}:{}", numeric_host(addr), addr.port()),
        SocketAddr::V6(_) => format!("tcp://[{}]:{}", numeric_host(addr), addr.port()),
    }
}

/// getnameinfo(NI_NUMERICHOST): glibc's text for the address, with "%zone" for scoped
/// IPv6 addresses. Done by glibc itself so that corner cases (IPv4-compatible
/// addresses, interface names for link-local zones) print exactly as in libzmq.
fn numeric_host(addr: &SocketAddr) -> String {
    let sa = SockAddr::from(*addr);
    let mut host = [0 as libc::c_char; libc::NI_MAXHOST as usize];
    // SAFETY: sa is a valid sockaddr of the given length; host is a writable buffer.
    let rc = unsafe {
        libc::getnameinfo(
            sa.as_ptr(),
            sa.len(),
            host.as_mut_ptr(),
            host.len() as libc::socklen_t,
            std::ptr::null_mut(),
            0,
            libc::NI_NUMERICHOST,
        )
    };
    if rc != 0 {
        return addr.ip().to_string();
    }
    // SAFETY: getnameinfo NUL-terminated the buffer.
    unsafe { CStr::from_ptr(host.as_ptr()) }.to_string_lossy().into_owned()
}

#[cfg(test)]
mod tests {
    use super::super::endpoint::format_sockaddr;
    use super::super::ip_resolver::if_nametoindex;
    use super::*;

    fn v4(s: &str) -> SocketAddr {
        s.parse().unwrap()
    }

    /// `resolve_tcp`, bind-style (local) or connect-style, with or without ipv6.
    #[test]
    fn tcp_resolution() {
        const BIND: bool = true;
        const CONNECT: bool = false;
        let cases: &[(&str, bool, bool, Result<&str>)] = &[
            // Binding: '*' and NIC names, no DNS.
            ("*:5555", BIND, false, Ok("0.0.0.0:5555")),
            ("*:*", BIND, false, Ok("0.0.0.0:0")),
            ("*:0", BIND, false, Ok("0.0.0.0:0")),
            ("*:*", BIND, true, Ok("[::]:0")),
            ("127.0.0.1:*", BIND, false, Ok("127.0.0.1:0")),
            ("127.0.0.1:*", BIND, true, Ok("[::ffff:127.0.0.1]:0")),
            ("lo:5555", BIND, false, Ok("127.0.0.1:5555")),
            ("[::1]:5555", BIND, true, Ok("[::1]:5555")),
            // libzmq's atoi port parsing: junk after digits ignored, values wrap mod 65536.
            ("127.0.0.1:70000", BIND, false, Ok("127.0.0.1:4464")),
            ("127.0.0.1:-1", BIND, false, Ok("127.0.0.1:65535")),
            ("127.0.0.1:5555abc", BIND, false, Ok("127.0.0.1:5555")),
            ("127.0.0.1:65536", BIND, false, Err(Error::INVAL)),
            ("127.0.0.1:abc", BIND, false, Err(Error::INVAL)),
            ("127.0.0.1:!", BIND, false, Err(Error::INVAL)), // czmq's syntax, not libzmq's
            ("127.0.0.1:", BIND, false, Err(Error::INVAL)),
            ("127.0.0.1", BIND, false, Err(Error::INVAL)),
            // Unresolvable on the bind side is ENODEV: unknown NICs, names (no DNS), v6 without ipv6.
            ("nosuchnic0:5555", BIND, false, Err(Error::NODEV)),
            ("localhost:5555", BIND, false, Err(Error::NODEV)),
            ("[::1]:5555", BIND, false, Err(Error::NODEV)),
            (":5555", BIND, false, Err(Error::NODEV)),
            // Zones.
            ("[::1%]:5555", BIND, true, Err(Error::INVAL)),
            ("[::1%nosuchnic0]:5555", BIND, true, Err(Error::INVAL)),
            // Connecting: DNS but no NIC names and no '*'.
            ("127.0.0.1:5555", CONNECT, false, Ok("127.0.0.1:5555")),
            ("localhost:5555", CONNECT, false, Ok("127.0.0.1:5555")),
            ("127.0.0.1:0", CONNECT, false, Ok("127.0.0.1:0")),
            ("127.0.0.1:*", CONNECT, false, Err(Error::INVAL)),
            ("*:5555", CONNECT, false, Err(Error::INVAL)),
            ("[::1]:5555", CONNECT, false, Err(Error::INVAL)),
            ("[::1]:5555", CONNECT, true, Ok("[::1]:5555")),
            ("lo:5555", CONNECT, false, Err(Error::INVAL)), // no NIC names when connecting
        ];
        for &(address, local, ipv6, want) in cases {
            let want = want.map(|a| a.parse::<SocketAddr>().unwrap());
            assert_eq!(resolve_tcp(address, local, ipv6).map(|e| e.addr), want, "{address}, local {local}, ipv6 {ipv6}");
        }
    }

    #[test]
    fn tcp_bind_zones() {
        let scoped = resolve_tcp("[fe80::1%lo]:5555", true, true).unwrap().addr;
        match scoped {
            SocketAddr::V6(a) => assert_eq!(a.scope_id(), if_nametoindex("lo")),
            _ => panic!(),
        }
        assert_eq!(tcp_endpoint_string(&scoped), "tcp://[fe80::1%lo]:5555");
        match resolve_tcp("[fe80::1%1]:5555", true, true).unwrap().addr {
            SocketAddr::V6(a) => assert_eq!(a.scope_id(), 1),
            _ => panic!(),
        }
    }

    #[test]
    fn tcp_connect_source_addresses() {
        // Bind-style, split at the last ';'.
        let ep = resolve_tcp("127.0.0.1:6666;127.0.0.1:5555", false, false).unwrap();
        assert_eq!(ep.source, Some(v4("127.0.0.1:6666")));
        assert_eq!(ep.addr, v4("127.0.0.1:5555"));
        let ep = resolve_tcp("lo:*;localhost:1234", false, false).unwrap();
        assert_eq!(ep.source, Some(v4("127.0.0.1:0")));
        assert_eq!(resolve_tcp("localhost:0;127.0.0.1:5555", false, false), Err(Error::NODEV));
        assert_eq!(resolve_tcp("127.0.0.1:5555", false, false).unwrap().source, None);
    }

    #[test]
    fn tcp_connect_syntax_check() {
        for ok in ["127.0.0.1:5555", "localhost:1", "[::1]:5555", "a_b-c.d:0", "x:1;y:2", "[fe80::1%lo]:5", "::1:5"] {
            assert_eq!(check_tcp_connect_address(ok), Ok(()), "{ok}");
        }
        for bad in ["*:5555", "127.0.0.1:*", "in val id:1234", "localhost:invalid", "localhost", "", "-a:1", "h/x:1"] {
            assert_eq!(check_tcp_connect_address(bad), Err(Error::INVAL), "{bad}");
        }
    }

    #[test]
    fn tcp_endpoint_strings() {
        assert_eq!(tcp_endpoint_string(&v4("127.0.0.1:45321")), "tcp://127.0.0.1:45321");
        assert_eq!(tcp_endpoint_string(&"[::1]:5555".parse().unwrap()), "tcp://[::1]:5555");
        assert_eq!(tcp_endpoint_string(&"[::]:1".parse().unwrap()), "tcp://[::]:1");
        assert_eq!(
            tcp_endpoint_string(&"[::ffff:127.0.0.1]:9".parse().unwrap()),
            "tcp://[::ffff:127.0.0.1]:9"
        );
        // glibc prints IPv4-compatible addresses dotted, unlike Rust's Display.
        assert_eq!(tcp_endpoint_string(&"[::2.3.4.5]:9".parse().unwrap()), "tcp://[::2.3.4.5]:9");
        let sa = SockAddr::from(v4("10.1.2.3:80"));
        assert_eq!(format_sockaddr(&sa), "tcp://10.1.2.3:80");
    }

    #[test]
    fn bound_tcp_socket_reports_its_real_port() {
        let ep = resolve_tcp("127.0.0.1:*", true, false).unwrap();
        let s = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
        s.bind(&SockAddr::from(ep.addr)).unwrap();
        s.listen(1).unwrap();
        let last = format_sockaddr(&s.local_addr().unwrap());
        let port: u16 = last.strip_prefix("tcp://127.0.0.1:").unwrap().parse().unwrap();
        assert_ne!(port, 0);
    }
}
