//! The socket core: what every socket type shares (pipes, commands, blocking, options),
//! and the `Pattern` trait each socket type implements in its own file.
//!
//! A socket belongs to one application thread at a time. Other threads reach it only
//! through its mailbox: I/O threads attach pipes and report pipe events, the context
//! sends Stop on termination.

mod channel;
mod client;
mod core;
mod dealer;
mod dgram;
mod dish;
mod endpoints;
mod fq;
mod gather;
mod lb;
pub mod monitor;
mod pair;
mod peer;
mod pipe_table;
mod pull;
mod push;
mod radio;
mod rep;
pub mod shared;
mod socket_lock;
mod req;
mod rotation;
mod router;
mod scatter;
mod server;
mod single_part;
mod stream;
mod prefix_trie;
pub mod subscriptions;
mod xpub;
mod xsub;

use crate::constants::*;
use crate::ctx::mailbox::{deadline_after, Command, Mailbox, Wake};
use crate::ctx::monitor::MonitorSlot;
use crate::ctx::Ctx;
use crate::error::{Error, Result};
use crate::msg::Msg;
use crate::options::{write_int, Applied, Options};
use crate::pipe::{combined_hwm, Pipe, PipeEvent, PipeId};
pub use self::core::Core;
use endpoints::Attachment;
use pipe_table::PipeTable;
use std::sync::Arc;

/// One socket type's routing rules.
pub trait Pattern: Send {
    /// A pipe was attached; it starts readable and writable.
    fn attach(&mut self, core: &mut Core, id: PipeId);
    /// A pipe is gone; forget it.
    fn detach(&mut self, core: &mut Core, id: PipeId);
    fn read_activated(&mut self, core: &mut Core, id: PipeId);
    fn write_activated(&mut self, core: &mut Core, id: PipeId);
    /// The connection behind a pipe was re-established.
    fn hiccuped(&mut self, _core: &mut Core, _id: PipeId) {}
    /// Send one frame. On success the frame is taken out of `msg`. EAGAIN means "not now".
    fn send(&mut self, core: &mut Core, msg: &mut Msg) -> Result<()>;
    /// Receive one frame, EAGAIN if none is available now.
    fn recv(&mut self, core: &mut Core) -> Result<Msg>;
    /// `recv` into `out`, replaced only on success. The socket receives through this:
    /// the types on the hot path override it so that a frame is moved once, from the
    /// pipe to the caller's message, instead of through each layer's return value.
    #[inline]
    fn recv_into(&mut self, core: &mut Core, out: &mut Msg) -> Result<()> {
        out.overwrite(self.recv(core)?);
        Ok(())
    }
    /// Every frame `recv_into` reads from a pipe is the one it hands out (none is kept
    /// for a later call, as ROUTER keeps the frame after a routing id): frames read for
    /// zmq_recv may then come without their metadata (`try_recv_bare`).
    fn hands_out_what_it_reads(&self) -> bool {
        false
    }
    /// Called first thing in a send, before commands are taken in: a pattern whose send
    /// will look `msg` up in a table too big for the cache starts loading it now, so the
    /// miss overlaps the work in between (XPUB with a million subscriptions).
    #[inline]
    fn prefetch_for_send(&self, _msg: &Msg) {}
    fn has_in(&mut self, core: &mut Core) -> bool;
    fn has_out(&mut self, core: &mut Core) -> bool;
    /// ZMQ_SUBSCRIBE / ZMQ_UNSUBSCRIBE was set (the option table accepted it).
    fn subscribe(&mut self, _core: &mut Core, _subscribe: bool, _topic: &[u8]) {}
    /// SERVER/PEER: the routing id given to the pipe attached last.
    fn last_attached_routing_id(&self) -> Option<u32> {
        None
    }
    /// zmq_socket_get_peer_state (ROUTER only): ZMQ_POLLOUT if the peer named by
    /// `routing_id` can take a message now, else 0; EHOSTUNREACH for an unknown peer.
    fn peer_state(&mut self, _core: &mut Core, _routing_id: &[u8]) -> Result<i32> {
        Err(Error::NOTSUP)
    }
    /// zmq_join / zmq_leave: only DISH has groups; every other type says ENOTSUP.
    fn group(&mut self, _core: &mut Core, _group: &[u8], _join: bool) -> Result<()> {
        Err(Error::NOTSUP)
    }
}

