//! Endpoint parsing and address resolution, with libzmq 4.3.4's exact rules and errnos.
//!
//! How the socket layer uses this module (mirroring libzmq's socket_base_t):
//!
//! * every zmq_bind / zmq_connect / zmq_unbind / zmq_disconnect starts with
//!   [`parse_for_socket`]: EINVAL for a malformed URI, EPROTONOSUPPORT for an unknown or
//!   unsupported transport, ENOCOMPATPROTO for udp on a non-udp socket type.
//! * bind tcp: [`resolve_tcp`] with `local = true` gives the address to bind (an
//!   AF_INET6 socket must get IPV6_V6ONLY=0, as libzmq's enable_ipv4_mapping does),
//!   then SO_REUSEADDR, bind, listen(backlog). ZMQ_LAST_ENDPOINT is then
//!   [`format_sockaddr`] of getsockname (so "*:*" shows the real port) and that string
//!   is also the key under which the endpoint is registered for zmq_unbind.
//! * connect tcp: [`check_tcp_connect_address`] only (libzmq resolves when the connecter
//!   first runs, so "tcp://nosuchhost:5555" connects "successfully"); each connection
//!   attempt then calls [`resolve_tcp`] with `local = false` (blocking, may use DNS)
//!   and binds `source` first when present. ZMQ_LAST_ENDPOINT and the registration key
//!   are the URI exactly as given.
//! * bind ipc: [`prepare_ipc_bind`] (wildcard directory, stale file removal, resolution),
//!   then bind/listen on [`IpcEndpoint::sock_addr`]; LAST_ENDPOINT and key are
//!   [`IpcEndpoint::last_endpoint`]; on close call [`IpcBinding::remove_files`].
//! * connect ipc: [`resolve_ipc`] at zmq_connect time (ENAMETOOLONG / EINVAL surface
//!   there); LAST_ENDPOINT and key are the URI as given.
//! * inproc: the name is the whole URI; LAST_ENDPOINT is the URI as given.
//! * unbind/disconnect (tcp, ipc): look the endpoint up under [`term_endpoint_key`];
//!   ENOENT when nothing is registered under it.

use std::ffi::{CStr, CString};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
use std::path::PathBuf;

use socket2::SockAddr;

use crate::error::{Error, Result};

/// sizeof(sockaddr_un.sun_path) on Linux. A path must be shorter (room for the NUL).
pub const IPC_PATH_MAX: usize = 108;

/// The transports zmq-oxide implements, plus udp, which libzmq always recognises.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Protocol {
    Tcp,
    Ipc,
    Inproc,
    /// Known to libzmq in every build (so it gets ENOCOMPATPROTO on most socket types)
    /// but not implemented here.
    Udp,
}

impl Protocol {
    pub fn name(self) -> &'static str {
        match self {
            Protocol::Tcp => "tcp",
            Protocol::Ipc => "ipc",
            Protocol::Inproc => "inproc",
            Protocol::Udp => "udp",
        }
    }
}

/// Splits "proto://address". EINVAL if there is no "://" or either side is empty,
/// EPROTONOSUPPORT if the protocol is not one of ours (pgm, epgm, norm, tipc, vmci,
/// ws, wss and anything unknown: what a libzmq built without them answers).
pub fn parse(uri: &str) -> Result<(Protocol, &str)> {
    let pos = uri.find("://").ok_or(Error::INVAL)?;
    let (protocol, address) = (&uri[..pos], &uri[pos + 3..]);
    if protocol.is_empty() || address.is_empty() {
        return Err(Error::INVAL);
    }
    let protocol = match protocol {
        "tcp" => Protocol::Tcp,
        "ipc" => Protocol::Ipc,
        "inproc" => Protocol::Inproc,
        "udp" => Protocol::Udp,
        _ => return Err(Error::PROTONOSUPPORT),
    };
    Ok((protocol, address))
}

