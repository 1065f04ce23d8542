//! A session: one connection (or one connect target, across reconnects) of a socket,
//! living in an I/O thread. It moves messages between its pipe and a ZMTP engine, and the
//! engine's bytes between itself and the stream. Backpressure: when the socket's pipe is
//! full the session stops reading the stream until the socket frees space.

use crate::constants::*;
use super::raw::{self, RawEngine};
use super::socks::SocksClient;
use super::stream::Stream;
use super::zap::{ZapClient, ZapOutcome};
use super::{IoCtx, SessionNotify};
use crate::ctx::mailbox::{Command, Mailbox};
use crate::msg::{Metadata, Msg};
use crate::options::Options;
use crate::pipe::{pair, PeerInfo, Pipe, PipeEvent};

use crate::ctx::monitor::MonitorSlot;
use crate::zmtp::{self, Engine, Event};
use mio::Token;
use socket2::SockAddr;
use std::collections::VecDeque;
use std::io::{ErrorKind, Read};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Bytes of encoded output gathered from the pipe before writing (batching).
const OUT_BATCH: usize = 64 * 1024;
const READ_BUF: usize = 64 * 1024;

/// What a session knows about its socket.
#[derive(Clone)]
pub struct SessionSetup {
    pub options: Options,
    pub mailbox: Arc<Mailbox>,
    /// The endpoint as the socket names it (for pipes' PeerInfo, unbind/disconnect).
    pub endpoint: String,
    pub monitor: MonitorSlot,
    /// For the ZAP handler lookup (weak: the context owns the I/O threads).
    pub ctx: std::sync::Weak<crate::ctx::Ctx>,
}

/// What a connecting session connects to.
pub enum ConnectTarget {
    /// "host:port" or "source;host:port", resolved at each attempt (DNS may change).
    Tcp { address: String, ipv6: bool },
    Ipc(SockAddr),
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
                let stream = Stream::connect(&SockAddr::from(ep.addr), ep.source.map(SockAddr::from).as_ref())?;
                Ok((stream, socks))
            }
            ConnectTarget::Ipc(addr) => Ok((Stream::connect(addr, None)?, None)),
        }
    }
}

pub struct ConnectSpec {
    pub target: ConnectTarget,
    /// The session's end of a pipe made at connect time (so sends queue before the
    /// connection exists); None for sockets that need the peer's identity first.
    pub pipe: Option<Pipe>,
}

pub struct Session {
    token: Token,
    handle: u64,
    setup: SessionSetup,
    /// For connecting sessions: the target, to reconnect to.
    target: Option<ConnectTarget>,
    stream: Option<Stream>,
    connecting: bool,
    /// Connected to a SOCKS proxy, asking it for the target (still `connecting`).
    socks: Option<SocksClient>,
    engine: Option<Engine>,
    /// Instead of `engine`, for raw sockets (STREAM): no ZMTP on the wire.
    raw: Option<RawEngine>,
    pipe: Option<Pipe>,
    meta: Option<Arc<Metadata>>,
    /// Decoded frames waiting for room in the pipe.
    stalled: VecDeque<Msg>,
    reconnect_at: Option<Instant>,
    reconnect_ivl: Duration,
    handshake_deadline: Option<Instant>,
    engine_timer: Option<Instant>,
    /// The socket closed: flush what is left, then finish (by the deadline, if any).
    released: bool,
    linger_deadline: Option<Instant>,
    readbuf: Vec<u8>,
    /// A connection was established before (the next one is a reconnection).
    reconnected: bool,
    /// Handshake done, pipe to be made (peer socket type and routing id).
    attach_pending: Option<(i32, Vec<u8>)>,
    /// The pipe was made at connect time and lives across reconnections.
    pipe_from_connect: bool,
    /// The engine's ZAP request, to be sent (needs the IoCtx, so pump does it).
    zap_request: Option<zmtp::mechanism::ZapRequest>,
    zap: ZapClient,
    /// The peer's address (Peer-Address, and the ZAP request's address).
    peer_address: String,
    /// Why the stream failed (EPIPE for EOF), for HANDSHAKE_FAILED_NO_DETAIL.
    stream_errno: Option<i32>,
    /// The connection broke the protocol (or failed authentication): libzmq does not
    /// reconnect after that.
    protocol_error: bool,
}

