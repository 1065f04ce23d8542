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
use crate::msg::{Metadata, Msg, ReadBuf};
use crate::options::Options;
use crate::pipe::{pair, PeerInfo, Pipe, PipeEvent};
use crate::ctx::monitor::{EventAddrs, MonitorSlot};
use crate::zmtp::{self, Engine, Event};
use mio::Token;
use socket2::SockAddr;
use std::collections::VecDeque;
use std::io::{ErrorKind, Read};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Bytes of encoded output gathered from the pipe before writing (batching), and bytes
/// read per syscall, unless ZMQ_OUT_BATCH_SIZE / ZMQ_IN_BATCH_SIZE (draft) say otherwise.
const OUT_BATCH: usize = 64 * 1024;
const READ_BUF: usize = 64 * 1024;

/// A read at least this large is decoded into messages that refer to the read buffer
/// (no copy, no allocation per message); the next read then needs a new buffer, which
/// so many messages amortise. Smaller reads (a request, a reply) are copied, so one small
/// message never holds a whole buffer.
const ZERO_COPY_MIN: usize = 4096;

/// A batch size option in bytes (libzmq uses them as its encoder's batch and its
/// decoder's read buffer). Its default, 8192, stands for our own size: reading and
/// writing 64 KiB at a time costs fewer syscalls per message here.
fn batch_bytes(option: i32, ours: usize) -> usize {
    if option == crate::options::BATCH_SIZE_DFLT { ours } else { option.max(1) as usize }
}

mod attach;
mod connect;
mod handshake;
mod notify;
mod pump;
mod raw_mode;

pub(crate) use attach::pipe_at_connect;
pub use connect::ConnectTarget;

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
    /// What the stream is read into; its messages refer to it (see `msg::ReadBuf`).
    readbuf: ReadBuf,
    /// The part of the last read the engine has not decoded yet: it stopped there because
    /// the pipe was full or an event had to be delivered first (see `read_stream`).
    undecoded: std::ops::Range<usize>,
    /// That read is shared by its messages (`ZERO_COPY_MIN`).
    undecoded_shared: bool,
    /// Bytes read per syscall: ZMTP (`READ_BUF`) and raw (ZMQ_IN_BATCH_SIZE itself: each
    /// read is one message, so large arrivals come in pieces of that size, as in libzmq).
    read_size: usize,
    raw_read_size: usize,
    /// Encoded bytes gathered before a write (`OUT_BATCH`).
    out_batch: usize,
    /// The tcp/ipc socket is known to be empty (a read failed with EAGAIN, or got less
    /// than it asked for) until its next readiness event: epoll reports every arrival
    /// after that (edge-triggered), and reading before it would only fail with EAGAIN.
    drained: bool,
    /// The stream's end (or an error) was reported: an end that came before a short read
    /// raises no new event, so from now on only EAGAIN means drained.
    read_closed: bool,
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
    /// The connection's local and remote endpoints, as version 2 monitor events name them.
    local_addr: String,
    remote_addr: String,
    /// Why the stream failed (EPIPE for EOF), for HANDSHAKE_FAILED_NO_DETAIL.
    stream_errno: Option<i32>,
    /// The connection broke the protocol (or failed authentication): libzmq does not
    /// reconnect after that.
    protocol_error: bool,
}

impl Session {
    fn new(token: Token, handle: u64, setup: SessionSetup) -> Session {
        let ivl = Duration::from_millis(setup.options.reconnect_ivl.max(0) as u64);
        let read_size = batch_bytes(setup.options.in_batch_size, READ_BUF);
        let raw_read_size = setup.options.in_batch_size.max(1) as usize;
        let out_batch = batch_bytes(setup.options.out_batch_size, OUT_BATCH);
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
            readbuf: ReadBuf::new(read_size.max(raw_read_size)),
            undecoded: 0..0,
            undecoded_shared: false,
            read_size,
            raw_read_size,
            out_batch,
            drained: false,
            read_closed: false,
            reconnected: false,
            attach_pending: None,
            pipe_from_connect: false,
            zap_request: None,
            zap: ZapClient::default(),
            peer_address: String::new(),
            local_addr: String::new(),
            remote_addr: String::new(),
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
        stream.set_priority(setup.options.priority);
        let mut s = Session::new(token, handle, setup);
        (s.local_addr, s.remote_addr) = stream.addresses();
        s.setup.monitor.emit(ZMQ_EVENT_ACCEPTED, stream.raw_fd() as u64, s.conn_addrs());
        s.stream = Some(stream);
        s.start_engine();
        Some(s)
    }

    pub fn handle(&self) -> u64 {
        self.handle
    }

