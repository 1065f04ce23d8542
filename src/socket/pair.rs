//! PAIR: exactly one peer; further connections are refused.

use super::{Core, Pattern};
use crate::error::{Error, Result};
use crate::msg::Msg;
use crate::pipe::PipeId;

#[derive(Default)]
pub struct Pair {
    pipe: Option<PipeId>,
}

impl Pattern for Pair {
    fn attach(&mut self, core: &mut Core, id: PipeId) {
        if self.pipe.is_some() {
            core.close_pipe(id);
        } else {
            self.pipe = Some(id);
        }
    }

    fn detach(&mut self, _core: &mut Core, id: PipeId) {
        if self.pipe == Some(id) {
            self.pipe = None;
        }
    }

    fn read_activated(&mut self, _core: &mut Core, _id: PipeId) {}

    fn write_activated(&mut self, _core: &mut Core, _id: PipeId) {}

    fn send(&mut self, core: &mut Core, msg: &mut Msg) -> Result<()> {
        let id = self.pipe.ok_or(Error::AGAIN)?;
        if !core.check_write(id) {
            return Err(Error::AGAIN);
        }
        match core.write(id, msg.take()) {
            Ok(()) => Ok(()),
            Err(back) => {
                *msg = back;
                Err(Error::AGAIN)
            }
        }
    }

    fn recv(&mut self, core: &mut Core) -> Result<Msg> {
        super::recv_by_into(self, core)
    }

    fn hands_out_what_it_reads(&self) -> bool {
        true
    }

    #[inline]
    fn recv_into(&mut self, core: &mut Core, out: &mut Msg) -> Result<()> {
        let id = self.pipe.ok_or(Error::AGAIN)?;
        if core.read_into(id, out) {
            Ok(())
        } else {
            Err(Error::AGAIN)
        }
    }

    fn has_in(&mut self, core: &mut Core) -> bool {
        self.pipe.is_some_and(|id| core.check_read(id))
    }

    fn has_out(&mut self, core: &mut Core) -> bool {
        self.pipe.is_some_and(|id| core.check_write(id))
    }
}