impl Session {
    fn new(token: Token, handle: u64, setup: SessionSetup) -> Session {
        let ivl = Duration::from_millis(setup.options.reconnect_ivl.max(0) as u64);
        Session {
            token,
            handle,
            setup,
            target: None,
            stream: None,
            connecting: false,
            socks: None,
            engine: None,
            raw: None,
            pipe: None,
            meta: None,
            stalled: VecDeque::new(),
            reconnect_at: None,
            reconnect_ivl: ivl,
            handshake_deadline: None,
            engine_timer: None,
            released: false,
            linger_deadline: None,
            readbuf: vec![0; READ_BUF],
            reconnected: false,
            attach_pending: None,
            pipe_from_connect: false,
            zap_request: None,
            zap: ZapClient::default(),
            peer_address: String::new(),
            stream_errno: None,
            protocol_error: false,
        }
    }

    pub fn connecting(token: Token, handle: u64, spec: ConnectSpec, setup: SessionSetup, io: &IoCtx) -> Session {
        let mut s = Session::new(token, handle, setup);
        s.target = Some(spec.target);
        if let Some(p) = spec.pipe {
            p.set_owner(Arc::new(SessionNotify { io: io.shared.clone(), token }));
            s.pipe = Some(p);
            s.pipe_from_connect = true;
        }
        s
    }

    pub fn accepted(token: Token, handle: u64, mut stream: Stream, setup: SessionSetup, io: &IoCtx) -> Option<Session> {
        stream.register(io.registry, token).ok()?;
        setup.monitor.emit(ZMQ_EVENT_ACCEPTED, stream.raw_fd() as u32, &setup.endpoint);
        let mut s = Session::new(token, handle, setup);
        s.stream = Some(stream);
        s.start_engine();
        Some(s)
    }

    pub fn handle(&self) -> u64 {
        self.handle
    }

    pub fn next_timer(&self) -> Option<Instant> {
        [self.reconnect_at, self.handshake_deadline, self.engine_timer, self.linger_deadline].into_iter().flatten().min()
    }

