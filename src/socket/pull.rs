//! PULL: fair-queues messages from its peers; never sends.

use super::fq::FairQueue;
use super::{Core, Pattern};
use crate::error::{Error, Result};
use crate::msg::Msg;
use crate::pipe::PipeId;

#[derive(Default)]
pub struct Pull {
    fq: FairQueue,
}

impl Pattern for Pull {
    fn attach(&mut self, _core: &mut Core, id: PipeId) {
        self.fq.attach(id);
    }

    fn detach(&mut self, _core: &mut Core, id: PipeId) {
        self.fq.detach(id);
    }

    fn read_activated(&mut self, _core: &mut Core, id: PipeId) {
        self.fq.activated(id);
    }

    fn write_activated(&mut self, _core: &mut Core, _id: PipeId) {}

    fn send(&mut self, _core: &mut Core, _msg: &mut Msg) -> Result<()> {
        Err(Error::NOTSUP)
    }

    fn recv(&mut self, core: &mut Core) -> Result<Msg> {
        super::recv_by_into(self, core)
    }

    fn hands_out_what_it_reads(&self) -> bool {
        true
    }

    #[inline]
    fn recv_into(&mut self, core: &mut Core, out: &mut Msg) -> Result<()> {
        self.fq.recv_into(core, out).map(|_| ())
    }

    fn has_in(&mut self, core: &mut Core) -> bool {
        self.fq.has_in(core)
    }

    fn has_out(&mut self, _core: &mut Core) -> bool {
        false
    }
}
