//! The udp transport: no ZMTP, no connection, one datagram per message. A RADIO
//! connects (sends only), a DISH binds (receives only, joining the group of a multicast
//! address), a DGRAM binds and does both. Each is a `UdpLink` in an I/O thread: a mio
//! UdpSocket and the session end of a pipe to the socket, made at bind/connect time.
//!
//! Datagrams are libzmq's: RADIO/DISH send one byte of group length, the group, then the
//! body; DGRAM sends the body alone, to the "ip:port" its first frame names, and receives
//! the sender's "ip:port" then the body. On the pipe both are two frames (group or
//! address with MORE, then the body), as RADIO writes them and DISH/DGRAM read them.
//! udp is lossy: a datagram that finds the socket's pipe full, an unresolvable DGRAM
//! address, or a send error drops that datagram only.

use super::{new_handle, EndpointHandle, IoCmd, SessionNotify};
use crate::constants::*;
use crate::ctx::Ctx;
use crate::error::{Error, Result};
use crate::msg::Msg;
use crate::options::Options;
use crate::pipe::{pair, PeerInfo, Pipe};
use crate::transport::endpoint::{dgram_address_text, parse_dgram_address, resolve_udp, UdpEndpoint};
use mio::{Interest, Registry, Token};
use socket2::{Domain, Protocol, Socket, Type};
use std::io::ErrorKind;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

/// libzmq's MAX_UDP_MSG: the largest datagram sent or read.
const MAX_DATAGRAM: usize = 8192;

pub(crate) struct UdpLink {
    handle: u64,
    socket: mio::net::UdpSocket,
    pipe: Pipe,
    socket_type: i32,
    /// Where a RADIO sends.
    target: Option<SocketAddr>,
    /// A datagram the socket could not take yet (EAGAIN), sent on the next writable.
    pending: Option<(Vec<u8>, SocketAddr)>,
    buf: Box<[u8]>,
}

/// zmq_bind on udp (DISH, DGRAM). Returns the registration and the socket's pipe end.
pub fn bind(ctx: &Arc<Ctx>, addr: &str, endpoint: &str, o: &Options) -> Result<(EndpointHandle, Pipe)> {
    let ep = resolve_udp(addr, true, o.ipv6)?;
    let sock = new_socket(&ep.bind)?;
    sock.set_reuse_address(true)?;
    if ep.multicast {
        sock.set_reuse_port(true)?;
    }
    sock.bind(&ep.bind.into())?;
    if ep.multicast {
        join_group(&sock, &ep)?;
    }
    start(ctx, sock, None, endpoint, o, true)
}

/// zmq_connect on udp (RADIO).
pub fn connect(ctx: &Arc<Ctx>, addr: &str, endpoint: &str, o: &Options) -> Result<(EndpointHandle, Pipe)> {
    let ep = resolve_udp(addr, false, o.ipv6)?;
    let sock = new_socket(&ep.target)?;
    if ep.multicast {
        match ep.target.ip() {
            IpAddr::V4(_) => {
                sock.set_multicast_loop_v4(o.multicast_loop)?;
                sock.set_multicast_ttl_v4(o.multicast_hops as u32)?;
                if let IpAddr::V4(local) = ep.bind.ip() {
                    if !local.is_unspecified() {
                        sock.set_multicast_if_v4(&local)?;
                    }
                }
            }
            IpAddr::V6(_) => {
                sock.set_multicast_loop_v6(o.multicast_loop)?;
                sock.set_multicast_hops_v6(o.multicast_hops as u32)?;
                if ep.interface != 0 {
                    sock.set_multicast_if_v6(ep.interface)?;
                }
            }
        }
    }
    start(ctx, sock, Some(ep.target), endpoint, o, false)
}

fn new_socket(addr: &SocketAddr) -> Result<Socket> {
    let domain = Domain::for_address(*addr);
    let sock = Socket::new(domain, Type::DGRAM.nonblocking().cloexec(), Some(Protocol::UDP))?;
    if domain == Domain::IPV6 {
        // ZMQ_IPV6 sockets reach IPv4 peers too, as libzmq's enable_ipv4_mapping.
        sock.set_only_v6(false)?;
    }
    Ok(sock)
}

fn join_group(sock: &Socket, ep: &UdpEndpoint) -> Result<()> {
    match (ep.target.ip(), ep.bind.ip()) {
        (IpAddr::V4(group), IpAddr::V4(local)) => sock.join_multicast_v4(&group, &local)?,
        (IpAddr::V6(group), _) => match group.to_ipv4_mapped() {
            Some(v4) => sock.join_multicast_v4(&v4, &std::net::Ipv4Addr::UNSPECIFIED)?,
            None => sock.join_multicast_v6(&group, ep.interface)?,
        },
        _ => return Err(Error::INVAL),
    }
    Ok(())
}

