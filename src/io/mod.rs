//! I/O threads. Each runs a mio event loop that owns listeners and connections; a
//! connection runs a ZMTP engine between its stream and its pipe to the socket. Sockets
//! reach an I/O thread through its command queue (plus a mio Waker); pipes wake it the
//! same way when messages arrive for a connection whose reader was asleep.

mod bind_connect;
mod raw;
mod session;
mod so_priority;
mod socks;
mod stream;
mod udp;
mod ws;
mod zap;

pub use bind_connect::{bind, connect};
pub use stream::{Listener, Stream};
pub use udp::{bind as bind_udp, connect as connect_udp};

use crate::constants::*;
use crate::ctx::{Background, Ctx};
use crate::error::{Error, Result};
use crate::pipe::{Notify, PipeEvent, PipeId};
use crossbeam_queue::SegQueue;
use mio::{Events, Poll, Token, Waker};
use session::Session;
pub(crate) use session::{pipe_at_connect, SessionSetup};
use std::collections::HashMap;
use std::sync::atomic::{fence, AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Instant;

pub use session::{ConnectSpec, ConnectTarget};

const WAKER: Token = Token(0);

/// What other threads ask of an I/O thread.
pub(crate) enum IoCmd {
    /// Serve a bound listener: accept connections for the socket.
    Listen { handle: u64, listener: Listener, setup: SessionSetup },
    /// Connect (and keep reconnecting) to an address for the socket.
    Connect { handle: u64, spec: ConnectSpec, setup: SessionSetup },
    /// Serve a udp socket (bound or connected) for the socket.
    Udp(Box<udp::UdpLink>),
    /// A pipe event for one of this thread's sessions.
    Pipe(Token, PipeEvent),
    /// unbind/disconnect: drop the listener or connection now.
    Close(u64),
    /// The socket closed: stop accepting/reconnecting; flush for up to `linger` ms.
    Release(u64, i32),
    /// Context termination: exit once nothing lingers.
    Stop,
}

pub(crate) struct IoShared {
    queue: SegQueue<IoCmd>,
    waker: Waker,
    /// The thread is awake (or its waker was already written): a command needs no
    /// eventfd write. The thread clears it only right before it sleeps.
    signaled: AtomicBool,
    next_token: AtomicUsize,
}

impl IoShared {
    pub(crate) fn send(&self, cmd: IoCmd) {
        self.queue.push(cmd);
        if !self.signaled.swap(true, Ordering::SeqCst) {
            let _ = self.waker.wake();
        }
    }

    pub(crate) fn token(&self) -> Token {
        Token(self.next_token.fetch_add(1, Ordering::Relaxed))
    }
}

/// Routes a pipe's events to the session that owns its end.
pub(crate) struct SessionNotify {
    pub io: Arc<IoShared>,
    pub token: Token,
}

impl Notify for SessionNotify {
    fn notify(&self, ev: PipeEvent) {
        self.io.send(IoCmd::Pipe(self.token, ev));
    }
}

pub struct IoPool {
    threads: Vec<(Arc<IoShared>, Mutex<Option<JoinHandle<()>>>)>,
    next: AtomicUsize,
    /// The process that started the threads: after fork() a child has none of them.
    pid: u32,
}

static NEXT_HANDLE: AtomicU64 = AtomicU64::new(1);

impl IoPool {
    pub fn start(n: usize) -> Result<IoPool> {
        let mut threads = Vec::new();
        for i in 0..n {
            let poll = Poll::new()?;
            let waker = Waker::new(poll.registry(), WAKER)?;
            let shared = Arc::new(IoShared {
                queue: SegQueue::new(),
                waker,
                signaled: AtomicBool::new(true),
                next_token: AtomicUsize::new(1),
            });
            let s = shared.clone();
            let builder = std::thread::Builder::new().name(format!("ZMQbg/IO/{i}"));
            let join = crate::thread::spawn_blocking_signals(builder, move || IoThread::new(poll, s).run())?;
            threads.push((shared, Mutex::new(Some(join))));
        }
        Ok(IoPool { threads, next: AtomicUsize::new(0), pid: std::process::id() })
    }

    /// Pick the next thread (round robin).
    pub(crate) fn choose(&self) -> Arc<IoShared> {
        let i = self.next.fetch_add(1, Ordering::Relaxed) % self.threads.len();
        self.threads[i].0.clone()
    }

    /// Stop every thread once its lingering connections are done.
    pub fn stop(&self) {
        if std::process::id() != self.pid {
            // A forked child terminating its parent's context (libzmq allows it): the
            // threads live only in the parent; forget their handles.
            for (_, j) in &self.threads {
                std::mem::forget(j.lock().unwrap_or_else(|e| e.into_inner()).take());
            }
            return;
        }
        for (s, _) in &self.threads {
            s.send(IoCmd::Stop);
        }
        for (_, j) in &self.threads {
            if let Some(j) = j.lock().unwrap_or_else(|e| e.into_inner()).take() {
                let _ = j.join();
            }
        }
    }
}

impl Drop for IoPool {
    fn drop(&mut self) {
        self.stop();
    }
}

impl Background for IoPool {
    fn stop(&self) {
        IoPool::stop(self);
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

/// The context's I/O threads, started on first use.
pub(crate) fn pool(ctx: &Ctx) -> Result<&IoPool> {
    let b = ctx.background(IoPool::start)?;
    // The context holds no other kind of background service.
    b.as_any().downcast_ref::<IoPool>().ok_or(Error::FAULT)
}

pub(crate) fn new_handle() -> u64 {
    NEXT_HANDLE.fetch_add(1, Ordering::Relaxed)
}

/// A socket's grip on a listener or connecter living in an I/O thread.
pub struct EndpointHandle {
    pub(crate) io: Arc<IoShared>,
    pub(crate) handle: u64,
    pub(crate) bind: bool,
    /// The socket's end of a connect-side pipe made at connect time.
    pub(crate) pipe: Option<PipeId>,
    /// For a listener: (fd, endpoint, monitor) to report ZMQ_EVENT_CLOSED from the
    /// socket's own thread, so it precedes MONITOR_STOPPED as in libzmq.
    pub(crate) listener: Option<(i32, String, crate::ctx::monitor::MonitorSlot)>,
}

impl EndpointHandle {
    pub fn is_bind(&self) -> bool {
        self.bind
    }

    pub fn close(self) -> Vec<PipeId> {
        self.report_closed();
        self.io.send(IoCmd::Close(self.handle));
        self.pipe.into_iter().collect()
    }

    pub fn release(self, linger: i32) {
        self.report_closed();
        self.io.send(IoCmd::Release(self.handle, linger));
    }

    fn report_closed(&self) {
        if let Some((fd, endpoint, monitor)) = &self.listener {
            monitor.emit(ZMQ_EVENT_CLOSED, *fd as u64, crate::ctx::monitor::EventAddrs::bound(endpoint));
        }
    }
}

struct IoThread {
    poll: Poll,
    shared: Arc<IoShared>,
    sessions: HashMap<Token, Session>,
    /// Listeners by token, with the endpoint handle they belong to.
    listeners: HashMap<Token, (u64, Listener, SessionSetup)>,
    /// udp sockets: no connections, one link each.
    udp: HashMap<Token, Box<udp::UdpLink>>,
    stopping: bool,
}

impl IoThread {
    fn new(poll: Poll, shared: Arc<IoShared>) -> IoThread {
        IoThread { poll, shared, sessions: HashMap::new(), listeners: HashMap::new(), udp: HashMap::new(), stopping: false }
    }

    fn run(mut self) {
        let mut events = Events::with_capacity(256);
        loop {
            self.commands();
            if self.stopping && self.listeners.is_empty() && self.sessions.is_empty() {
                return;
            }
            let now = Instant::now();
            let expired: Vec<Token> =
                self.sessions.iter().filter(|(_, s)| s.next_timer().is_some_and(|d| d <= now)).map(|(&t, _)| t).collect();
            for t in expired {
                self.with_session(t, |s, io| s.on_timer(io, now));
            }
            // Timers may have ended the last lingering session: re-check before sleeping.
            if !self.shared.queue.is_empty() || (self.stopping && self.listeners.is_empty() && self.sessions.is_empty()) {
                continue;
            }
            // After the timers ran: they may have set new ones.
            let next = self.sessions.values().filter_map(|s| s.next_timer()).min();
            let timeout = next.map(|d| d.saturating_duration_since(Instant::now()));
            // About to sleep: from here on a command must write the waker. SeqCst store,
            // fence, then look at the queue, against the sender's push then SeqCst swap:
            // either we see its command or it sees the flag cleared and wakes us.
            self.shared.signaled.store(false, Ordering::SeqCst);
            fence(Ordering::SeqCst);
            if !self.shared.queue.is_empty() {
                self.shared.signaled.store(true, Ordering::SeqCst);
                continue;
            }
            let polled = self.poll.poll(&mut events, timeout);
            self.shared.signaled.store(true, Ordering::SeqCst);
            if let Err(e) = polled {
                if e.kind() != std::io::ErrorKind::Interrupted {
                    return;
                }
            }
            for ev in events.iter() {
                let t = ev.token();
                if t == WAKER {
                    continue;
                }
                if self.listeners.contains_key(&t) {
                    self.accept(t);
                } else if let Some(u) = self.udp.get_mut(&t) {
                    u.pump();
                } else {
                    let closed = ev.is_read_closed() || ev.is_error();
                    let (r, w) = (ev.is_readable() || closed, ev.is_writable());
                    self.with_session(t, |s, io| {
                        s.note_read_closed(closed);
                        s.on_ready(io, r, w)
                    });
                }
            }
        }
    }

    /// Run `f` on a session; drop the session if it says it is finished.
    fn with_session(&mut self, t: Token, f: impl FnOnce(&mut Session, &IoCtx) -> bool) {
        let io = IoCtx { registry: self.poll.registry(), shared: &self.shared };
        let alive = match self.sessions.get_mut(&t) {
            Some(s) => f(s, &io),
            None => return,
        };
        if !alive {
            if let Some(mut s) = self.sessions.remove(&t) {
                s.shutdown(&io);
            }
        }
    }

    fn commands(&mut self) {
        while let Some(cmd) = self.shared.queue.pop() {
            match cmd {
                IoCmd::Listen { handle, mut listener, setup } => {
                    let t = self.shared.token();
                    if listener.register(self.poll.registry(), t).is_ok() {
                        self.listeners.insert(t, (handle, listener, setup));
                        // Connections may already be waiting.
                        self.accept(t);
                    }
                }
                IoCmd::Connect { handle, spec, setup } => {
                    let t = self.shared.token();
                    let io = IoCtx { registry: self.poll.registry(), shared: &self.shared };
                    let s = Session::connecting(t, handle, spec, setup, &io);
                    self.sessions.insert(t, s);
                    self.with_session(t, |s, io| s.start_connect(io));
                }
                IoCmd::Udp(mut link) => {
                    let t = self.shared.token();
                    let notify = Arc::new(SessionNotify { io: self.shared.clone(), token: t });
                    if link.register(self.poll.registry(), t, notify).is_ok() {
                        link.pump();
                        self.udp.insert(t, link);
                    }
                }
                IoCmd::Pipe(t, _) if self.udp.contains_key(&t) => {
                    if let Some(u) = self.udp.get_mut(&t) {
                        u.pump();
                    }
                }
                IoCmd::Pipe(t, ev) => self.with_session(t, |s, io| s.on_pipe(io, ev)),
                IoCmd::Close(handle) => {
                    self.close_listeners(handle);
                    let ts: Vec<Token> = self.sessions.iter().filter(|(_, s)| s.handle() == handle).map(|(&t, _)| t).collect();
                    for t in ts {
                        self.with_session(t, |_, _| false);
                    }
                }
                IoCmd::Release(handle, linger) => {
                    self.close_listeners(handle);
                    let ts: Vec<Token> = self.sessions.iter().filter(|(_, s)| s.handle() == handle).map(|(&t, _)| t).collect();
                    for t in ts {
                        self.with_session(t, |s, io| s.release(io, linger));
                    }
                }
                IoCmd::Stop => self.stopping = true,
            }
        }
    }

    fn close_listeners(&mut self, handle: u64) {
        // udp links too: what their socket sent before has gone out (or never will).
        let ts: Vec<Token> = self.udp.iter().filter(|(_, u)| u.handle() == handle).map(|(&t, _)| t).collect();
        for t in ts {
            if let Some(mut u) = self.udp.remove(&t) {
                u.pump();
                u.deregister(self.poll.registry());
            }
        }
        let ts: Vec<Token> = self.listeners.iter().filter(|(_, l)| l.0 == handle).map(|(&t, _)| t).collect();
        for t in ts {
            if let Some((_, mut l, setup)) = self.listeners.remove(&t) {
                let _ = l.deregister(self.poll.registry());
                l.cleanup();
                drop(setup);
            }
        }
    }

    fn accept(&mut self, t: Token) {
        loop {
            let Some((handle, listener, setup)) = self.listeners.get_mut(&t) else { return };
            match listener.accept() {
                Ok(stream) => {
                    if !stream.accepted_by(&setup.options) {
                        // Refused by ZMQ_TCP_ACCEPT_FILTER / ZMQ_IPC_FILTER_*: just close it.
                        continue;
                    }
                    let (handle, setup) = (*handle, setup.clone());
                    let st = self.shared.token();
                    let io = IoCtx { registry: self.poll.registry(), shared: &self.shared };
                    if let Some(s) = Session::accepted(st, handle, stream, setup, &io) {
                        self.sessions.insert(st, s);
                        self.with_session(st, |s, io| s.on_ready(io, true, true));
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                // EMFILE and friends: try again on the next readiness event.
                Err(_) => return,
            }
        }
    }
}

/// What a session may use of its thread.
pub(crate) struct IoCtx<'a> {
    pub registry: &'a mio::Registry,
    pub shared: &'a Arc<IoShared>,
}
