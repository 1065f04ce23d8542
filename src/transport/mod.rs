//! Stream transports (tcp, ipc): resolve the address, then hand a listener or a
//! connecting session to an I/O thread. `endpoint` has the address rules.

pub mod endpoint;
mod ip_resolver;
mod ipc;
mod tcp;
mod tcp_mask;

use crate::ctx::mailbox::Mailbox;
use crate::ctx::{Ctx, Endpoint};
use crate::error::{Error, Result};
use crate::io::{new_handle, ConnectSpec, ConnectTarget, EndpointHandle, IoCmd, Listener};
use crate::options::Options;
use crate::pipe::{pair, PeerInfo, Pipe};
use crate::socket::monitor::{event, MonitorSlot};
use endpoint::Protocol;
use socket2::SockAddr;
use std::sync::Arc;

/// Bind: returns the registration and the resolved endpoint (ZMQ_LAST_ENDPOINT).
pub fn bind(ctx: &Arc<Ctx>, proto: Protocol, addr: &str, o: &Options, mailbox: Arc<Mailbox>, monitor: MonitorSlot) -> Result<(Endpoint, String)> {
    let (listener, resolved) = match proto {
        Protocol::Tcp => {
            let ep = endpoint::resolve_tcp(addr, true, o.ipv6)?;
            let l = if o.use_fd >= 0 {
                Listener::from_fd(o.use_fd, true)?
            } else {
                Listener::bind(&SockAddr::from(ep.addr), true, o.backlog, None)?
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
                Listener::bind(&binding.endpoint.sock_addr(), false, o.backlog, Some(binding))?
            };
            (l, shown)
        }
        _ => return Err(Error::PROTONOSUPPORT),
    };
    let io = ctx.io()?.choose();
    let handle = new_handle();
    let fd = listener.raw_fd();
    monitor.emit(event::LISTENING, fd as u32, &resolved);
    let setup = crate::io::SessionSetup { options: o.clone(), mailbox, endpoint: resolved.clone(), monitor: monitor.clone(), ctx: Arc::downgrade(ctx) };
    io.send(IoCmd::Listen { handle, listener, setup });
    let listener = Some((fd, resolved.clone(), monitor));
    Ok((Endpoint::Io(EndpointHandle { io, handle, bind: true, pipe: None, listener }), resolved))
}

/// Connect: returns the registration and, for most socket types, the socket's end of a
/// pipe made now so messages queue before the connection is up. tcp addresses are only
/// checked here and resolved at each connection attempt, as libzmq does.
pub fn connect(ctx: &Arc<Ctx>, proto: Protocol, addr: &str, o: &Options, mailbox: Arc<Mailbox>, monitor: MonitorSlot) -> Result<(Endpoint, Option<Pipe>)> {
    let target = match proto {
        Protocol::Tcp => {
            endpoint::check_tcp_connect_address(addr)?;
            ConnectTarget::Tcp { address: addr.to_string(), ipv6: o.ipv6 }
        }
        Protocol::Ipc => ConnectTarget::Ipc(endpoint::resolve_ipc(addr)?.sock_addr()),
        _ => return Err(Error::PROTONOSUPPORT),
    };
    let endpoint = format!("{}://{addr}", proto.name());
    let (sock_end, sess_end) = if crate::io::pipe_at_connect(o) {
        let (mut a, b) = pair(o.sndhwm.max(0) as u64, o.rcvhwm.max(0) as u64);
        if crate::socket::conflates(o) {
            a.set_conflate();
        }
        a.peer = PeerInfo { endpoint: endpoint.clone(), ..Default::default() };
        (Some(a), Some(b))
    } else {
        (None, None)
    };
    let io = ctx.io()?.choose();
    let handle = new_handle();
    let setup = crate::io::SessionSetup { options: o.clone(), mailbox, endpoint, monitor, ctx: Arc::downgrade(ctx) };
    io.send(IoCmd::Connect { handle, spec: ConnectSpec { target, pipe: sess_end }, setup });
    let pipe_id = sock_end.as_ref().map(|p| p.id());
    Ok((Endpoint::Io(EndpointHandle { io, handle, bind: false, pipe: pipe_id, listener: None }), sock_end))
}