/// Whether a socket type may use a protocol: udp only with RADIO/DISH/DGRAM
/// (ENOCOMPATPROTO otherwise, as libzmq); and since udp is not implemented, those
/// get EPROTONOSUPPORT.
pub fn check_protocol(protocol: Protocol, socket_type: i32) -> Result<()> {
    const RADIO: i32 = 14;
    const DISH: i32 = 15;
    const DGRAM: i32 = 18;
    match protocol {
        Protocol::Udp if matches!(socket_type, RADIO | DISH | DGRAM) => Err(Error::PROTONOSUPPORT),
        Protocol::Udp => Err(Error::NOCOMPATPROTO),
        _ => Ok(()),
    }
}

/// [`parse`] then [`check_protocol`]: the first step of bind/connect/unbind/disconnect.
pub fn parse_for_socket(uri: &str, socket_type: i32) -> Result<(Protocol, &str)> {
    let (protocol, address) = parse(uri)?;
    check_protocol(protocol, socket_type)?;
    Ok((protocol, address))
}

/// A resolved endpoint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Endpoint {
    Tcp(TcpEndpoint),
    Ipc(IpcEndpoint),
    /// The full URI ("inproc://name"): inproc endpoints are registered by it.
    Inproc(String),
}

impl Endpoint {
    /// The socket address to bind/connect (None for inproc).
    pub fn sock_addr(&self) -> Option<SockAddr> {
        match self {
            Endpoint::Tcp(t) => Some(SockAddr::from(t.addr)),
            Endpoint::Ipc(i) => Some(i.sock_addr()),
            Endpoint::Inproc(_) => None,
        }
    }

    /// The endpoint as libzmq prints it (ZMQ_LAST_ENDPOINT). For a tcp bind to port 0
    /// prefer [`format_sockaddr`] of getsockname, which knows the real port.
    pub fn last_endpoint(&self) -> String {
        match self {
            Endpoint::Tcp(t) => tcp_endpoint_string(&t.addr),
            Endpoint::Ipc(i) => i.last_endpoint(),
            Endpoint::Inproc(uri) => uri.clone(),
        }
    }
}

// ---------------------------------------------------------------------------------------
// TCP

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

/// libzmq's get_socket_name: an address from getsockname/getpeername as an endpoint
/// string ("tcp://…" or "ipc://…"); empty for other families.
pub fn format_sockaddr(addr: &SockAddr) -> String {
    if let Some(sa) = addr.as_socket() {
        return tcp_endpoint_string(&sa);
    }
    if !addr.is_unix() {
        return String::new();
    }
    // sun_path is read up to its first NUL; an abstract name (leading NUL) shows as '@'.
    let until_nul = |b: &[u8]| b[..b.iter().position(|&c| c == 0).unwrap_or(b.len())].to_vec();
    let path = if let Some(name) = addr.as_abstract_namespace() {
        match name.first() {
            Some(&c) if c != 0 => [b"@".as_slice(), &until_nul(name)].concat(),
            _ => Vec::new(),
        }
    } else if let Some(p) = addr.as_pathname() {
        use std::os::unix::ffi::OsStrExt;
        until_nul(p.as_os_str().as_bytes())
    } else {
        Vec::new()
    };
    format!("ipc://{}", String::from_utf8_lossy(&path))
}

/// The key to look up for zmq_unbind/zmq_disconnect, as libzmq's term_endpoint:
/// the URI itself if registered; for tcp otherwise the URI's address resolved
/// connect-style, then bind-style, formatted as LAST_ENDPOINT (so "tcp://localhost:5555"
/// finds a bind registered as "tcp://127.0.0.1:5555", but "tcp://*:*" or
/// "tcp://127.0.0.1:*" never match: ENOENT, as libzmq).
pub fn term_endpoint_key(uri: &str, ipv6: bool, is_registered: impl Fn(&str) -> bool) -> String {
    if is_registered(uri) {
        return uri.to_owned();
    }
    let Ok((Protocol::Tcp, address)) = parse(uri) else {
        return uri.to_owned();
    };
    let Ok(remote) = resolve_tcp(address, false, ipv6) else {
        return uri.to_owned();
    };
    let key = tcp_endpoint_string(&remote.addr);
    if is_registered(&key) {
        return key;
    }
    match resolve_tcp(address, true, ipv6) {
        Ok(local) => tcp_endpoint_string(&local.addr),
        Err(_) => key,
    }
}

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
            Some(m) => match c_strtol(m) {
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

// ---------------------------------------------------------------------------------------
// IPC

/// A unix-domain socket address: a path, or "@name" for the abstract namespace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IpcEndpoint {
    path: String,
}