fn new_pattern(kind: i32) -> Result<Box<dyn Pattern>> {
    Ok(match kind {
        ZMQ_PAIR => Box::new(pair::Pair::default()),
        ZMQ_PUB => Box::new(xpub::XPub::new(false)),
        ZMQ_XPUB => Box::new(xpub::XPub::new(true)),
        ZMQ_SUB => Box::new(xsub::XSub::new(true)),
        ZMQ_XSUB => Box::new(xsub::XSub::new(false)),
        ZMQ_REQ => Box::new(req::Req::default()),
        ZMQ_REP => Box::new(rep::Rep::default()),
        ZMQ_DEALER => Box::new(dealer::Dealer::default()),
        ZMQ_ROUTER => Box::new(router::Router::default()),
        ZMQ_PULL => Box::new(pull::Pull::default()),
        ZMQ_PUSH => Box::new(push::Push::default()),
        ZMQ_STREAM => Box::new(stream::Stream::default()),
        // Draft types; libzmq creates them in any build, as do we.
        ZMQ_SERVER | ZMQ_PEER => Box::new(server::Server::default()),
        ZMQ_CLIENT => Box::new(client::Client::default()),
        ZMQ_SCATTER => Box::new(scatter::Scatter::default()),
        ZMQ_GATHER => Box::new(gather::Gather::default()),
        ZMQ_CHANNEL => Box::new(channel::Channel::default()),
        ZMQ_RADIO => Box::new(radio::Radio::default()),
        ZMQ_DISH => Box::new(dish::Dish::default()),
        ZMQ_DGRAM => Box::new(dgram::Dgram::default()),
        _ => return Err(Error::INVAL),
    })
}

pub struct Socket {
    ctx: Arc<Ctx>,
    id: u64,
    core: Core,
    pattern: Box<dyn Pattern>,
    mailbox: Arc<Mailbox>,
    /// The last frame received had MORE set (ZMQ_RCVMORE).
    rcvmore: bool,
    /// The context is terminating: every call fails with ETERM.
    stopped: bool,
    /// How many commands were handled so far (SharedSocket wakes other waiting threads
    /// when a call handled some: they may concern them).
    commands_handled: u64,
    attachments: Vec<(String, Attachment)>,
    monitor: MonitorSlot,
}

// Written here rather than in `ctx/`, which sits below sockets and does not know them.
impl Ctx {
    /// zmq_socket.
    pub fn socket(self: &Arc<Self>, kind: i32) -> Result<Socket> {
        let mailbox = Arc::new(Mailbox::new()?);
        let id = self.register_socket(mailbox.clone())?;
        Socket::new(self.clone(), id, kind, mailbox).inspect_err(|_| self.socket_closed(id))
    }
}

impl Socket {
    fn new(ctx: Arc<Ctx>, id: u64, kind: i32, mailbox: Arc<Mailbox>) -> Result<Socket> {
        if !crate::options::socket_type::is_valid(kind) {
            return Err(Error::INVAL);
        }
        let pattern = new_pattern(kind)?;
        let options = Options::with_ctx(kind, &ctx.options());
        Ok(Socket {
            ctx,
            id,
            core: Core { options, pipes: PipeTable::default(), dead: Vec::new(), bare_reads: false },
            pattern,
            mailbox,
            rcvmore: false,
            stopped: false,
            commands_handled: 0,
            attachments: Vec::new(),
            monitor: MonitorSlot::default(),
        })
    }

    pub fn kind(&self) -> i32 {
        self.core.options.socket_type
    }

    pub fn options(&self) -> &Options {
        &self.core.options
    }

    pub fn ctx(&self) -> &Arc<Ctx> {
        &self.ctx
    }

    pub fn mailbox(&self) -> &Arc<Mailbox> {
        &self.mailbox
    }

