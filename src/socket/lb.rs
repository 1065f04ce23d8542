//! Load balancing: send each whole message to the next pipe that has room.

use super::{next_index, Core};
use crate::error::{Error, Result};
use crate::msg::Msg;
use crate::pipe::PipeId;

#[derive(Default)]
pub struct LoadBalancer {
    /// Pipes that may take a message; a full pipe leaves until it is activated.
    active: Vec<PipeId>,
    current: usize,
    /// In the middle of a multipart message to `active[current]`.
    more: bool,
    /// The pipe died mid-message: swallow the rest of it.
    dropping: bool,
}

impl LoadBalancer {
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
            if i == self.current && self.more {
                self.dropping = true;
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

    /// Send a frame; returns the pipe it went to (None if it was dropped).
    pub fn send(&mut self, core: &mut Core, msg: &mut Msg) -> Result<Option<PipeId>> {
        if self.dropping {
            self.dropping = msg.more();
            msg.take();
            return Ok(None);
        }
        if !self.more {
            loop {
                if self.active.is_empty() {
                    return Err(Error::AGAIN);
                }
                if self.current >= self.active.len() {
                    self.current = 0;
                }
                if core.check_write(self.active[self.current]) {
                    break;
                }
                self.remove_at(self.current);
            }
        }
        let id = self.active[self.current];
        let more = msg.more();
        match core.write(id, msg.take()) {
            Ok(()) => {}
            Err(back) => {
                // The peer went away. Before the first frame, retry elsewhere; mid-message,
                // the part already written is lost with the pipe: drop the rest.
                if self.more {
                    self.dropping = more;
                    self.more = false;
                    self.remove_at(self.current);
                    return Ok(None);
                }
                *msg = back;
                self.remove_at(self.current);
                return self.send(core, msg);
            }
        }
        self.more = more;
        if !more {
            self.current = next_index(self.current, self.active.len());
        }
        Ok(Some(id))
    }

    pub fn has_out(&mut self, core: &mut Core) -> bool {
        if self.more {
            return true;
        }
        while !self.active.is_empty() {
            if self.current >= self.active.len() {
                self.current = 0;
            }
            if core.check_write(self.active[self.current]) {
                return true;
            }
            self.remove_at(self.current);
        }
        false
    }
}
