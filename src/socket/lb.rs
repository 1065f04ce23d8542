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

    /// Send a frame; returns the pipe it went to (None if it was dropped). Inlined into
    /// the socket types' send: the common case is straight-line, the rare ones cold.
    #[inline]
    pub fn send(&mut self, core: &mut Core, msg: &mut Msg) -> Result<Option<PipeId>> {
        if self.dropping {
            return Ok(self.drop_frame(msg));
        }
        let id = if self.more {
            self.active.current().ok_or(Error::AGAIN)?
        } else {
            self.active.find_ready(|id| core.check_write(id)).ok_or(Error::AGAIN)?
        };
        let more = msg.more();
        if let Err(back) = core.write(id, msg.take()) {
            return self.pipe_gone(core, msg, back, more);
        }
        self.more = more;
        if !more {
            self.active.advance();
        }
        Ok(Some(id))
    }

    /// The rest of a message whose pipe died mid-message is swallowed.
    #[cold]
    fn drop_frame(&mut self, msg: &mut Msg) -> Option<PipeId> {
        self.dropping = msg.more();
        msg.take();
        None
    }

    /// The peer went away as `back` was written to it. Before the first frame, retry
    /// elsewhere; mid-message, the part already written is lost with the pipe: drop the
    /// rest.
    #[cold]
    fn pipe_gone(&mut self, core: &mut Core, msg: &mut Msg, back: Msg, more: bool) -> Result<Option<PipeId>> {
        self.active.drop_current();
        if self.more {
            self.dropping = more;
            self.more = false;
            return Ok(None);
        }
        *msg = back;
        self.send(core, msg)
    }

    pub fn has_out(&mut self, core: &mut Core) -> bool {
        self.more || self.active.find_ready(|id| core.check_write(id)).is_some()
    }
}