/// libzmq's ipc_address_t::resolve: ENAMETOOLONG if the path does not fit sun_path with
/// its NUL (>= 108 bytes), EINVAL for the empty abstract name "@".
pub fn resolve_ipc(path: &str) -> Result<IpcEndpoint> {
    if path.len() >= IPC_PATH_MAX {
        return Err(Error(libc::ENAMETOOLONG));
    }
    if path == "@" {
        return Err(Error::INVAL);
    }
    Ok(IpcEndpoint { path: path.to_owned() })
}

impl IpcEndpoint {
    /// The path as given after "ipc://" ("@name" for abstract names).
    pub fn path(&self) -> &str {
        &self.path
    }

    pub fn is_abstract(&self) -> bool {
        self.path.starts_with('@')
    }

    /// The sockaddr_un: abstract names get their leading NUL in place of '@'.
    pub fn sock_addr(&self) -> SockAddr {
        use std::os::unix::ffi::OsStrExt;
        let mut bytes = self.path.as_bytes().to_vec();
        if self.is_abstract() {
            bytes[0] = 0;
        }
        // Cannot fail: resolve_ipc checked the length.
        SockAddr::unix(std::ffi::OsStr::from_bytes(&bytes)).expect("ipc path fits sun_path")
    }

    /// "ipc:///tmp/x", "ipc://@name", "ipc://relative/path".
    pub fn last_endpoint(&self) -> String {
        format!("ipc://{}", self.path)
    }
}

/// An ipc endpoint ready to bind, and the files it owns.
#[derive(Debug)]
pub struct IpcBinding {
    pub endpoint: IpcEndpoint,
    /// The directory created for "ipc://*", removed with the socket file on close.
    pub tmp_dir: Option<PathBuf>,
}

/// Everything libzmq's ipc_listener does before bind(): "ipc://*" (any path starting
/// with '*') becomes "<dir>/socket" in a fresh mkdtemp directory "tmpXXXXXX" under
/// [`ipc_wildcard_base`]; a stale file at the path is unlinked; then the path is
/// resolved. With ZMQ_USE_FD set (`use_fd`) neither the wildcard nor the unlink applies.
///
/// Deliberate difference: libzmq also unlinks "@name" (a relative file) for abstract
/// names; we don't.
pub fn prepare_ipc_bind(path: &str, use_fd: bool) -> Result<IpcBinding> {
    prepare_ipc_bind_in(path, use_fd, &ipc_wildcard_base())
}

/// [`prepare_ipc_bind`] with the wildcard base directory given ("" or ending in '/').
pub fn prepare_ipc_bind_in(path: &str, use_fd: bool, wildcard_base: &str) -> Result<IpcBinding> {
    let mut path = path.to_owned();
    let mut tmp_dir = None;
    if !use_fd && path.starts_with('*') {
        let dir = create_wildcard_dir(wildcard_base)?;
        path = format!("{}/socket", dir.display());
        tmp_dir = Some(dir);
    }
    if !use_fd && !path.starts_with('@') {
        let _ = std::fs::remove_file(&path);
    }
    match resolve_ipc(&path) {
        Ok(endpoint) => Ok(IpcBinding { endpoint, tmp_dir }),
        Err(e) => {
            if let Some(dir) = tmp_dir {
                let _ = std::fs::remove_dir(dir);
            }
            Err(e)
        }
    }
}

