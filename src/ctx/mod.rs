//! Contexts: the sockets they own (by their mailboxes), their options, the inproc
//! endpoint registry, and a slot for the I/O thread pool (started on first use by tcp/ipc).
//!
//! This layer sits below sockets and I/O threads and knows neither: sockets register
//! their mailboxes here (`Ctx::socket` is written in `socket/`), and the pool is held as
//! a [`Background`] service that `io/` starts and finds again.

pub mod mailbox;
pub mod monitor;

use crate::options::context::CtxOptions;
use crate::error::{Error, Result};
use crate::pipe::{combined_hwm, pair, PeerInfo, Pipe};
use mailbox::{Command, Mailbox};
use std::any::Any;
use std::collections::HashMap;
use std::sync::{Arc, Condvar, Mutex, OnceLock};

struct State {
    sockets: HashMap<u64, Arc<Mailbox>>,
    next_socket_id: u64,
    terminating: bool,
    options: CtxOptions,
}

/// What a socket tells the inproc registry about itself.
#[derive(Clone, Debug)]
pub struct InprocPeer {
    pub socket_type: i32,
    pub routing_id: Vec<u8>,
    pub sndhwm: i32,
    pub rcvhwm: i32,
    /// DRAFT ZMQ_HELLO_MSG it sends to each new peer (empty: none).
    pub hello: Vec<u8>,
    /// DRAFT ZMQ_DISCONNECT_MSG it receives when a peer goes (empty: none).
    pub disconnect_msg: Vec<u8>,
}

struct Bound {
    socket_id: u64,
    mailbox: Arc<Mailbox>,
    peer: InprocPeer,
}

/// A connect made before its bind: the binder's end waits here.
struct Pending {
    pipe: Pipe,
    peer: InprocPeer,
}

#[derive(Default)]
struct Inproc {
    bound: HashMap<String, Bound>,
    pending: HashMap<String, Vec<Pending>>,
}

pub struct Ctx {
    state: Mutex<State>,
    /// Signalled when a socket closes (zmq_ctx_term waits for all of them).
    closed: Condvar,
    inproc: Mutex<Inproc>,
    background: OnceLock<Box<dyn Background>>,
}

/// A service that lives as long as its context once started: the I/O thread pool.
/// The context only stops it when it terminates; `io/` starts it and downcasts it back.
pub trait Background: Send + Sync + 'static {
    /// Stop once lingering work is done (called by zmq_ctx_term).
    fn stop(&self);
    fn as_any(&self) -> &dyn Any;
}

/// An inproc name a socket bound, given back on unbind or close.
pub struct InprocBinding {
    ctx: Arc<Ctx>,
    name: String,
    socket_id: u64,
}

impl InprocBinding {
    pub fn release(self) {
        self.ctx.inproc_unbind(&self.name, self.socket_id);
    }
}