    /// Handle everything other threads told us. Cheap when nothing is pending.
    #[inline]
    pub fn process_commands(&mut self) -> Result<()> {
        if self.mailbox.pending() {
            self.handle_pending();
        }
        self.reap();
        if self.stopped {
            Err(Error::TERM)
        } else {
            Ok(())
        }
    }

    #[inline(never)]
    fn handle_pending(&mut self) {
        let mut cmds = Vec::new();
        self.mailbox.drain(|c| cmds.push(c));
        self.commands_handled += cmds.len() as u64;
        for c in cmds {
            self.handle(c);
        }
    }

    fn handle(&mut self, cmd: Command) {
        match cmd {
            Command::Stop => self.stopped = true,
            Command::Wake => {}
            Command::Attach(pipe) => self.attach_pipe(*pipe),
            Command::Pipe(PipeEvent::Readable(id)) => {
                if self.core.pipes.contains(id) {
                    self.pattern.read_activated(&mut self.core, id);
                }
            }
            Command::Pipe(PipeEvent::Writable(id)) => {
                if self.core.pipes.contains(id) {
                    self.pattern.write_activated(&mut self.core, id);
                }
            }
            Command::Pipe(PipeEvent::Hiccup(id)) => {
                if self.core.pipes.contains(id) {
                    self.pattern.hiccuped(&mut self.core, id);
                }
            }
            Command::Pipe(PipeEvent::Closed(id)) => {
                if let Some(p) = self.core.pipes.get(id) {
                    if p.peer_gone() {
                        self.core.dead.push(id);
                    } else {
                        // Let the pattern drain what the peer sent; it finds the pipe dead after.
                        self.pattern.read_activated(&mut self.core, id);
                    }
                }
            }
        }
    }

    /// Take a new pipe into this socket.
    pub(crate) fn attach_pipe(&mut self, pipe: Pipe) {
        let id = pipe.id();
        pipe.set_owner(self.mailbox.clone());
        if self.core.options.conflates() {
            pipe.set_conflate();
        }
        self.core.pipes.insert(pipe);
        self.pattern.attach(&mut self.core, id);
    }

    /// Remove pipes found dead during the last operation. Runs twice per send/recv:
    /// the common nothing-to-do case stays inline.
    #[inline]
    fn reap(&mut self) {
        if !self.core.dead.is_empty() {
            self.reap_dead();
        }
    }

    fn reap_dead(&mut self) {
        while let Some(id) = self.core.dead.pop() {
            if let Some(mut p) = self.core.pipes.remove(id) {
                self.pattern.detach(&mut self.core, id);
                p.close();
                self.attachments.retain(|(_, a)| !matches!(a, Attachment::Pipe(pid) if *pid == id));
            }
        }
    }

    /// One try at a pattern operation, after taking in what other threads told us.
    #[inline]
    fn attempt<T>(&mut self, op: impl FnOnce(&mut dyn Pattern, &mut Core) -> Result<T>) -> Result<T> {
        self.process_commands()?;
        let r = op(self.pattern.as_mut(), &mut self.core);
        self.reap();
        r
    }

    /// One try at sending (EAGAIN: not now). On success the message is taken.
    #[inline]
    pub(crate) fn try_send(&mut self, msg: &mut Msg, flags: i32) -> Result<()> {
        msg.set_more(flags & ZMQ_SNDMORE != 0);
        self.pattern.prefetch_for_send(msg);
        let r = self.attempt(|p, core| p.send(core, msg));
        if r.is_err() {
            msg.set_more(false);
        }
        r
    }

    /// One try at receiving (EAGAIN: nothing now).
    #[inline]
    pub(crate) fn try_recv(&mut self) -> Result<Msg> {
        let mut msg = Msg::new();
        self.try_recv_into(&mut msg)?;
        Ok(msg)
    }

    /// [`try_recv`](Self::try_recv) into the caller's message (replaced only on
    /// success): the frame is moved once, from the pattern to `out`, and the result
    /// that travels back up is a small `Result<()>`.
    #[inline]
    pub(crate) fn try_recv_into(&mut self, out: &mut Msg) -> Result<()> {
        self.try_recv_as(out, false)
    }