    /// The current connection, as monitor events name it.
    fn conn_addrs(&self) -> EventAddrs<'_> {
        EventAddrs { endpoint: &self.setup.endpoint, local: &self.local_addr, remote: &self.remote_addr }
    }

    pub fn next_timer(&self) -> Option<Instant> {
        [self.reconnect_at, self.handshake_deadline, self.engine_timer, self.linger_deadline].into_iter().flatten().min()
    }

    /// The connection is gone (EOF, error, protocol failure, timeout).
    fn lost(&mut self, io: &IoCtx) -> bool {
        let handshake_failed = !self.connecting && self.engine.as_ref().is_some_and(|e| !e.handshake_done());
        // A connection error during the handshake, as libzmq reports it.
        if let (Some(errno), Some(e)) = (self.stream_errno.take(), self.engine.as_ref()) {
            if !e.handshake_done() && e.failure().is_none() && !self.connecting {
                self.setup.monitor.emit(ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL, errno as u64, self.conn_addrs());
            }
        }
        self.peer_gone();
        self.zap.reset();
        self.zap_request = None;
        if let Some(mut s) = self.stream.take() {
            let _ = s.deregister(io.registry);
            if !self.connecting {
                self.setup.monitor.emit(ZMQ_EVENT_DISCONNECTED, s.raw_fd() as u64, self.conn_addrs());
            }
        }
        self.engine = None;
        self.undecoded = 0..0;
        self.end_raw();
        self.connecting = false;
        self.handshake_deadline = None;
        self.engine_timer = None;
        self.stalled.clear();
        self.meta = None;
        if self.target.is_none() || std::mem::take(&mut self.protocol_error) {
            return false;
        }
        // ZMQ_RECONNECT_STOP: a connect whose handshake failed is not tried again.
        if handshake_failed && self.setup.options.reconnect_stop & ZMQ_RECONNECT_STOP_HANDSHAKE_FAILED != 0 {
            return false;
        }
        // Sockets that route by peer identity (unless the connect named the peer), and
        // IMMEDIATE ones (no queueing without a live connection), get a fresh pipe per
        // connection.
        let o = &self.setup.options;
        if self.pipe.is_some() && ((!self.pipe_from_connect && attach::needs_identity(o.socket_type)) || o.immediate) {
            if let Some(mut p) = self.pipe.take() {
                p.close();
            }
        }
        if self.released && self.pipe.as_mut().is_none_or(|p| !p.check_read()) {
            return false;
        }
        self.schedule_reconnect()
    }

    /// A readiness event said the stream's input ended or failed.
    pub fn note_read_closed(&mut self, closed: bool) {
        self.read_closed |= closed;
    }

    pub fn on_ready(&mut self, io: &IoCtx, readable: bool, writable: bool) -> bool {
        self.drained &= !readable;
        if self.connecting {
            if !(readable || writable) {
                return true;
            }
            match self.stream.as_ref().map(|s| s.finish_connect()) {
                Some(Ok(_)) => {}
                Some(Err(e)) if self.refused_for_good(&e) => return self.stop_connecting(io),
                _ => return self.lost(io),
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
                // The remote end is the endpoint connected to (not a SOCKS proxy's address).
                self.local_addr = s.addresses().0;
                self.remote_addr = self.setup.endpoint.clone();
                self.setup.monitor.emit(ZMQ_EVENT_CONNECTED, s.raw_fd() as u64, self.conn_addrs());
            }
            self.reconnect_ivl = Duration::from_millis(self.setup.options.reconnect_ivl.max(0) as u64);
            self.start_engine();
        }
        self.pump(io)
    }

    /// The socket closed and everything it sent has been written.
    fn finished(&mut self) -> bool {
        if !self.released && !self.pipe.as_ref().is_some_and(|p| p.peer_gone()) {
            return false;
        }
        let out_empty = self.engine.as_ref().is_none_or(|e| e.out_len() == 0)
            && self.stream.as_ref().is_none_or(|s| s.pending_out() == 0)
            && self.raw.as_ref().is_none_or(|r| raw::Output::out_len(r) == 0);
        let pipe_done = match self.pipe.as_mut() {
            Some(p) => !p.check_read() && p.peer_gone(),
            None => self.released,
        };
        out_empty && pipe_done
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
            // ZMQ_HANDSHAKE_IVL ran out: a handshake failure without detail, as in libzmq.
            if self.engine.as_ref().is_some_and(|e| !e.handshake_done() && e.failure().is_none()) {
                self.setup.monitor.emit(ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL, libc::ETIMEDOUT as u64, self.conn_addrs());
            }
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
