//! libzmq's ip_resolver_t: a host ("*", a numeric address, an interface name or a DNS
//! name, with an optional "%zone") and port, to one socket address, with libzmq's errnos.
//! Used for tcp endpoints (`tcp.rs`) and accept filters (`tcp_mask.rs`).

use std::ffi::{CStr, CString};
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};

use crate::c_number::strtol;
use crate::error::{Error, Result};

/// What a name may be and how it resolves (libzmq's ip_resolver_options_t).
#[derive(Clone, Copy)]
pub(super) struct ResolverOpts {
    /// The bind side: "*" (address and port) is allowed, failures are ENODEV.
    pub bindable: bool,
    /// Host names may go through DNS (otherwise numeric addresses only).
    pub allow_dns: bool,
    /// Interface names ("eth0") resolve to their first address.
    pub allow_nic: bool,
    /// IPv6 addresses are allowed, IPv4 ones come back IPv4-mapped.
    pub ipv6: bool,
    /// The name ends in ":port".
    pub expect_port: bool,
}

pub(super) fn ip_resolve(name: &str, o: ResolverOpts) -> Result<SocketAddr> {
    let (mut addr, port) = if o.expect_port {
        let delim = name.rfind(':').ok_or(Error::INVAL)?;
        let port = match &name[delim + 1..] {
            "*" if o.bindable => 0,
            "*" => return Err(Error::INVAL),
            "0" => 0,
            // C's atoi then a cast to uint16_t: junk after the digits is ignored and
            // large numbers wrap; only a result of 0 is refused.
            p => match strtol(p.as_bytes()) as i32 as u16 {
                0 => return Err(Error::INVAL),
                port => port,
            },
        };
        (&name[..delim], port)
    } else {
        (name, 0)
    };

    if addr.len() >= 2 && addr.starts_with('[') && addr.ends_with(']') {
        addr = &addr[1..addr.len() - 1];
    }

    // An RFC 4007 zone ("fe80::1%eth0" or "%2") becomes the scope id.
    let mut zone = 0u32;
    if let Some(pos) = addr.rfind('%') {
        let if_str = &addr[pos + 1..];
        if if_str.is_empty() {
            return Err(Error::INVAL);
        }
        zone = if if_str.as_bytes()[0].is_ascii_alphabetic() {
            if_nametoindex(if_str)
        } else {
            strtol(if_str.as_bytes()) as i32 as u32
        };
        if zone == 0 {
            return Err(Error::INVAL);
        }
        addr = &addr[..pos];
    }

    let mut resolved = None;
    if o.bindable && addr == "*" {
        resolved = Some(if o.ipv6 {
            SocketAddr::from((Ipv6Addr::UNSPECIFIED, 0))
        } else {
            SocketAddr::from((Ipv4Addr::UNSPECIFIED, 0))
        });
    }
    if resolved.is_none() && o.allow_nic {
        resolved = resolve_nic_name(addr, o.ipv6);
    }
    let mut resolved = match resolved {
        Some(a) => a,
        None => resolve_getaddrinfo(addr, o)?,
    };

    resolved.set_port(port);
    if let SocketAddr::V6(v6) = &mut resolved {
        // libzmq overwrites the scope id unconditionally (0 without a zone).
        v6.set_scope_id(zone);
    }
    Ok(resolved)
}

