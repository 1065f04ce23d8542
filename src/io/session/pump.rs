//! Driving a connection: stream -> engine -> pipe and pipe -> engine -> stream, in
//! bounded turns, with backpressure from the socket's pipe.

// Imports: `use super::*` takes the session's own (session/mod.rs), so they are listed once.
use crate::constants::*;
use super::*;
use std::io::IoSliceMut;

/// Bytes read after the end of a body read directly (see `read_stream`): enough for the
/// next frame's header and a few short frames, little to copy when the next frame is large
/// too (its body then mostly goes straight into its message, as this one's did).
const SPILL: usize = 4096;

impl Session {
    /// Move everything that can move: stream -> engine -> pipe, pipe -> engine -> stream.
    /// Streams are edge-triggered, so this runs until nothing moves (or the pipe to the
    /// socket is full); a session that used up its turn schedules another one.
    pub(super) fn pump(&mut self, io: &IoCtx) -> bool {
        // Timers first: a heartbeat timeout is an event to deliver, a PING bytes to write.
        self.tick_engine();
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
                io.shared.send(super::super::IoCmd::Pipe(self.token, PipeEvent::Readable(0)));
                break;
            }
        }
        self.tick_engine();
        true
    }

    /// Runs the engine's timers; a transport that pings by itself (ws) sends its ping.
    fn tick_engine(&mut self) {
        let Some(e) = self.engine.as_mut() else { return };
        self.engine_timer = if e.timers_idle() { None } else { e.tick(Instant::now()) };
        if e.heartbeat().take_transport_ping() {
            if let Some(ws) = self.stream.as_mut().and_then(|s| s.ws()) {
                ws.send_ping();
            }
        }
    }

    /// The stream ended: hand the socket every message the engine decoded (attaching the
    /// pipe first if the handshake just finished), as far as the pipe takes them.
    pub(super) fn deliver_remaining(&mut self, io: &IoCtx) {
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

    /// Read what the stream has, unless the socket's pipe is full. Ok(progress).
    pub(super) fn read_stream(&mut self) -> Result<bool, ()> {
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
        // Messages go from the decoder straight into the pipe (behind an event, such as a
        // subscription, they wait with it in the engine for `deliver_events`). While the
        // pipe is full the rest of a read stays in the read buffer undecoded
        // (`undecoded`), and nothing more is read until it is gone.
        let mut sink = self.pipe.as_mut().map(|pipe| PipeSink { pipe, meta: self.meta.as_ref(), delivered: false });
        let mut progress = false;
        if !self.undecoded.is_empty() {
            let range = self.undecoded.clone();
            let source = self.undecoded_shared.then_some(&self.readbuf);
            let decoded = engine.on_read_into(&self.readbuf.bytes()[range.clone()], source, sink.as_mut().map(PipeSink::as_dyn));
            // On failure the engine queued Event::Error: deliver_events closes.
            let used = decoded.unwrap_or(range.len());
            self.undecoded.start += used;
            progress = used > 0;
            if let Some(s) = sink.as_mut() {
                s.flush();
            }
        }
        if self.drained || !self.undecoded.is_empty() || engine.failure().is_some() {
            return Ok(progress);
        }
        // Read a bounded amount per turn so one busy peer can't starve the others.
        for _ in 0..16 {
            // A body at least as long as the read buffer needs reads of its own anyway:
            // its rest goes straight into the message, whatever follows it (up to SPILL)
            // into the read buffer, in one call.
            let (read, direct, asked) = match engine.body_tail(self.read_size) {
                Some(tail) => {
                    let direct = tail.len();
                    let spill = &mut self.readbuf.writable()[..SPILL.min(self.read_size)];
                    let asked = direct + spill.len();
                    (stream.read_vectored(&mut [IoSliceMut::new(tail), IoSliceMut::new(spill)]), direct, asked)
                }
                None => (stream.read(&mut self.readbuf.writable()[..self.read_size]), 0, self.read_size),
            };
            match read {
                Ok(0) => {
                    self.stream_errno = Some(libc::EPIPE);
                    return Err(());
                }
                Ok(n) => {
                    progress = true;
                    let into_body = n.min(direct);
                    let rest = n - into_body;
                    let shared = rest >= ZERO_COPY_MIN;
                    let source = shared.then_some(&self.readbuf);
                    // On failure the engine queued Event::Error: deliver_events closes.
                    let decoded = engine
                        .on_body_read_into(into_body, sink.as_mut().map(PipeSink::as_dyn))
                        .and_then(|()| engine.on_read_into(&self.readbuf.bytes()[..rest], source, sink.as_mut().map(PipeSink::as_dyn)));
                    // One publication, and at most one wake-up of the socket, per read.
                    let delivered = sink.as_mut().is_some_and(PipeSink::flush);
                    let Ok(used) = decoded else { break };
                    if used < rest {
                        self.undecoded = used..rest;
                        self.undecoded_shared = shared;
                        break;
                    }
                    if n < asked && !self.read_closed && stream.short_read_drains() {
                        self.drained = true;
                        break;
                    }
                    // A read that completed a frame ends the turn (other connections wait).
                    if delivered || engine.has_events() {
                        break;
                    }
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => {
                    self.drained = stream.short_read_drains();
                    break;
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) => {
                    self.stream_errno = e.raw_os_error();
                    return Err(());
                }
            }
        }
        // A WebSocket pong (no bytes for the engine) still says the peer lives.
        if stream.ws().is_some_and(|w| w.take_pong()) {
            engine.heartbeat().on_traffic();
        }
        Ok(progress)
    }

    /// Hand decoded events to the socket: Some(progress), None if the connection must close.
    pub(super) fn deliver_events(&mut self) -> Option<bool> {
        let r = self.deliver_events_unflushed();
        // One publication, and at most one wake-up of the socket, per batch of frames.
        if let Some(p) = self.pipe.as_mut() {
            p.flush();
        }
        r
    }

    pub(super) fn deliver_events_unflushed(&mut self) -> Option<bool> {
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
                    notify::peer_greeted(&self.setup.options, engine, &mut self.stalled);
                    self.setup.monitor.emit(ZMQ_EVENT_HANDSHAKE_SUCCEEDED, 0, self.conn_addrs());
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
                    if !self.push_message(msg) {
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

    /// Put one frame into the pipe. False (frame kept) if the pipe is full.
    pub(super) fn push_frame(&mut self, msg: Msg) -> bool {
        self.push(msg, false)
    }

    /// A message from the engine, which leaves the connection's metadata to us: the pipe
    /// writes it only when the reader does not have it yet (see pipe/metadata.rs).
    fn push_message(&mut self, msg: Msg) -> bool {
        self.push(msg, true)
    }

    /// `push_frame` / `push_message`: `conn_meta`, the frame goes with the connection's
    /// metadata (kept on the frame itself while it waits for room).
    fn push(&mut self, mut msg: Msg, conn_meta: bool) -> bool {
        let Some(pipe) = self.pipe.as_mut() else { return true };
        if !pipe.is_mid_message() && !pipe.check_write() {
            if conn_meta {
                msg.set_metadata(self.meta.clone());
            }
            self.stalled.push_front(msg);
            return false;
        }
        let _ = if conn_meta { pipe.write_unflushed_with_meta(msg, self.meta.as_ref()) } else { pipe.write_unflushed(msg) };
        true
    }

    /// Encode messages from the pipe and write them out. Ok(progress).
    pub(super) fn write_stream(&mut self) -> Result<bool, ()> {
        if self.raw.is_some() {
            return self.write_raw();
        }
        let (Some(stream), Some(engine)) = (self.stream.as_mut(), self.engine.as_mut()) else { return Ok(false) };
        if engine.handshake_done() {
            if let Some(pipe) = self.pipe.as_mut() {
                while engine.out_len() < self.out_batch {
                    // With bytes queued we write and come back, so finding the pipe empty
                    // need not arm its wake-up (see `Pipe::read_unarmed`): the socket
                    // writes on while we are in the write syscall without waking us.
                    // Only a look with nothing left to write arms it, before we sleep.
                    let next = if engine.out_len() > 0 { pipe.read_unarmed() } else { pipe.read() };
                    match next {
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
}

/// Where the engine puts the messages it decodes (while no other event waits): the
/// session's pipe, with the connection's metadata.
struct PipeSink<'a> {
    pipe: &'a mut Pipe,
    meta: Option<&'a Arc<Metadata>>,
    /// Messages were taken since the last `flush`.
    delivered: bool,
}

impl PipeSink<'_> {
    fn as_dyn<'s>(&'s mut self) -> &'s mut dyn zmtp::MessageSink {
        self
    }

    /// Publish what was written (waking the socket if it sleeps); whether anything was.
    fn flush(&mut self) -> bool {
        self.pipe.flush();
        std::mem::take(&mut self.delivered)
    }
}

impl zmtp::MessageSink for PipeSink<'_> {
    /// Room for the next message (a frame of an unfinished one always has it). If not,
    /// the pipe says `Writable` once the socket made room.
    fn ready(&mut self) -> bool {
        self.pipe.is_mid_message() || self.pipe.check_write()
    }

    fn message(&mut self, msg: Msg) {
        self.delivered = true;
        // A pipe whose socket is gone drops it, as `push` does.
        let _ = self.pipe.write_unflushed_with_meta(msg, self.meta);
    }
}
