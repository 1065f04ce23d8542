//! Connect targets: starting a connection (through a SOCKS proxy if set) and retrying
//! it after RECONNECT_IVL, with back-off up to RECONNECT_IVL_MAX, unless
//! ZMQ_RECONNECT_STOP says to give up (refused, or the handshake failed).

// Imports: `use super::*` takes the session's own (session/mod.rs), so they are listed once.
use crate::constants::*;
use super::*;
use crate::io::stream::TcpBuffers;

/// What a connecting session connects to.
pub enum ConnectTarget {
    /// "host:port" or "source;host:port", resolved at each attempt (DNS may change).
    Tcp { address: String, ipv6: bool },
    Ipc(SockAddr),
    /// ws:// (wss:// with `tls`): resolved at each attempt like tcp; the stream speaks ZWS.
    Ws { address: crate::transport::endpoint::WsAddress, ipv6: bool, tls: Option<crate::io::ws::TlsClient> },
}

impl ConnectTarget {
    /// Start connecting: to the target, or for tcp with ZMQ_SOCKS_PROXY to the proxy
    /// (then the handshake returned asks it for the target).
    fn start(&self, o: &Options) -> std::io::Result<(Stream, Option<SocksClient>)> {
        match self {
            ConnectTarget::Tcp { address, ipv6 } => {
                let socks = SocksClient::for_target(address, o);
                let dial = if socks.is_some() { String::from_utf8_lossy(&o.socks_proxy).into_owned() } else { address.clone() };
                let ep = crate::transport::endpoint::resolve_tcp(&dial, false, *ipv6)
                    .map_err(|e| std::io::Error::from_raw_os_error(e.errno()))?;
                let source = ep.source.map(SockAddr::from);
                let stream = Stream::connect(&SockAddr::from(ep.addr), source.as_ref(), o.priority, TcpBuffers::of(o))?;
                Ok((stream, socks))
            }
            ConnectTarget::Ipc(addr) => Ok((Stream::connect(addr, None, o.priority, TcpBuffers::of(o))?, None)),
            ConnectTarget::Ws { address, ipv6, tls } => {
                let addr = address.resolve_connect(*ipv6).map_err(|e| std::io::Error::from_raw_os_error(e.errno()))?;
                let tcp = Stream::connect(&SockAddr::from(addr), None, o.priority, TcpBuffers::of(o))?;
                Ok((crate::io::ws::connecting(tcp, tls.as_ref(), &address.host, &address.path, o)?, None))
            }
        }
    }
}

impl Session {
    /// Begin (or retry) connecting to the target.
    pub fn start_connect(&mut self, io: &IoCtx) -> bool {
        self.reconnect_at = None;
        let Some(target) = &self.target else { return false };
        match target.start(&self.setup.options) {
            Ok((mut stream, socks)) => {
                self.socks = socks;
                if stream.register(io.registry, self.token).is_err() {
                    return self.schedule_reconnect();
                }
                self.setup.monitor.emit(ZMQ_EVENT_CONNECT_DELAYED, libc::EINPROGRESS as u64, EventAddrs::connecting(&self.setup.endpoint));
                self.stream = Some(stream);
                self.drained = false;
                self.read_closed = false;
                self.connecting = true;
                true
            }
            Err(e) if self.refused_for_good(&e) => self.stop_connecting(io),
            Err(_) => self.schedule_reconnect(),
        }
    }

    /// ZMQ_RECONNECT_STOP_CONN_REFUSED: a refused connect is not tried again.
    pub(super) fn refused_for_good(&self, e: &std::io::Error) -> bool {
        e.raw_os_error() == Some(libc::ECONNREFUSED)
            && self.setup.options.reconnect_stop & ZMQ_RECONNECT_STOP_CONN_REFUSED != 0
    }

    /// Gives up on the target for good (the session ends, its pipe closes): the
    /// connection attempt's socket closes, which the monitor hears as ZMQ_EVENT_CLOSED
    /// (with fd 0 when the attempt failed before it had one).
    pub(super) fn stop_connecting(&mut self, io: &IoCtx) -> bool {
        let fd = match self.stream.take() {
            Some(mut s) => {
                let _ = s.deregister(io.registry);
                s.raw_fd()
            }
            None => 0,
        };
        self.setup.monitor.emit(ZMQ_EVENT_CLOSED, fd as u64, EventAddrs::connecting(&self.setup.endpoint));
        self.connecting = false;
        false
    }

    pub(super) fn schedule_reconnect(&mut self) -> bool {
        if self.released && !self.has_pending_output() {
            return false;
        }
        let o = &self.setup.options;
        if o.reconnect_ivl < 0 {
            // Reconnection disabled: this connect is over (its pipe closes with it).
            return false;
        }
        self.reconnect_at = Some(Instant::now() + self.reconnect_ivl);
        let ivl = self.reconnect_ivl.as_millis() as u64;
        self.setup.monitor.emit(ZMQ_EVENT_CONNECT_RETRIED, ivl, EventAddrs::connecting(&self.setup.endpoint));
        // Exponential back-off up to RECONNECT_IVL_MAX, when set.
        if o.reconnect_ivl_max > o.reconnect_ivl {
            let max = Duration::from_millis(o.reconnect_ivl_max as u64);
            self.reconnect_ivl = (self.reconnect_ivl * 2).min(max);
        }
        true
    }

    pub(super) fn has_pending_output(&mut self) -> bool {
        self.engine.as_ref().is_some_and(|e| e.out_len() > 0)
            || self.stream.as_ref().is_some_and(|s| s.pending_out() > 0)
            || self.raw.as_ref().is_some_and(|r| raw::Output::out_len(r) > 0)
            || self.pipe.as_mut().is_some_and(|p| p.check_read())
    }
}
