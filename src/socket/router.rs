//! ROUTER: every message received is prefixed with the routing id of the peer it came
//! from; every message sent starts with the routing id of the peer it goes to. Unknown
//! or full peers drop the message silently, unless ROUTER_MANDATORY (then EHOSTUNREACH
//! or EAGAIN).
//!
//! A peer's routing id is the one it announced (ZMTP handshake or inproc), or the
//! ZMQ_CONNECT_ROUTING_ID given for the connect that made the pipe, or else a generated
//! one (5 bytes, starting with 0). ZMQ_ROUTER_HANDOVER lets a new peer with a taken id
//! take it over. ZMQ_PROBE_ROUTER sends an empty message to every new peer.
//! ZMQ_ROUTER_RAW (deprecated) makes it a STREAM-like socket over raw TCP.

use super::fq::FairQueue;
use super::{Core, Pattern};
use crate::constants::ZMQ_POLLOUT;
use crate::error::{Error, Result};
use crate::msg::Msg;
use crate::pipe::{PipeId, PipeMap};
use std::collections::HashMap;

#[derive(Default)]
pub struct Router {
    routes: Routes,
    /// In the middle of sending a message; `routes.out` is its pipe (None: being dropped).
    more_out: bool,
}

/// What the routing sockets (ROUTER, STREAM) share: peers by routing id, receiving with
/// the id in front, and the pipe of the message being sent.
#[derive(Default)]
pub(super) struct Routes {
    pub(super) peers: Peers,
    inbound: PrefixedInbound,
    pub(super) out: Option<PipeId>,
}

impl Routes {
    pub(super) fn add(&mut self, rid: Vec<u8>, id: PipeId) {
        self.peers.insert(rid, id);
        self.inbound.fq.attach(id);
    }

    pub(super) fn detach(&mut self, id: PipeId) {
        self.inbound.fq.detach(id);
        self.peers.remove(id);
        if self.out == Some(id) {
            self.out = None;
        }
    }

    pub(super) fn read_activated(&mut self, id: PipeId) {
        if self.peers.knows(id) {
            self.inbound.fq.activated(id);
        }
    }

    pub(super) fn recv(&mut self, core: &mut Core) -> Result<Msg> {
        self.inbound.recv(core, &self.peers)
    }

    pub(super) fn has_in(&mut self, core: &mut Core) -> bool {
        self.inbound.has_in(core)
    }
}

/// The peers of a routing socket (ROUTER, STREAM) by routing id, and back.
pub(super) struct Peers {
    by_id: HashMap<Vec<u8>, PipeId>,
    ids: PipeMap<Vec<u8>>,
    next_id: u32,
}

impl Default for Peers {
    fn default() -> Peers {
        // libzmq starts generated ids at a random value; any start is valid.
        Peers { by_id: HashMap::new(), ids: PipeMap::default(), next_id: 0x6b8b_4567 }
    }
}

impl Peers {
    /// A fresh routing id: 5 bytes, the first 0 (as libzmq's).
    pub(super) fn generate_id(&mut self) -> Vec<u8> {
        loop {
            self.next_id = self.next_id.wrapping_add(1);
            let mut id = vec![0u8];
            id.extend_from_slice(&self.next_id.to_be_bytes());
            if !self.by_id.contains_key(&id) {
                return id;
            }
        }
    }

    pub(super) fn pipe_of(&self, rid: &[u8]) -> Option<PipeId> {
        self.by_id.get(rid).copied()
    }

    pub(super) fn insert(&mut self, rid: Vec<u8>, id: PipeId) {
        self.by_id.insert(rid.clone(), id);
        self.ids.insert(id, rid);
    }

    pub(super) fn remove(&mut self, id: PipeId) {
        if let Some(rid) = self.ids.remove(&id) {
            if self.by_id.get(&rid) == Some(&id) {
                self.by_id.remove(&rid);
            }
        }
    }

    pub(super) fn knows(&self, id: PipeId) -> bool {
        self.ids.contains_key(&id)
    }
}

