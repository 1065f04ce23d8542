//! bind and connect for the stream transports (tcp, ipc, ws): resolve the address (rules in
//! `transport/`), then hand a listener or a connecting session to an I/O thread. What
//! the socket keeps is an [`EndpointHandle`] to undo it.

use super::{new_handle, pipe_at_connect, ConnectSpec, ConnectTarget, EndpointHandle, IoCmd, Listener, SessionSetup};
use crate::constants::*;
use crate::ctx::mailbox::Mailbox;
use crate::ctx::monitor::{EventAddrs, MonitorSlot};
use crate::ctx::Ctx;
use crate::error::{Error, Result};
use crate::options::Options;
use super::stream::TcpBuffers;
use crate::pipe::{pair, PeerInfo, Pipe};
use crate::transport::endpoint::{self, Protocol};
use super::ws::{TlsClient, TlsServer, WsListen};
use socket2::SockAddr;
use std::sync::Arc;

/// A wss bind's TLS settings (its certificate and key; EINVAL without them).
fn tls_server(proto: Protocol, o: &Options) -> Result<Option<TlsServer>> {
    #[cfg(feature = "draft")]
    if proto == Protocol::Wss {
        return super::ws::tls::server_config(o).map(Some);
    }
    let _ = (proto, o);
    Ok(None)
}

/// A wss connect's TLS settings (what it trusts, the name the server must prove).
fn tls_client(proto: Protocol, o: &Options, host: &str) -> Result<Option<TlsClient>> {
    #[cfg(feature = "draft")]
    if proto == Protocol::Wss {
        return super::ws::tls::client_config(o, host).map(Some);
    }
    let _ = (proto, o, host);
    Ok(None)
}

/// Bind: returns the registration and the resolved endpoint (ZMQ_LAST_ENDPOINT).
pub fn bind(ctx: &Arc<Ctx>, proto: Protocol, addr: &str, o: &Options, mailbox: Arc<Mailbox>, monitor: MonitorSlot) -> Result<(EndpointHandle, String)> {
    let (listener, resolved) = match proto {
        Protocol::Tcp => {
            let ep = endpoint::resolve_tcp(addr, true, o.ipv6)?;
            let l = if o.use_fd >= 0 {
                Listener::from_fd(o.use_fd, true)?
            } else {
                Listener::bind(&SockAddr::from(ep.addr), true, o.backlog, TcpBuffers::of(o), None)?
            };
            let local = l.local_addr()?;
            (l, endpoint::tcp_endpoint_string(&local))
        }
        Protocol::Ipc => {
            let binding = endpoint::prepare_ipc_bind(addr, o.use_fd >= 0)?;
            let shown = binding.endpoint.last_endpoint();
            let l = if o.use_fd >= 0 {
                Listener::from_fd(o.use_fd, false)?
            } else {
                Listener::bind(&binding.endpoint.sock_addr(), false, o.backlog, TcpBuffers::of(o), Some(binding))?
            };
            (l, shown)
        }
        Protocol::Ws | Protocol::Wss => {
            let ws = if proto == Protocol::Wss { endpoint::WsAddress::parse_secure(addr) } else { endpoint::WsAddress::parse(addr) };
            let tls = tls_server(proto, o)?;
            let l = if o.use_fd >= 0 {
                Listener::from_fd(o.use_fd, true)?
            } else {
                Listener::bind(&SockAddr::from(ws.resolve_bind(o.ipv6)?), true, o.backlog, TcpBuffers::of(o), None)?
            };
            let shown = ws.bound_endpoint(&l.local_addr()?);
            (Listener::Ws(Box::new(l), WsListen { mechanism: o.mechanism, as_server: o.as_server, tls }), shown)
        }
        _ => return Err(Error::PROTONOSUPPORT),
    };
    let io = super::pool(ctx)?.choose();
    let handle = new_handle();
    let fd = listener.raw_fd();
    monitor.emit(ZMQ_EVENT_LISTENING, fd as u64, EventAddrs::bound(&resolved));
    let setup = SessionSetup { options: o.clone(), mailbox, endpoint: resolved.clone(), monitor: monitor.clone(), ctx: Arc::downgrade(ctx) };
    io.send(IoCmd::Listen { handle, listener, setup });
    let listener = Some((fd, resolved.clone(), monitor));
    Ok((EndpointHandle { io, handle, bind: true, pipe: None, listener }, resolved))
}

/// Connect: returns the registration and, for most socket types, the socket's end of a
/// pipe made now so messages queue before the connection is up. tcp addresses are only
/// checked here and resolved at each connection attempt, as libzmq does.
pub fn connect(ctx: &Arc<Ctx>, proto: Protocol, addr: &str, o: &Options, mailbox: Arc<Mailbox>, monitor: MonitorSlot) -> Result<(EndpointHandle, Option<Pipe>)> {
    let target = match proto {
        Protocol::Tcp => {
            endpoint::check_tcp_connect_address(addr)?;
            ConnectTarget::Tcp { address: addr.to_string(), ipv6: o.ipv6 }
        }
        Protocol::Ipc => ConnectTarget::Ipc(endpoint::resolve_ipc(addr)?.sock_addr()),
        // Resolved now (EINVAL if it does not), as libzmq does for ws.
        Protocol::Ws | Protocol::Wss => {
            let ws = if proto == Protocol::Wss { endpoint::WsAddress::parse_secure(addr) } else { endpoint::WsAddress::parse(addr) };
            ws.resolve_connect(o.ipv6)?;
            let tls = tls_client(proto, o, &ws.host)?;
            ConnectTarget::Ws { address: ws, ipv6: o.ipv6, tls }
        }
        _ => return Err(Error::PROTONOSUPPORT),
    };
    let endpoint = format!("{}://{addr}", proto.name());
    let (sock_end, sess_end) = if pipe_at_connect(o) {
        let (mut a, b) = pair(o.sndhwm.max(0) as u64, o.rcvhwm.max(0) as u64);
        if o.conflates() {
            a.set_conflate();
        }
        // Until a connection says otherwise, only the remote end is known.
        a.peer = PeerInfo { endpoint: endpoint.clone(), remote_addr: endpoint.clone(), ..Default::default() };
        (Some(a), Some(b))
    } else {
        (None, None)
    };
    let io = super::pool(ctx)?.choose();
    let handle = new_handle();
    let setup = SessionSetup { options: o.clone(), mailbox, endpoint, monitor, ctx: Arc::downgrade(ctx) };
    io.send(IoCmd::Connect { handle, spec: ConnectSpec { target, pipe: sess_end }, setup });
    let pipe_id = sock_end.as_ref().map(|p| p.id());
    Ok((EndpointHandle { io, handle, bind: false, pipe: pipe_id, listener: None }, sock_end))
}