/// Make the pipe, hand the link to an I/O thread, give the socket its end.
fn start(ctx: &Arc<Ctx>, sock: Socket, target: Option<SocketAddr>, endpoint: &str, o: &Options, bind: bool) -> Result<(EndpointHandle, Pipe)> {
    let (mut sock_end, sess_end) = pair(o.sndhwm.max(0) as u64, o.rcvhwm.max(0) as u64);
    sock_end.peer = PeerInfo { endpoint: endpoint.to_string(), ..Default::default() };
    let io = super::pool(ctx)?.choose();
    let handle = new_handle();
    let link = UdpLink {
        handle,
        socket: mio::net::UdpSocket::from_std(sock.into()),
        pipe: sess_end,
        socket_type: o.socket_type,
        target,
        pending: None,
        buf: vec![0; MAX_DATAGRAM].into_boxed_slice(),
    };
    let pipe = Some(sock_end.id());
    io.send(IoCmd::Udp(Box::new(link)));
    Ok((EndpointHandle { io, handle, bind, pipe, listener: None }, sock_end))
}

impl UdpLink {
    pub(super) fn handle(&self) -> u64 {
        self.handle
    }

    pub(super) fn register(&mut self, registry: &Registry, token: Token, notify: Arc<SessionNotify>) -> std::io::Result<()> {
        registry.register(&mut self.socket, token, Interest::READABLE | Interest::WRITABLE)?;
        self.pipe.set_owner(notify);
        Ok(())
    }

    pub(super) fn deregister(&mut self, registry: &Registry) {
        let _ = registry.deregister(&mut self.socket);
        self.pipe.close();
    }

    /// Move what can move: the pipe's messages out as datagrams, datagrams in.
    pub(super) fn pump(&mut self) {
        self.send_out();
        self.receive();
    }

    fn sends(&self) -> bool {
        matches!(self.socket_type, ZMQ_RADIO | ZMQ_DGRAM)
    }

    fn send_out(&mut self) {
        loop {
            if let Some((data, to)) = self.pending.take() {
                match self.socket.send_to(&data, to) {
                    Err(e) if e.kind() == ErrorKind::WouldBlock => {
                        self.pending = Some((data, to));
                        return;
                    }
                    // Unreachable peers and the like: that datagram is lost.
                    _ => {}
                }
            }
            let Some(head) = self.pipe.read() else { return };
            let body = if head.more() { self.pipe.read() } else { None };
            let Some(body) = body else { continue }; // not a two-frame message: dropped
            if body.more() {
                while self.pipe.read().is_some_and(|m| m.more()) {}
                continue;
            }
            if self.sends() {
                self.pending = self.datagram(&head, &body);
            }
            // A DISH's joins and leaves have nowhere to go: the RADIO sends everything.
        }
    }

    /// The datagram for one message and where it goes; None to drop it.
    fn datagram(&self, head: &Msg, body: &Msg) -> Option<(Vec<u8>, SocketAddr)> {
        if self.socket_type == ZMQ_DGRAM {
            let to = parse_dgram_address(head.data())?;
            (body.len() <= MAX_DATAGRAM).then(|| (body.data().to_vec(), to))
        } else {
            let group = head.data();
            if group.len() > u8::MAX as usize || 1 + group.len() + body.len() > MAX_DATAGRAM {
                return None;
            }
            let mut d = Vec::with_capacity(1 + group.len() + body.len());
            d.push(group.len() as u8);
            d.extend_from_slice(group);
            d.extend_from_slice(body.data());
            Some((d, self.target?))
        }
    }

    fn receive(&mut self) {
        if self.socket_type == ZMQ_RADIO {
            return;
        }
        loop {
            let (n, from) = match self.socket.recv_from(&mut self.buf) {
                Ok(r) => r,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(_) => break,
            };
            let d = &self.buf[..n];
            let (mut head, body) = if self.socket_type == ZMQ_DGRAM {
                (Msg::from_slice(dgram_address_text(&from).as_bytes()), Msg::from_slice(d))
            } else {
                match d.split_first() {
                    Some((&len, rest)) if (len as usize) <= rest.len() => {
                        let (group, body) = rest.split_at(len as usize);
                        (Msg::from_slice(group), Msg::from_slice(body))
                    }
                    _ => continue, // malformed: dropped
                }
            };
            head.set_more(true);
            if self.pipe.check_write() && self.pipe.write_unflushed(head).is_ok() {
                let _ = self.pipe.write_unflushed(body);
            }
        }
        self.pipe.flush();
    }
}
