//! bind, connect, unbind and disconnect: what a socket attached where, so that it can be
//! undone. inproc joins pipes through the context's registry; tcp and ipc go to an I/O
//! thread (`io/bind_connect.rs`).

use super::Socket;
use crate::constants::*;
use crate::ctx::monitor::EventAddrs;
use crate::ctx::{InprocBinding, InprocPeer};
use crate::error::{Error, Result};
use crate::io::EndpointHandle;
use crate::pipe::{Pipe, PipeId};
use crate::transport::endpoint::{check_udp_direction, parse_for_socket, term_endpoint_key, Protocol, WsAddress};

/// What a socket made for one of its bind/connect calls, so unbind/disconnect can undo it.
pub(super) enum Attachment {
    /// A pipe (inproc connect, or a tcp/ipc connection's pipe).
    Pipe(PipeId),
    /// An endpoint registered in the context or an I/O thread (listener, connecter).
    Endpoint(Endpoint),
}

/// A bind/connect registration a socket holds, released on unbind/disconnect/close.
pub(super) enum Endpoint {
    Inproc(InprocBinding),
    Io(EndpointHandle),
}

impl Endpoint {
    pub(super) fn is_bind(&self) -> bool {
        match self {
            Endpoint::Inproc(_) => true,
            Endpoint::Io(h) => h.is_bind(),
        }
    }

    /// Undo now (unbind/disconnect). Returns the socket's pipes that belong to it.
    fn close(self) -> Vec<PipeId> {
        match self {
            Endpoint::Inproc(b) => {
                b.release();
                Vec::new()
            }
            Endpoint::Io(h) => h.close(),
        }
    }

    /// The socket is closing: connections may linger up to `linger` ms to flush.
    pub(super) fn release(self, linger: i32) {
        match self {
            Endpoint::Inproc(b) => b.release(),
            Endpoint::Io(h) => h.release(linger),
        }
    }
}

impl Socket {
    pub fn bind(&mut self, endpoint: &str) -> Result<()> {
        self.process_commands()?;
        let (proto, addr) = parse_for_socket(endpoint, self.kind())?;
        match proto {
            Protocol::Inproc => {
                let reg = self.ctx.inproc_bind(addr, self.inproc_peer(), self.mailbox.clone())?;
                self.core.options.last_endpoint = endpoint.to_string();
                self.attachments.push((endpoint.to_string(), Attachment::Endpoint(Endpoint::Inproc(reg))));
                // Connections made before the bind are attached by commands now queued.
                self.process_commands()
            }
            Protocol::Tcp | Protocol::Ipc | Protocol::Ws | Protocol::Wss => {
                let r = crate::io::bind(&self.ctx, proto, addr, &self.core.options, self.mailbox.clone(), self.monitor.clone());
                let failed = |e: &Error| self.monitor.emit(ZMQ_EVENT_BIND_FAILED, e.errno() as u64, EventAddrs::bound(endpoint));
                let (ep, resolved) = r.inspect_err(failed)?;
                self.core.options.last_endpoint = resolved.clone();
                self.attachments.push((resolved, Attachment::Endpoint(Endpoint::Io(ep))));
                Ok(())
            }
            Protocol::Udp => self.attach_udp(endpoint, addr, true),
        }
    }

    /// udp bind (DISH, DGRAM) or connect (RADIO): a link in an I/O thread and its pipe,
    /// attached now. ZMQ_LAST_ENDPOINT is the address without "udp://", as libzmq shows it.
    fn attach_udp(&mut self, endpoint: &str, addr: &str, bind: bool) -> Result<()> {
        check_udp_direction(self.kind(), bind)?;
        let o = &self.core.options;
        let (ep, pipe) = if bind {
            crate::io::bind_udp(&self.ctx, addr, endpoint, o).inspect_err(|e| self.monitor.emit(ZMQ_EVENT_BIND_FAILED, e.errno() as u64, EventAddrs::bound(endpoint)))?
        } else {
            crate::io::connect_udp(&self.ctx, addr, endpoint, o)?
        };
        self.attach_pipe(pipe);
        self.core.options.last_endpoint = addr.to_string();
        self.attachments.push((endpoint.to_string(), Attachment::Endpoint(Endpoint::Io(ep))));
        Ok(())
    }