    fn start_engine(&mut self) {
        if self.setup.options.raw_socket {
            return self.start_raw();
        }
        let o = &self.setup.options;
        let peer_address = self.stream.as_ref().map(|s| s.peer_address()).unwrap_or_default();
        let fd = self.stream.as_ref().map(|s| s.raw_fd()).unwrap_or(-1);
        self.peer_address = peer_address.clone();
        self.stream_errno = None;
        let cfg = zmtp::Config {
            socket_type: o.socket_type,
            routing_id: o.routing_id.clone(),
            as_server: o.as_server,
            mechanism: mechanism_config(o),
            zap_domain: o.zap_domain.clone(),
            heartbeat_ivl: Duration::from_millis(o.heartbeat_ivl.max(0) as u64),
            heartbeat_ttl: Duration::from_millis(o.heartbeat_ttl as u64 * 100),
            heartbeat_timeout: Duration::from_millis(if o.heartbeat_timeout < 0 { o.heartbeat_ivl.max(0) } else { o.heartbeat_timeout } as u64),
            max_msg_size: o.maxmsgsize,
            app_metadata: o.metadata.iter().map(|(k, v)| (String::from_utf8_lossy(k).into_owned(), v.clone())).collect(),
            // "__fd" is what ZMQ_SRCFD reads.
            connection_properties: vec![
                ("Peer-Address".to_string(), peer_address.into_bytes()),
                ("__fd".to_string(), fd.to_string().into_bytes()),
            ],
            ..Default::default()
        };
        self.engine = Some(Engine::new(cfg));
        self.handshake_deadline =
            (o.handshake_ivl > 0).then(|| Instant::now() + Duration::from_millis(o.handshake_ivl as u64));
    }

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
                self.setup.monitor.emit(ZMQ_EVENT_CONNECT_DELAYED, libc::EINPROGRESS as u32, &self.setup.endpoint);
                self.stream = Some(stream);
                self.connecting = true;
                true
            }
            Err(_) => self.schedule_reconnect(),
        }
    }

    fn schedule_reconnect(&mut self) -> bool {
        if self.released && !self.has_pending_output() {
            return false;
        }
        let o = &self.setup.options;
        if o.reconnect_ivl < 0 {
            // Reconnection disabled: this connect is over (its pipe closes with it).
            return false;
        }
        self.reconnect_at = Some(Instant::now() + self.reconnect_ivl);
        self.setup.monitor.emit(ZMQ_EVENT_CONNECT_RETRIED, self.reconnect_ivl.as_millis() as u32, &self.setup.endpoint);
        // Exponential back-off up to RECONNECT_IVL_MAX, when set.
        if o.reconnect_ivl_max > o.reconnect_ivl {
            let max = Duration::from_millis(o.reconnect_ivl_max as u64);
            self.reconnect_ivl = (self.reconnect_ivl * 2).min(max);
        }
        true
    }

    fn has_pending_output(&mut self) -> bool {
        self.engine.as_ref().is_some_and(|e| e.out_len() > 0)
            || self.raw.as_ref().is_some_and(|r| raw::Output::out_len(r) > 0)
            || self.pipe.as_mut().is_some_and(|p| p.check_read())
    }

    /// The connection is gone (EOF, error, protocol failure, timeout).
    fn lost(&mut self, io: &IoCtx) -> bool {
        // A connection error during the handshake, as libzmq reports it.
        if let (Some(errno), Some(e)) = (self.stream_errno.take(), self.engine.as_ref()) {
            if !e.handshake_done() && e.failure().is_none() && !self.connecting {
                self.setup.monitor.emit(ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL, errno as u32, &self.setup.endpoint);
            }
        }
        self.zap.reset();
        self.zap_request = None;
        if let Some(mut s) = self.stream.take() {
            let _ = s.deregister(io.registry);
            if !self.connecting {
                self.setup.monitor.emit(ZMQ_EVENT_DISCONNECTED, s.raw_fd() as u32, &self.setup.endpoint);
            }
        }
        self.engine = None;
        self.end_raw();
        self.connecting = false;
        self.handshake_deadline = None;
        self.engine_timer = None;
        self.stalled.clear();
        self.meta = None;
        if self.target.is_none() || std::mem::take(&mut self.protocol_error) {
            return false;
        }
        // Sockets that route by peer identity (unless the connect named the peer), and
        // IMMEDIATE ones (no queueing without a live connection), get a fresh pipe per
        // connection.
        let o = &self.setup.options;
        if self.pipe.is_some() && ((!self.pipe_from_connect && needs_identity(o.socket_type)) || o.immediate) {
            if let Some(mut p) = self.pipe.take() {
                p.close();
            }
        }
        if self.released && self.pipe.as_mut().is_none_or(|p| !p.check_read()) {
            return false;
        }
        self.schedule_reconnect()
    }

    pub fn on_ready(&mut self, io: &IoCtx, readable: bool, writable: bool) -> bool {
        if self.connecting {
            if !(readable || writable) {
                return true;
            }
            let ok = self.stream.as_ref().is_some_and(|s| s.finish_connect().is_ok());
            if !ok {
                return self.lost(io);
            }
            if let (Some(socks), Some(stream)) = (self.socks.as_mut(), self.stream.as_mut()) {
                match socks.advance(stream) {
                    Ok(true) => self.socks = None,
                    Ok(false) => return true,
                    Err(()) => return self.lost(io),
                }
            }
            self.connecting = false;
            if let Some(s) = self.stream.as_ref() {
                self.setup.monitor.emit(ZMQ_EVENT_CONNECTED, s.raw_fd() as u32, &self.setup.endpoint);
            }
            self.reconnect_ivl = Duration::from_millis(self.setup.options.reconnect_ivl.max(0) as u64);
            self.start_engine();
        }
        self.pump(io)
    }

    /// Move everything that can move: stream -> engine -> pipe, pipe -> engine -> stream.
    /// Streams are edge-triggered, so this runs until nothing moves (or the pipe to the
    /// socket is full); a session that used up its turn schedules another one.
    fn pump(&mut self, io: &IoCtx) -> bool {
        // Timers first: a heartbeat timeout is an event to deliver, a PING bytes to write.
        if let Some(e) = self.engine.as_mut() {
            self.engine_timer = e.tick(Instant::now());
        }
        let mut turns = 0;
        loop {
            let mut progress = match self.read_stream() {
                Ok(p) => p,
                Err(()) => {
                    // What the peer sent before it went (a sender that sends and closes
                    // at once) is delivered, not dropped with the engine.
                    self.deliver_remaining(io);
                    return self.lost(io);
                }
            };
            match self.deliver_events() {
                Some(p) => progress |= p,
                None => return self.lost(io),
            }
            match self.run_zap(io) {
                Some(p) => progress |= p,
                None => return self.lost(io),
            }
            if let Some(true) = self.attach_pending.take().map(|(t, r)| self.attach_new_pipe(io, t, r)) {
                progress = true;
            }
            match self.write_stream() {
                Ok(p) => progress |= p,
                Err(()) => return self.lost(io),
            }
            if self.finished() {
                return false;
            }
            if !progress {
                break;
            }
            turns += 1;
            if turns == 64 {
                // Let other connections run; come back to this one right after.
                io.shared.send(super::IoCmd::Pipe(self.token, PipeEvent::Readable(0)));
                break;
            }
        }
        if let Some(e) = self.engine.as_mut() {
            self.engine_timer = e.tick(Instant::now());
        }
        true
    }

    /// The stream ended: hand the socket every message the engine decoded (attaching the
    /// pipe first if the handshake just finished), as far as the pipe takes them.
    fn deliver_remaining(&mut self, io: &IoCtx) {
        loop {
            let attached = match self.attach_pending.take() {
                Some((t, r)) => self.attach_new_pipe(io, t, r),
                None => false,
            };
            match self.deliver_events() {
                Some(true) => {}
                _ if attached => {}
                _ => return,
            }
        }
    }

    /// The socket closed and everything it sent has been written.
    fn finished(&mut self) -> bool {
        if !self.released && !self.pipe.as_ref().is_some_and(|p| p.peer_gone()) {
            return false;
        }
        let out_empty = self.engine.as_ref().is_none_or(|e| e.out_len() == 0)
            && self.raw.as_ref().is_none_or(|r| raw::Output::out_len(r) == 0);
        let pipe_done = match self.pipe.as_mut() {
            Some(p) => !p.check_read() && p.peer_gone(),
            None => self.released,
        };
        out_empty && pipe_done
    }

    /// Read what the stream has, unless the socket's pipe is full. Ok(progress).
    fn read_stream(&mut self) -> Result<bool, ()> {
        if !self.stalled.is_empty() {
            return Ok(false);
        }
        if self.raw.is_some() {
            return self.read_raw();
        }
        let (Some(stream), Some(engine)) = (self.stream.as_mut(), self.engine.as_mut()) else { return Ok(false) };
        // A failed engine's Event::Error is still to be delivered (with its monitor event).
        if engine.failure().is_some() {
            return Ok(false);
        }
        let mut progress = false;
        // Read a bounded amount per turn so one busy peer can't starve the others.
        for _ in 0..16 {
            match stream.read(&mut self.readbuf) {
                Ok(0) => {
                    self.stream_errno = Some(libc::EPIPE);
                    return Err(());
                }
                Ok(n) => {
                    progress = true;
                    // On failure the engine queued Event::Error: deliver_events closes.
                    if engine.on_read(&self.readbuf[..n]).is_err() {
                        break;
                    }
                    if engine.has_events() {
                        break;
                    }
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) => {
                    self.stream_errno = e.raw_os_error();
                    return Err(());
                }
            }
        }
        Ok(progress)
    }

    /// Hand decoded events to the socket: Some(progress), None if the connection must close.
    fn deliver_events(&mut self) -> Option<bool> {
        let r = self.deliver_events_unflushed();
        // One publication, and at most one wake-up of the socket, per batch of frames.
        if let Some(p) = self.pipe.as_mut() {
            p.flush();
        }
        r
    }

    fn deliver_events_unflushed(&mut self) -> Option<bool> {
        if self.raw.is_some() && self.attach_pending.is_some() {
            // A raw connection's first message (the connect notification) needs the pipe.
            return Some(false);
        }
        let mut progress = false;
        loop {
            while let Some(msg) = self.stalled.pop_front() {
                if !self.push_frame(msg) {
                    return Some(progress);
                }
                progress = true;
            }
            let Some(engine) = self.engine.as_mut() else { return Some(progress) };
            let Some(ev) = engine.poll_event() else { return Some(progress) };
            progress = true;
            match ev {
                Event::HandshakeDone(hs) => {
                    self.handshake_deadline = None;
                    self.setup.monitor.emit(ZMQ_EVENT_HANDSHAKE_SUCCEEDED, 0, &self.setup.endpoint);
                    self.meta = Some(hs.metadata);
                    match self.pipe.as_ref() {
                        None => {
                            self.attach_pending = Some((hs.peer_socket_type.unwrap_or(-1), hs.peer_routing_id));
                            self.reconnected = true;
                            // Attach before delivering anything: messages need the pipe.
                            return Some(true);
                        }
                        Some(p) if self.reconnected => p.hiccup(),
                        // The connection is up: the socket's events may have changed, and
                        // its ZMQ_FD says so (as libzmq's does on engine activation).
                        Some(_) => self.setup.mailbox.send(Command::Wake),
                    }
                    self.reconnected = true;
                }
                // `stalled` is empty here (drained above): straight into the pipe.
                Event::Message(msg) => {
                    if !self.push_frame(msg) {
                        return Some(progress);
                    }
                }
                Event::Subscribe(topic) => self.stalled.push_back(zmtp::commands::subscription_message(true, &topic)),
                Event::Cancel(topic) => self.stalled.push_back(zmtp::commands::subscription_message(false, &topic)),
                Event::ZapRequest(req) => self.zap_request = Some(req),
                Event::Error(f) => {
                    self.protocol_error = f.kind == zmtp::FailureKind::Protocol;
                    let event = match f.event {
                        Some(ev) => Some(ev),
                        // Protocol errors report their event where they happen, or none
                        // (libzmq: a bad Socket-Type, malformed metadata, a bad greeting).
                        None if !engine.handshake_done() && f.kind != zmtp::FailureKind::Protocol => {
                            Some(zmtp::MonitorEvent::HandshakeFailedNoDetail(f.errno.errno()))
                        }
                        None => None,
                    };
                    self.fail_handshake(event);
                    return None;
                }
            }
        }
    }

    /// Sends the engine's ZAP request, or hands the handler's reply to the engine once it
    /// is in: Some(progress), None if the connection must close.
    fn run_zap(&mut self, io: &IoCtx) -> Option<bool> {
        let outcome = match self.zap_request.take() {
            Some(req) => {
                let notify = Arc::new(SessionNotify { io: io.shared.clone(), token: self.token });
                self.zap.ask(&req, &self.setup, &self.peer_address, notify)
            }
            None => self.zap.poll(),
        };
        // An engine error is queued as an event, which the next turn delivers.
        let _ = match (outcome, self.engine.as_mut()) {
            (ZapOutcome::Pending, _) | (_, None) => return Some(false),
            (ZapOutcome::Reply(reply), Some(engine)) => engine.zap_reply(&reply),
            (ZapOutcome::Bypass, Some(engine)) => engine.zap_bypassed(),
            (ZapOutcome::Fail(ev), Some(_)) => {
                self.protocol_error = true;
                self.fail_handshake(Some(ev));
                return None;
            }
        };
        Some(true)
    }

    /// The engine failed: report it to the monitor, and before a handshake failure, give
    /// what the engine queued (an ERROR command telling the peer why) one chance to go out.
    fn fail_handshake(&mut self, ev: Option<zmtp::MonitorEvent>) {
        let (ev, value) = match ev {
            Some(zmtp::MonitorEvent::HandshakeFailedProtocol(code)) => (ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL, code as u32),
            Some(zmtp::MonitorEvent::HandshakeFailedAuth(code)) => (ZMQ_EVENT_HANDSHAKE_FAILED_AUTH, code as u32),
            Some(zmtp::MonitorEvent::HandshakeFailedNoDetail(errno)) => (ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL, errno as u32),
            None => (0, 0),
        };
        if ev != 0 {
            self.setup.monitor.emit(ev, value, &self.setup.endpoint);
        }
        if self.meta.is_none() {
            let _ = self.write_stream();
        }
    }

    /// Put one frame into the pipe. False (frame kept) if the pipe is full.
    fn push_frame(&mut self, msg: Msg) -> bool {
        let Some(pipe) = self.pipe.as_mut() else { return true };
        if !pipe.is_mid_message() && !pipe.check_write() {
            self.stalled.push_front(msg);
            return false;
        }
        let _ = pipe.write_unflushed(msg);
        true
    }

    fn attach_new_pipe(&mut self, io: &IoCtx, peer_socket_type: i32, peer_routing_id: Vec<u8>) -> bool {
        let o = &self.setup.options;
        // Limits as seen from the socket: SNDHWM outgoing, RCVHWM incoming.
        let (mut sock_end, sess_end) = pair(o.sndhwm.max(0) as u64, o.rcvhwm.max(0) as u64);
        if o.conflates() {
            sock_end.set_conflate();
        }
        // ZMQ_PROBE_ROUTER: the socket attaches this pipe only when its thread next
        // processes commands, so send the probe (an empty message) from here, first.
        let probed = o.probe_router && matches!(o.socket_type, ZMQ_ROUTER | ZMQ_REP | ZMQ_DEALER | ZMQ_REQ);
        if probed {
            if let Some(e) = self.engine.as_mut() {
                let _ = e.send(&Msg::new());
            }
        }
        sock_end.peer = PeerInfo {
            routing_id: peer_routing_id,
            socket_type: peer_socket_type,
            meta: self.meta.clone(),
            endpoint: self.setup.endpoint.clone(),
            inproc_hwms: None,
            probed,
        };
        sess_end.set_owner(Arc::new(SessionNotify { io: io.shared.clone(), token: self.token }));
        self.pipe = Some(sess_end);
        self.setup.mailbox.send(Command::Attach(Box::new(sock_end)));
        true
    }

    /// Encode messages from the pipe and write them out. Ok(progress).
    fn write_stream(&mut self) -> Result<bool, ()> {
        if self.raw.is_some() {
            return self.write_raw();
        }
        let (Some(stream), Some(engine)) = (self.stream.as_mut(), self.engine.as_mut()) else { return Ok(false) };
        if engine.handshake_done() {
            if let Some(pipe) = self.pipe.as_mut() {
                while engine.out_len() < OUT_BATCH {
                    match pipe.read() {
                        Some(msg) => {
                            let sent = match msg.data().split_first() {
                                Some((&kind, topic)) if msg.flags() & crate::msg::flags::SUBSCRIPTION != 0 => {
                                    engine.send_subscription(kind == 1, topic)
                                }
                                _ => engine.send(&msg),
                            };
                            if sent.is_err() {
                                return Err(());
                            }
                        }
                        None => break,
                    }
                }
            }
        }
        raw::write_out(stream, engine).map_err(|errno| self.stream_errno = Some(errno))
    }

    pub fn on_pipe(&mut self, io: &IoCtx, ev: PipeEvent) -> bool {
        let id = match ev {
            PipeEvent::Readable(id) | PipeEvent::Writable(id) | PipeEvent::Hiccup(id) | PipeEvent::Closed(id) => id,
        };
        // Id 0 is our own "run again" nudge; events of a pipe we already dropped are stale.
        // The ZAP pipe's events mean its reply may be in.
        if self.zap.pipe_id() == Some(id) {
            return if self.stream.is_some() && !self.connecting { self.pump(io) } else { true };
        }
        if id != 0 && self.pipe.as_ref().is_none_or(|p| p.id() != id) {
            return true;
        }
        if let PipeEvent::Closed(_) = ev {
            // The socket let go of the pipe (disconnect/unbind/close): flush, then end.
            if self.stream.is_none() && !self.released {
                return false;
            }
        }
        if self.connecting || self.stream.is_none() {
            return !self.finished();
        }
        self.pump(io)
    }

    pub fn on_timer(&mut self, io: &IoCtx, now: Instant) -> bool {
        if self.linger_deadline.is_some_and(|d| d <= now) {
            return false;
        }
        if self.reconnect_at.is_some_and(|d| d <= now) {
            return self.start_connect(io);
        }
        if self.handshake_deadline.is_some_and(|d| d <= now) {
            return self.lost(io);
        }
        if self.engine_timer.is_some_and(|d| d <= now) {
            self.engine_timer = None;
            return self.pump(io);
        }
        true
    }

    /// The socket closed. linger: 0 = drop now, >0 = ms to flush, -1 = until flushed.
    pub fn release(&mut self, _io: &IoCtx, linger: i32) -> bool {
        self.released = true;
        if linger == 0 || self.pipe.is_none() {
            return false;
        }
        if linger > 0 {
            self.linger_deadline = Some(Instant::now() + Duration::from_millis(linger as u64));
        }
        !self.finished()
    }

    /// Tear down: close the stream and the pipe. A deliberate close (socket closed,
    /// unbind, disconnect) is not a DISCONNECTED event; only a lost connection is.
    pub fn shutdown(&mut self, io: &IoCtx) {
        self.zap.reset();
        if let Some(mut s) = self.stream.take() {
            let _ = s.deregister(io.registry);
        }
        if let Some(mut p) = self.pipe.take() {
            p.close();
        }
    }
}

