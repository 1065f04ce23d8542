//! Stream transports (tcp, ipc): resolve the address, then hand a listener or a
//! connecting session to an I/O thread.

use crate::ctx::mailbox::Mailbox;
use crate::ctx::{Ctx, Endpoint};
use crate::error::{Error, Result};
use crate::io::{new_handle, ConnectSpec, EndpointHandle, IoCmd, Listener};
use crate::options::Options;
use crate::pipe::{pair, PeerInfo, Pipe};
use socket2::SockAddr;
use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::Arc;

/// Bind: returns the registration and the resolved endpoint (ZMQ_LAST_ENDPOINT).
pub fn bind(ctx: &Arc<Ctx>, proto: &str, addr: &str, o: &Options, mailbox: Arc<Mailbox>) -> Result<(Endpoint, String)> {
    let (listener, resolved) = match proto {
        "tcp" => {
            let sa = resolve_tcp_bind(addr, o.ipv6)?;
            let l = Listener::bind(&SockAddr::from(sa), true, o.backlog, None)?;
            let local = l.local_addr()?;
            (l, format!("tcp://{}", fmt_sockaddr(local)))
        }
        _ => {
            let (sa, path, shown) = resolve_ipc(addr, true)?;
            let l = Listener::bind(&sa, false, o.backlog, path)?;
            (l, format!("ipc://{shown}"))
        }
    };
    let io = ctx.io()?.choose();
    let handle = new_handle();
    let setup = crate::io::SessionSetup { options: o.clone(), mailbox, endpoint: resolved.clone() };
    io.send(IoCmd::Listen { handle, listener, setup });
    Ok((Endpoint::Io(EndpointHandle { io, handle, bind: true, pipe: None }), resolved))
}

/// Connect: returns the registration and, for most socket types, the socket's end of a
/// pipe made now so messages queue before the connection is up.
pub fn connect(ctx: &Arc<Ctx>, proto: &str, addr: &str, o: &Options, mailbox: Arc<Mailbox>) -> Result<(Endpoint, Option<Pipe>)> {
    let (sa, source, tcp) = match proto {
        "tcp" => {
            let (src, dst) = match addr.split_once(';') {
                Some((s, d)) => (Some(s), d),
                None => (None, addr),
            };
            let dst = resolve_tcp_connect(dst, o.ipv6)?;
            let src = src.map(|s| resolve_tcp_bind(s, o.ipv6)).transpose()?;
            (SockAddr::from(dst), src.map(SockAddr::from), true)
        }
        _ => {
            let (sa, _, _) = resolve_ipc(addr, false)?;
            (sa, None, false)
        }
    };
    let endpoint = format!("{proto}://{addr}");
    let (sock_end, sess_end) = if crate::io::pipe_at_connect(o) {
        let (mut a, b) = pair(o.sndhwm.max(0) as u64, o.rcvhwm.max(0) as u64);
        a.peer = PeerInfo { endpoint: endpoint.clone(), ..Default::default() };
        (Some(a), Some(b))
    } else {
        (None, None)
    };
    let io = ctx.io()?.choose();
    let handle = new_handle();
    let setup = crate::io::SessionSetup { options: o.clone(), mailbox, endpoint };
    let spec = ConnectSpec { addr: sa, source, tcp, pipe: sess_end };
    io.send(IoCmd::Connect { handle, spec, setup });
    let pipe_id = sock_end.as_ref().map(|p| p.id());
    Ok((Endpoint::Io(EndpointHandle { io, handle, bind: false, pipe: pipe_id }), sock_end))
}

fn fmt_sockaddr(a: SocketAddr) -> String {
    match a {
        SocketAddr::V4(v4) => format!("{}:{}", v4.ip(), v4.port()),
        SocketAddr::V6(v6) => format!("[{}]:{}", v6.ip(), v6.port()),
    }
}

/// Split "host:port", with IPv6 hosts in brackets.
fn split_host_port(addr: &str) -> Result<(&str, &str)> {
    let (host, port) = addr.rsplit_once(':').ok_or(Error::INVAL)?;
    let host = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')).unwrap_or(host);
    Ok((host, port))
}

fn parse_port(port: &str, allow_any: bool) -> Result<u16> {
    if allow_any && (port == "*" || port == "!") {
        return Ok(0);
    }
    let p: u16 = port.parse().map_err(|_| Error::INVAL)?;
    if p == 0 && !allow_any {
        return Err(Error::INVAL);
    }
    Ok(p)
}

/// A local address to bind: "*", an IP, or an interface name.
fn resolve_tcp_bind(addr: &str, ipv6: bool) -> Result<SocketAddr> {
    let (host, port) = split_host_port(addr)?;
    let port = parse_port(port, true)?;
    if host == "*" {
        let ip: std::net::IpAddr = if ipv6 { std::net::Ipv6Addr::UNSPECIFIED.into() } else { std::net::Ipv4Addr::UNSPECIFIED.into() };
        return Ok(SocketAddr::new(ip, port));
    }
    if let Ok(ip) = host.parse::<std::net::IpAddr>() {
        if ip.is_ipv6() && !ipv6 {
            return Err(Error::NODEV);
        }
        return Ok(SocketAddr::new(ip, port));
    }
    interface_addr(host, ipv6).map(|ip| SocketAddr::new(ip, port)).ok_or(Error::NODEV)
}