/// The first address of the wanted family on interface `nic` (getifaddrs order).
fn resolve_nic_name(nic: &str, ipv6: bool) -> Option<SocketAddr> {
    let family = if ipv6 { libc::AF_INET6 } else { libc::AF_INET };
    let mut ifa: *mut libc::ifaddrs = std::ptr::null_mut();
    // SAFETY: getifaddrs fills `ifa` with a list we walk read-only and free below.
    if unsafe { libc::getifaddrs(&mut ifa) } != 0 {
        return None; // libzmq maps a failing getifaddrs to ENODEV too
    }
    let mut found = None;
    let mut p = ifa;
    while !p.is_null() {
        // SAFETY: p is a node of the list returned by getifaddrs.
        let entry = unsafe { &*p };
        p = entry.ifa_next;
        if entry.ifa_addr.is_null() {
            continue;
        }
        // SAFETY: ifa_addr points to a sockaddr of the family it declares; ifa_name to a C string.
        let (sa_family, name) = unsafe { ((*entry.ifa_addr).sa_family as i32, CStr::from_ptr(entry.ifa_name)) };
        if sa_family == family && name.to_bytes() == nic.as_bytes() {
            // SAFETY: as above.
            found = unsafe { sockaddr_to_std(entry.ifa_addr) };
            break;
        }
    }
    // SAFETY: ifa came from getifaddrs and is freed once.
    unsafe { libc::freeifaddrs(ifa) };
    found
}

fn resolve_getaddrinfo(host: &str, o: ResolverOpts) -> Result<SocketAddr> {
    let failed = if o.bindable { Error::NODEV } else { Error::INVAL };
    let host = CString::new(host).map_err(|_| failed)?;
    // SAFETY: an all-zero addrinfo is the documented way to start the hints.
    let mut hints: libc::addrinfo = unsafe { std::mem::zeroed() };
    hints.ai_family = if o.ipv6 { libc::AF_INET6 } else { libc::AF_INET };
    hints.ai_socktype = libc::SOCK_STREAM;
    if o.bindable {
        hints.ai_flags |= libc::AI_PASSIVE;
    }
    if !o.allow_dns {
        hints.ai_flags |= libc::AI_NUMERICHOST;
    }
    if o.ipv6 {
        // IPv4 literals and IPv4-only hosts come back as ::ffff:a.b.c.d.
        hints.ai_flags |= libc::AI_V4MAPPED;
    }
    let mut res: *mut libc::addrinfo = std::ptr::null_mut();
    // SAFETY: valid C string and hints; the result list is freed below.
    let rc = unsafe { libc::getaddrinfo(host.as_ptr(), std::ptr::null(), &hints, &mut res) };
    if rc != 0 {
        return Err(if rc == libc::EAI_MEMORY { Error::NOMEM } else { failed });
    }
    // SAFETY: on success res is a non-empty list; we read only the first entry.
    let first = unsafe { sockaddr_to_std((*res).ai_addr) };
    // SAFETY: res came from getaddrinfo and is freed once.
    unsafe { libc::freeaddrinfo(res) };
    first.ok_or(failed)
}

/// Converts an AF_INET/AF_INET6 sockaddr to a std address (None for other families).
///
/// # Safety
/// `sa` must point to a valid sockaddr whose storage matches its sa_family.
unsafe fn sockaddr_to_std(sa: *const libc::sockaddr) -> Option<SocketAddr> {
    match (*sa).sa_family as i32 {
        libc::AF_INET => {
            let v4 = &*(sa as *const libc::sockaddr_in);
            let ip = Ipv4Addr::from(v4.sin_addr.s_addr.to_ne_bytes());
            Some(SocketAddr::V4(SocketAddrV4::new(ip, u16::from_be(v4.sin_port))))
        }
        libc::AF_INET6 => {
            let v6 = &*(sa as *const libc::sockaddr_in6);
            let ip = Ipv6Addr::from(v6.sin6_addr.s6_addr);
            let port = u16::from_be(v6.sin6_port);
            Some(SocketAddr::V6(SocketAddrV6::new(ip, port, v6.sin6_flowinfo, v6.sin6_scope_id)))
        }
        _ => None,
    }
}

pub(super) fn if_nametoindex(name: &str) -> u32 {
    match CString::new(name) {
        // SAFETY: valid C string.
        Ok(c) => unsafe { libc::if_nametoindex(c.as_ptr()) },
        Err(_) => 0,
    }
}
