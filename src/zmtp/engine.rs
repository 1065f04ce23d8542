//! The sans-IO ZMTP engine: one connection's protocol state. See the module docs
//! (`zmtp/mod.rs`) for how the I/O layer drives it.

use crate::constants::*;
use std::collections::VecDeque;
use std::io::IoSlice;
use std::sync::Arc;
use std::time::Instant;

use crate::error::{Error, Result};
use crate::msg::{Metadata, Msg, ReadBuf};

pub use super::config::Config;

use super::codec::{self, Decoder};
use super::commands::{self, Command};
use super::failure::Failure;
use super::greeting::{GreetingExchange, OurGreeting, PeerGreeting, Protocol, MECHANISM_LEN};
use super::heartbeat::{Due, Heartbeat};
use super::mechanism::null::NullMechanism;
use super::mechanism::{LocalInfo, Mechanism, MechanismConfig, Status, ZapReply, ZapRequest};
use super::zap;
use super::outbuf::OutQueue;
use super::socket_type;
pub use super::sink::MessageSink;

mod handshake_end;

/// What the handshake established.
#[derive(Debug, Clone)]
pub struct Handshake {
    pub protocol: Protocol,
    /// From READY (3.x) or the greeting (1.0 with revision, 2.0); None for an unversioned
    /// 1.0 peer or a 3.x peer that sent no Socket-Type.
    pub peer_socket_type: Option<i32>,
    /// From READY's "Identity" (3.x) or the identity frame (1.0/2.0); empty if none.
    pub peer_routing_id: Vec<u8>,
    /// Connection properties + ZAP User-Id + the peer's READY properties; also attached to
    /// every received message.
    pub metadata: Arc<Metadata>,
}

#[derive(Debug)]
pub enum Event {
    /// Sent once, before any message; only now may `send` be called.
    HandshakeDone(Handshake),
    /// One frame of an application message; `more()` tells whether more frames follow.
    Message(Msg),
    /// A ZMTP 3.1 SUBSCRIBE command (ZMTP 3.0 and older peers send subscriptions as
    /// messages starting with 1, which arrive as Message). `commands::subscription_message`
    /// turns it into that message form. An unversioned 1.0 peer of a PUB/XPUB gets a
    /// phantom Subscribe(empty) right after the handshake, as in libzmq.
    Subscribe(Vec<u8>),
    /// A ZMTP 3.1 CANCEL command (3.0 form: a message starting with 0).
    Cancel(Vec<u8>),
    /// The mechanism needs the ZAP handler's verdict (RFC 27) before the handshake can go
    /// on: answer with `Engine::zap_reply` or `Engine::zap_bypassed`.
    ZapRequest(ZapRequest),
    /// The connection is unusable: close it. Always the last event.
    Error(Failure),
}

impl Event {
    /// Subscribe/Cancel turned into the ZMTP 3.0 message form (1 or 0, then the topic), for
    /// an XPUB that takes all subscriptions as messages; other events are unchanged.
    pub fn subscription_as_message(self) -> Event {
        match self {
            Event::Subscribe(topic) => Event::Message(commands::subscription_message(true, &topic)),
            Event::Cancel(topic) => Event::Message(commands::subscription_message(false, &topic)),
            other => other,
        }
    }
}

enum Phase {
    Greeting(GreetingExchange),
    /// ZMTP 3.x security handshake.
    Handshake,
    /// ZMTP 1.0/2.0: waiting for the peer's identity frame.
    Identity,
    Active,
    Failed(Failure),
}

pub struct Engine {
    cfg: Config,
    phase: Phase,
    protocol: Option<Protocol>,
    peer_greeting_type: Option<i32>,
    decoder: Option<Decoder>,
    mechanism: Option<Box<dyn Mechanism>>,
    out: OutQueue,
    events: VecDeque<Event>,
    metadata: Option<Arc<Metadata>>,
    heartbeat: Heartbeat,
    /// User-Id and metadata from the ZAP handler's reply, for received messages.
    zap_properties: Vec<(String, Vec<u8>)>,
    /// Where each queued, not yet written PONG ends in the output (see
    /// `OutQueue::end_offset`), oldest first.
    unwritten_pongs: VecDeque<u64>,
    /// Set while active on a connection whose frames go out as they are (ZMTP 2.0+
    /// framing, no mechanism that wraps them): whether the COMMAND flag is sent (3.x).
    /// `send` then queues a short frame without looking at the phase, the protocol or
    /// the mechanism again for each message.
    plain_frames: Option<bool>,
}

