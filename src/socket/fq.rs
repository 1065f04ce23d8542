//! Fair queuing: read from each pipe with messages in turn, whole messages at a time.

use super::{next_index, Core};
use crate::error::{Error, Result};
use crate::msg::Msg;
use crate::pipe::PipeId;

#[derive(Default)]
pub struct FairQueue {
    /// Pipes that may have messages; a pipe found empty leaves until it is activated.
    active: Vec<PipeId>,
    current: usize,
    /// In the middle of a multipart message from `active[current]`.
    more: bool,
}

impl FairQueue {
    pub fn attach(&mut self, id: PipeId) {
        self.active.push(id);
    }

    pub fn activated(&mut self, id: PipeId) {
        if !self.active.contains(&id) {
            self.active.push(id);
        }
    }

    pub fn detach(&mut self, id: PipeId) {
        if let Some(i) = self.active.iter().position(|&p| p == id) {
            if i == self.current {
                self.more = false;
            }
            self.remove_at(i);
        }
    }

    fn remove_at(&mut self, i: usize) {
        self.active.remove(i);
        if i < self.current {
            self.current -= 1;
        }
        if self.current >= self.active.len() {
            self.current = 0;
        }
    }

    /// Next frame and the pipe it came from.
    pub fn recv(&mut self, core: &mut Core) -> Result<(Msg, PipeId)> {
        while !self.active.is_empty() {
            if self.current >= self.active.len() {
                self.current = 0;
            }
            let id = self.active[self.current];
            match core.read(id) {
                Some(msg) => {
                    self.more = msg.more();
                    if !self.more {
                        self.current = next_index(self.current, self.active.len());
                    }
                    return Ok((msg, id));
                }
                None => {
                    // Whole messages are queued atomically, so an empty pipe is never
                    // mid-message unless it died; either way, move on.
                    self.more = false;
                    self.remove_at(self.current);
                }
            }
        }
        Err(Error::AGAIN)
    }

    pub fn has_in(&mut self, core: &mut Core) -> bool {
        if self.more {
            return true;
        }
        while !self.active.is_empty() {
            if self.current >= self.active.len() {
                self.current = 0;
            }
            if core.check_read(self.active[self.current]) {
                return true;
            }
            self.remove_at(self.current);
        }
        false
    }
}
