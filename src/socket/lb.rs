//! Load balancing: send each whole message to the next pipe that has room.

use super::rotation::Rotation;
use super::Core;
use crate::error::{Error, Result};
use crate::msg::Msg;
use crate::pipe::PipeId;

#[derive(Default)]
pub struct LoadBalancer {
    /// Pipes that may take a message; a full pipe leaves until it is activated.
    active: Rotation,
    /// In the middle of a multipart message to the current pipe.
    more: bool,
    /// The pipe died mid-message: swallow the rest of it.
    dropping: bool,
}

impl LoadBalancer {
    pub fn attach(&mut self, id: PipeId) {
        self.active.add(id);
    }

    pub fn activated(&mut self, id: PipeId) {
        self.active.activate(id);
    }

    pub fn detach(&mut self, id: PipeId) {
        if self.active.remove(id) && self.more {
            self.dropping = true;
            self.more = false;
        }
    }

    /// Send a frame; returns the pipe it went to (None if it was dropped).
    pub fn send(&mut self, core: &mut Core, msg: &mut Msg) -> Result<Option<PipeId>> {
        if self.dropping {
            self.dropping = msg.more();
            msg.take();
            return Ok(None);
        }
        let id = if self.more {
            self.active.current().ok_or(Error::AGAIN)?
        } else {
            self.active.find_ready(|id| core.check_write(id)).ok_or(Error::AGAIN)?
        };
        let more = msg.more();
        match core.write(id, msg.take()) {
            Ok(()) => {}
            Err(back) => {
                // The peer went away. Before the first frame, retry elsewhere; mid-message,
                // the part already written is lost with the pipe: drop the rest.
                self.active.drop_current();
                if self.more {
                    self.dropping = more;
                    self.more = false;
                    return Ok(None);
                }
                *msg = back;
                return self.send(core, msg);
            }
        }
        self.more = more;
        if !more {
            self.active.advance();
        }
        Ok(Some(id))
    }

    pub fn has_out(&mut self, core: &mut Core) -> bool {
        self.more || self.active.find_ready(|id| core.check_write(id)).is_some()
    }
}
