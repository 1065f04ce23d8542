//! Endpoint parsing and address resolution, with libzmq 4.3.4's exact rules and errnos.
//!
//! This file has the URI rules (`parse`, protocol checks), the resolved `Endpoint`, the
//! ZMQ_LAST_ENDPOINT text of a bound or connected socket and the unbind/disconnect key;
//! tcp addresses are in `tcp.rs` (over `ip_resolver.rs`, libzmq's ip_resolver_t),
//! accept filters in `tcp_mask.rs`, ipc paths and binds in `ipc.rs`. Everything is
//! re-exported here, so `transport::endpoint::X` names all of it.
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

use socket2::SockAddr;

use crate::constants::{ZMQ_DGRAM, ZMQ_DISH, ZMQ_RADIO};
use crate::error::{Error, Result};

pub use super::ipc::{
    ipc_wildcard_base, prepare_ipc_bind, prepare_ipc_bind_in, resolve_ipc, IpcBinding, IpcEndpoint, IPC_PATH_MAX,
};
pub use super::tcp::{check_tcp_connect_address, resolve_tcp, tcp_endpoint_string, TcpEndpoint};
pub use super::tcp_mask::TcpAddressMask;
pub use super::udp::{dgram_address_text, parse_dgram_address, resolve_udp, UdpEndpoint};
pub use super::ws::WsAddress;

/// The transports zmq-oxide implements, plus udp, which libzmq always recognises.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Protocol {
    Tcp,
    Ipc,
    Inproc,
    /// ZMTP over WebSocket (ZWS 2.0), on tcp.
    Ws,
    /// ws over TLS: draft build only (EPROTONOSUPPORT otherwise, as Debian's libzmq5).
    Wss,
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
            Protocol::Ws => "ws",
            Protocol::Wss => "wss",
            Protocol::Udp => "udp",
        }
    }
}

/// Splits "proto://address". EINVAL if there is no "://" or either side is empty,
/// EPROTONOSUPPORT if the protocol is not one of ours (pgm, epgm, norm, tipc, vmci,
/// anything unknown, and wss outside the draft build: what a libzmq built without them
/// answers).
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
        "ws" => Protocol::Ws,
        "wss" if cfg!(feature = "draft") => Protocol::Wss,
        "udp" => Protocol::Udp,
        _ => return Err(Error::PROTONOSUPPORT),
    };
    Ok((protocol, address))
}

/// Whether a socket type may use a protocol: udp only with RADIO/DISH/DGRAM
/// (ENOCOMPATPROTO otherwise, as libzmq). Which of bind/connect each may use over udp
/// is `check_udp_direction`'s.
pub fn check_protocol(protocol: Protocol, socket_type: i32) -> Result<()> {
    match protocol {
        Protocol::Udp if !matches!(socket_type, ZMQ_RADIO | ZMQ_DISH | ZMQ_DGRAM) => Err(Error::NOCOMPATPROTO),
        _ => Ok(()),
    }
}

/// udp goes one way per type, as libzmq: a RADIO only connects (sends), a DISH and a
/// DGRAM only bind (a DGRAM then sends to whatever address each message names).
/// ENOCOMPATPROTO otherwise.
pub fn check_udp_direction(socket_type: i32, bind: bool) -> Result<()> {
    match (socket_type, bind) {
        (ZMQ_RADIO, false) | (ZMQ_DISH, true) | (ZMQ_DGRAM, true) => Ok(()),
        _ => Err(Error::NOCOMPATPROTO),
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

#[cfg(test)]
mod tests {
    use super::*;

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
        assert_eq!(parse("ws://*:*/x"), Ok((Protocol::Ws, "*:*/x")));
        for p in ["pgm", "epgm", "norm", "tipc", "vmci", "foo", "TCP"] {
            assert_eq!(parse(&format!("{p}://x:1")), Err(Error::PROTONOSUPPORT), "{p}");
        }
    }

    #[test]
    fn udp_is_incompatible_with_most_socket_types() {
        assert_eq!(parse_for_socket("udp://1.2.3.4:5", 5), Err(Error::NOCOMPATPROTO));
        assert_eq!(parse_for_socket("udp://1.2.3.4:5", 15), Ok((Protocol::Udp, "1.2.3.4:5")));
        assert_eq!(check_udp_direction(15, false), Err(Error::NOCOMPATPROTO));
        assert_eq!(check_udp_direction(14, true), Err(Error::NOCOMPATPROTO));
        assert_eq!(check_udp_direction(18, true), Ok(()));
        assert_eq!(parse_for_socket("tcp://1.2.3.4:5", 15), Ok((Protocol::Tcp, "1.2.3.4:5")));
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
}
