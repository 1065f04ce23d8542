//! Fair queuing: read from each pipe with messages in turn, whole messages at a time.

use super::rotation::Rotation;
use super::Core;
use crate::error::{Error, Result};
use crate::msg::Msg;
use crate::pipe::PipeId;

#[derive(Default)]
pub struct FairQueue {
    /// Pipes that may have messages; a pipe found empty leaves until it is activated.
    active: Rotation,
    /// In the middle of a multipart message from the current pipe.
    more: bool,
}

impl FairQueue {
    pub fn attach(&mut self, id: PipeId) {
        self.active.add(id);
    }

    pub fn activated(&mut self, id: PipeId) {
        self.active.activate(id);
    }

    pub fn detach(&mut self, id: PipeId) {
        if self.active.remove(id) {
            self.more = false;
        }
    }

    /// Next frame and the pipe it came from.
    pub fn recv(&mut self, core: &mut Core) -> Result<(Msg, PipeId)> {
        let mut msg = Msg::new();
        let id = self.recv_into(core, &mut msg)?;
        Ok((msg, id))
    }

    /// Next frame into `out` (replaced only on success); the pipe it came from.
    #[inline]
    pub fn recv_into(&mut self, core: &mut Core, out: &mut Msg) -> Result<PipeId> {
        while let Some(id) = self.active.current() {
            if core.read_into(id, out) {
                self.more = out.more();
                if !self.more {
                    self.active.advance();
                }
                return Ok(id);
            }
            // Whole messages are queued atomically, so an empty pipe is never
            // mid-message unless it died; either way, move on.
            self.more = false;
            self.active.drop_current();
        }
        Err(Error::AGAIN)
    }

    /// The first frame of the message the next read would start with, if at hand.
    #[inline]
    pub fn peek_next<'a>(&mut self, core: &'a Core) -> Option<&'a [u8]> {
        if self.more {
            return None;
        }
        core.peek_message(self.active.current()?)
    }

    pub fn has_in(&mut self, core: &mut Core) -> bool {
        self.more || self.active.find_ready(|id| core.check_read(id)).is_some()
    }
}