    /// [`try_recv_into`](Self::try_recv_into) for a frame the caller copies out and drops
    /// (zmq_recv into a buffer): it may come without the connection's metadata.
    #[inline]
    pub(crate) fn try_recv_bare(&mut self, out: &mut Msg) -> Result<()> {
        let bare = self.pattern.hands_out_what_it_reads();
        self.try_recv_as(out, bare)
    }

    #[inline]
    fn try_recv_as(&mut self, out: &mut Msg, bare: bool) -> Result<()> {
        self.attempt(|p, core| p.recv_into(&mut BareReads::new(core, bare), out))?;
        self.rcvmore = out.more();
        Ok(())
    }

    /// zmq_msg_send: on success the message is taken (left empty).
    pub fn send(&mut self, msg: &mut Msg, flags: i32) -> Result<()> {
        let (mailbox, timeout) = (self.mailbox.clone(), self.core.options.sndtimeo);
        retry_blocking(&*mailbox, flags, || timeout, || self.try_send(msg, flags))
    }

    /// zmq_msg_recv.
    pub fn recv(&mut self, flags: i32) -> Result<Msg> {
        let (mailbox, timeout) = (self.mailbox.clone(), self.core.options.rcvtimeo);
        retry_blocking(&*mailbox, flags, || timeout, || self.try_recv())
    }

    /// ZMQ_EVENTS: what the socket can do right now.
    pub fn events(&mut self) -> Result<i32> {
        self.process_commands()?;
        let mut ev = 0;
        if self.pattern.has_in(&mut self.core) {
            ev |= ZMQ_POLLIN as i32;
        }
        if self.pattern.has_out(&mut self.core) {
            ev |= ZMQ_POLLOUT as i32;
        }
        self.reap();
        Ok(ev)
    }

    pub fn rcvmore(&self) -> bool {
        self.rcvmore
    }

    /// zmq_setsockopt; `value` None is a NULL optval.
    pub fn set_option(&mut self, option: i32, value: Option<&[u8]>) -> Result<()> {
        self.process_commands()?;
        let applied = self.core.options.set(option, value)?;
        let topic = value.unwrap_or(&[]);
        match applied {
            Applied::Stored => {
                if option == ZMQ_SNDHWM || option == ZMQ_RCVHWM {
                    self.update_pipe_hwms();
                }
            }
            Applied::Subscribe => self.pattern.subscribe(&mut self.core, true, topic),
            Applied::Unsubscribe => self.pattern.subscribe(&mut self.core, false, topic),
        }
        self.reap();
        Ok(())
    }

    /// New HWMs apply to existing pipes too (as libzmq's update_pipe_options); an inproc
    /// pipe's limits also count the peer's.
    fn update_pipe_hwms(&mut self) {
        let (snd, rcv) = (self.core.options.sndhwm, self.core.options.rcvhwm);
        for p in self.core.pipes.iter() {
            match p.peer.inproc_hwms {
                Some((peer_snd, peer_rcv)) => p.set_hwms(combined_hwm(snd, peer_rcv), combined_hwm(peer_snd, rcv)),
                None => p.set_hwms(snd.max(0) as u64, rcv.max(0) as u64),
            }
        }
    }

    pub fn get_option(&mut self, option: i32, out: &mut [u8]) -> Result<usize> {
        if self.stopped {
            return Err(Error::TERM);
        }
        match option {
            ZMQ_RCVMORE => write_int(out, self.rcvmore as i32),
            // Thread-safe sockets have no ZMQ_FD (libzmq: EINVAL); zmq_poll still works.
            ZMQ_FD if self.core.options.thread_safe() => Err(Error::INVAL),
            ZMQ_FD => write_int(out, self.mailbox.fd()),
            ZMQ_EVENTS => {
                let ev = self.events()?;
                write_int(out, ev)
            }
            _ => self.core.options.get(option, out),
        }
    }

    /// zmq_socket_get_peer_state.
    pub fn peer_state(&mut self, routing_id: &[u8]) -> Result<i32> {
        self.process_commands()?;
        self.pattern.peer_state(&mut self.core, routing_id)
    }

