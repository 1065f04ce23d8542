//! SOCKS5 client (RFC 1928, with RFC 1929 username/password) for tcp connects through
//! ZMQ_SOCKS_PROXY. The session connects to the proxy, runs this handshake on the fresh
//! stream, and only then starts its engine, as if connected to the target directly.
//!
//! Like libzmq, it offers one method: username/password when ZMQ_SOCKS_USERNAME is set,
//! else none; it names the target by IP when the host is an IP literal, else by domain
//! name (the proxy resolves it).

use super::stream::Stream;
use crate::options::Options;
use std::io::{ErrorKind, Read, Write};
use std::net::IpAddr;

const VERSION: u8 = 5;
const NO_AUTH: u8 = 0;
const BASIC_AUTH: u8 = 2;
const CONNECT: u8 = 1;
const ATYP_IPV4: u8 = 1;
const ATYP_DOMAIN: u8 = 3;
const ATYP_IPV6: u8 = 4;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Greeting sent; waiting for [version, method].
    Choice,
    /// Credentials sent; waiting for [1, status].
    Auth,
    /// CONNECT sent; waiting for [version, reply, 0, atyp, address, port].
    Reply,
    Done,
}

#[derive(Debug, Clone)]
pub(super) struct SocksClient {
    phase: Phase,
    /// What to send next, and how much of it went out.
    out: Vec<u8>,
    sent: usize,
    /// The reply being read (exactly its length: what follows belongs to the engine).
    inbuf: Vec<u8>,
    host: String,
    port: u16,
    username: Vec<u8>,
    password: Vec<u8>,
}

impl SocksClient {
    /// A handshake for connecting to `target` ("host:port", "[v6]:port") through the
    /// socket's proxy, if it has one.
    pub(super) fn for_target(target: &str, o: &Options) -> Option<SocksClient> {
        if o.socks_proxy.is_empty() {
            return None;
        }
        let (host, port) = split_host_port(target);
        let method = if o.socks_username.is_empty() { NO_AUTH } else { BASIC_AUTH };
        Some(SocksClient {
            phase: Phase::Choice,
            out: vec![VERSION, 1, method],
            sent: 0,
            inbuf: Vec::new(),
            host,
            port,
            username: o.socks_username.clone(),
            password: o.socks_password.clone(),
        })
    }

    /// Bytes still needed to complete the reply being read (0: it is complete).
    fn needed(&self) -> usize {
        let have = self.inbuf.len();
        let total = match self.phase {
            Phase::Choice | Phase::Auth => 2,
            Phase::Done => 0,
            Phase::Reply => match self.inbuf.get(3) {
                None => 5,
                Some(&ATYP_IPV4) => 4 + 4 + 2,
                Some(&ATYP_IPV6) => 4 + 16 + 2,
                // Domain: its length byte, then the name and the port.
                Some(_) => match self.inbuf.get(4) {
                    Some(&len) => 5 + len as usize + 2,
                    None => 5,
                },
            },
        };
        total.saturating_sub(have)
    }

    /// A complete reply arrived: check it and queue what comes next.
    fn on_reply(&mut self) -> Result<(), ()> {
        let r = std::mem::take(&mut self.inbuf);
        match self.phase {
            Phase::Choice => match (r[0], r[1]) {
                (VERSION, NO_AUTH) => self.queue_request(),
                (VERSION, BASIC_AUTH) => self.queue_credentials(),
                _ => return Err(()),
            },
            Phase::Auth if r[1] == 0 => self.queue_request(),
            Phase::Reply if r[0] == VERSION && r[1] == 0 && matches!(r[3], ATYP_IPV4 | ATYP_DOMAIN | ATYP_IPV6) => {
                self.phase = Phase::Done
            }
            _ => return Err(()),
        }
        Ok(())
    }

    fn queue_credentials(&mut self) {
        let mut out = vec![1, self.username.len() as u8];
        out.extend_from_slice(&self.username);
        out.push(self.password.len() as u8);
        out.extend_from_slice(&self.password);
        self.out = out;
        self.sent = 0;
        self.phase = Phase::Auth;
    }

    fn queue_request(&mut self) {
        let mut out = vec![VERSION, CONNECT, 0];
        match self.host.parse::<IpAddr>() {
            Ok(IpAddr::V4(a)) => {
                out.push(ATYP_IPV4);
                out.extend_from_slice(&a.octets());
            }
            Ok(IpAddr::V6(a)) => {
                out.push(ATYP_IPV6);
                out.extend_from_slice(&a.octets());
            }
            Err(_) => {
                out.push(ATYP_DOMAIN);
                out.push(self.host.len() as u8);
                out.extend_from_slice(self.host.as_bytes());
            }
        }
        out.extend_from_slice(&self.port.to_be_bytes());
        self.out = out;
        self.sent = 0;
        self.phase = Phase::Reply;
    }