/// Where "ipc://*" directories go, as libzmq: $TMPDIR, $TEMPDIR or $TMP (the first that
/// is a directory) with a trailing '/', or "" (the current directory: the endpoint is
/// then relative, "ipc://tmpAbC123/socket").
pub fn ipc_wildcard_base() -> String {
    let mut base = ["TMPDIR", "TEMPDIR", "TMP"]
        .iter()
        .filter_map(std::env::var_os)
        .find(|d| std::path::Path::new(d).is_dir())
        .map(|d| d.into_string().unwrap_or_default())
        .unwrap_or_default();
    if !base.is_empty() && !base.ends_with('/') {
        base.push('/');
    }
    base
}

impl IpcBinding {
    /// Call after closing the listening socket: like libzmq, removes the socket file
    /// and its directory only for wildcard binds (other socket files are left behind
    /// and unlinked by the next bind).
    pub fn remove_files(&mut self) -> std::io::Result<()> {
        if let Some(dir) = self.tmp_dir.take() {
            std::fs::remove_file(self.endpoint.path())?;
            std::fs::remove_dir(dir)?;
        }
        Ok(())
    }
}

fn create_wildcard_dir(base: &str) -> Result<PathBuf> {
    let template = CString::new(format!("{base}tmpXXXXXX")).map_err(|_| Error::INVAL)?;
    let mut buf = template.into_bytes_with_nul();
    // SAFETY: buf is a writable NUL-terminated template, as mkdtemp requires.
    let p = unsafe { libc::mkdtemp(buf.as_mut_ptr().cast()) };
    if p.is_null() {
        return Err(std::io::Error::last_os_error().into());
    }
    buf.pop();
    Ok(PathBuf::from(String::from_utf8_lossy(&buf).into_owned()))
}

// ---------------------------------------------------------------------------------------
// libzmq's ip_resolver_t

#[derive(Clone, Copy)]
struct ResolverOpts {
    bindable: bool,
    allow_dns: bool,
    allow_nic: bool,
    ipv6: bool,
    expect_port: bool,
}

