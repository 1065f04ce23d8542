//! SERVER (and PEER, see peer.rs): talks to many peers, single-part messages only. Each
//! connection gets a routing id, a non-zero 32-bit number chosen here; a received message
//! carries its peer's id (zmq_msg_routing_id), and a message sent goes to the peer whose
//! id it carries (zmq_msg_set_routing_id): EHOSTUNREACH if there is none, EAGAIN while
//! that peer's pipe is full. Incoming messages are fair-queued.

use super::fq::FairQueue;
use super::single_part::{recv_single, refuse_multipart};
use super::{Core, Pattern};
use crate::error::{Error, Result};
use crate::msg::Msg;
use crate::pipe::{PipeId, PipeMap};
use std::collections::HashMap;

pub struct Server {
    fq: FairQueue,
    by_id: HashMap<u32, PipeId>,
    ids: PipeMap<u32>,
    next_id: u32,
    /// The routing id given to the pipe attached last (zmq_connect_peer's answer).
    last_attached: Option<u32>,
}

impl Default for Server {
    fn default() -> Server {
        // libzmq starts at a random value; any start is valid.
        Server { fq: FairQueue::default(), by_id: HashMap::new(), ids: PipeMap::default(), next_id: 0x2f6b_8d31, last_attached: None }
    }
}

impl Server {
    /// A routing id no live peer has; never 0 (which means "none").
    fn generate_id(&mut self) -> u32 {
        loop {
            self.next_id = self.next_id.wrapping_add(1);
            if self.next_id != 0 && !self.by_id.contains_key(&self.next_id) {
                return self.next_id;
            }
        }
    }
}

impl Pattern for Server {
    fn attach(&mut self, _core: &mut Core, id: PipeId) {
        let rid = self.generate_id();
        self.by_id.insert(rid, id);
        self.ids.insert(id, rid);
        self.fq.attach(id);
        self.last_attached = Some(rid);
    }

    fn detach(&mut self, _core: &mut Core, id: PipeId) {
        self.fq.detach(id);
        if let Some(rid) = self.ids.remove(&id) {
            self.by_id.remove(&rid);
        }
    }

    fn read_activated(&mut self, _core: &mut Core, id: PipeId) {
        self.fq.activated(id);
    }

    fn write_activated(&mut self, _core: &mut Core, _id: PipeId) {}

    fn send(&mut self, core: &mut Core, msg: &mut Msg) -> Result<()> {
        refuse_multipart(msg)?;
        let id = *self.by_id.get(&msg.routing_id()).ok_or(Error::HOSTUNREACH)?;
        if !core.check_write(id) {
            return Err(Error::AGAIN);
        }
        let mut m = msg.take();
        // The id named the peer; the peer itself (over inproc) must not see it.
        m.set_routing_id(0);
        // A peer that went away meanwhile loses the message, as with ROUTER.
        let _ = core.write(id, m);
        Ok(())
    }

    fn recv(&mut self, core: &mut Core) -> Result<Msg> {
        let (mut msg, id) = recv_single(|| self.fq.recv(core))?;
        msg.set_routing_id(self.ids.get(&id).copied().unwrap_or(0));
        Ok(msg)
    }

    fn has_in(&mut self, core: &mut Core) -> bool {
        self.fq.has_in(core)
    }

    fn has_out(&mut self, _core: &mut Core) -> bool {
        true
    }

    fn last_attached_routing_id(&self) -> Option<u32> {
        self.last_attached
    }
}