/// PONGs that may wait unwritten: a peer that pings without reading cannot grow our output
/// queue past this, yet PINGs that arrive together (libzmq's test sends two in one burst)
/// each get their answer.
const MAX_UNWRITTEN_PONGS: usize = 8;

impl Engine {
    /// A new connection; the first part of our greeting is queued for writing at once.
    pub fn new(cfg: Config) -> Engine {
        let mut first = Vec::new();
        let ours = OurGreeting {
            socket_type: cfg.socket_type as u8,
            routing_id_len: cfg.routing_id.len(),
            mechanism: cfg.mechanism.wire_name(),
            as_server: cfg.as_server && cfg.mechanism != MechanismConfig::Null,
            zmtp2_only: cfg.emulate_zmtp2,
        };
        let greeting = GreetingExchange::new(ours, &mut first);
        let mut out = OutQueue::default();
        out.push_bytes(&first);
        let heartbeat = Heartbeat::new(cfg.heartbeat_ivl, cfg.heartbeat_ttl, cfg.heartbeat_timeout);
        Engine {
            cfg,
            phase: Phase::Greeting(greeting),
            protocol: None,
            peer_greeting_type: None,
            decoder: None,
            mechanism: None,
            out,
            events: VecDeque::new(),
            metadata: None,
            heartbeat,
            zap_properties: Vec::new(),
            unwritten_pongs: VecDeque::new(),
            plain_frames: None,
        }
    }

    /// Feeds bytes read from the socket. Decodes everything in `data`, queueing events.
    /// On a protocol error returns Err (EPROTO, EMSGSIZE, ENOMEM) after queueing the events
    /// of the frames before it and then Event::Error; every later call returns Err too.
    pub fn on_read(&mut self, data: &[u8]) -> Result<()> {
        self.on_read_into(data, None, None).map(drop)
    }

    /// [`on_read`](Self::on_read) of `data`, lying in `source` if given (messages then refer
    /// to it, see `msg::ReadBuf`); messages go to `sink`, if given, while no event waits
    /// before them (see `MessageSink`). Ok(bytes used): offer the rest again later.
    pub fn on_read_into(&mut self, data: &[u8], source: Option<&ReadBuf>, sink: Option<&mut dyn MessageSink>) -> Result<usize> {
        if let Phase::Failed(f) = &self.phase {
            return Err(f.errno);
        }
        if data.is_empty() {
            return Ok(0);
        }
        self.heartbeat.on_traffic();
        let mut rest = data;
        if let Phase::Greeting(greeting) = &mut self.phase {
            let mut reply = Vec::new();
            let (used, peer) = greeting.feed(rest, &mut reply);
            self.out.push_bytes(&reply);
            rest = &rest[used..];
            let Some(peer) = peer else { return Ok(data.len()) };
            if let Err(f) = self.start_protocol(&peer) {
                return Err(self.fail(f));
            }
            // No sink: what follows the handshake waits behind HandshakeDone anyway.
            self.decode(&peer.replay, None, None)?;
        }
        Ok(data.len() - rest.len() + self.decode(rest, source, sink)?)
    }

    /// Where the next bytes from the socket may go directly: the unfilled rest of the frame
    /// body being decoded, if that frame is at least `min_len` bytes long. Read into it
    /// (then call `on_body_read`) and whatever follows the body into your own buffer (then
    /// `on_read`): the body costs no copy but the kernel's.
    pub fn body_tail(&mut self, min_len: usize) -> Option<&mut [u8]> {
        if !matches!(self.phase, Phase::Handshake | Phase::Identity | Phase::Active) {
            return None;
        }
        self.decoder.as_mut()?.body_tail(min_len)
    }

    /// `n` bytes were read into what `body_tail` returned. Errors as `on_read`.
    pub fn on_body_read(&mut self, n: usize) -> Result<()> {
        self.on_body_read_into(n, None)
    }

    /// [`on_body_read`](Self::on_body_read), the message going to `sink` (see `on_read_into`).
    pub fn on_body_read_into(&mut self, n: usize, sink: Option<&mut dyn MessageSink>) -> Result<()> {
        if let Phase::Failed(f) = &self.phase {
            return Err(f.errno);
        }
        if n == 0 {
            return Ok(());
        }
        self.heartbeat.on_traffic();
        let decoder = self.decoder.as_mut().expect("body_tail came first");
        match decoder.body_read(n) {
            Some(frame) => self.on_frame(frame, sink).map_err(|f| self.fail(f)),
            None => Ok(()),
        }
    }