    pub fn connect(&mut self, endpoint: &str) -> Result<()> {
        self.process_commands()?;
        let (proto, addr) = parse_for_socket(endpoint, self.kind())?;
        // libzmq ignores a repeated connect to the same endpoint for these types.
        if matches!(self.kind(), ZMQ_DEALER | ZMQ_SUB | ZMQ_PUB | ZMQ_REQ)
            && proto != Protocol::Inproc
            && self.attachments.iter().any(|(e, a)| e == endpoint && !matches!(a, Attachment::Endpoint(ep) if ep.is_bind()))
        {
            return Ok(());
        }
        match proto {
            Protocol::Inproc => {
                let mut pipe = self.ctx.inproc_connect(addr, self.inproc_peer(), endpoint)?;
                self.apply_connect_routing_id(&mut pipe);
                let id = pipe.id();
                self.attach_pipe(pipe);
                self.core.options.last_endpoint = endpoint.to_string();
                self.attachments.push((endpoint.to_string(), Attachment::Pipe(id)));
                Ok(())
            }
            Protocol::Tcp | Protocol::Ipc | Protocol::Ws | Protocol::Wss => {
                let (ep, pipe) = crate::io::connect(&self.ctx, proto, addr, &self.core.options, self.mailbox.clone(), self.monitor.clone())?;
                if let Some(mut pipe) = pipe {
                    self.apply_connect_routing_id(&mut pipe);
                    self.attach_pipe(pipe);
                }
                // ws shows its address normalised ("ws://127.0.0.1:5555/"), as libzmq.
                self.core.options.last_endpoint = match proto {
                    Protocol::Ws => WsAddress::parse(addr).connect_last_endpoint(self.core.options.ipv6),
                    Protocol::Wss => WsAddress::parse_secure(addr).connect_last_endpoint(self.core.options.ipv6),
                    _ => endpoint.to_string(),
                };
                self.attachments.push((endpoint.to_string(), Attachment::Endpoint(Endpoint::Io(ep))));
                Ok(())
            }
            Protocol::Udp => self.attach_udp(endpoint, addr, false),
        }
    }

    /// ZMQ_CONNECT_ROUTING_ID (ROUTER, REP, STREAM): the peer of the pipe made by this connect is
    /// known by that name instead of the one it announces. It applies to one connect only.
    fn apply_connect_routing_id(&mut self, pipe: &mut Pipe) {
        if matches!(self.kind(), ZMQ_ROUTER | ZMQ_REP | ZMQ_STREAM) && !self.core.options.connect_routing_id.is_empty() {
            pipe.peer.routing_id = std::mem::take(&mut self.core.options.connect_routing_id);
        }
    }

    /// zmq_unbind / zmq_disconnect: undo every attachment made for `endpoint`.
    pub fn unattach(&mut self, endpoint: &str, bound: bool) -> Result<()> {
        self.process_commands()?;
        parse_for_socket(endpoint, self.kind())?;
        // "tcp://localhost:5555" finds what was registered as "tcp://127.0.0.1:5555".
        let key = term_endpoint_key(endpoint, self.core.options.ipv6, |k| self.attachments.iter().any(|(e, _)| e == k));
        let endpoint = key.as_str();
        let mut found = false;
        let mut i = 0;
        while i < self.attachments.len() {
            let is_bind = matches!(&self.attachments[i].1, Attachment::Endpoint(e) if e.is_bind());
            if self.attachments[i].0 == endpoint && is_bind == bound {
                let (_, a) = self.attachments.remove(i);
                found = true;
                match a {
                    Attachment::Pipe(id) => self.core.close_pipe(id),
                    Attachment::Endpoint(ep) => {
                        for id in ep.close() {
                            self.core.close_pipe(id);
                        }
                    }
                }
            } else {
                i += 1;
            }
        }
        self.reap();
        if found {
            Ok(())
        } else {
            Err(Error::NOENT)
        }
    }

    fn inproc_peer(&self) -> InprocPeer {
        let o = &self.core.options;
        InprocPeer {
            socket_type: o.socket_type,
            routing_id: o.routing_id.clone(),
            sndhwm: o.sndhwm,
            rcvhwm: o.rcvhwm,
            hello: if o.can_send_hello_msg { o.hello_msg.clone() } else { Vec::new() },
            disconnect_msg: if o.can_recv_disconnect_msg { o.disconnect_msg.clone() } else { Vec::new() },
        }
    }
}
