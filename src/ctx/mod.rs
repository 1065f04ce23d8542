//! Contexts: the sockets they own, their options, the inproc endpoint registry, and the
//! I/O thread pool (started on first use by tcp/ipc).

pub mod mailbox;

use crate::ctx_options::CtxOptions;
use crate::error::{Error, Result};
use crate::io::IoPool;
use crate::pipe::{combined_hwm, pair, PeerInfo, Pipe, PipeId};
use crate::socket::Socket;
use mailbox::{Command, Mailbox};
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
    io: OnceLock<IoPool>,
}

/// A bind/connect registration a socket holds, released on unbind/disconnect/close.
pub enum Endpoint {
    Inproc { ctx: Arc<Ctx>, name: String, socket_id: u64 },
    Io(crate::io::EndpointHandle),
}

impl Endpoint {
    pub fn is_bind(&self) -> bool {
        match self {
            Endpoint::Inproc { .. } => true,
            Endpoint::Io(h) => h.is_bind(),
        }
    }

    /// Undo now (unbind/disconnect). Returns the socket's pipes that belong to it.
    pub fn close(self) -> Vec<PipeId> {
        match self {
            Endpoint::Inproc { ctx, name, socket_id } => {
                ctx.inproc_unbind(&name, socket_id);
                Vec::new()
            }
            Endpoint::Io(h) => h.close(),
        }
    }

    /// The socket is closing: connections may linger up to `linger` ms to flush.
    pub fn release(self, linger: i32) {
        match self {
            Endpoint::Inproc { ctx, name, socket_id } => ctx.inproc_unbind(&name, socket_id),
            Endpoint::Io(h) => h.release(linger),
        }
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
            io: OnceLock::new(),
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

    /// zmq_socket.
    pub fn socket(self: &Arc<Self>, kind: i32) -> Result<Socket> {
        let mailbox = Arc::new(Mailbox::new()?);
        let id = {
            let mut st = self.state();
            if st.terminating {
                return Err(Error::TERM);
            }
            if st.sockets.len() >= st.options.max_sockets as usize {
                return Err(Error::MFILE);
            }
            let id = st.next_socket_id;
            st.next_socket_id += 1;
            st.sockets.insert(id, mailbox.clone());
            id
        };
        Socket::new(self.clone(), id, kind, mailbox).inspect_err(|_| self.socket_closed(id))
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
        if let Some(io) = self.io.get() {
            io.stop();
        }
    }

    pub fn is_terminating(&self) -> bool {
        self.state().terminating
    }

    /// The I/O threads, started on first use.
    pub fn io(&self) -> Result<&IoPool> {
        if let Some(io) = self.io.get() {
            return Ok(io);
        }
        let n = self.state().options.io_threads.max(1) as usize;
        let pool = IoPool::start(n)?;
        Ok(self.io.get_or_init(|| pool))
    }

    pub fn set(&self, option: i32, value: i32) -> Result<()> {
        self.state().options.set_int(option, value)
    }

    pub fn get(&self, option: i32) -> Result<i32> {
        self.state().options.get_int(option)
    }

    fn inproc(&self) -> std::sync::MutexGuard<'_, Inproc> {
        self.inproc.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Register an inproc name; connections made before it are handed over via commands.
    pub(crate) fn inproc_bind(self: &Arc<Self>, name: &str, me: InprocPeer, mailbox: Arc<Mailbox>) -> Result<Endpoint> {
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
            mailbox.send(Command::Attach(Box::new(p.pipe)));
        }
        reg.bound.insert(name.to_string(), Bound { socket_id, mailbox, peer: me });
        Ok(Endpoint::Inproc { ctx: self.clone(), name: name.to_string(), socket_id })
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
                b.mailbox.send(Command::Attach(Box::new(theirs)));
                Ok(mine)
            }
            None => {
                // Until the binder shows up, only our own limits apply.
                let own = |hwm: i32| hwm.max(0) as u64;
                let (mut mine, theirs) = pair(own(me.sndhwm), own(me.rcvhwm));
                mine.peer.endpoint = endpoint.to_string();
                reg.pending.entry(name.to_string()).or_default().push(Pending { pipe: theirs, peer: me });
                Ok(mine)
            }
        }
    }
}

impl Ctx {
    /// A pipe from an I/O session to the ZAP handler (the socket bound to
    /// inproc://zeromq.zap.01), which gets the other end like an inproc connection from a
    /// DEALER with no routing id. None if no handler is bound. No HWM: a request must never
    /// be refused (libzmq does the same).
    pub(crate) fn zap_connect(&self) -> Option<Pipe> {
        let reg = self.inproc();
        let handler = reg.bound.get(crate::zmtp::zap::HANDLER_NAME)?;
        let (mine, mut theirs) = pair(0, 0);
        theirs.peer = PeerInfo {
            socket_type: crate::socket::kind::DEALER,
            endpoint: format!("inproc://{}", crate::zmtp::zap::HANDLER_NAME),
            ..PeerInfo::default()
        };
        handler.mailbox.send(Command::Attach(Box::new(theirs)));
        Some(mine)
    }
}

fn peer_info(p: &InprocPeer, endpoint: &str) -> PeerInfo {
    PeerInfo {
        routing_id: p.routing_id.clone(),
        socket_type: p.socket_type,
        meta: None,
        endpoint: endpoint.to_string(),
        inproc_hwms: Some((p.sndhwm, p.rcvhwm)),
        probed: false,
    }
}