/// ZMQ_MECHANISM and its keys, as the engine takes them. GSSAPI is not built: such a
/// socket announces NULL.
fn mechanism_config(o: &Options) -> zmtp::MechanismConfig {

    match o.mechanism {
        ZMQ_PLAIN => zmtp::MechanismConfig::Plain { username: o.plain_username.clone(), password: o.plain_password.clone() },
        ZMQ_CURVE => zmtp::MechanismConfig::Curve {
            public_key: o.curve_public_key,
            secret_key: o.curve_secret_key,
            server_key: o.curve_server_key,
        },
        _ => zmtp::MechanismConfig::Null,
    }
}

/// Raw mode (STREAM, ROUTER_RAW): the raw engine instead of ZMTP.
impl Session {
    /// The connection is up: there is no handshake, the socket hears of it at once.
    fn start_raw(&mut self) {
        let o = &self.setup.options;
        let stream = self.stream.as_ref();
        let properties = [
            ("Peer-Address".to_string(), stream.map(|s| s.peer_address()).unwrap_or_default().into_bytes()),
            // "__fd" is what ZMQ_SRCFD reads.
            ("__fd".to_string(), stream.map_or(-1, |s| s.raw_fd()).to_string().into_bytes()),
        ];
        let engine = RawEngine::new(o.raw_notify, &properties);
        self.meta = Some(engine.metadata().clone());
        if self.pipe.is_none() {
            self.attach_pending = Some((-1, Vec::new()));
        }
        self.stalled.extend(engine.notification());
        self.raw = Some(engine);
    }