/// Fair-queued receiving where each message comes prefixed with its peer's routing id
/// (carrying the message's metadata, as libzmq's does).
#[derive(Default)]
struct PrefixedInbound {
    fq: FairQueue,
    /// The frame after the routing id, read ahead when the id was handed out.
    prefetched: Option<Msg>,
    /// In the middle of receiving a message.
    more_in: bool,
}

impl PrefixedInbound {
    fn recv(&mut self, core: &mut Core, peers: &Peers) -> Result<Msg> {
        if let Some(m) = self.prefetched.take() {
            self.more_in = m.more();
            return Ok(m);
        }
        let (msg, id) = self.fq.recv(core)?;
        if self.more_in {
            self.more_in = msg.more();
            return Ok(msg);
        }
        // Start of a message: hand out the routing id first, keep the frame for next time.
        let mut rid = Msg::from_slice(peers.ids.get(&id).map(|v| v.as_slice()).unwrap_or(&[]));
        rid.set_more(true);
        rid.set_metadata(msg.metadata().cloned());
        self.prefetched = Some(msg);
        self.more_in = true;
        Ok(rid)
    }

    fn has_in(&mut self, core: &mut Core) -> bool {
        self.prefetched.is_some() || self.more_in || self.fq.has_in(core)
    }
}

impl Pattern for Router {
    fn attach(&mut self, core: &mut Core, id: PipeId) {
        let peer_id = core.pipe(id).map(|p| p.peer.routing_id.clone()).unwrap_or_default();
        let peers = &mut self.routes.peers;
        let rid = if peer_id.is_empty() {
            peers.generate_id()
        } else if let Some(old) = peers.pipe_of(&peer_id) {
            if core.options.router_handover {
                // The new connection takes the name; the old one is renamed, then closed.
                let renamed = peers.generate_id();
                peers.insert(renamed, old);
                core.close_pipe(old);
                peer_id
            } else {
                core.close_pipe(id);
                return;
            }
        } else {
            peer_id
        };
        if core.options.probe_router {
            super::dealer::send_probe(core, id);
        }
        self.routes.add(rid, id);
    }

    fn detach(&mut self, _core: &mut Core, id: PipeId) {
        self.routes.detach(id);
    }

    fn read_activated(&mut self, _core: &mut Core, id: PipeId) {
        self.routes.read_activated(id);
    }

    fn write_activated(&mut self, _core: &mut Core, _id: PipeId) {}

    fn send(&mut self, core: &mut Core, msg: &mut Msg) -> Result<()> {
        if !self.more_out {
            // The first frame names the peer.
            self.routes.out = None;
            if msg.more() {
                match self.routes.peers.pipe_of(msg.data()) {
                    Some(id) => {
                        if core.check_write(id) {
                            self.routes.out = Some(id);
                        } else if core.options.router_mandatory {
                            return Err(Error::AGAIN);
                        }
                    }
                    None if core.options.router_mandatory => return Err(Error::HOSTUNREACH),
                    None => {}
                }
            }
            self.more_out = msg.more();
            msg.take();
            return Ok(());
        }
        let mut m = msg.take();
        if core.options.raw_socket {
            // Raw peers get bytes: one data frame per message, and (with ROUTER_RAW on)
            // an empty one closes the connection.
            m.set_more(false);
            if core.options.router_raw && m.is_empty() {
                if let Some(id) = self.routes.out.take() {
                    core.close_pipe(id);
                }
            }
        }
        let more = m.more();
        if let Some(id) = self.routes.out {
            if core.write(id, m).is_err() {
                self.routes.out = None;
            }
        }
        self.more_out = more;
        Ok(())
    }

    fn recv(&mut self, core: &mut Core) -> Result<Msg> {
        self.routes.recv(core)
    }

    fn has_in(&mut self, core: &mut Core) -> bool {
        self.routes.has_in(core)
    }

    fn has_out(&mut self, _core: &mut Core) -> bool {
        true
    }

    fn peer_state(&mut self, core: &mut Core, routing_id: &[u8]) -> Result<i32> {
        let id = self.routes.peers.pipe_of(routing_id).ok_or(Error::HOSTUNREACH)?;
        Ok(if core.check_write(id) { ZMQ_POLLOUT as i32 } else { 0 })
    }
}