    /// The next event, in wire order.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    pub fn has_events(&self) -> bool {
        !self.events.is_empty()
    }

    /// Queues one frame of an application message (MORE taken from `msg`). Only after
    /// the handshake: before it returns EAGAIN (keep the message), after a failure the
    /// failure's errno. Large bodies are queued by reference, not copied.
    #[inline]
    pub fn send(&mut self, msg: &Msg) -> Result<()> {
        if let Some(commands) = self.plain_frames {
            if self.out.push_short_frame(msg, commands) {
                return Ok(());
            }
        }
        self.send_framed(msg)
    }

    /// `send` in general: any phase, framing, mechanism and size.
    fn send_framed(&mut self, msg: &Msg) -> Result<()> {
        self.check_active()?;
        let command = msg.is_command() && self.is_v3();
        match &mut self.mechanism {
            Some(m) if m.wraps_messages() => match m.encode(msg) {
                Ok(frame) => self.write_frame(&frame, frame.is_command()),
                Err(f) => return Err(self.fail(f)),
            },
            _ => self.write_frame(msg, command),
        }
        Ok(())
    }

    /// Queues a subscription (`subscribe`) or its cancellation for `topic`, in the form the
    /// peer understands: a SUBSCRIBE/CANCEL command for ZMTP 3.1 (unless
    /// `subscribe_commands` is off), else a message of 1 or 0 followed by the topic.
    pub fn send_subscription(&mut self, subscribe: bool, topic: &[u8]) -> Result<()> {
        self.check_active()?;
        if self.protocol == Some(Protocol::V3_1) && self.cfg.subscribe_commands {
            let body = if subscribe { commands::subscribe(topic) } else { commands::cancel(topic) };
            self.write_active_command(body).map_err(|f| self.fail(f))
        } else {
            self.send(&commands::subscription_message(subscribe, topic))
        }
    }

    /// Runs the heartbeat timers. Call after every `on_read` and whenever the returned
    /// deadline passes; returns the next deadline, if any. May queue a PING (write it)
    /// or fail the connection with a timeout (poll events).
    pub fn tick(&mut self, now: Instant) -> Option<Instant> {
        if !matches!(self.phase, Phase::Active) {
            return None;
        }
        match self.heartbeat.tick(now) {
            Due::Nothing => {}
            Due::SendPing => {
                let ping = commands::ping(self.heartbeat.ttl_deciseconds(), &[]);
                if let Err(f) = self.write_active_command(ping) {
                    self.fail(f);
                    return None;
                }
            }
            Due::Expired(detail) => {
                self.fail(Failure::timeout(detail));
                return None;
            }
        }
        self.heartbeat.next_deadline(now)
    }

    /// `tick` has nothing to do now (no heartbeat timer armed, or not active yet): the
    /// caller need not read the clock for it. A session wakes once per batch of messages
    /// from its pipe; with heartbeats off (the default) this spares a clock read per wake.
    pub fn timers_idle(&self) -> bool {
        !matches!(self.phase, Phase::Active) || self.heartbeat.idle()
    }

    /// Bytes to write next (a prefix of what is queued; empty when nothing is).
    pub fn out_bytes(&self) -> &[u8] {
        self.out.front()
    }

    /// Fills `slices` with what is queued, in order, at most `limit` bytes, for a
    /// vectored write.
    pub fn out_slices<'a>(&'a self, slices: &mut [IoSlice<'a>], limit: usize) -> usize {
        self.out.io_slices(slices, limit)
    }

    /// Marks `n` queued bytes as written.
    pub fn consume_out(&mut self, n: usize) {
        self.out.consume(n)
    }

    /// Bytes queued for writing; stop pulling messages to `send` while this is large.
    pub fn out_len(&self) -> usize {
        self.out.len()
    }

    pub fn wants_write(&self) -> bool {
        !self.out.is_empty()
    }

    /// The heartbeat timers, for a transport that pings by itself (ws).
    pub fn heartbeat(&mut self) -> &mut Heartbeat {
        &mut self.heartbeat
    }

    /// Whether HandshakeDone was queued (and the engine has not failed since).
    pub fn handshake_done(&self) -> bool {
        matches!(self.phase, Phase::Active)
    }

    /// The failure, once the engine has failed.
    pub fn failure(&self) -> Option<&Failure> {
        match &self.phase {
            Phase::Failed(f) => Some(f),
            _ => None,
        }
    }

    /// The negotiated protocol, once the peer's greeting is in.
    pub fn protocol(&self) -> Option<Protocol> {
        self.protocol
    }

    /// The metadata attached to received messages, once the handshake is done.
    pub fn metadata(&self) -> Option<&Arc<Metadata>> {
        self.metadata.as_ref()
    }

    fn is_v3(&self) -> bool {
        self.protocol.is_some_and(Protocol::is_v3)
    }

    fn check_active(&self) -> Result<()> {
        match &self.phase {
            Phase::Active => Ok(()),
            Phase::Failed(f) => Err(f.errno),
            _ => Err(Error::AGAIN),
        }
    }

    /// Records a failure: queues Event::Error and refuses all further work.
    fn fail(&mut self, failure: Failure) -> Error {
        let errno = failure.errno;
        self.plain_frames = None;
        self.events.push_back(Event::Error(failure.clone()));
        self.phase = Phase::Failed(failure);
        errno
    }

    /// The peer's greeting is complete: set up framing and the handshake.
    fn start_protocol(&mut self, peer: &PeerGreeting) -> std::result::Result<(), Failure> {
        let protocol = peer.protocol;
        self.protocol = Some(protocol);
        self.decoder = Some(Decoder::new(protocol.framing(), self.cfg.max_msg_size));
        if protocol.is_v3() {
            self.decoder.as_mut().expect("just set").set_handshake(true);
            let mut ours = [0u8; MECHANISM_LEN];
            let name = self.cfg.mechanism.wire_name();
            ours[..name.len()].copy_from_slice(name);
            if peer.mechanism != ours {
                return Err(Failure::handshake(ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH, "security mechanism mismatch"));
            }
            let local = LocalInfo {
                socket_type: self.cfg.socket_type,
                routing_id: self.cfg.routing_id.clone(),
                app_metadata: self.cfg.app_metadata.clone(),
                as_server: self.cfg.as_server,
            };
            // NULL consults ZAP only when a domain is set (libzmq 4.3).
            self.mechanism = Some(match self.cfg.mechanism {
                MechanismConfig::Null if !self.cfg.zap_domain.is_empty() => Box::new(NullMechanism::with_zap(local)),
                _ => self.cfg.mechanism.start(local),
            });
            self.phase = Phase::Handshake;
            self.send_handshake_commands();
            return Ok(());
        }

        // ZMTP 1.0/2.0 cannot authenticate, so libzmq refuses them when ZAP is on.
        if self.cfg.mechanism != MechanismConfig::Null || !self.cfg.zap_domain.is_empty() {
            return Err(Failure::protocol("ZMTP 1.0/2.0 peer while ZAP is enabled"));
        }
        self.peer_greeting_type = peer.socket_type.map(i32::from);
        // Our identity message goes first. To an unversioned peer its header already went
        // out as our signature; only the body is left.
        if protocol == Protocol::V1Unversioned {
            let id = self.cfg.routing_id.clone();
            self.out.push_bytes(&id);
        } else {
            let id = Msg::from_slice(&self.cfg.routing_id);
            self.write_frame(&id, false);
        }
        self.phase = Phase::Identity;
        Ok(())
    }

    /// Decodes `data` frame by frame, acting on each; Ok(bytes used): all of them, unless
    /// `sink` is given and a frame must wait (see `on_read_into`).
    fn decode(&mut self, data: &[u8], source: Option<&ReadBuf>, mut sink: Option<&mut dyn MessageSink>) -> Result<usize> {
        let all = data.len();
        let mut data = data;
        while !data.is_empty() {
            let decoder = self.decoder.as_mut().expect("decoding starts after the greeting");
            if let Some(sink) = sink.as_deref_mut() {
                if matches!(self.phase, Phase::Active) && decoder.at_frame_boundary() && !sink.ready() {
                    break;
                }
            }
            let (used, frame) = match decoder.decode_from(data, source) {
                Ok(step) => step,
                Err(f) => return Err(self.fail(f)),
            };
            data = &data[used..];
            if let Some(frame) = frame {
                if let Err(f) = self.on_frame(frame, sink.as_deref_mut()) {
                    return Err(self.fail(f));
                }
            }
        }
        Ok(all - data.len())
    }

    fn on_frame(&mut self, frame: Msg, sink: Option<&mut (dyn MessageSink + '_)>) -> std::result::Result<(), Failure> {
        match self.phase {
            Phase::Handshake => self.on_handshake_frame(frame),
            Phase::Identity => {
                self.on_identity(frame);
                Ok(())
            }
            Phase::Active => self.on_active_frame(frame, sink),
            Phase::Greeting(_) | Phase::Failed(_) => unreachable!("no frames outside the handshake and after it"),
        }
    }

    /// libzmq hands every handshake frame to its mechanism as a command, whatever its
    /// flags: a message frame is judged by its content (UNEXPECTED_COMMAND for NULL,
    /// MALFORMED_COMMAND_UNSPECIFIED for a PLAIN server when it does not parse, ...).
    fn on_handshake_frame(&mut self, frame: Msg) -> std::result::Result<(), Failure> {
        let mechanism = self.mechanism.as_mut().expect("3.x handshake has a mechanism");
        let processed = mechanism.process_handshake_command(frame.data());
        self.handshake_step(processed)
    }

    fn on_active_frame(&mut self, frame: Msg, sink: Option<&mut (dyn MessageSink + '_)>) -> std::result::Result<(), Failure> {
        // CURVE boxes every frame, commands included; its box says which is which (libzmq
        // ignores the wire flags of a MESSAGE).
        let frame = match &mut self.mechanism {
            Some(m) if m.wraps_messages() => m.decode(frame)?,
            _ => frame,
        };
        if frame.is_command() {
            // ZMTP 1.0/2.0 have no commands: drop such frames, as libzmq's session does.
            return if self.is_v3() { self.on_command(&frame) } else { Ok(()) };
        }
        let mut msg = frame;
        if self.cfg.metadata_on_messages {
            msg.set_metadata(self.metadata.clone());
        }
        match sink {
            Some(sink) if self.events.is_empty() => sink.message(msg),
            _ => self.events.push_back(Event::Message(msg)),
        }
        Ok(())
    }

    /// Commands after the handshake. Unknown and malformed ones are ignored, as in libzmq.
    fn on_command(&mut self, frame: &Msg) -> std::result::Result<(), Failure> {
        match commands::parse(frame.data()) {
            Ok(Command::Ping { ttl, context }) => {
                let written = self.out.written();
                while self.unwritten_pongs.front().is_some_and(|&end| end <= written) {
                    self.unwritten_pongs.pop_front();
                }
                if self.unwritten_pongs.len() < MAX_UNWRITTEN_PONGS {
                    let pong = commands::pong(context);
                    self.write_active_command(pong)?;
                    self.unwritten_pongs.push_back(self.out.end_offset());
                }
                self.heartbeat.on_peer_ping(ttl);
            }
            Ok(Command::Subscribe(topic)) => self.events.push_back(Event::Subscribe(topic.to_vec())),
            Ok(Command::Cancel(topic)) => self.events.push_back(Event::Cancel(topic.to_vec())),
            // To a RADIO as messages (flagged COMMAND); to other types unknown commands.
            Ok(Command::Join(_) | Command::Leave(_)) if self.cfg.socket_type == ZMQ_RADIO => self.events.push_back(Event::Message(frame.clone())),
            _ => {}
        }
        Ok(())
    }

    /// A command after the handshake (PING, PONG, SUBSCRIBE, CANCEL): boxed like any frame
    /// when the mechanism wraps messages, as libzmq does.
    fn write_active_command(&mut self, body: Vec<u8>) -> std::result::Result<(), Failure> {
        match &mut self.mechanism {
            Some(m) if m.wraps_messages() => {
                let mut msg = Msg::from_vec(body);
                msg.set_flags(crate::msg::flags::COMMAND);
                let frame = m.encode(&msg)?;
                self.write_frame(&frame, false);
            }
            _ => self.write_command(&body),
        }
        Ok(())
    }

    fn send_handshake_commands(&mut self) {
        while let Some(body) = self.mechanism.as_mut().and_then(|m| m.next_handshake_command()) {
            self.write_command(&body);
        }
        if let Some(request) = self.mechanism.as_mut().and_then(|m| m.take_zap_request()) {
            self.events.push_back(Event::ZapRequest(request));
        }
    }

    fn write_command(&mut self, body: &[u8]) {
        let framing = self.protocol.expect("commands follow the greeting").framing();
        self.out.push_with(|buf| {
            codec::write_header(framing, buf, body.len(), false, true);
            buf.extend_from_slice(body);
        });
    }

    fn write_frame(&mut self, msg: &Msg, command: bool) {
        let framing = self.protocol.expect("frames follow the greeting").framing();
        self.out.push_frame(codec::Header::new(framing, msg.len(), msg.more(), command).bytes(), msg);
    }

    /// Connection properties, then the ZAP reply's (User-Id, metadata), then the peer's;
    /// the first of a name wins, as in libzmq.
    fn build_metadata(&self, user_id: Option<&[u8]>, peer: &[(String, Vec<u8>)]) -> Arc<Metadata> {
        let user = user_id.map(|u| ("User-Id".to_string(), u.to_vec()));
        let zap = self.zap_properties.iter().chain(user.iter());
        let all = self.cfg.connection_properties.iter().chain(zap).chain(peer);
        Arc::new(Metadata::first_wins(all.map(|(name, value)| (name.as_str(), value.as_slice()))))
    }
}