    /// The connection is gone: what was read, then the disconnect notification, go to
    /// the socket regardless of its HWM (as libzmq's engine does on error).
    fn end_raw(&mut self) {
        let Some(engine) = self.raw.take() else { return };
        if let Some(pipe) = self.pipe.as_mut() {
            for m in self.stalled.drain(..).chain(engine.notification()) {
                let _ = pipe.write(m);
            }
        }
    }

    fn read_raw(&mut self) -> Result<bool, ()> {
        let (Some(stream), Some(engine)) = (self.stream.as_mut(), self.raw.as_ref()) else { return Ok(false) };
        let mut progress = false;
        for _ in 0..16 {
            match stream.read(&mut self.readbuf[..raw::READ_CHUNK]) {
                Ok(0) => return Err(()),
                Ok(n) => {
                    progress = true;
                    self.stalled.push_back(engine.message(&self.readbuf[..n]));
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(_) => return Err(()),
            }
        }
        Ok(progress)
    }

    fn write_raw(&mut self) -> Result<bool, ()> {
        let (Some(stream), Some(engine)) = (self.stream.as_mut(), self.raw.as_mut()) else { return Ok(false) };
        if let Some(pipe) = self.pipe.as_mut() {
            while raw::Output::out_len(engine) < OUT_BATCH {
                let Some(msg) = pipe.read() else { break };
                engine.send(&msg);
            }
        }
        raw::write_out(stream, engine).map_err(|_| ())
    }
}

/// Sockets whose pipes carry the peer's routing id.
fn needs_identity(socket_type: i32) -> bool {
    matches!(socket_type, ZMQ_ROUTER | ZMQ_REP | ZMQ_STREAM)
}

/// Whether connect() makes the socket's pipe right away (messages queue before the
/// connection exists). Sockets that route by identity need the peer's routing id first,
/// unless ZMQ_CONNECT_ROUTING_ID names the peer in advance.
pub(crate) fn pipe_at_connect(options: &Options) -> bool {
    let named = !options.connect_routing_id.is_empty() && matches!(options.socket_type, ZMQ_ROUTER | ZMQ_REP);
    // Raw sockets name their peers themselves.
    !options.immediate && (!needs_identity(options.socket_type) || named || options.raw_socket)
}