    /// Run the handshake as far as the stream allows. Ok(true) once the proxy connected
    /// us to the target; Err if it refused or the connection failed.
    pub(super) fn advance(&mut self, stream: &mut Stream) -> Result<bool, ()> {
        loop {
            while self.sent < self.out.len() {
                match stream.write(&self.out[self.sent..]) {
                    Ok(0) => return Err(()),
                    Ok(n) => self.sent += n,
                    Err(e) if e.kind() == ErrorKind::WouldBlock => return Ok(false),
                    Err(e) if e.kind() == ErrorKind::Interrupted => {}
                    Err(_) => return Err(()),
                }
            }
            if self.phase == Phase::Done {
                return Ok(true);
            }
            let needed = self.needed();
            if needed == 0 {
                self.on_reply()?;
                continue;
            }
            let mut buf = [0u8; 262];
            match stream.read(&mut buf[..needed]) {
                Ok(0) => return Err(()),
                Ok(n) => self.inbuf.extend_from_slice(&buf[..n]),
                Err(e) if e.kind() == ErrorKind::WouldBlock => return Ok(false),
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(_) => return Err(()),
            }
        }
    }
}

/// "host:port" / "[v6]:port" / "::1:port" as libzmq's SOCKS connecter splits it (at the
/// last ':'); the port was checked at zmq_connect.
fn split_host_port(address: &str) -> (String, u16) {
    let Some(idx) = address.rfind(':') else { return (address.to_string(), 0) };
    let host = &address[..idx];
    let host = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')).unwrap_or(host);
    // Names longer than a SOCKS domain field cannot be asked for; the proxy will refuse.
    let host = if host.len() > 255 { &host[..255] } else { host };
    (host.to_string(), address[idx + 1..].parse().unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::constants::ZMQ_PULL;

    fn client(user: &str, pass: &str) -> SocksClient {
        let mut o = Options::with_ctx(ZMQ_PULL, &Default::default());
        o.socks_proxy = b"127.0.0.1:1080".to_vec();
        o.socks_username = user.as_bytes().to_vec();
        o.socks_password = pass.as_bytes().to_vec();
        SocksClient::for_target("somedomainname.org:5555", &o).unwrap()
    }

    fn feed(c: &mut SocksClient, bytes: &[u8]) -> Result<(), ()> {
        for &b in bytes {
            assert!(c.needed() > 0, "reply longer than expected");
            c.inbuf.push(b);
        }
        assert_eq!(c.needed(), 0, "reply shorter than expected");
        c.on_reply()
    }

    #[test]
    fn no_auth_then_domain_request() {
        let mut c = client("", "");
        assert_eq!(c.out, [5, 1, 0]);
        feed(&mut c, &[5, 0]).unwrap();
        let mut want = vec![5, 1, 0, 3, 18];
        want.extend_from_slice(b"somedomainname.org");
        want.extend_from_slice(&5555u16.to_be_bytes());
        assert_eq!(c.out, want);
        feed(&mut c, &[5, 0, 0, 3, 9, b'l', b'o', b'c', b'a', b'l', b'h', b'o', b's', b't', 0x15, 0xb3]).unwrap();
        assert_eq!(c.phase, Phase::Done);
    }

    #[test]
    fn basic_auth_sends_credentials() {
        let mut c = client("someuser", "somepass");
        assert_eq!(c.out, [5, 1, 2]);
        feed(&mut c, &[5, 2]).unwrap();
        assert_eq!(c.out, b"\x01\x08someuser\x08somepass");
        assert!(feed(&mut c.clone(), &[1, 1]).is_err(), "auth failure");
        feed(&mut c, &[1, 0]).unwrap();
        assert_eq!(c.phase, Phase::Reply);
    }

    #[test]
    fn refusals_fail() {
        let mut c = client("", "");
        assert!(feed(&mut c, &[5, 0xff]).is_err());
        let mut c = client("", "");
        feed(&mut c, &[5, 0]).unwrap();
        assert!(feed(&mut c, &[5, 5, 0, 1, 127, 0, 0, 1, 0, 1]).is_err());
    }

    #[test]
    fn ip_targets_are_sent_as_addresses() {
        assert_eq!(split_host_port("[::1]:80"), ("::1".to_string(), 80));
        assert_eq!(split_host_port("::1:80"), ("::1".to_string(), 80));
        let mut o = Options::with_ctx(ZMQ_PULL, &Default::default());
        o.socks_proxy = b"127.0.0.1:1080".to_vec();
        let mut c = SocksClient::for_target("::1:80", &o).unwrap();
        feed(&mut c, &[5, 0]).unwrap();
        assert_eq!(c.out[3], ATYP_IPV6);
        assert_eq!(c.out.len(), 4 + 16 + 2);
        let mut c = SocksClient::for_target("127.0.0.1:80", &o).unwrap();
        feed(&mut c, &[5, 0]).unwrap();
        assert_eq!(c.out, [5, 1, 0, 1, 127, 0, 0, 1, 0, 80]);
    }
}