    /// zmq_join (`join` true) / zmq_leave.
    pub fn group(&mut self, group: &[u8], join: bool) -> Result<()> {
        self.process_commands()?;
        self.pattern.group(&mut self.core, group, join)
    }

    pub fn id(&self) -> u64 {
        self.id
    }

    pub(crate) fn commands_handled(&self) -> u64 {
        self.commands_handled
    }
}

/// `Pattern::recv` for a type whose receiving is written as `recv_into`.
fn recv_by_into(p: &mut dyn Pattern, core: &mut Core) -> Result<Msg> {
    let mut msg = Msg::new();
    p.recv_into(core, &mut msg)?;
    Ok(msg)
}

/// Where a blocked call sleeps.
pub(crate) trait Waiter {
    fn wait(&self, deadline: Option<std::time::Instant>) -> Wake;
}

impl Waiter for Mailbox {
    fn wait(&self, deadline: Option<std::time::Instant>) -> Wake {
        Mailbox::wait(self, deadline)
    }
}

/// Runs `attempt` until it gives anything but EAGAIN, sleeping on `mailbox` in between,
/// up to the socket's timeout (`timeout_ms`, asked for at the first EAGAIN, as libzmq
/// computes its deadline; -1 = forever). ZMQ_DONTWAIT or a 0 timeout: one try. A signal
/// handler running during the sleep ends it with EINTR: nothing was taken or given, so
/// the call can simply be made again.
pub(crate) fn retry_blocking<T>(
    mailbox: &impl Waiter,
    flags: i32,
    timeout_ms: impl FnOnce() -> i32,
    mut attempt: impl FnMut() -> Result<T>,
) -> Result<T> {
    let r = attempt();
    if r.as_ref().err() != Some(&Error::AGAIN) || flags & ZMQ_DONTWAIT != 0 {
        return r;
    }
    let timeout_ms = timeout_ms();
    if timeout_ms == 0 {
        return r;
    }
    wait_and_retry(mailbox, deadline_after(timeout_ms), attempt)
}

/// The waiting half of [`retry_blocking`], for a caller that made the first attempt.
pub(crate) fn wait_and_retry<T>(mailbox: &impl Waiter, deadline: Option<std::time::Instant>, mut attempt: impl FnMut() -> Result<T>) -> Result<T> {
    loop {
        match mailbox.wait(deadline) {
            Wake::Ready => {}
            Wake::TimedOut => return Err(Error::AGAIN),
            Wake::Interrupted => return Err(Error::INTR),
        }
        match attempt() {
            Err(e) if e == Error::AGAIN => {}
            other => return other,
        }
    }
}

/// The core with `bare_reads` set for one pattern receive, and cleared when it ends, also
/// by a panic (the C boundary catches it and the socket stays in use: a later
/// zmq_msg_recv must get its metadata).
struct BareReads<'a>(&'a mut Core);

impl<'a> BareReads<'a> {
    #[inline]
    fn new(core: &'a mut Core, bare: bool) -> BareReads<'a> {
        core.bare_reads = bare;
        BareReads(core)
    }
}

impl std::ops::Deref for BareReads<'_> {
    type Target = Core;
    fn deref(&self) -> &Core {
        self.0
    }
}

impl std::ops::DerefMut for BareReads<'_> {
    fn deref_mut(&mut self) -> &mut Core {
        self.0
    }
}

impl Drop for BareReads<'_> {
    #[inline]
    fn drop(&mut self) {
        self.0.bare_reads = false;
    }
}

impl Drop for Socket {
    /// zmq_close: pipes close (peers still read what we sent), endpoints are released,
    /// and connections with unsent messages linger in their I/O threads.
    fn drop(&mut self) {
        for (_, a) in self.attachments.drain(..) {
            if let Attachment::Endpoint(ep) = a {
                ep.release(self.core.options.linger);
            }
        }
        for p in self.core.pipes.iter_mut() {
            p.close();
        }
        self.monitor.stop();
        self.mailbox.close();
        self.ctx.socket_closed(self.id);
    }
}
