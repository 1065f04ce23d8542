//! ws:// and wss:// addresses, as libzmq 4.3.4's ws_address_t: "host:port/path". The path starts at
//! the LAST '/' (so "ws://h:1/a/b" asks for "/b", as libzmq does) and is "/" when there
//! is none; "host:port" follows the tcp rules (bind: "*", NIC names, no DNS, ENODEV;
//! connect: resolved at once, EINVAL if it does not resolve). ZMQ_LAST_ENDPOINT always
//! shows the path: "ws://127.0.0.1:5555/".

use std::net::SocketAddr;

use super::tcp::{resolve_tcp, tcp_endpoint_string};
use crate::error::Result;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WsAddress {
    /// The "host:port" part, for the tcp resolver.
    pub host_port: String,
    /// The host as given (the Host header a client sends; connect's LAST_ENDPOINT).
    pub host: String,
    /// "/..." as sent in the GET request line.
    pub path: String,
    /// wss:// (shown in ZMQ_LAST_ENDPOINT).
    pub secure: bool,
}

impl WsAddress {
    /// Splits what follows "ws://".
    pub fn parse(address: &str) -> WsAddress {
        let (host_port, path) = match address.rfind('/') {
            Some(pos) => (&address[..pos], &address[pos..]),
            None => (address, "/"),
        };
        // The host is everything before the port (IPv6 literals keep their brackets).
        let host = match host_port.rfind(':') {
            Some(pos) => &host_port[..pos],
            None => host_port,
        };
        WsAddress { host_port: host_port.to_string(), host: host.to_string(), path: path.to_string(), secure: false }
    }

    /// The same for what follows "wss://".
    pub fn parse_secure(address: &str) -> WsAddress {
        WsAddress { secure: true, ..WsAddress::parse(address) }
    }

    fn scheme(&self) -> &'static str {
        if self.secure {
            "wss"
        } else {
            "ws"
        }
    }

    /// The address to bind.
    pub fn resolve_bind(&self, ipv6: bool) -> Result<SocketAddr> {
        Ok(resolve_tcp(&self.host_port, true, ipv6)?.addr)
    }

    /// The address to connect to (DNS allowed).
    pub fn resolve_connect(&self, ipv6: bool) -> Result<SocketAddr> {
        Ok(resolve_tcp(&self.host_port, false, ipv6)?.addr)
    }

    /// ZMQ_LAST_ENDPOINT of a bind, once the real port is known.
    pub fn bound_endpoint(&self, local: &SocketAddr) -> String {
        let tcp = tcp_endpoint_string(local);
        format!("{}://{}{}", self.scheme(), &tcp["tcp://".len()..], self.path)
    }

    /// ZMQ_LAST_ENDPOINT of a connect: the host as given, the port, the path.
    pub fn connect_last_endpoint(&self, ipv6: bool) -> String {
        match self.resolve_connect(ipv6) {
            Ok(remote) => format!("{}://{}:{}{}", self.scheme(), self.host, remote.port(), self.path),
            Err(_) => format!("{}://{}{}", self.scheme(), self.host_port, self.path),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;

    #[test]
    fn paths_start_at_the_last_slash() {
        let a = WsAddress::parse("127.0.0.1:5555/a/b?x=1");
        assert_eq!((a.host_port.as_str(), a.host.as_str(), a.path.as_str()), ("127.0.0.1:5555/a", "127.0.0.1", "/b?x=1"));
        let a = WsAddress::parse("*:*");
        assert_eq!((a.host_port.as_str(), a.path.as_str()), ("*:*", "/"));
    }

    #[test]
    fn resolution_follows_tcp() {
        let a = WsAddress::parse("127.0.0.1:*/roundtrip");
        let bound = a.resolve_bind(false).unwrap();
        assert_eq!(bound.port(), 0);
        let local: SocketAddr = "127.0.0.1:4321".parse().unwrap();
        assert_eq!(a.bound_endpoint(&local), "ws://127.0.0.1:4321/roundtrip");
        assert_eq!(WsAddress::parse("*:*").bound_endpoint(&"0.0.0.0:9".parse().unwrap()), "ws://0.0.0.0:9/");
        // A wildcard port cannot be connected to; the path is not part of the port.
        assert_eq!(WsAddress::parse("127.0.0.1:*").resolve_connect(false), Err(Error::INVAL));
        assert_eq!(WsAddress::parse("127.0.0.1:*/x/y").resolve_bind(false), Err(Error::INVAL));
        assert_eq!(WsAddress::parse("127.0.0.1:5555").connect_last_endpoint(false), "ws://127.0.0.1:5555/");
    }
}