impl Ctx {
    pub fn new() -> Arc<Ctx> {
        Arc::new(Ctx {
            state: Mutex::new(State {
                sockets: HashMap::new(),
                next_socket_id: 1,
                terminating: false,
                options: CtxOptions::new(),
            }),
            closed: Condvar::new(),
            inproc: Mutex::new(Inproc::default()),
            background: OnceLock::new(),
        })
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        // A panic elsewhere never leaves State half-updated, so poisoning is harmless.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The context options new sockets inherit from (ZMQ_IPV6, ZMQ_BLOCKY).
    pub fn options(&self) -> CtxOptions {
        self.state().options.clone()
    }

    /// A new socket's mailbox joins the context (zmq_socket; see `socket/`): it gets
    /// the socket's id, and Stop when the context shuts down. ETERM once terminating,
    /// EMFILE beyond ZMQ_MAX_SOCKETS.
    pub(crate) fn register_socket(&self, mailbox: Arc<Mailbox>) -> Result<u64> {
        let mut st = self.state();
        if st.terminating {
            return Err(Error::TERM);
        }
        if st.sockets.len() >= st.options.max_sockets as usize {
            return Err(Error::MFILE);
        }
        let id = st.next_socket_id;
        st.next_socket_id += 1;
        st.sockets.insert(id, mailbox);
        Ok(id)
    }

    pub(crate) fn socket_closed(&self, id: u64) {
        let mut st = self.state();
        st.sockets.remove(&id);
        self.closed.notify_all();
    }

    /// zmq_ctx_shutdown: every blocked and future call on our sockets returns ETERM.
    pub fn shutdown(&self) {
        let mut st = self.state();
        if !st.terminating {
            st.terminating = true;
            for mb in st.sockets.values() {
                mb.send(Command::Stop);
            }
        }
    }

    /// zmq_ctx_term: shut down, wait for every socket to be closed, then let lingering
    /// connections finish and stop the I/O threads.
    pub fn terminate(&self) {
        self.shutdown();
        let mut st = self.state();
        while !st.sockets.is_empty() {
            st = self.closed.wait(st).unwrap_or_else(|e| e.into_inner());
        }
        drop(st);
        if let Some(b) = self.background.get() {
            b.stop();
        }
    }

    pub fn is_terminating(&self) -> bool {
        self.state().terminating
    }

    /// The background service (the I/O threads), started on first use by `start`, which
    /// gets ZMQ_IO_THREADS (at least 1).
    pub fn background<B: Background>(&self, start: impl FnOnce(usize) -> Result<B>) -> Result<&dyn Background> {
        if let Some(b) = self.background.get() {
            return Ok(b.as_ref());
        }
        let n = self.state().options.io_threads.max(1) as usize;
        let started = start(n)?;
        // Two threads may race here: the loser's pool is dropped (and stops) unused.
        Ok(self.background.get_or_init(|| Box::new(started)).as_ref())
    }

    pub fn set(&self, option: i32, value: i32) -> Result<()> {
        self.state().options.set_int(option, value)
    }

    pub fn get(&self, option: i32) -> Result<i32> {
        self.state().options.get_int(option)
    }

    /// zmq_ctx_set_ext: an option of any type, as raw bytes.
    pub fn set_ext(&self, option: i32, value: &[u8]) -> Result<()> {
        self.state().options.set(option, value)
    }

    /// zmq_ctx_get_ext: writes into `out` (the caller's buffer); returns the new size.
    pub fn get_ext(&self, option: i32, out: &mut [u8]) -> Result<usize> {
        self.state().options.get(option, out)
    }

    fn inproc(&self) -> std::sync::MutexGuard<'_, Inproc> {
        self.inproc.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Register an inproc name; connections made before it are handed over via commands.
    pub(crate) fn inproc_bind(self: &Arc<Self>, name: &str, me: InprocPeer, mailbox: Arc<Mailbox>) -> Result<InprocBinding> {
        let socket_id = {
            let st = self.state();
            st.sockets.iter().find(|(_, m)| Arc::ptr_eq(m, &mailbox)).map(|(&id, _)| id).unwrap_or(0)
        };
        let mut reg = self.inproc();
        if reg.bound.contains_key(name) {
            return Err(Error::ADDRINUSE);
        }
        for mut p in reg.pending.remove(name).unwrap_or_default() {
            p.pipe.set_hwms(combined_hwm(me.sndhwm, p.peer.rcvhwm), combined_hwm(p.peer.sndhwm, me.rcvhwm));
            p.pipe.peer = peer_info(&p.peer, name);
            // The connecter greeted us when it connected; now we greet it.
            greet(&mut p.pipe, &me);
            mailbox.send(Command::Attach(Box::new(p.pipe)));
        }
        reg.bound.insert(name.to_string(), Bound { socket_id, mailbox, peer: me });
        Ok(InprocBinding { ctx: self.clone(), name: name.to_string(), socket_id })
    }

    fn inproc_unbind(&self, name: &str, socket_id: u64) {
        let mut reg = self.inproc();
        if reg.bound.get(name).is_some_and(|b| b.socket_id == socket_id) {
            reg.bound.remove(name);
        }
    }

    /// Connect to an inproc name: returns our end of the pipe. Works before the bind too.
    pub(crate) fn inproc_connect(&self, name: &str, me: InprocPeer, endpoint: &str) -> Result<Pipe> {
        let mut reg = self.inproc();
        match reg.bound.get(name) {
            Some(b) => {
                let (mut mine, mut theirs) =
                    pair(combined_hwm(me.sndhwm, b.peer.rcvhwm), combined_hwm(b.peer.sndhwm, me.rcvhwm));
                mine.peer = peer_info(&b.peer, endpoint);
                theirs.peer = peer_info(&me, endpoint);
                greet(&mut mine, &me);
                greet(&mut theirs, &b.peer);
                b.mailbox.send(Command::Attach(Box::new(theirs)));
                Ok(mine)
            }
            None => {
                // Until the binder shows up, only our own limits apply.
                let own = |hwm: i32| hwm.max(0) as u64;
                let (mut mine, theirs) = pair(own(me.sndhwm), own(me.rcvhwm));
                mine.peer.endpoint = endpoint.to_string();
                // The binder's greeting waits for the bind.
                greet(&mut mine, &me);
                reg.pending.entry(name.to_string()).or_default().push(Pending { pipe: theirs, peer: me });
                Ok(mine)
            }
        }
    }
}

impl Ctx {
    /// A pipe with no HWM to the socket bound at inproc://`name`, which gets the other end
    /// as from a peer described by `peer` (a connection from inside the library, such as a
    /// session's to the ZAP handler). None if nothing is bound there.
    pub(crate) fn inproc_attach(&self, name: &str, peer: PeerInfo) -> Option<Pipe> {
        let reg = self.inproc();
        let bound = reg.bound.get(name)?;
        let (mine, mut theirs) = pair(0, 0);
        theirs.peer = peer;
        bound.mailbox.send(Command::Attach(Box::new(theirs)));
        Some(mine)
    }
}

/// A new inproc pipe end of the socket `me`: ZMQ_HELLO_MSG goes out first, and
/// ZMQ_DISCONNECT_MSG comes in as the peer's last message when it closes its end (as
/// libzmq does for inproc: the peer's pipe end carries the message, so a disconnect, a
/// close and a context term all deliver it).
fn greet(end: &mut Pipe, me: &InprocPeer) {
    if !me.hello.is_empty() {
        let _ = end.write(crate::msg::Msg::from_slice(&me.hello));
    }
    if !me.disconnect_msg.is_empty() {
        end.set_peer_farewell(me.disconnect_msg.clone());
    }
}

fn peer_info(p: &InprocPeer, endpoint: &str) -> PeerInfo {
    PeerInfo {
        routing_id: p.routing_id.clone(),
        socket_type: p.socket_type,
        meta: None,
        endpoint: endpoint.to_string(),
        inproc_hwms: Some((p.sndhwm, p.rcvhwm)),
        ..PeerInfo::default()
    }
}
