//! DISH: receives what RADIOs publish to the groups it joined (zmq_join/zmq_leave).
//! Joins and leaves go to every RADIO as JOIN/LEAVE command messages (see radio.rs), and
//! all of them again to a RADIO that connects or reconnects. Messages arrive as a group
//! frame then the body; the body is handed out with its group set. Messages of groups not
//! joined are dropped here too (a udp RADIO sends everything), as are malformed ones.

use super::fq::FairQueue;
use super::{Core, Pattern};
use crate::constants::ZMQ_GROUP_MAX_LENGTH;
use crate::error::{Error, Result};
use crate::msg::Msg;
use crate::pipe::PipeId;
use crate::zmtp::commands::group_message;
use std::collections::HashSet;

#[derive(Default)]
pub struct Dish {
    fq: FairQueue,
    pipes: Vec<PipeId>,
    groups: HashSet<Vec<u8>>,
    /// A message read ahead by has_in.
    prefetched: Option<Msg>,
}

impl Dish {
    /// Tell one RADIO; one whose pipe is full misses it (as libzmq's distributor).
    fn tell(core: &mut Core, id: PipeId, join: bool, group: &[u8]) {
        if core.check_write(id) {
            let _ = core.write(id, group_message(join, group));
        }
    }

    /// The next message of a joined group.
    fn next(&mut self, core: &mut Core) -> Result<Msg> {
        loop {
            let (group, _) = self.fq.recv(core)?;
            if !group.more() {
                continue; // a body without its group frame: malformed, dropped
            }
            let (mut body, _) = self.fq.recv(core)?;
            if body.more() {
                // More than two frames: not a RADIO message; drop the rest of it.
                while self.fq.recv(core).is_ok_and(|(m, _)| m.more()) {}
                continue;
            }
            let g = group.data();
            if g.len() > ZMQ_GROUP_MAX_LENGTH as usize || g.contains(&0) || !self.groups.contains(g) {
                continue;
            }
            body.set_group(g);
            return Ok(body);
        }
    }
}

impl Pattern for Dish {
    fn attach(&mut self, core: &mut Core, id: PipeId) {
        self.fq.attach(id);
        self.pipes.push(id);
        self.hiccuped(core, id);
    }

    /// A new or reconnected RADIO learns every group joined.
    fn hiccuped(&mut self, core: &mut Core, id: PipeId) {
        for g in &self.groups {
            Self::tell(core, id, true, g);
        }
    }

    fn detach(&mut self, _core: &mut Core, id: PipeId) {
        self.fq.detach(id);
        self.pipes.retain(|&p| p != id);
    }

    fn read_activated(&mut self, _core: &mut Core, id: PipeId) {
        self.fq.activated(id);
    }

    fn write_activated(&mut self, _core: &mut Core, _id: PipeId) {}

    fn send(&mut self, _core: &mut Core, _msg: &mut Msg) -> Result<()> {
        Err(Error::NOTSUP)
    }

    fn recv(&mut self, core: &mut Core) -> Result<Msg> {
        match self.prefetched.take() {
            Some(m) => Ok(m),
            None => self.next(core),
        }
    }

    fn has_in(&mut self, core: &mut Core) -> bool {
        if self.prefetched.is_none() {
            self.prefetched = self.next(core).ok();
        }
        self.prefetched.is_some()
    }

    /// libzmq: joins and leaves may be made at any time.
    fn has_out(&mut self, _core: &mut Core) -> bool {
        true
    }

    /// zmq_join / zmq_leave: EINVAL for a group over ZMQ_GROUP_MAX_LENGTH, a second join
    /// of a group, or leaving a group not joined, as libzmq.
    fn group(&mut self, core: &mut Core, group: &[u8], join: bool) -> Result<()> {
        if group.len() > ZMQ_GROUP_MAX_LENGTH as usize {
            return Err(Error::INVAL);
        }
        let changed = if join { self.groups.insert(group.to_vec()) } else { self.groups.remove(group) };
        if !changed {
            return Err(Error::INVAL);
        }
        for id in self.pipes.clone() {
            Self::tell(core, id, join, group);
        }
        Ok(())
    }
}
