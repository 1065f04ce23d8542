//! RADIO: publishes single-part messages, each carrying a group (zmq_msg_set_group), to
//! the DISHes that joined that group. A DISH tells its joins and leaves as JOIN/LEAVE
//! command messages (`zmtp::commands::group_message`, the ZMTP 3.1 command frames of
//! RFC 48); a pipe to a udp destination gets every group (the DISH filters there).
//!
//! A message goes down a pipe as two frames, the group (with MORE) then the body: the
//! form it has on ZMTP connections, which the udp engine turns into one datagram and a
//! DISH over inproc reads back the same way. As with PUB, a subscriber whose pipe is
//! full misses the message, unless ZMQ_XPUB_NODROP makes the send wait (EAGAIN).

use super::single_part::refuse_multipart;
use super::{Core, Pattern};
use crate::error::{Error, Result};
use crate::msg::Msg;
use crate::pipe::PipeId;
use crate::zmtp::commands::{self, Command};
use std::collections::HashMap;

#[derive(Default)]
pub struct Radio {
    /// Group -> pipes that joined it (a pipe joining twice is listed twice, and must
    /// leave twice, as libzmq's multimap).
    groups: HashMap<Vec<u8>, Vec<PipeId>>,
    /// Pipes to udp destinations: they take every message.
    udp: Vec<PipeId>,
}

/// The group frame that precedes a body on a pipe (and on the wire).
pub(super) fn group_frame(group: &[u8]) -> Msg {
    let mut m = Msg::from_slice(group);
    m.set_more(true);
    m
}

impl Radio {
    /// Take in the joins and leaves a DISH sent; anything else is dropped.
    fn read_joins(&mut self, core: &mut Core, id: PipeId) {
        while let Some(msg) = core.read(id) {
            if !msg.is_command() {
                continue;
            }
            match commands::parse(msg.data()) {
                Ok(Command::Join(g)) => self.groups.entry(g.to_vec()).or_default().push(id),
                Ok(Command::Leave(g)) => {
                    if let Some(pipes) = self.groups.get_mut(g) {
                        if let Some(pos) = pipes.iter().position(|&p| p == id) {
                            pipes.swap_remove(pos);
                        }
                        if pipes.is_empty() {
                            self.groups.remove(g);
                        }
                    }
                }
                _ => {}
            }
        }
    }

    fn targets(&self, group: &[u8]) -> Vec<PipeId> {
        let mut t = self.udp.clone();
        for &id in self.groups.get(group).into_iter().flatten() {
            if !t.contains(&id) {
                t.push(id);
            }
        }
        t
    }
}

impl Pattern for Radio {
    fn attach(&mut self, core: &mut Core, id: PipeId) {
        if core.pipe(id).is_some_and(|p| p.peer.endpoint.starts_with("udp://")) {
            self.udp.push(id);
        }
        self.read_joins(core, id);
    }

    fn detach(&mut self, _core: &mut Core, id: PipeId) {
        self.udp.retain(|&p| p != id);
        self.groups.retain(|_, pipes| {
            pipes.retain(|&p| p != id);
            !pipes.is_empty()
        });
    }

    fn read_activated(&mut self, core: &mut Core, id: PipeId) {
        self.read_joins(core, id);
    }

    fn write_activated(&mut self, _core: &mut Core, _id: PipeId) {}

    fn send(&mut self, core: &mut Core, msg: &mut Msg) -> Result<()> {
        refuse_multipart(msg)?;
        let group = msg.group().to_bytes().to_vec();
        let targets = self.targets(&group);
        if core.options.xpub_nodrop && !targets.iter().all(|&id| core.check_write(id)) {
            return Err(Error::AGAIN);
        }
        let mut body = msg.take();
        body.set_group(b"");
        if targets.len() > 1 {
            // Several pipes share the buffer: ZMQ_SHARED, as libzmq's fan-out marks it.
            body.mark_copied();
        }
        for id in targets {
            if core.check_write(id) && core.write(id, group_frame(&group)).is_ok() {
                let _ = core.write(id, body.clone());
            }
        }
        Ok(())
    }

    fn recv(&mut self, _core: &mut Core) -> Result<Msg> {
        Err(Error::NOTSUP)
    }

    fn has_in(&mut self, _core: &mut Core) -> bool {
        false
    }

    fn has_out(&mut self, _core: &mut Core) -> bool {
        true
    }
}