/// The address of a network interface by name (e.g. "lo").
fn interface_addr(name: &str, ipv6: bool) -> Option<std::net::IpAddr> {
    let mut ifap: *mut libc::ifaddrs = std::ptr::null_mut();
    // SAFETY: getifaddrs fills ifap with a list we free below; we only read it.
    unsafe {
        if libc::getifaddrs(&mut ifap) != 0 {
            return None;
        }
        let mut found = None;
        let mut cur = ifap;
        while !cur.is_null() {
            let ifa = &*cur;
            cur = ifa.ifa_next;
            if ifa.ifa_addr.is_null() || std::ffi::CStr::from_ptr(ifa.ifa_name).to_bytes() != name.as_bytes() {
                continue;
            }
            let family = (*ifa.ifa_addr).sa_family as i32;
            if family == libc::AF_INET {
                let sin = &*(ifa.ifa_addr as *const libc::sockaddr_in);
                found = Some(std::net::Ipv4Addr::from(u32::from_be(sin.sin_addr.s_addr)).into());
                break;
            } else if family == libc::AF_INET6 && ipv6 && found.is_none() {
                let sin6 = &*(ifa.ifa_addr as *const libc::sockaddr_in6);
                found = Some(std::net::Ipv6Addr::from(sin6.sin6_addr.s6_addr).into());
            }
        }
        libc::freeifaddrs(ifap);
        found
    }
}

fn resolve_tcp_connect(addr: &str, ipv6: bool) -> Result<SocketAddr> {
    let (host, port) = split_host_port(addr)?;
    if host.is_empty() {
        return Err(Error::INVAL);
    }
    let port = parse_port(port, false)?;
    let addrs: Vec<SocketAddr> = (host, port).to_socket_addrs().map_err(|_| Error::INVAL)?.collect();
    addrs.iter().find(|a| a.is_ipv4() || ipv6).copied().ok_or(Error::INVAL)
}

/// An ipc address: a path, "@name" (abstract), or "*" (bind only: a fresh temp path).
/// Returns the socket address, the file to remove on close, and the name to show.
fn resolve_ipc(addr: &str, bind: bool) -> Result<(SockAddr, Option<std::path::PathBuf>, String)> {
    if addr == "*" {
        if !bind {
            return Err(Error::INVAL);
        }
        let dir = make_temp_dir()?;
        let path = dir.join("socket");
        let sa = SockAddr::unix(&path)?;
        let shown = path.to_string_lossy().into_owned();
        return Ok((sa, Some(path), shown));
    }
    if let Some(name) = addr.strip_prefix('@') {
        return Ok((abstract_sockaddr(name.as_bytes())?, None, addr.to_string()));
    }
    if addr.len() >= 108 {
        return Err(Error(libc::ENAMETOOLONG));
    }
    let path = std::path::PathBuf::from(addr);
    let sa = SockAddr::unix(&path)?;
    if bind {
        // A stale socket file from an earlier process must not block the bind.
        if std::fs::symlink_metadata(&path).is_ok_and(|m| {
            use std::os::unix::fs::FileTypeExt;
            m.file_type().is_socket()
        }) {
            let _ = std::fs::remove_file(&path);
        }
    }
    Ok((sa, bind.then_some(path), addr.to_string()))
}

/// A Linux abstract-namespace unix address: sun_path is a NUL then the name.
fn abstract_sockaddr(name: &[u8]) -> Result<SockAddr> {
    if name.len() > 106 {
        return Err(Error(libc::ENAMETOOLONG));
    }
    // SAFETY: we fill the zeroed storage as a sockaddr_un, within its size.
    let (_, sa) = unsafe {
        SockAddr::try_init(|storage, socklen| {
            let sun = storage as *mut libc::sockaddr_un;
            (*sun).sun_family = libc::AF_UNIX as libc::sa_family_t;
            for (i, b) in name.iter().enumerate() {
                (*sun).sun_path[i + 1] = *b as libc::c_char;
            }
            *socklen = (std::mem::size_of::<libc::sa_family_t>() + 1 + name.len()) as libc::socklen_t;
            Ok(())
        })?
    };
    Ok(sa)
}

/// A fresh private directory under $TMPDIR (libzmq's ipc://* does the same).
fn make_temp_dir() -> Result<std::path::PathBuf> {
    let base = std::env::var("TMPDIR").unwrap_or_else(|_| "/tmp".into());
    let mut template = format!("{base}/tmpXXXXXX\0").into_bytes();
    // SAFETY: template is a writable NUL-terminated buffer as mkdtemp requires.
    let p = unsafe { libc::mkdtemp(template.as_mut_ptr() as *mut libc::c_char) };
    if p.is_null() {
        return Err(std::io::Error::last_os_error().into());
    }
    template.pop();
    Ok(std::path::PathBuf::from(String::from_utf8_lossy(&template).into_owned()))
}