fn ip_resolve(name: &str, o: ResolverOpts) -> Result<SocketAddr> {
    let (mut addr, port) = if o.expect_port {
        let delim = name.rfind(':').ok_or(Error::INVAL)?;
        let port = match &name[delim + 1..] {
            "*" if o.bindable => 0,
            "*" => return Err(Error::INVAL),
            "0" => 0,
            // C's atoi then a cast to uint16_t: junk after the digits is ignored and
            // large numbers wrap; only a result of 0 is refused.
            p => match c_strtol(p) as i32 as u16 {
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
            c_strtol(if_str) as i32 as u32
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

fn if_nametoindex(name: &str) -> u32 {
    match CString::new(name) {
        // SAFETY: valid C string.
        Ok(c) => unsafe { libc::if_nametoindex(c.as_ptr()) },
        Err(_) => 0,
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

/// C's strtol(s, NULL, 10) on a 64-bit long: leading whitespace, a sign, digits, junk
/// ignored, saturating. (atoi is this cast to int.)
pub(crate) fn c_strtol(s: &str) -> i64 {
    let b = s.as_bytes();
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

#[cfg(test)]
mod tests {
    use super::*;

    fn v4(s: &str) -> SocketAddr {
        s.parse().unwrap()
    }

    #[test]
    fn parse_uris() {
        assert_eq!(parse("tcp://127.0.0.1:5555"), Ok((Protocol::Tcp, "127.0.0.1:5555")));
        assert_eq!(parse("ipc:///tmp/x"), Ok((Protocol::Ipc, "/tmp/x")));
        assert_eq!(parse("inproc://a://b"), Ok((Protocol::Inproc, "a://b")));
        assert_eq!(parse("udp://1.2.3.4:5"), Ok((Protocol::Udp, "1.2.3.4:5")));
        assert_eq!(parse("tcp://"), Err(Error::INVAL));
        assert_eq!(parse("://x"), Err(Error::INVAL));
        assert_eq!(parse("tcp:/x"), Err(Error::INVAL));
        assert_eq!(parse(""), Err(Error::INVAL));
        for p in ["pgm", "epgm", "norm", "tipc", "vmci", "ws", "wss", "foo", "TCP"] {
            assert_eq!(parse(&format!("{p}://x:1")), Err(Error::PROTONOSUPPORT), "{p}");
        }
    }

    #[test]
    fn udp_is_incompatible_with_most_socket_types() {
        assert_eq!(parse_for_socket("udp://1.2.3.4:5", 5), Err(Error::NOCOMPATPROTO));
        assert_eq!(parse_for_socket("udp://1.2.3.4:5", 15), Err(Error::PROTONOSUPPORT));
        assert_eq!(parse_for_socket("tcp://1.2.3.4:5", 15), Ok((Protocol::Tcp, "1.2.3.4:5")));
    }

    #[test]
    fn tcp_bind_resolution() {
        let bind = |a: &str, ipv6| resolve_tcp(a, true, ipv6).map(|e| e.addr);
        assert_eq!(bind("*:5555", false), Ok(v4("0.0.0.0:5555")));
        assert_eq!(bind("*:*", false), Ok(v4("0.0.0.0:0")));
        assert_eq!(bind("*:0", false), Ok(v4("0.0.0.0:0")));
        assert_eq!(bind("*:*", true), Ok("[::]:0".parse().unwrap()));
        assert_eq!(bind("127.0.0.1:*", false), Ok(v4("127.0.0.1:0")));
        assert_eq!(bind("127.0.0.1:*", true), Ok("[::ffff:127.0.0.1]:0".parse().unwrap()));
        assert_eq!(bind("lo:5555", false), Ok(v4("127.0.0.1:5555")));
        assert_eq!(bind("[::1]:5555", true), Ok("[::1]:5555".parse().unwrap()));
        // libzmq's atoi port parsing: junk after digits ignored, values wrap mod 65536.
        assert_eq!(bind("127.0.0.1:70000", false), Ok(v4("127.0.0.1:4464")));
        assert_eq!(bind("127.0.0.1:-1", false), Ok(v4("127.0.0.1:65535")));
        assert_eq!(bind("127.0.0.1:5555abc", false), Ok(v4("127.0.0.1:5555")));
        assert_eq!(bind("127.0.0.1:65536", false), Err(Error::INVAL));
        assert_eq!(bind("127.0.0.1:abc", false), Err(Error::INVAL));
        assert_eq!(bind("127.0.0.1:!", false), Err(Error::INVAL)); // czmq's syntax, not libzmq's
        assert_eq!(bind("127.0.0.1:", false), Err(Error::INVAL));
        assert_eq!(bind("127.0.0.1", false), Err(Error::INVAL));
        // Unresolvable on the bind side is ENODEV: unknown NICs, names (no DNS), v6 without ipv6.
        assert_eq!(bind("nosuchnic0:5555", false), Err(Error::NODEV));
        assert_eq!(bind("localhost:5555", false), Err(Error::NODEV));
        assert_eq!(bind("[::1]:5555", false), Err(Error::NODEV));
        assert_eq!(bind(":5555", false), Err(Error::NODEV));
        // Zones.
        assert_eq!(bind("[::1%]:5555", true), Err(Error::INVAL));
        assert_eq!(bind("[::1%nosuchnic0]:5555", true), Err(Error::INVAL));
        let scoped = bind("[fe80::1%lo]:5555", true).unwrap();
        match scoped {
            SocketAddr::V6(a) => assert_eq!(a.scope_id(), if_nametoindex("lo")),
            _ => panic!(),
        }
        assert_eq!(tcp_endpoint_string(&scoped), "tcp://[fe80::1%lo]:5555");
        match bind("[fe80::1%1]:5555", true).unwrap() {
            SocketAddr::V6(a) => assert_eq!(a.scope_id(), 1),
            _ => panic!(),
        }
    }

    #[test]
    fn tcp_connect_resolution() {
        let conn = |a: &str, ipv6| resolve_tcp(a, false, ipv6).map(|e| e.addr);
        assert_eq!(conn("127.0.0.1:5555", false), Ok(v4("127.0.0.1:5555")));
        assert_eq!(conn("localhost:5555", false), Ok(v4("127.0.0.1:5555")));
        assert_eq!(conn("127.0.0.1:0", false), Ok(v4("127.0.0.1:0")));
        assert_eq!(conn("127.0.0.1:*", false), Err(Error::INVAL));
        assert_eq!(conn("*:5555", false), Err(Error::INVAL));
        assert_eq!(conn("[::1]:5555", false), Err(Error::INVAL));
        assert_eq!(conn("[::1]:5555", true), Ok("[::1]:5555".parse().unwrap()));
        assert_eq!(conn("lo:5555", false), Err(Error::INVAL)); // no NIC names when connecting
        // Source addresses: bind-style, split at the last ';'.
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

    #[test]
    fn term_endpoint_keys() {
        let registered = ["tcp://127.0.0.1:5555", "tcp://0.0.0.0:6000", "ipc://tmpX/socket"];
        let is_reg = |k: &str| registered.contains(&k);
        assert_eq!(term_endpoint_key("tcp://127.0.0.1:5555", false, is_reg), "tcp://127.0.0.1:5555");
        assert_eq!(term_endpoint_key("tcp://localhost:5555", false, is_reg), "tcp://127.0.0.1:5555");
        // '*' never resolves connect-style, so wildcards are looked up verbatim (ENOENT).
        assert_eq!(term_endpoint_key("tcp://*:6000", false, is_reg), "tcp://*:6000");
        assert_eq!(term_endpoint_key("tcp://127.0.0.1:*", false, is_reg), "tcp://127.0.0.1:*");
        assert_eq!(term_endpoint_key("ipc://*", false, is_reg), "ipc://*");
        assert_eq!(term_endpoint_key("ipc://tmpX/socket", false, is_reg), "ipc://tmpX/socket");
        // Neither form registered: the bind-style form is the one looked up.
        assert_eq!(term_endpoint_key("tcp://127.0.0.1:7777", false, is_reg), "tcp://127.0.0.1:7777");
    }

    #[test]
    fn accept_filter_masks() {
        let m = TcpAddressMask::resolve("127.0.0.1", false).unwrap();
        assert_eq!(m.bits, 32);
        assert!(m.matches(&v4("127.0.0.1:1")));
        assert!(!m.matches(&v4("127.0.0.2:1")));
        let m = TcpAddressMask::resolve("10.0.0.0/8", false).unwrap();
        assert!(m.matches(&v4("10.200.1.1:1")));
        assert!(!m.matches(&v4("11.0.0.1:1")));
        assert!(!m.matches(&"[::ffff:10.0.0.1]:1".parse().unwrap()));
        let m = TcpAddressMask::resolve("192.168.1.0/23", false).unwrap();
        assert!(m.matches(&v4("192.168.0.7:1")));
        assert!(!m.matches(&v4("192.168.2.7:1")));
        let m = TcpAddressMask::resolve("1.2.3.4/0", false).unwrap();
        assert!(m.matches(&v4("9.9.9.9:1")));
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

    #[test]
    fn ipc_resolution_and_strings() {
        let ep = resolve_ipc("/tmp/x").unwrap();
        assert!(!ep.is_abstract());
        assert_eq!(ep.last_endpoint(), "ipc:///tmp/x");
        assert_eq!(format_sockaddr(&ep.sock_addr()), "ipc:///tmp/x");
        let ab = resolve_ipc("@name").unwrap();
        assert!(ab.is_abstract());
        assert_eq!(ab.sock_addr().as_abstract_namespace(), Some(&b"name"[..]));
        assert_eq!(ab.last_endpoint(), "ipc://@name");
        assert_eq!(format_sockaddr(&ab.sock_addr()), "ipc://@name");
        assert_eq!(resolve_ipc("@"), Err(Error::INVAL));
        let longest = "x".repeat(IPC_PATH_MAX - 1);
        assert!(resolve_ipc(&longest).is_ok());
        assert_eq!(resolve_ipc(&"x".repeat(IPC_PATH_MAX)), Err(Error(libc::ENAMETOOLONG)));
        assert_eq!(resolve_ipc(&format!("@{longest}")), Err(Error(libc::ENAMETOOLONG)));
    }

    #[test]
    fn ipc_abstract_bind_and_connect() {
        let name = format!("@zmq-oxide-endpoint-test-{}", std::process::id());
        let b = prepare_ipc_bind(&name, false).unwrap();
        let l = socket2::Socket::new(socket2::Domain::UNIX, socket2::Type::STREAM, None).unwrap();
        l.bind(&b.endpoint.sock_addr()).unwrap();
        l.listen(1).unwrap();
        assert_eq!(format_sockaddr(&l.local_addr().unwrap()), format!("ipc://{name}"));
        let c = socket2::Socket::new(socket2::Domain::UNIX, socket2::Type::STREAM, None).unwrap();
        c.connect(&resolve_ipc(&name).unwrap().sock_addr()).unwrap();
        assert_eq!(format_sockaddr(&c.peer_addr().unwrap()), format!("ipc://{name}"));
        assert_eq!(format_sockaddr(&c.local_addr().unwrap()), "ipc://"); // unnamed
    }

    #[test]
    fn ipc_wildcard_bind_creates_and_removes_a_temp_dir() {
        let base = std::env::temp_dir().join(format!("zmq-oxide-ep-{}", std::process::id()));
        std::fs::create_dir_all(&base).unwrap();
        let mut b = prepare_ipc_bind_in("*", false, &format!("{}/", base.display())).unwrap();
        let dir = b.tmp_dir.clone().unwrap();
        let expected_prefix = format!("{}/tmp", base.display());
        assert!(dir.to_str().unwrap().starts_with(&expected_prefix), "{dir:?}");
        assert_eq!(dir.file_name().unwrap().len(), "tmpXXXXXX".len());
        assert_eq!(b.endpoint.path(), format!("{}/socket", dir.display()));
        assert_eq!(b.endpoint.last_endpoint(), format!("ipc://{}/socket", dir.display()));
        let l = socket2::Socket::new(socket2::Domain::UNIX, socket2::Type::STREAM, None).unwrap();
        l.bind(&b.endpoint.sock_addr()).unwrap();
        drop(l);
        b.remove_files().unwrap();
        assert!(!dir.exists());
        std::fs::remove_dir(&base).unwrap();
        // With "ZMQ_USE_FD" the '*' is taken literally.
        assert_eq!(prepare_ipc_bind_in("*", true, "/nonexistent/").unwrap().endpoint.path(), "*");
    }

    #[test]
    fn ipc_bind_removes_stale_socket_file() {
        let path = std::env::temp_dir().join(format!("zmq-oxide-stale-{}", std::process::id()));
        let path = path.to_str().unwrap().to_owned();
        std::fs::write(&path, b"").unwrap();
        let mut b = prepare_ipc_bind(&path, false).unwrap();
        assert!(!std::path::Path::new(&path).exists());
        b.remove_files().unwrap(); // not a wildcard: nothing to remove, like libzmq
        std::fs::write(&path, b"").unwrap();
        prepare_ipc_bind(&path, true).unwrap(); // ZMQ_USE_FD: the file is the user's
        assert!(std::path::Path::new(&path).exists());
        std::fs::remove_file(&path).unwrap();
    }

    #[test]
    fn c_number_parsing() {
        assert_eq!(c_strtol("  42xyz"), 42);
        assert_eq!(c_strtol("+7"), 7);
        assert_eq!(c_strtol("-7"), -7);
        assert_eq!(c_strtol("x"), 0);
        assert_eq!(c_strtol("99999999999999999999"), i64::MAX);
        assert_eq!(c_strtol("99999999999999999999") as i32 as u16, 65535);
    }
}
